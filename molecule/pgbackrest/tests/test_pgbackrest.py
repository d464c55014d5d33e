"""pgBackRest on a one-member Patroni cluster, repository on the NAS stand-in (SFTP, sshfs), restore drills.

The tests run in file order: the repository and the archiving first, then a full backup through the systemd unit,
a differential and an incremental on top of it and the retention that expires them, the leader check of the unit,
and last the point-in-time drill, its positive control (a drill to the latest state) and the drill's refusal of a
cluster member.
"""

import json
import os
import pathlib
import subprocess
import time
import types

import pytest

from tests.testinfra_helpers import host

DB = "pgbr-db1"
NAS = "pgbr-nas"
RESTORE = "pgbr-restore"
STANZA = "pg-main"
REPO_ON_NAS = "/volume1/backup"
ROOT = pathlib.Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", pathlib.Path(__file__).resolve().parents[3]))


def pgbr(*args):
    return host(DB).run("runuser -u postgres -- pgbackrest --stanza=%s %s" % (STANZA, " ".join(args)))


def info():
    res = pgbr("--output=json", "info")
    assert res.rc == 0, res.stderr
    return json.loads(res.stdout)[0]


def psql(sql, db="postgres"):
    res = host(DB).run("runuser -u postgres -- psql -XAt -v ON_ERROR_STOP=1 -d %s -c \"%s\"" % (db, sql))
    assert res.rc == 0, res.stderr
    return res.stdout.strip()


