"""The rolling minor update before the chaos test (file order: after test_postgres.py, before test_zz_chaos.py).

playbooks/pg_update.yml with a writer going through the VIP the whole time, so the chaos test afterwards also runs
on a cluster that was restarted member by member. Figures go to tests/output/pg-day2.txt. (The converge after
playbooks/pg_add_node.yml with zero changes is the scenario's idempotence step, which runs after the side effect.)
"""

import json
import re
import time

import yaml

from day2_common import (CA, MEMBERS, ROOT, VIP, cluster_view, dsn, healthy, leader, pg_chaos, playbook,
                         postmaster_started, report)
from tests.testinfra_helpers import host, wait_for

# The role's pinned wheel: the scenario converges one release behind it (molecule.yml) where Patroni comes from the
# wheel, so the update moves every member to a new Patroni, one at a time.
DEFAULTS = yaml.safe_load((ROOT / "roles" / "patroni" / "defaults" / "main.yml").read_text())
WHEEL = {k: DEFAULTS[k] for k in ("patroni_wheel_version", "patroni_wheel_url", "patroni_wheel_checksum")}


def running_patroni(member):
    """(version the member's REST API reports, the unit's ExecStart)."""
    node = host(member)
    res = node.run(f"curl -sf --cacert {CA} https://{member}:8008/patroni")
    version = json.loads(res.stdout)["patroni"]["version"] if res.rc == 0 else None
    return version, node.check_output("systemctl show -p ExecStart --value patroni")


def test_rolling_update_keeps_writes_flowing():
    assert wait_for(lambda: healthy(4), timeout=180), cluster_view()
    before = leader(cluster_view())
    started_at = {m: postmaster_started(m) for m in MEMBERS}
    versions_before = {m: running_patroni(m)[0] for m in MEMBERS}
    from_wheel = all("/opt/patroni/" in running_patroni(m)[1] for m in MEMBERS)
    if from_wheel:
        assert set(versions_before.values()) != {WHEEL["patroni_wheel_version"]}, versions_before
        # the role's default wheel: the version change alone makes each member restart
        update_args = ("-e", json.dumps(WHEEL))
    else:
        # No package has an update here: patroni_update_restart makes every member take the restart path anyway.
        update_args = ("-e", "patroni_update_restart=true")
    conninfo = dsn()
    pg_chaos.setup(conninfo)
    writer = pg_chaos.Writer(conninfo, interval=0.1)
    writer.start()
    try:
        assert wait_for(lambda: writer.acked, timeout=30), "the writer never got a commit through the VIP"
        started = time.monotonic()
        proc = playbook("playbooks/pg_update.yml", *update_args)
        ended = time.monotonic()
        resumed = pg_chaos.wait_writes_resume(writer, ended, timeout=60)
    finally:
        writer.stop()
    lost, _ = pg_chaos.missing(conninfo, writer.acked)
    gap = writer.gap_around(started, ended)
    printed = re.search(r"The leader is (\S+);", proc.stdout)
    after = leader(cluster_view())
    versions_after = {m: running_patroni(m)[0] for m in MEMBERS}
    restarted = sorted(m for m in MEMBERS if wait_for(lambda m=m: healthy(4) and postmaster_started(m), timeout=60)
                       != started_at[m])
    report(f"pg_update.yml with writes through {VIP}:5000 every 0.1 s: leader {before} -> {after} "
           f"(the playbook printed {printed[1] if printed else 'nothing'}); longest write gap {gap:.1f} s; "
           f"{len(writer.acked)} acknowledged, {writer.seq - len(writer.acked)} refused or unacknowledged; "
           f"{len(lost)} acknowledged missing afterwards; writes again {resumed - ended:.1f} s after the playbook; "
           f"PostgreSQL restarted on {restarted}; Patroni {versions_before} -> {versions_after}")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert not lost, f"acknowledged commits missing: {lost[:20]}"
    # replicas first, then a switchover away from the leader, which is updated last: it ends as a replica
    assert printed and printed[1] == after, proc.stdout[-2000:]
    assert after != before
    assert restarted == MEMBERS, started_at
    if from_wheel:
        want = WHEEL["patroni_wheel_version"]
        assert versions_after == {m: want for m in MEMBERS}, versions_after
        assert all(f"/opt/patroni/{want}/bin/patroni" in running_patroni(m)[1] for m in MEMBERS)
