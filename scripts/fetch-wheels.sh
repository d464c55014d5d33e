#!/usr/bin/env bash
# Fill the host's wheelhouse ($HYBRIDOPS_CACHE_DIR/wheels, see scripts/lib.sh; outside the
# checkout so it outlives clones) with every wheel that the roles' pinned PyPI installs need. Each pin is read
# from the role's defaults and recorded with a stamp per package and version: a warm run downloads nothing, a
# new pin downloads only what is missing. .config/molecule/create.yml and scripts/lab.sh mount the wheelhouse
# into every container at /var/cache/hybridops/wheels (the vllm scenario installs from it with --no-index).
# `make test` starts this in the background so the download overlaps the lint, sanity and unit stages.
# Usage: scripts/fetch-wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

WHEELS=$HYBRIDOPS_CACHE_DIR/wheels
# package   variable holding its pinned version   defaults file
PINS=(
  "vllm vllm_version roles/vllm/defaults/main.yml"
)

mkdir -p "$WHEELS"
for pin in "${PINS[@]}"; do
  read -r package variable file <<<"$pin"
  version=$(sed -n "s/^$variable: *\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$file")
  [[ -n "$version" ]] || die "$variable not found in $file"
  stamp="$WHEELS/.complete-$package-$version"
  if [[ -f "$stamp" ]]; then
    log "wheelhouse has $package $version"
    continue
  fi
  log "downloading the wheels of $package $version into $WHEELS"
  # Same interpreter (CPython 3.11) and platform as the Debian 12 test images, so plain `pip download` picks
  # the wheels the containers will install.
  .venv/bin/pip download --no-input --progress-bar=off --dest "$WHEELS" --find-links "$WHEELS" \
    "$package==$version"
  touch "$stamp"
done
log "wheelhouse complete ($(du -sh "$WHEELS" | cut -f1))"
