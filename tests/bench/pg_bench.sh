#!/usr/bin/env bash
# pgbench TPS through HAProxy's primary port and direct to the primary, and their ratio (target >= 0.9).
# Runs pgbench inside a replica's container (same network distance to both), against running containers
# (the Molecule scenario or the lab). Prints the figures; judges nothing.
# Usage: pg_bench.sh NODES(comma-separated) ENTRY_ADDRESS SUPERUSER_PASSWORD [SECONDS] [CLIENTS]
set -euo pipefail
nodes=${1:?nodes}; entry=${2:?haproxy address}; password=${3:?password}; seconds=${4:-20}; clients=${5:-8}
IFS=, read -r -a members <<<"$nodes"

# The leader and the address Patroni itself advertises for it: a balancer that leads also holds the VIP on eth0,
# so the interface's address list is not the member's address.
find_leader() {
  leader="" leader_ip=""
  for n in "${members[@]}"; do
    read -r leader leader_ip < <(podman exec "$n" curl -s -m 5 --cacert /etc/patroni/pki/ca.crt "https://$n:8008/cluster" |
      python3 -c 'import json,sys; m=[m for m in json.load(sys.stdin)["members"] if m["role"]=="leader"][0]; print(m["name"], m["host"])' \
      2>/dev/null) && [[ -n "$leader_ip" ]] && return 0
  done
  return 1
}
in_member() {  # NODE COMMAND...: run a command in a member's container with the superuser's libpq settings
  local node=$1; shift
  podman exec -e PGPASSWORD="$password" -e PGSSLMODE=verify-ca -e PGSSLROOTCERT=/etc/patroni/pki/ca.crt \
    -e PGCONNECT_TIMEOUT=5 "$node" "$@"
}
writable() {  # the leader's PostgreSQL answers as a primary, asked from another member
  local from; from=$(printf '%s\n' "${members[@]}" | grep -vx "$leader" | head -n1)
  [[ $(in_member "$from" psql -XAtw -h "$leader_ip" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' \
    2>/dev/null) == f ]]
}
# A cluster that just healed from a fault can still move its leader, or restart the leader's PostgreSQL (seen after
# the chaos run: a view named pg1 while pg1 answered "the database system is shutting down"). The bench measures a
# settled cluster: the same leader, answering as a primary, twice 5 s apart (at most 180 s of waiting).
settled="" waited=0 previous=""
while ((waited < 180)); do
  if find_leader && writable; then
    [[ "$leader" == "$previous" ]] && { settled=yes; break; }
    previous=$leader
  else
    previous=""
  fi
  sleep 5; waited=$((waited + 5))
done
[[ -n "$settled" ]] || { echo "no settled leader within 180 s (last seen: ${leader:-none})" >&2; exit 1; }
client=$(printf '%s\n' "${members[@]}" | grep -vx "$leader" | head -n1)
bin=$(podman exec "$client" sh -c 'ls -d /usr/lib/postgresql/*/bin | tail -n1')

pgb() {  # host port args...
  local host=$1 port=$2; shift 2
  in_member "$client" "$bin/pgbench" -h "$host" -p "$port" -U postgres "$@" postgres
}

echo "leader $leader ($leader_ip), pgbench runs on $client: $clients clients, ${seconds} s each"
pgb "$leader_ip" 5432 -i -q -s 10 >/dev/null  # (its errors go to stderr: the test prints them)
tps() { pgb "$@" -c "$clients" -j 2 -T "$seconds" -n 2>/dev/null | awk '/^tps = /{print $3; exit}'; }
direct=$(tps "$leader_ip" 5432)
proxied=$(tps "$entry" 5000)
ratio=$(awk -v a="$proxied" -v b="$direct" 'BEGIN{printf "%.2f", a/b}')
echo "==== pgbench (tpcb-like, scale 10) ===="
echo "direct to primary: $direct tps"
echo "through HAProxy:   $proxied tps"
echo "ratio:             $ratio   (target >= 0.9)"
