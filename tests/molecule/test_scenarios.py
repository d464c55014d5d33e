"""Run every Molecule scenario under molecule/ as one pytest test each.

The full sequence is defined once in .config/molecule/config.yml (create, prepare, check on fresh hosts,
converge, idempotence, verify, destroy). A scenario's log goes to tests/output/molecule-<name>.log; the tail
is shown when it fails. Each scenario's time, and the time of each Molecule action in it, is written to
tests/output/timings/<name>.json; scripts/test.sh gathers them into tests/output/timings.json.
"""

import json
import os
import pathlib
import re
import subprocess
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
# Molecule announces each action of the sequence as "[<scenario> > <action>]" on the lines it logs.
ACTION = re.compile(r"\[(?P<scenario>[\w-]+) > (?P<action>[\w-]+)\]")


def run_timed(argv, log, scenario):
    """Run argv with its output in log; return (rc, seconds, {action: seconds}) measured as the lines arrive."""
    env = dict(os.environ, PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    actions, current, mark = {}, None, None
    started = time.monotonic()
    with log.open("w") as fh, subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
    ) as proc:
        for line in proc.stdout:
            fh.write(line)
            match = ACTION.search(line)
            if match and match["scenario"] == scenario and match["action"] not in (current, "discovery", "scenario"):
                now = time.monotonic()
                if current is not None:
                    actions[current] = actions.get(current, 0.0) + now - mark
                current, mark = match["action"], now
        rc = proc.wait()
    elapsed = time.monotonic() - started
    if current is not None:
        actions[current] = actions.get(current, 0.0) + time.monotonic() - mark
    return rc, elapsed, {name: round(seconds, 1) for name, seconds in actions.items()}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    if scenario in PENDING and not os.environ.get("SCENARIOS"):
        pytest.skip(f"pending (molecule/pending.yml): {PENDING[scenario]}")
    (OUTPUT / "timings").mkdir(parents=True, exist_ok=True)
    log = OUTPUT / f"molecule-{scenario}.log"
    rc, elapsed, actions = run_timed(["molecule", "test", "-s", scenario], log, scenario)
    (OUTPUT / "timings" / f"{scenario}.json").write_text(json.dumps(
        {"scenario": scenario, "seconds": round(elapsed, 1), "rc": rc, "actions": actions}, indent=2) + "\n")
    print(f"molecule scenario {scenario}: rc={rc} in {elapsed:.0f}s (log: {log})")
    if rc != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        pytest.fail(f"molecule test -s {scenario} failed (rc={rc}):\n" + "\n".join(tail))
