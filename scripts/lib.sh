# Shared helpers for the lab and test scripts (sourced, not executed).
# shellcheck shell=bash
# shellcheck disable=SC2034  # used by the scripts that source this file
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
# The package caches of the lab and the tests (scripts/pkg-cache.sh), outside the checkout so they outlive clones.
if [[ -z "${HYBRIDOPS_CACHE_DIR:-}" ]]; then
  if [[ $(id -u) -eq 0 ]]; then HYBRIDOPS_CACHE_DIR=/var/cache/hybridops
  else HYBRIDOPS_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/hybridops"; fi
fi
export HYBRIDOPS_CACHE_DIR
log() { printf '\033[1;34m[hybridops]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[hybridops] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }
# Timings: `stage_start NAME` ... `stage_end NAME RC`; `stage_summary` prints the table.
declare -a __STAGES=()
stage_start() { __STAGE_T0=$(date +%s.%N); log "stage: $1"; }
stage_end() {
  local dt; dt=$(awk -v a="$__STAGE_T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  __STAGES+=("$(printf '%-28s %8ss  %s' "$1" "$dt" "$([[ $2 -eq 0 ]] && echo ok || echo "FAILED (rc=$2)")")")
}
stage_summary() {
  printf '\n%s\n' "---- stage timings ----"
  printf '%s\n' "${__STAGES[@]}"
}

# tool_venv NAME REQUIREMENTS: a venv of its own for a tool (the Galaxy importer, ansible-builder), built once per
# set of pins in the package cache ($HYBRIDOPS_CACHE_DIR/venvs/NAME-<hash>); prints its path.
tool_venv() {
  local name=$1 requirements=$2 sum venv
  sum=$(sha256sum "$requirements" | cut -c1-16)
  venv="$HYBRIDOPS_CACHE_DIR/venvs/$name-$sum"
  if [[ ! -f "$venv/.complete" ]]; then
    log "building the venv $venv from $requirements"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    PIP_CERT="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$venv/bin/pip" install -q --upgrade pip >&2
    PIP_CERT="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$venv/bin/pip" install -q -r "$requirements" >&2
    touch "$venv/.complete"
  fi
  printf '%s\n' "$venv"
}
