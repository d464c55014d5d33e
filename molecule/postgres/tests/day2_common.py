"""Helpers for the day-2 playbook tests (test_y_day2_update.py, test_zzz_day2_remove.py): run `ansible-playbook`
against the Molecule inventory with pg4 in postgres_cluster, read the cluster through the REST API, write figures to
tests/output/pg-day2.txt. The verifier's environment (Molecule's ansible.cfg, collections path, podman connection
plugin) is passed on to the playbooks unchanged.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

from tests.testinfra_helpers import host

ROOT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
OUT = ROOT / "tests" / "output"
sys.path.insert(0, str(ROOT / "tests" / "chaos"))
import pg_chaos  # noqa: E402,F401  (tests/chaos/pg_chaos.py: the same writer and loss check as the chaos run)

INVENTORY = pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
VIP = "10.89.12.100"
MEMBERS = ["pg1", "pg2", "pg3", "pg4"]
BALANCERS = ["pg1", "pg2"]
CA = "/etc/patroni/pki/ca.crt"
PASSWORD = "molecule-superuser-pw"


def report(line):
    print(line)
    with (OUT / "pg-day2.txt").open("a") as fh:
        fh.write(line + "\n")


OUT.mkdir(parents=True, exist_ok=True)
(OUT / "pg-day2.txt").write_text("")
# What side_effect.yml did with add_host: pg4 is a member of postgres_cluster.
EXTRA_INVENTORY = pathlib.Path(tempfile.mkdtemp(prefix="pg-day2-")) / "pg4-member.yml"
EXTRA_INVENTORY.write_text("postgres_cluster:\n  hosts:\n    pg4:\n")


def playbook(name, *args, tag="", timeout=900):
    """ansible-playbook with the verifier's environment (Molecule's ansible.cfg, collections, podman connection)."""
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(INVENTORY), "-i", str(EXTRA_INVENTORY), str(ROOT / name), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
        env=dict(os.environ, ANSIBLE_FORCE_COLOR="false", ANSIBLE_NOCOLOR="true"),
    )
    log = OUT / f"pg-day2-{pathlib.Path(name).stem}{tag}.log"
    log.write_text(proc.stdout + proc.stderr)
    report(f"{name} {' '.join(args)}: rc={proc.returncode} in {time.monotonic() - started:.0f} s (log: {log.name})")
    return proc


def cluster_view(via="pg1"):
    res = host(via).run(f"curl -sf --cacert {CA} https://{via}:8008/cluster")
    return json.loads(res.stdout)["members"] if res.rc == 0 else []


def leader(members):
    names = [m["name"] for m in members if m["role"] == "leader"]
    return names[0] if len(names) == 1 else None


def healthy(count):
    return pg_chaos.all_healthy(cluster_view(), count)


def dsn():
    ca = OUT / "pg-day2-ca.crt"
    ca.write_text(host("pg1").check_output(f"cat {CA}") + "\n")
    return (f"host={VIP} port=5000 user=postgres password={PASSWORD} dbname=postgres "
            f"sslmode=verify-ca sslrootcert={ca}")


def postmaster_started(member):
    return host(member).check_output("runuser -u postgres -- psql -XAtc 'SELECT pg_postmaster_start_time()'")


def rows_on(member):
    return host(member).check_output(
        "runuser -u postgres -- psql -XAtc 'SELECT count(*), coalesce(max(seq), 0) FROM chaos_writes'")
