#!/usr/bin/env bash
# Lay out a STAND-IN of a site's mirror of the Prometheus project's GitHub releases (Molecule's monitoring
# scenario), so that the prometheus and alertmanager roles' `release` installation runs end to end:
#   DEST/prometheus/prometheus/releases/download/v<v>/prometheus-<v>.linux-amd64.tar.gz + sha256sums.txt
#   DEST/prometheus/alertmanager/releases/download/v<v>/alertmanager-<v>.linux-amd64.tar.gz + sha256sums.txt
# in the upstream layout (one top directory with the binaries and LICENSE), built from Debian's packages of the
# same upstream version: there is no internet here, so these are Debian's builds, not the upstream tarballs.
# Runs on the mirror host (its apt sources and package cache). Usage:
#   prometheus_release.sh DEST PROMETHEUS_VERSION ALERTMANAGER_VERSION
set -euo pipefail
dest=$1 prometheus_version=$2 alertmanager_version=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q prometheus prometheus-alertmanager >/dev/null 2>&1

# layout NAME VERSION DEB SRC:DST...
layout() {
  local name=$1 version=$2 deb=$3 have pair top out
  shift 3
  have=$(dpkg-deb -f "$deb" Version)
  if [[ $have != "$version"[+-]* ]]; then
    echo "Debian's $deb is $have, not upstream $version: set the scenario's release version to match" >&2
    exit 1
  fi
  dpkg-deb -x "$deb" "root-$name"
  top="$name-$version.linux-amd64"
  mkdir "$top"
  for pair in "$@"; do
    cp "root-$name/${pair%%:*}" "$top/${pair##*:}"
  done
  cp "root-$name"/usr/share/doc/*/copyright "$top/LICENSE"
  out="$dest/prometheus/$name/releases/download/v$version"
  mkdir -p "$out"
  tar -czf "$out/$top.tar.gz" "$top"
  (cd "$out" && sha256sum "$top.tar.gz" > sha256sums.txt)
}

layout prometheus "$prometheus_version" prometheus_*.deb usr/bin/prometheus:prometheus usr/bin/promtool:promtool
layout alertmanager "$alertmanager_version" prometheus-alertmanager_*.deb \
  usr/bin/prometheus-alertmanager:alertmanager usr/bin/amtool:amtool
