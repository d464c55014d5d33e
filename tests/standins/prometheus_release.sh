#!/usr/bin/env bash
# Lay out a STAND-IN of a site's mirror of the Prometheus project's GitHub releases (Molecule's monitoring
# scenario), so that the prometheus and alertmanager roles' `release` installation runs end to end:
#   DEST/prometheus/prometheus/releases/download/v<v>/prometheus-<v>.linux-amd64.tar.gz + sha256sums.txt
#   DEST/prometheus/alertmanager/releases/download/v<v>/alertmanager-<v>.linux-amd64.tar.gz + sha256sums.txt
# in the upstream layout (one top directory with the binaries and LICENSE). There is no internet here, so:
#   - Alertmanager is upstream's source built from the Go module proxy by scripts/build-go.sh (ARTIFACTS);
#   - Prometheus is Debian's build of the same upstream version, repacked (its source needs an npm-built UI and a
#     long cold build; Debian's binary runs standalone). Cached in ARTIFACTS by version.
# Runs on the controller. Usage: prometheus_release.sh DEST ARTIFACTS PROMETHEUS_VERSION ALERTMANAGER_VERSION
set -euo pipefail
dest=$1 artifacts=$2 prometheus_version=$3 alertmanager_version=$4
top=prometheus-$prometheus_version.linux-amd64
cache=$artifacts/prometheus-debian-$prometheus_version

if [[ ! -f "$cache/.complete" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    apt-get download -q prometheus >/dev/null 2>&1
    have=$(dpkg-deb -f prometheus_*.deb Version)
    if [[ $have != "$prometheus_version"[+-]* ]]; then
      echo "Debian's prometheus is $have, not upstream $prometheus_version: set the scenario's version to match" >&2
      exit 1
    fi
    dpkg-deb -x prometheus_*.deb root
    mkdir "$top"
    cp root/usr/bin/prometheus root/usr/bin/promtool "$top/"
    cp root/usr/share/doc/prometheus/copyright "$top/LICENSE"
    mkdir out
    tar -czf "out/$top.tar.gz" "$top"
    (cd out && sha256sum "$top.tar.gz" >sha256sums.txt && touch .complete)
  )
  rm -rf "$cache"
  mv "$work/out" "$cache"
fi

[[ -f "$artifacts/alertmanager-$alertmanager_version/.complete" ]] || {
  echo "no Alertmanager $alertmanager_version in $artifacts: run scripts/build-go.sh alertmanager@$alertmanager_version" >&2
  exit 1
}

rm -rf "$dest"
for release in "prometheus $prometheus_version $cache" \
               "alertmanager $alertmanager_version $artifacts/alertmanager-$alertmanager_version"; do
  read -r name version from <<<"$release"
  out=$dest/prometheus/$name/releases/download/v$version
  mkdir -p "$out"
  cp "$from"/*.tar.gz "$from/sha256sums.txt" "$out/"
done