def drill(*extra):
    """Run playbooks/pg_restore_drill.yml against the scenario's inventory, as a user would."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".cache" / "collections"),
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "tests" / "plugins" / "connection"),
        "ANSIBLE_INJECT_FACT_VARS": "false",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_FORCE_COLOR": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
    })
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / "pg_restore_drill.yml")] + list(extra)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=900)
    return types.SimpleNamespace(rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


def reports():
    res = host(RESTORE).run("ls -1 /var/log/pgbackrest-drill/ 2>/dev/null")
    return sorted(res.stdout.split())


def test_share_is_the_nas_over_sftp_and_closed_to_other_users():
    db = host(DB)
    mnt = db.check_output("findmnt -n -o FSTYPE,SOURCE --mountpoint /mnt/pgbackrest")
    assert mnt.split() == ["fuse.sshfs", "pgbackup@10.89.18.10:/backup"]
    assert db.run("runuser -u postgres -- ls /mnt/pgbackrest").rc == 0
    # positive control for the permission check: another local user is refused
    assert db.run("runuser -u nobody -- ls /mnt/pgbackrest").rc != 0
    # what pgBackRest wrote is on the NAS, in the chrooted share of the backup account
    assert host(NAS).file(f"{REPO_ON_NAS}/backup/{STANZA}/backup.info").exists
    assert host(NAS).file(f"{REPO_ON_NAS}/archive/{STANZA}/archive.info").exists


def test_the_nas_host_key_is_pinned():
    key_line = host(DB).check_output("cat /etc/pgbackrest/nas_known_hosts | grep -v '^#'")
    nas_key = host(NAS).check_output("cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub")
    assert key_line.strip() == f"10.89.18.10 {nas_key.strip()}"
    assert "StrictHostKeyChecking=yes" in host(DB).file("/etc/systemd/system/mnt-pgbackrest.mount").content_string


def test_repository_is_encrypted():
    nas = host(NAS)
    # on the NAS every repository file is ciphertext (OpenSSL's salted format), the passphrase appears nowhere
    assert nas.check_output(f"head -c 8 {REPO_ON_NAS}/archive/{STANZA}/archive.info") == "Salted__"
    assert nas.run(f"grep -rqa molecule-pgbackrest-cipher-passphrase {REPO_ON_NAS}").rc == 1
    # positive control: pgBackRest, with the passphrase, reads the same file as plain text
    assert "[db]" in pgbr("repo-get", f"archive/{STANZA}/archive.info").stdout
    assert host(DB).file("/etc/pgbackrest/pgbackrest.conf").mode == 0o640


def test_archiving_is_set_through_patroni_and_check_passes():
    assert psql("SHOW archive_mode") == "on"
    assert psql("SHOW archive_command") == f"pgbackrest --stanza={STANZA} archive-push %p"
    # the setting lives in Patroni's DCS configuration, not in a file the role wrote
    conf = host(DB).check_output("curl -sf --cacert /etc/patroni/pki/ca.crt https://10.89.18.11:8008/config")
    assert json.loads(conf)["postgresql"]["parameters"]["archive_command"] == f"pgbackrest --stanza={STANZA} archive-push %p"
    res = pgbr("check")
    assert res.rc == 0, res.stdout + res.stderr
    assert psql("SELECT failed_count FROM pg_stat_archiver") == "0"


def test_timers_are_scheduled():
    for kind in ("full", "diff", "incr"):
        timer = host(DB).service(f"pgbackrest-backup@{kind}.timer")
        assert timer.is_enabled and timer.is_running


def test_full_backup_through_the_systemd_unit():
    db = host(DB)
    before = time.time()
    res = db.run("systemctl start pgbackrest-backup@full.service")
    assert res.rc == 0, db.run("journalctl -u pgbackrest-backup@full.service --no-pager -n 30").stdout
    backups = info()["backup"]
    assert [b["type"] for b in backups][-1] == "full"
    assert backups[-1]["timestamp"]["stop"] >= int(before)
    log = db.check_output("journalctl -u pgbackrest-backup@full.service --no-pager -o cat")
    assert "this member is the Patroni leader" in log
    metric = db.file(f"/var/lib/prometheus/node-exporter/pgbackrest_{STANZA}_full_success.prom").content_string
    line = [m for m in metric.splitlines() if m.startswith("pgbackrest_backup_last_success_timestamp_seconds{")][0]
    assert f'stanza="{STANZA}",type="full"' in line
    assert float(line.split()[-1]) >= int(before)


def backup(kind):
    res = host(DB).run(f"systemctl start pgbackrest-backup@{kind}.service")
    assert res.rc == 0, host(DB).run(f"journalctl -u pgbackrest-backup@{kind}.service --no-pager -n 30").stdout
    return info()["backup"][-1]


def test_diff_and_incr_build_on_the_full_and_retention_expires_the_oldest_full():
    first_full = info()["backup"][-1]
    assert first_full["type"] == "full"
    psql("CREATE TABLE IF NOT EXISTS retention_rows (id int); INSERT INTO retention_rows SELECT generate_series(1, 100)")
    diff = backup("diff")
    assert diff["type"] == "diff" and diff["reference"] == [first_full["label"]]
    psql("INSERT INTO retention_rows SELECT generate_series(101, 200)")
    incr = backup("incr")
    assert incr["type"] == "incr" and diff["label"] in incr["reference"]
    # smaller than the full: they hold only what changed
    assert incr["info"]["delta"] < first_full["info"]["delta"] and diff["info"]["delta"] < first_full["info"]["delta"]
    archive_min = info()["archive"][0]["min"]
    # pgbackrest_retention_full is 2 here: the second full keeps everything, the third expires the first full with
    # the diff and incr that depend on it, and the WAL only they needed
    backup("full")
    assert [b["label"] for b in info()["backup"]][:3] == [first_full["label"], diff["label"], incr["label"]]
    third = backup("full")
    backups = info()["backup"]
    assert [b["type"] for b in backups] == ["full", "full"], backups
    assert backups[-1]["label"] == third["label"]
    assert not {first_full["label"], diff["label"], incr["label"]} & {b["label"] for b in backups}
    assert info()["archive"][0]["min"] > archive_min
    # what stays is restorable: pgBackRest verifies the repository's backups and WAL
    res = pgbr("verify")
    assert res.rc == 0, res.stdout + res.stderr


def test_the_unit_skips_where_patroni_does_not_answer_200_on_primary():
    db = host(DB)
    count = len(info()["backup"])
    metric = f"/var/lib/prometheus/node-exporter/pgbackrest_{STANZA}_incr_run.prom"
    metric_before = db.run(f"stat -c %Y:%s {metric}; cat {metric}").stdout  # written by the incr backup above
    # GET /replica answers 503 on the leader: the same check on a member that is not the leader
    res = db.run("PGBACKREST_LEADER_URL=https://10.89.18.11:8008/replica "
                 "/usr/local/sbin/hybridops-pgbackrest-backup incr")
    assert res.rc == 0, res.stderr
    assert "not the Patroni leader" in res.stdout and "answered 503" in res.stdout
    # nothing answering at all (Patroni stopped) is the same
    res = db.run("PGBACKREST_LEADER_URL=https://10.89.18.11:8999/primary "
                 "/usr/local/sbin/hybridops-pgbackrest-backup incr")
    assert res.rc == 0 and "answered 000" in res.stdout
    assert len(info()["backup"]) == count
    assert db.run(f"stat -c %Y:%s {metric}; cat {metric}").stdout == metric_before


@pytest.fixture(scope="module")
def rows_around_a_target_time():
    """50 rows, the target time, 30 more rows, a WAL switch, and every segment archived."""
    psql("DROP TABLE IF EXISTS drill_rows; CREATE TABLE drill_rows (id int PRIMARY KEY, batch text)")
    psql("INSERT INTO drill_rows SELECT g, 'before' FROM generate_series(1, 50) g")
    time.sleep(1.1)
    target = psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.1)
    psql("INSERT INTO drill_rows SELECT g, 'after' FROM generate_series(51, 80) g")
    segment = psql("SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 60
    while psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < segment:
        assert time.monotonic() < deadline, "WAL not archived within 60 s"
        time.sleep(1)
    return target


def test_point_in_time_drill_brings_back_exactly_the_rows_before_the_target(rows_around_a_target_time):
    before = reports()
    tables = json.dumps([{"database": "postgres", "table": "drill_rows", "expected_rows": 50}])
    res = drill("-e", json.dumps({"pgbackrest_drill_target_time": rows_around_a_target_time,
                                  "pgbackrest_drill_tables": json.loads(tables)}))
    print(res.stdout[-3000:])
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "RPO " in res.stdout and "RTO " in res.stdout
    new = sorted(set(reports()) - set(before))
    assert len(new) == 1
    report = json.loads(host(RESTORE).file(f"/var/log/pgbackrest-drill/{new[0]}").content_string)
    assert report["target_time"] == rows_around_a_target_time
    assert report["tables"] == [{"database": "postgres", "table": "public.drill_rows", "rows": 50,
                                 "expected_rows": 50, "ok": True}]
    assert float(report["rto_seconds"]) > 0 and float(report["rpo_seconds"]) >= 0


def test_latest_drill_has_every_row_and_cleans_up(rows_around_a_target_time):
    # positive control of the PITR test: without a target the 30 rows after it are there
    before = reports()
    res = drill("-e", json.dumps({"pgbackrest_drill_tables": [
        {"database": "postgres", "table": "drill_rows", "expected_rows": 80}]}))
    print(res.stdout[-3000:])
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    new = sorted(set(reports()) - set(before))
    report = json.loads(host(RESTORE).file(f"/var/log/pgbackrest-drill/{new[0]}").content_string)
    assert report["target_time"] == "latest"
    assert report["tables"][0]["rows"] == 80
    restore = host(RESTORE)
    assert restore.run("pgrep -u postgres postgres").rc != 0
    assert not restore.file("/var/lib/pgbackrest-drill/data").exists
    assert not restore.file("/etc/pgbackrest/nas_id").exists
    assert restore.run("findmnt --mountpoint /mnt/pgbackrest").rc != 0


def test_the_drill_refuses_a_cluster_member():
    # the scratch host declared as the cluster's group: refused before anything changes
    res = drill("-e", json.dumps({"pgbackrest_group": "pg_restore_drill"}))
    assert res.rc != 0
    assert "a restore drill never runs on" in res.stdout + res.stderr
    assert "Install PostgreSQL" not in res.stdout
