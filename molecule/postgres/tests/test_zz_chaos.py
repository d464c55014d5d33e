"""Chaos and benchmark figures for the cluster (tests/chaos/pg_chaos.py, tests/bench/pg_bench.sh).

Runs last in the scenario. Correctness (no acknowledged commit lost across every fault, no split brain, the
partitioned and the hung primary demote, every positive control, the VIP moves off a killed balancer, every member
streams again after back-to-back kills, etcd quorum loss behaves as failsafe mode says) is asserted; RTO,
switchover gap and TPS are printed and written to tests/output/ for people to read.
"""

import os
import pathlib
import subprocess
import sys

from day2_common import cluster_view, healthy
from tests.testinfra_helpers import wait_for

ROOT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
OUT = ROOT / "tests" / "output"


def test_chaos_failover_switchover_partition_etcd():
    OUT.mkdir(parents=True, exist_ok=True)
    # The full measurement is 10 kills (the script's default, run against the lab by hand and reported in
    # roles/patroni/README.md); the suite runs 2, plus the two of the back-to-back fault, to stay inside its time
    # budget. HYBRIDOPS_CHAOS_KILLS=10 for all. The rejoin bound: the scenario's guard repairs after 60 s.
    kills = os.environ.get("HYBRIDOPS_CHAOS_KILLS", "2")
    # Every fault runs, the hung primary included: Debian 12's own Patroni 3.0.2 lost acknowledged commits there
    # (its etcd3 client put the leader key back without compare-and-set when the paused primary resumed), which is
    # why the role installs Patroni 4 from the wheel on Debian 12 (roles/patroni/README.md, "A hung primary").
    version = subprocess.run(["podman", "exec", "pg1", "patroni", "--version"], capture_output=True, text=True,
                             check=False).stdout.split()[-1]
    print(f"Patroni {version}")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests/chaos/pg_chaos.py"), "--nodes", "pg1,pg2,pg3,pg4",
         "--entry", "10.89.12.100", "--balancers", "pg1,pg2", "--vip", "10.89.12.100", "--etcd", "pg1,pg2,pg3",
         "--rejoin-bound", "240",
         "--password", "molecule-superuser-pw",
         "--restapi-auth", "patroni:molecule-restapi-pw", "--kills", kills,
         "--report", str(OUT / "pg-chaos.json")],
        capture_output=True, text=True, timeout=1800, check=False,
    )
    (OUT / "pg-chaos.txt").write_text(proc.stdout + proc.stderr)
    print(proc.stdout)
    # the tail holds the table, and the events of a failed control after it
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]


def test_benchmark_haproxy_vs_direct():
    # Right after the chaos run a member may still be rejoining (seen 2026-12-06 and again 2026-12-07 after this wait:
    # the bench found pg1 as leader in a view and pg1 answered "the database system is shutting down"); the bench
    # measures a settled cluster: this wait, then pg_bench.sh's own (the same leader answering as a primary twice).
    assert wait_for(lambda: healthy(4), timeout=240), cluster_view()
    proc = subprocess.run(
        ["bash", str(ROOT / "tests/bench/pg_bench.sh"), "pg1,pg2,pg3,pg4", "10.89.12.100", "molecule-superuser-pw",
         "15", "8"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    (OUT / "pg-bench.txt").write_text(proc.stdout + proc.stderr)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert "ratio:" in proc.stdout
