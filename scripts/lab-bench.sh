#!/usr/bin/env bash
# Measure the lab: the first converge of a fresh lab, a no-op re-run (and its ratio to the first), a check-mode
# run, and the tasks each host ran in the no-op run, per inventory group. Prints a table and writes
# tests/output/lab-bench.json. The figures are printed, never asserted: these machines are noisy.
# Targets (issue 10): no-op re-run <= 25 % of the first converge; <= 150 tasks on a Postgres member.
# Usage: scripts/lab-bench.sh [--keep]   (--keep: measure the running lab's re-runs, skip the fresh first converge)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
OUT=tests/output
mkdir -p "$OUT" .cache

timed() {  # timed NAME COMMAND...: runs it, keeps its site.yml log as $OUT/lab-bench-NAME.log, prints seconds
  local name=$1; shift
  local t0 rc=0; t0=$(date +%s.%N)
  "$@" >"$OUT/lab-bench-$name.out" 2>&1 || rc=$?
  cp .cache/lab-site.log "$OUT/lab-bench-$name.log" 2>/dev/null || true
  ((rc == 0)) || die "$name failed (rc=$rc), see $OUT/lab-bench-$name.out"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'
}

first=""
if [[ "${1:-}" != --keep ]]; then
  bash scripts/lab.sh down >/dev/null 2>&1 || true
  log "first converge of a fresh lab (containers + site.yml)"
  first=$(timed first bash scripts/lab.sh up)
fi
log "no-op re-run"
noop=$(timed noop bash scripts/lab.sh converge)
log "check-mode run"
check=$(timed check bash scripts/lab.sh converge --check)

ansible-inventory -i inventories/lab --list >"$OUT/lab-bench-inventory.json"
python3 - "$OUT" "$first" "$noop" "$check" <<'PY'
import json, re, statistics, sys
out, first, noop, check = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
first = float(first) if first else None
recap = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)")
def tasks(log):
    hosts = {}
    for line in open(f"{out}/lab-bench-{log}.log", errors="replace"):
        m = recap.match(line)
        if m:
            ok, changed, _, failed, skipped = map(int, m.groups()[1:])
            hosts[m[1]] = {"tasks": ok + failed + skipped, "changed": changed, "skipped": skipped}
    return hosts
hosts = tasks("noop")
inv = json.load(open(f"{out}/lab-bench-inventory.json"))
def members(group):
    found = set(inv.get(group, {}).get("hosts", []))
    for child in inv.get(group, {}).get("children", []):
        found |= members(child)
    return found
groups = {}
for group in sorted(g for g in inv if g not in ("_meta", "all", "ungrouped")):
    counts = [hosts[h]["tasks"] for h in members(group) if h in hosts]
    if counts:
        groups[group] = {"hosts": len(counts), "median_tasks": statistics.median(counts), "max_tasks": max(counts)}
result = {"first_converge_s": first, "noop_rerun_s": noop, "check_run_s": check,
          "noop_ratio": round(noop / first, 3) if first else None,
          "noop_changed": sum(h["changed"] for h in hosts.values()), "hosts": hosts, "groups": groups}
json.dump(result, open(f"{out}/lab-bench.json", "w"), indent=2)
print("\n---- lab benchmark (tests/output/lab-bench.json) ----")
print(f"first converge   {first or float('nan'):8.1f} s")
print(f"no-op re-run     {noop:8.1f} s" + (f"   = {100 * noop / first:.0f} % of the first (target <= 25 %)" if first else ""))
print(f"check-mode run   {check:8.1f} s")
print(f"changes in the no-op run: {result['noop_changed']}")
print(f"{'host':<16} {'tasks':>6} {'skipped':>8} {'changed':>8}")
for name, h in sorted(hosts.items()):
    print(f"{name:<16} {h['tasks']:>6} {h['skipped']:>8} {h['changed']:>8}")
print(f"{'group':<20} {'hosts':>5} {'median tasks':>13} {'max':>5}   (target <= 150 on a Postgres member)")
for name, g in groups.items():
    print(f"{name:<20} {g['hosts']:>5} {g['median_tasks']:>13} {g['max_tasks']:>5}")
PY
