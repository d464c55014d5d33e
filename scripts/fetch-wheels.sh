#!/usr/bin/env bash
# Fill .cache/wheels with every wheel the pinned vLLM (roles/vllm/defaults/main.yml) needs, for the `vllm`
# Molecule scenario, which bind-mounts the directory as the role's wheel cache. Only what is missing is
# downloaded; a full cache is about 3.7 GB. `make test` starts this in the background at the beginning, so the
# download overlaps the lint, sanity and unit stages. Harmless to run by hand; the role fills the cache itself
# when this did not run.
# Usage: scripts/fetch-wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
version=$(sed -n 's/^vllm_version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' roles/vllm/defaults/main.yml)
[[ -n "$version" ]] || die "vllm_version not found in roles/vllm/defaults/main.yml"
mkdir -p .cache/wheels
stamp=.cache/wheels/.complete-vllm-$version
if [[ -f "$stamp" ]]; then
  log "wheel cache for vLLM $version complete ($(du -sh .cache/wheels | cut -f1))"
  exit 0
fi
log "downloading the wheels of vLLM $version into .cache/wheels"
# Same interpreter (CPython 3.11) and platform as the Debian 12 lab images, so plain `pip download` picks the
# wheels the container's venv will install.
.venv/bin/pip download --no-input --progress-bar=off --dest .cache/wheels --find-links .cache/wheels \
  "vllm==$version"
touch "$stamp"
log "wheel cache for vLLM $version complete ($(du -sh .cache/wheels | cut -f1))"
