#!/usr/bin/env bash
# Builds Gitea, its Actions runner and Alertmanager from the Go module proxy (no GitHub, no release server needed)
# and keeps the results in a cache OUTSIDE the checkout, keyed by version, so a warm run builds nothing and prints
# "cached".
#   scripts/build-go.sh gitea@1.26.0 gitea@1.26.1 runner@1.0.8 alertmanager@0.35.0
# Result, per artifact (written to a temporary directory and moved in place, then marked complete):
#   $HYBRIDOPS_CACHE_DIR/artifacts/gitea-<v>/gitea-<v>-linux-amd64{,.sha256}
#   $HYBRIDOPS_CACHE_DIR/artifacts/gitea-runner-<v>/gitea-runner-<v>-linux-amd64{,.sha256}
#   $HYBRIDOPS_CACHE_DIR/artifacts/alertmanager-<v>/alertmanager-<v>.linux-amd64.tar.gz + sha256sums.txt
#     (alertmanager and amtool, LICENSE, NOTICE: the upstream release tarball's layout; the web UI, which upstream
#     builds with npm and leaves out of the Go module, is an empty page - the API and the notifications are whole)
# The file names follow the official release layout, so a directory tree of them serves as a download mirror.
# How (docs/../LAB-NOTES item 14): `go install` fails for both modules (replace directives; the runner's version
# list answers 403), so: `go mod download` of the exact version, copy the module source out of the module cache,
# make it writable, `go generate -tags bindata` for Gitea's embedded assets, then a static `-tags bindata` build.
# Costs: a cold Gitea build is about 9 CPU-minutes and 4 GB of module + build cache (shared by the versions).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

GO_DIR=$HYBRIDOPS_CACHE_DIR/go
ART_DIR=$HYBRIDOPS_CACHE_DIR/artifacts
GITEA_MODULE=code.gitea.io/gitea
RUNNER_MODULE=gitea.com/gitea/runner
ALERTMANAGER_MODULE=github.com/prometheus/alertmanager
ARCH=linux-amd64

usage() { echo "usage: $0 gitea@<version>|runner@<version>|alertmanager@<version> ..." >&2; exit 2; }
[[ $# -gt 0 ]] || usage
command -v go >/dev/null || die "go is not installed (Go >= 1.26 is needed)"

export GOPATH=$GO_DIR GOMODCACHE=$GO_DIR/mod GOCACHE=$GO_DIR/build CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -p=2" GOTOOLCHAIN=local
mkdir -p "$GO_DIR" "$ART_DIR"

# One build at a time on this machine (two scenarios or helpers calling the script share the cache).
exec 9>"$GO_DIR/.build.lock"
flock 9

# module_source MODULE VERSION DEST: a writable copy of the module's source at DEST.
module_source() {
  local dir
  dir=$(go mod download -json "$1@v$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1@v$2 gave no source directory"
  rm -rf "$3"
  cp -r "$dir" "$3"
  chmod -R u+w "$3"
}

# publish NAME VERSION BINARY: the binary and its sha256 into the artifact directory, atomically.
publish() {
  local final=$ART_DIR/$1-$2 tmp file=$1-$2-$ARCH
  tmp=$(mktemp -d "$ART_DIR/.$1-$2.XXXXXX")
  install -m 0755 "$3" "$tmp/$file"
  (cd "$tmp" && sha256sum "$file" >"$file.sha256")
  touch "$tmp/.complete"
  rm -rf "$final"
  mv "$tmp" "$final"
  chmod 0755 "$final"
  log "$1 $2: $(cut -d' ' -f1 "$final/$file.sha256")  $final/$file"
}

build_gitea() {
  local version=$1 src=$GO_DIR/src/gitea-$1
  log "gitea $version: fetching $GITEA_MODULE@v$version"
  module_source "$GITEA_MODULE" "$version" "$src"
  (
    cd "$src"
    go mod download
    log "gitea $version: generating the embedded assets (bindata)"
    nice go generate -tags bindata ./modules/options ./modules/public ./modules/templates ./modules/migration
    log "gitea $version: building (several CPU-minutes when cold)"
    nice go build -trimpath -tags bindata \
      -ldflags "-s -w -X \"main.Version=$version\" -X \"main.Tags=bindata\"" -o "$src/gitea.bin" .
  )
  "$src/gitea.bin" --version | grep -q "version $version" || die "gitea $version: the binary reports another version"
  publish gitea "$version" "$src/gitea.bin"
  rm -rf "$src"
}

build_runner() {
  local version=$1 src=$GO_DIR/src/gitea-runner-$1 verpkg
  log "runner $version: fetching $RUNNER_MODULE@v$version"
  module_source "$RUNNER_MODULE" "$version" "$src"
  (
    cd "$src"
    go mod download
    # The package that holds the version string (its import path follows the module name in go.mod).
    verpkg="$(go list -m)/internal/pkg/ver"
    log "runner $version: building"
    nice go build -trimpath -ldflags "-s -w -X $verpkg.version=v$version" -o "$src/runner.bin" .
  )
  "$src/runner.bin" --version | grep -q "$version" || die "runner $version: the binary reports another version"
  publish gitea-runner "$version" "$src/runner.bin"
  rm -rf "$src"
}

build_alertmanager() {
  local version=$1 src=$GO_DIR/src/alertmanager-$1 top final tmp
  log "alertmanager $version: fetching $ALERTMANAGER_MODULE@v$version"
  module_source "$ALERTMANAGER_MODULE" "$version" "$src"
  top=alertmanager-$version.$ARCH
  (
    cd "$src"
    mkdir -p ui/app/dist
    [[ -n "$(ls -A ui/app/dist)" ]] || echo '<!-- web UI not built (scripts/build-go.sh) -->' >ui/app/dist/index.html
    log "alertmanager $version: building"
    nice go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=$version" \
      -o "$src/$top/" ./cmd/alertmanager ./cmd/amtool
    cp LICENSE NOTICE "$src/$top/"
  )
  "$src/$top/alertmanager" --version 2>&1 | grep -q "version $version" || die "alertmanager $version: the binary reports another version"
  final=$ART_DIR/alertmanager-$version
  tmp=$(mktemp -d "$ART_DIR/.alertmanager-$version.XXXXXX")
  tar -C "$src" -czf "$tmp/$top.tar.gz" "$top"
  (cd "$tmp" && sha256sum "$top.tar.gz" >sha256sums.txt)
  touch "$tmp/.complete"
  rm -rf "$final"
  mv "$tmp" "$final"
  chmod 0755 "$final"
  log "alertmanager $version: $(cut -d' ' -f1 "$final/sha256sums.txt")  $final/$top.tar.gz"
  rm -rf "$src"
}

for spec in "$@"; do
  name=${spec%@*} version=${spec#*@}
  version=${version#v}
  [[ "$spec" == *@* && "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || usage
  case $name in
    gitea) artifact=gitea-$version ;;
    runner) artifact=gitea-runner-$version ;;
    alertmanager) artifact=alertmanager-$version ;;
    *) usage ;;
  esac
  if [[ -f "$ART_DIR/$artifact/.complete" ]]; then
    log "$artifact: cached ($ART_DIR/$artifact)"
    continue
  fi
  mkdir -p "$GO_DIR/src"
  "build_$name" "$version"
done
