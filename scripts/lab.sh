#!/usr/bin/env bash
# The local lab: systemd containers described by inventories/lab, and playbooks/site.yml run against them.
# Usage: scripts/lab.sh up|down|converge
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
INVENTORY=inventories/lab

# name image ip capabilities-csv network subnet, one host a line, from the inventory itself
hosts_table() {
  ansible-inventory -i "$INVENTORY" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
for name, hv in sorted(inv["_meta"]["hostvars"].items()):
    print(name, hv["lab_image"], hv["lab_ip"], ",".join(hv.get("lab_capabilities", [])) or "-",
          hv["lab_network"], hv["lab_subnet"], ",".join(hv.get("lab_devices", [])) or "-")'
}

up() {
  stage_start "package cache"
  bash scripts/pkg-cache.sh start
  stage_end "package cache" 0
  stage_start "lab containers"
  local table; table=$(hosts_table)
  [[ -n "$table" ]] || die "no lab hosts found in $INVENTORY"
  while read -r name image ip caps net subnet devices; do
    podman network exists "$net" || podman network create --subnet "$subnet" "$net" >/dev/null
    if podman container exists "$name"; then
      [[ "$(podman inspect -f '{{.State.Running}}' "$name")" == true ]] || podman start "$name" >/dev/null
      continue
    fi
    local args=(run -d --name "$name" --hostname "$name" --systemd=always --network "$net:ip=$ip"
      --tmpfs /tmp --tmpfs /run --label io.hybridops.lab=1
      --volume "$HYBRIDOPS_CACHE_DIR/wheels:/var/cache/hybridops/wheels"
      --volume "$HYBRIDOPS_CACHE_DIR/pip:/root/.cache/pip")
    [[ "$caps" == - ]] || for c in ${caps//,/ }; do args+=(--cap-add "$c"); done
    [[ "$devices" == - ]] || for d in ${devices//,/ }; do args+=(--device "$d"); done
    log "starting $name ($image, $ip)"
    podman "${args[@]}" "$image" /lib/systemd/systemd >/dev/null
  done <<<"$table"
  while read -r name _; do
    podman exec "$name" systemctl is-system-running --wait >/dev/null 2>&1 || true
    # Debian downloads go through the host's package cache when it answers (test tooling, as in Molecule).
    podman cp scripts/container-apt-proxy.sh "$name:/usr/local/sbin/hybridops-apt-proxy"
    podman exec "$name" sh -c 'chmod 0755 /usr/local/sbin/hybridops-apt-proxy && echo "Acquire::http::Proxy-Auto-Detect \"/usr/local/sbin/hybridops-apt-proxy\";" > /etc/apt/apt.conf.d/00hybridops-test-proxy'
    # A fresh real host has package lists; a fresh container image does not.
    podman exec "$name" sh -c 'ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq' >/dev/null
  done <<<"$table"
  stage_end "lab containers" 0
  converge
}

converge() {
  stage_start "site.yml"
  local rc=0
  ansible-playbook -i "$INVENTORY" playbooks/site.yml "$@" | tee .cache/lab-site.log || rc=$?
  stage_end "site.yml" "$rc"
  stage_summary
  grep -A100 'PLAY RECAP' .cache/lab-site.log | grep -E 'changed=' || true
  return "$rc"
}

down() {
  local names; mapfile -t names < <(podman ps -a --filter label=io.hybridops.lab=1 --format '{{.Names}}')
  ((${#names[@]} == 0)) || podman rm -f -t 2 "${names[@]}" >/dev/null
  podman network exists hybridops-lab && podman network rm hybridops-lab >/dev/null
  bash scripts/pkg-cache.sh stop
  log "lab removed (the package caches stay in $HYBRIDOPS_CACHE_DIR)"
}

mkdir -p .cache
case "${1:-up}" in
  up) up ;;
  converge) shift; converge "$@" ;;
  down) down ;;
  *) die "usage: $0 up|down|converge" ;;
esac
