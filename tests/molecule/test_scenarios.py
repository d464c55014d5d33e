"""Run every Molecule scenario under molecule/ as one pytest test each.

The full sequence is defined once in .config/molecule/config.yml (create, prepare, check on fresh hosts,
converge, idempotence, verify, destroy). A scenario's log goes to tests/output/molecule-<name>.log; the tail
is shown when it fails.
"""

import os
import pathlib
import subprocess
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# `make test` runs the scenarios on two pytest-xdist workers with --dist worksteal, which hands each worker one
# contiguous half of this list and lets an idle worker steal from the other. Each half starts with one of the two
# longest scenarios (postgres, vllm), so they run side by side instead of one after the other. Scenarios not
# listed run last.
ORDER = ["postgres", "openvpn", "common", "vllm", "nvidia", "etcd"]
SCENARIOS = sorted((p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml")),
                   key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
OUTPUT = ROOT / "tests" / "output"
PENDING = yaml.safe_load((ROOT / "molecule" / "pending.yml").read_text()) or {}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    if scenario in PENDING and not os.environ.get("SCENARIOS"):
        pytest.skip(f"pending (molecule/pending.yml): {PENDING[scenario]}")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    log = OUTPUT / f"molecule-{scenario}.log"
    env = dict(os.environ, PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    with log.open("w") as fh:
        proc = subprocess.run(
            ["molecule", "test", "-s", scenario],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False,
        )
    elapsed = time.monotonic() - started
    print(f"molecule scenario {scenario}: rc={proc.returncode} in {elapsed:.0f}s (log: {log})")
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        pytest.fail(f"molecule test -s {scenario} failed (rc={proc.returncode}):\n" + "\n".join(tail))
