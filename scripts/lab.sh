#!/usr/bin/env bash
# The local lab: the whole site of inventories/lab on this machine - systemd containers, the UniFi OS and DSM API
# simulators, the stand-ins of tests/lab - then playbooks/site.yml, then the user's-seat checks of tests/lab/check.py.
# Usage: scripts/lab.sh up|prepare|converge [ansible-playbook args]|check|down
#   prepare: containers, simulators and stand-ins only; converge: site.yml only (args go to ansible-playbook)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
INVENTORY=inventories/lab
STANDINS=tests/lab/standins.yml
export HYBRIDOPS_LAB_STATE_DIR="$PWD/.cache/lab"
STATE=$HYBRIDOPS_LAB_STATE_DIR
UNIFI_PORT=18443
DSM_PORT=15001

# name image capabilities-csv devices-csv networks (net:ip=addr,...), one container a line, from the inventories
hosts_table() {
  ansible-inventory -i "$INVENTORY" -i "$STANDINS" --list 2>/dev/null | python3 -c '
import json, sys
inv = json.load(sys.stdin)
for name, hv in sorted(inv["_meta"]["hostvars"].items()):
    nets = []
    if hv.get("lab_ip"):
        nets.append("%s:ip=%s" % (hv["lab_network"], hv["lab_ip"]))
    if hv.get("lab_wan_ip"):
        nets.append("%s:ip=%s" % (hv["lab_wan_network"], hv["lab_wan_ip"]))
    if not nets:
        continue  # reached through an API from this machine (UDM, DSM), not a container
    print(name, hv["lab_image"], ",".join(hv.get("lab_capabilities", [])) or "-",
          ",".join(hv.get("lab_devices", [])) or "-", " ".join(nets))'
}

networks() {
  ansible-inventory -i "$INVENTORY" --host lab-pg1 2>/dev/null | python3 -c '
import json, sys
hv = json.load(sys.stdin)
print(hv["lab_network"], hv["lab_subnet"]); print(hv["lab_wan_network"], hv["lab_wan_subnet"])'
}

containers() {
  local table net subnet; table=$(hosts_table)
  [[ -n "$table" ]] || die "no lab hosts found in $INVENTORY"
  while read -r net subnet; do
    # isolate: no traffic between the lab's networks (or other podman networks) except through a host on both
    # (the VPN server); podman would otherwise route and masquerade the laptop straight into the site.
    podman network exists "$net" || podman network create --opt isolate=true --subnet "$subnet" "$net" >/dev/null
  done < <(networks)
  while read -r name image caps devices nets; do
    if podman container exists "$name"; then
      [[ "$(podman inspect -f '{{.State.Running}}' "$name")" == true ]] || podman start "$name" >/dev/null
      continue
    fi
    # --no-hosts: /etc/hosts belongs to the common role, and podman would rewrite it on every restart.
    local args=(run -d --name "$name" --hostname "$name" --systemd=always --no-hosts
      --tmpfs /tmp --tmpfs /run --label io.hybridops.lab=1
      --volume "$HYBRIDOPS_CACHE_DIR/wheels:/var/cache/hybridops/wheels"
      --volume "$HYBRIDOPS_CACHE_DIR/pip:/root/.cache/pip"
      --volume "$HYBRIDOPS_CACHE_DIR/npm:/root/.npm"
      --volume "$HYBRIDOPS_CACHE_DIR/ccache:/var/cache/hybridops/ccache")
    for n in $nets; do args+=(--network "$n"); done
    [[ "$caps" == - ]] || for c in ${caps//,/ }; do args+=(--cap-add "$c"); done
    [[ "$devices" == - ]] || for d in ${devices//,/ }; do args+=(--device "$d"); done
    log "starting $name ($image, $nets)"
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
}

# start_simulator NAME MODULE PORT: one background process each, kept across `make lab` runs (its state is the
# appliance's configuration), stopped by `make lab-destroy`.
start_simulator() {
  local name=$1 module=$2 port=$3 pidfile="$STATE/$1.pid"
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "$name simulator already running (pid $(cat "$pidfile"), https://127.0.0.1:$port)"
    return
  fi
  mkdir -p "$STATE/$name"
  setsid nohup python3 -m "$module" --port "$port" --directory "$STATE/$name" >"$STATE/$name.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 50); do
    grep -q "simulator at" "$STATE/$name.log" 2>/dev/null && { log "$(head -1 "$STATE/$name.log")"; return; }
    sleep 0.2
  done
  die "the $name simulator did not start: $(cat "$STATE/$name.log")"
}

stop_simulators() {
  local pidfile
  for pidfile in "$STATE"/*.pid; do
    [[ -f "$pidfile" ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

prepare() {
  mkdir -p "$STATE" "$HYBRIDOPS_CACHE_DIR/npm" "$HYBRIDOPS_CACHE_DIR/ccache"
  stage_start "package cache"
  bash scripts/pkg-cache.sh start
  stage_end "package cache" 0
  stage_start "lab containers"
  containers
  stage_end "lab containers" 0
  stage_start "appliance simulators"
  start_simulator unifi tests.integration.unifi.simulator "$UNIFI_PORT"
  start_simulator dsm tests.integration.synology.simulator "$DSM_PORT"
  stage_end "appliance simulators" 0
  local rc=0
  stage_start "stand-ins (tests/lab)"
  ansible-playbook -i "$INVENTORY" -i "$STANDINS" tests/lab/prepare.yml >.cache/lab-prepare.log 2>&1 || rc=$?
  stage_end "stand-ins (tests/lab)" "$rc"
  if ((rc != 0)); then tail -40 .cache/lab-prepare.log; stage_summary; die "the stand-ins failed (.cache/lab-prepare.log)"; fi
}

up() {
  prepare && site && check
}

site() {
  stage_start "site.yml"
  local rc=0
  ansible-playbook -i "$INVENTORY" playbooks/site.yml "$@" | tee .cache/lab-site.log || rc=$?
  stage_end "site.yml" "$rc"
  grep -A100 'PLAY RECAP' .cache/lab-site.log | grep -E 'changed=' || true
  if ((rc != 0)); then stage_summary; return "$rc"; fi
}

check() {
  stage_start "lab-check"
  local rc=0
  python3 -m tests.lab.check || rc=$?
  stage_end "lab-check" "$rc"
  stage_summary
  return "$rc"
}

down() {
  local names net; mapfile -t names < <(podman ps -a --filter label=io.hybridops.lab=1 --format '{{.Names}}')
  ((${#names[@]} == 0)) || podman rm -f -t 2 "${names[@]}" >/dev/null
  while read -r net _; do
    ! podman network exists "$net" || podman network rm "$net" >/dev/null
  done < <(networks)
  stop_simulators
  # The lab's CA, keys and client profiles belong to these containers: a new lab starts a new CA.
  rm -rf "$STATE" .cache/lab-pki .cache/lab-*.log
  # The package cache serves the tests too: it stays up while other containers (a Molecule run) may use it.
  if [[ -z "$(podman ps -q)" ]]; then
    bash scripts/pkg-cache.sh stop
  else
    log "the package cache stays up: other containers run (podman ps), a test may be using it"
  fi
  log "lab removed: containers, networks, simulators, lab CA (the package caches stay in $HYBRIDOPS_CACHE_DIR)"
}

mkdir -p .cache
case "${1:-up}" in
  up) up ;;
  prepare) prepare && stage_summary ;;
  converge) shift; site "$@" && stage_summary ;;
  check) check ;;
  down) down ;;
  *) die "usage: $0 up|prepare|converge|check|down" ;;
esac
