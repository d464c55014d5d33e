#!/usr/bin/env bash
# Measure the lab: the first converge of a fresh lab, lab-check, a no-op re-run (and its ratio to the first), a
# re-run after lab containers were restarted (LAB_BENCH_RESTART, default "lab-pg2 lab-ops"), a check-mode run, and
# the tasks each host ran in the no-op run, per inventory group. Prints a table and writes
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
rm -f "$OUT"/lab-bench-*.cpu  # a stage this run skips must not show an older figure

busy_cpu() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }  # all cores, in clock ticks

timed() {  # timed NAME COMMAND...: runs it, keeps its site.yml log as $OUT/lab-bench-NAME.log, prints seconds
  # and writes the machine's busy CPU seconds meanwhile to $OUT/lab-bench-NAME.cpu (controller and containers)
  local name=$1; shift
  local t0 c0 rc=0; t0=$(date +%s.%N); c0=$(busy_cpu)
  "$@" >"$OUT/lab-bench-$name.out" 2>&1 || rc=$?
  cp .cache/lab-site.log "$OUT/lab-bench-$name.log" 2>/dev/null || true
  ((rc == 0)) || die "$name failed (rc=$rc), see $OUT/lab-bench-$name.out"
  awk -v a="$c0" -v b="$(busy_cpu)" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", (b-a)/hz}' >"$OUT/lab-bench-$name.cpu"
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'
}

first="" prepare="" checks="not run"
if [[ "${1:-}" != --keep ]]; then
  bash scripts/lab.sh down >/dev/null 2>&1 || true
  log "a fresh lab: containers, simulators and stand-ins"
  prepare=$(timed prepare bash scripts/lab.sh prepare)
  log "first converge (site.yml)"
  first=$(timed first bash scripts/lab.sh converge)
fi
log "lab-check"
if bash scripts/lab.sh check >"$OUT/lab-bench-lab-check.out" 2>&1; then checks=passed; else checks=FAILED; fi
log "no-op re-run"
noop=$(timed noop bash scripts/lab.sh converge)
restarted=${LAB_BENCH_RESTART-lab-pg2 lab-ops}
restart=0
if [[ -n "$restarted" ]]; then
  log "restart $restarted, then re-run"
  # shellcheck disable=SC2086
  podman restart -t 10 $restarted >/dev/null
  for name in $restarted; do  # the re-run starts once systemd in each is up, as an operator would wait for a boot
    timeout 120 podman exec "$name" systemctl is-system-running --wait >/dev/null 2>&1 || true
  done
  restart=$(timed restart bash scripts/lab.sh converge)
fi
log "check-mode run"
check=$(timed check bash scripts/lab.sh converge --check)

ansible-inventory -i inventories/lab --list >"$OUT/lab-bench-inventory.json"
python3 - "$OUT" "$first" "$noop" "$check" "$prepare" "$checks" "$restart" "$restarted" <<'PY'
import json, os, re, statistics, sys
out, first, noop, check = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
prepare, checks, restart, restarted = sys.argv[5], sys.argv[6], float(sys.argv[7]), sys.argv[8]
first = float(first) if first else None
prepare = float(prepare) if prepare else None
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
after_restart = tasks("restart") if restarted else {}
def cpu(stage):  # busy CPU seconds of the whole machine during a stage (None when the stage did not run)
    try:
        return float(open(f"{out}/lab-bench-{stage}.cpu").read())
    except (OSError, ValueError):
        return None
cpu_s = {stage: cpu(stage) for stage in ("first", "noop", "check")}
cores = os.cpu_count() or 1
result = {"prepare_s": prepare, "first_converge_s": first, "lab_check": checks, "noop_rerun_s": noop,
          "cpu_s": cpu_s, "cores": cores,
          "check_run_s": check, "noop_ratio": round(noop / first, 3) if first else None,
          "noop_changed": sum(h["changed"] for h in hosts.values()),
          "restarted": restarted.split(), "restart_rerun_s": restart if restarted else None,
          "restart_changed": {h: v["changed"] for h, v in after_restart.items() if v["changed"]},
          "hosts": hosts, "groups": groups}
json.dump(result, open(f"{out}/lab-bench.json", "w"), indent=2)
print("\n---- lab benchmark (tests/output/lab-bench.json) ----")
print(f"prepare          {prepare or float('nan'):8.1f} s   (containers, simulators, stand-ins)")
print(f"first converge   {first or float('nan'):8.1f} s   (site.yml)")
print(f"lab-check        {checks}   ({out}/lab-bench-lab-check.out)")
print(f"no-op re-run     {noop:8.1f} s" + (f"   = {100 * noop / first:.0f} % of the first (target <= 25 %)" if first else ""))
print(f"check-mode run   {check:8.1f} s")
for stage, secs in (("first", first), ("noop", noop), ("check", check)):
    if cpu_s[stage] is not None and secs:
        print(f"busy CPU, {stage:<6} {cpu_s[stage]:8.1f} s   = {cpu_s[stage] / secs:.2f} of {cores} cores on average")
print(f"changes in the no-op run: {result['noop_changed']}")
if restarted:
    print(f"re-run after restarting {restarted}: {restart:.1f} s, changes: {result['restart_changed'] or 'none'}")
print(f"{'host':<16} {'tasks':>6} {'skipped':>8} {'changed':>8}")
for name, h in sorted(hosts.items()):
    print(f"{name:<16} {h['tasks']:>6} {h['skipped']:>8} {h['changed']:>8}")
print(f"{'group':<20} {'hosts':>5} {'median tasks':>13} {'max':>5}   (target <= 150 on a Postgres member)")
for name, g in groups.items():
    print(f"{name:<20} {g['hosts']:>5} {g['median_tasks']:>13} {g['max_tasks']:>5}")
PY
