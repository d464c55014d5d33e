"""Run every Molecule scenario under molecule/ as one pytest test each.

The full sequence is defined once in .config/molecule/config.yml (create, prepare, check on fresh hosts,
converge, idempotence, verify, destroy). A scenario's log goes to tests/output/molecule-<name>.log; the tail
is shown when it fails. Each scenario's time, and the time of each Molecule action in it, is written to
tests/output/timings/<name>.json; scripts/test.sh gathers them into tests/output/timings.json.

A scenario that runs past its time limit (LIMITS; MOLECULE_SCENARIO_LIMIT overrides every limit, in seconds) is
stopped: its log gets the process tree at that moment (which command hung), its instances are destroyed, and it
fails with the log's tail. Without the limit one hung command used up the whole CI run and left no trace of itself.
No scenario runs past the suite's deadline either (HYBRIDOPS_TEST_DEADLINE, epoch seconds, set by scripts/test.sh
to 80 minutes after `make test` started): the suite ends inside CI's 90 minutes and says which scenario was late.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# `make test` runs the scenarios on two pytest-xdist workers with --dist worksteal, which hands each worker one
# contiguous part of this list (with 10 scenarios: the first 5 and the last 5) and lets an idle worker steal from
# the other. Each part starts with one of the two longest scenarios (postgres; monitoring), so they run side by
# side from the start, and the rest is split so that both parts take about as long (minutes in the clean-clone
# run of 2026-12-07 on two cores: postgres 55, openvpn 10, vllm 8, gitea 7, common 4 = 84; monitoring 47,
# code_server 13, pgbackrest 13, nvidia 7, backup 5 = 85; the order before left vllm alone at the end).
# Scenarios not listed run last.
ORDER = ["postgres", "openvpn", "vllm", "gitea", "common",
         "monitoring", "code_server", "pgbackrest", "nvidia", "backup"]
SCENARIOS = sorted((p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")),
                   key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
OUTPUT = ROOT / "tests" / "output"
PENDING = yaml.safe_load((ROOT / "molecule" / "pending.yml").read_text()) or {}
# Seconds a scenario may run: well above its slowest clean-clone run on two cores (postgres 55 min, monitoring 47,
# every other one 4 to 13), so a slow machine passes and a hang ends while CI still has time to report it.
LIMITS = {"postgres": 80 * 60, "monitoring": 65 * 60}
DEFAULT_LIMIT = 30 * 60
# Molecule announces each action of the sequence as "[<scenario> > <action>]" on the lines it logs.
ACTION = re.compile(r"\[(?P<scenario>[\w-]+) > (?P<action>[\w-]+)\]")


def process_tree(pid):
    """The processes started under pid, as `ps` draws them (what a hung scenario was waiting on)."""
    proc = subprocess.run(["ps", "-ww", "-o", "pid,etimes,args", "--forest", "--sid", str(pid)],
                          capture_output=True, text=True, check=False)
    return proc.stdout + proc.stderr


def stop_group(proc):
    """End the whole process group of proc: TERM, then KILL if it still runs 30 s later."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_timed(argv, log, scenario, limit):
    """Run argv with its output in log; return (rc, seconds, {action: seconds}, timed out) measured as the lines
    arrive. Past limit seconds, the process group is stopped (stop_group) and the result says so."""
    env = dict(os.environ, PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    actions, current, mark = {}, None, None
    started = time.monotonic()
    expired = []
    with log.open("w") as fh, subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
        start_new_session=True,
    ) as proc:
        def expire():
            expired.append(process_tree(proc.pid))
            stop_group(proc)

        timer = threading.Timer(limit, expire)
        timer.daemon = True
        timer.start()
        try:
            for line in proc.stdout:
                fh.write(line)
                match = ACTION.search(line)
                if match and match["scenario"] == scenario and match["action"] not in (current, "discovery", "scenario"):
                    now = time.monotonic()
                    if current is not None:
                        actions[current] = actions.get(current, 0.0) + now - mark
                    current, mark = match["action"], now
            rc = proc.wait()
        finally:
            timer.cancel()
        if expired:
            fh.write(f"\n---- stopped after {limit} s; the processes at that moment ----\n{expired[0]}")
    elapsed = time.monotonic() - started
    if current is not None:
        actions[current] = actions.get(current, 0.0) + time.monotonic() - mark
    return rc, elapsed, {name: round(seconds, 1) for name, seconds in actions.items()}, bool(expired)


def scenario_limit(scenario, now=None):
    """Seconds the scenario may run: its own limit, cut to what is left before the suite's deadline (if any)."""
    limit = int(os.environ.get("MOLECULE_SCENARIO_LIMIT") or LIMITS.get(scenario, DEFAULT_LIMIT))
    deadline = int(os.environ.get("HYBRIDOPS_TEST_DEADLINE") or 0)
    if deadline:
        limit = min(limit, int(deadline - (time.time() if now is None else now)))
    return limit


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    if scenario in PENDING and not os.environ.get("SCENARIOS"):
        pytest.skip(f"pending (molecule/pending.yml): {PENDING[scenario]}")
    (OUTPUT / "timings").mkdir(parents=True, exist_ok=True)
    log = OUTPUT / f"molecule-{scenario}.log"
    limit = scenario_limit(scenario)
    if limit <= 0:
        pytest.fail(f"molecule test -s {scenario} not started: the suite's deadline (HYBRIDOPS_TEST_DEADLINE) has passed")
    rc, elapsed, actions, timed_out = run_timed(["molecule", "test", "-s", scenario], log, scenario, limit)
    if timed_out:
        # the sequence's own destroy never ran: remove the instances so that they hold no address or name
        subprocess.run(["molecule", "destroy", "-s", scenario], cwd=ROOT, capture_output=True, check=False, timeout=600)
    (OUTPUT / "timings" / f"{scenario}.json").write_text(json.dumps(
        {"scenario": scenario, "seconds": round(elapsed, 1), "rc": rc, "timed_out": timed_out, "actions": actions},
        indent=2) + "\n")
    print(f"molecule scenario {scenario}: rc={rc} in {elapsed:.0f}s (log: {log})")
    if rc != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        reason = f"stopped after its limit of {limit} s in '{list(actions)[-1] if actions else 'start'}'" if timed_out \
            else f"failed (rc={rc})"
        pytest.fail(f"molecule test -s {scenario} {reason}:\n" + "\n".join(tail))
