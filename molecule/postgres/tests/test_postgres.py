"""The PostgreSQL HA cluster after converge, a planned switchover and pg4 joining (side effect)."""

import json
import time

import pytest

from day2_common import playbook
from tests.testinfra_helpers import host

MEMBERS = ["pg1", "pg2", "pg3", "pg4"]
ADDR = {"pg1": "10.89.12.11", "pg2": "10.89.12.12", "pg3": "10.89.12.13", "pg4": "10.89.12.14"}
VIP = "10.89.12.100"
CA = "/etc/patroni/pki/ca.crt"
SUPERUSER_PW = "molecule-superuser-pw"
# synchronous_mode on: sync_standby; quorum (Patroni 4, HYBRIDOPS_PG_SYNCHRONOUS_MODE=quorum): quorum_standby
SYNC_ROLES = ("sync_standby", "quorum_standby")


def cluster_view(via="pg3"):
    res = host(via).run(f"curl -sf --cacert {CA} https://{via}:8008/cluster")
    assert res.rc == 0, res.stderr
    return json.loads(res.stdout)["members"]


def psql(client, sql, port=5000, target=VIP, user="postgres", password=SUPERUSER_PW, db="postgres", sslmode="verify-ca"):
    env = f"PGPASSWORD='{password}'" if password is not None else ""
    return client.run(
        f"{env} psql -X -At -w 'host={target} port={port} user={user} dbname={db} sslmode={sslmode} "
        f"sslrootcert={CA} connect_timeout=5' -c \"{sql}\""
    )


def test_one_leader_and_streaming_replicas():
    deadline = time.monotonic() + 90
    while True:
        members = cluster_view()
        leaders = [m for m in members if m["role"] == "leader"]
        replicas = [m for m in members if m["role"] in ("replica",) + SYNC_ROLES]
        # Patroni 3.1+ reports `streaming`; Patroni 3.0 (Debian 12) `running` with a numeric lag
        if len(leaders) == 1 and len(replicas) == 3 and all(
                m["state"] == "streaming" or (m["state"] == "running" and isinstance(m.get("lag"), int))
                for m in replicas):
            break
        assert time.monotonic() < deadline, members
        time.sleep(2)
    # and the leader itself sees three walreceivers streaming from it
    leader = host(leaders[0]["name"])
    streaming = leader.check_output(
        "runuser -u postgres -- psql -XAtc \"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'\"")
    assert streaming == "3"
    # the switchover in the side effect moved the leader away from where bootstrap put it
    assert sorted(m["name"] for m in members) == MEMBERS
    assert any(m["role"] in SYNC_ROLES for m in members), "synchronous_mode on/quorum needs a synchronous standby"


def test_write_through_primary_port_read_through_replica_port():
    client = host("pg4")
    token = f"row-{time.time_ns()}"
    res = psql(client, "CREATE TABLE IF NOT EXISTS molecule_check (v text); "
                       f"INSERT INTO molecule_check VALUES ('{token}')", port=5000)
    assert res.rc == 0, res.stderr
    deadline = time.monotonic() + 30
    while True:
        res = psql(client, f"SELECT count(*) FROM molecule_check WHERE v = '{token}'", port=5001)
        if res.rc == 0 and res.stdout.strip() == "1":
            break
        assert time.monotonic() < deadline, res.stderr
        time.sleep(1)
    assert psql(client, "SELECT pg_is_in_recovery()", port=5001).stdout.strip() == "t"
    assert psql(client, "SELECT pg_is_in_recovery()", port=5000).stdout.strip() == "f"


def test_declared_objects_exist_on_the_cluster():
    client = host("pg4")
    res = psql(client, "SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'", user="app",
               password="molecule-app-pw", db="appdb")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == "pgcrypto"


def test_pg_config_setting_reached_every_member():
    # playbooks/pg_config.yml sets work_mem (a reload, no restart) through PATCH /config; the playbook also checks
    # the result the patroni role returned (molecule/postgres/pg_config.yml)
    proc = playbook("molecule/postgres/pg_config.yml")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for name in MEMBERS:
        res = psql(host("pg4"), "SHOW work_mem", port=5432, target=ADDR[name])
        assert res.rc == 0, res.stderr
        assert res.stdout.strip() == "8MB", (name, res.stdout)


def test_pg_hba_refuses_passwordless_and_non_tls_remote_logins():
    client = host("pg4")
    no_password = psql(client, "SELECT 1", port=5432, target=ADDR["pg1"], password=None)
    assert no_password.rc != 0
    assert "no password supplied" in no_password.stderr
    wrong = psql(client, "SELECT 1", port=5432, target=ADDR["pg1"], password="wrong")
    assert wrong.rc != 0
    assert "password authentication failed" in wrong.stderr
    plain = psql(client, "SELECT 1", port=5432, target=ADDR["pg1"], sslmode="disable")
    assert plain.rc != 0
    assert "rejects connection" in plain.stderr or "no pg_hba.conf entry" in plain.stderr


def test_rest_api_is_tls_and_unsafe_endpoints_need_auth():
    client = host("pg4")
    assert client.run(f"curl -s -m 5 http://{ADDR['pg1']}:8008/health").rc != 0 or \
        client.run(f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' http://{ADDR['pg1']}:8008/health").stdout in ("", "000")
    assert client.run(f"curl -sf -m 5 --cacert {CA} https://pg1:8008/health").rc == 0
    code = client.run(f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' --cacert {CA} -X PATCH -d '{{}}' "
                      f"https://pg1:8008/config").stdout
    assert code == "401"


def test_etcd_is_tls_only():
    node = host("pg1")
    certs = "--cacert /etc/patroni/pki/ca.crt --cert /etc/patroni/pki/etcd-client.crt --key /etc/patroni/pki/etcd-client.key"
    ok = node.run(f"curl -sf -m 5 {certs} https://{ADDR['pg2']}:2379/health")
    assert ok.rc == 0 and '"health":"true"' in ok.stdout.replace(" ", ""), ok.stdout + ok.stderr
    assert node.run(f"curl -s -m 5 http://{ADDR['pg2']}:2379/health").rc != 0
    # TLS but without a client certificate: refused
    assert node.run(f"curl -sf -m 5 --cacert /etc/patroni/pki/ca.crt https://{ADDR['pg2']}:2379/v3/kv/range "
                    "-X POST -d '{\"key\":\"Lw==\"}'").rc != 0


def test_health_checks_leave_patroni_logs_quiet():
    # Both balancers check every member's REST API every second. With `GET` checks Patroni logged a traceback for
    # most of them (HAProxy closes the connection on the answer's body); `HEAD` gets the status line only.
    time.sleep(15)
    for name in MEMBERS:
        log = host(name).run('journalctl -u patroni --since "-15s" --no-pager -o cat').stdout
        assert "Exception happened during processing of request" not in log, name
    # positive control: the checks ran in that window and still tell the leader from the replicas. A server can
    # still be between states (CI saw one that was neither UP nor DOWN L7STS 503), so wait for them to settle.
    deadline = time.monotonic() + 60
    while True:
        states = primary_port_states()
        settled = len(states) >= 3 and list(states.values()).count(("UP", "L7OK", "200")) == 1 and all(
            state == ("DOWN", "L7STS", "503") for state in states.values() if state[0] != "UP")
        if settled or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert settled, states


def primary_port_states():
    """{member: (status, check status, check code)} of the primary port's servers on pg1's HAProxy."""
    csv = host("pg1").check_output(f"curl -sf -m 5 -u admin:molecule-stats-pw --cacert /etc/haproxy/pki/ca.crt "
                                   f"'https://{ADDR['pg1']}:7000/;csv'")
    rows = [line.split(",") for line in csv.splitlines() if line.startswith("postgres_primary,pg")]
    return {r[1]: (r[17], r[36], r[37]) for r in rows}


GUARD_PROM = "/var/lib/prometheus/node-exporter/hybridops_patroni_member.prom"


def guard_metric(node, metric):
    for line in node.run(f"cat {GUARD_PROM}").stdout.splitlines():
        if line.startswith(metric + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_rejoin_guard_rebuilds_a_member_that_cannot_start():
    # Every member runs the guard and reports itself healthy.
    for name in MEMBERS:
        assert host(name).service("hybridops-patroni-guard.timer").is_running, name
    deadline = time.monotonic() + 60
    while not all(guard_metric(host(n), "hybridops_patroni_member_healthy") == 1 for n in MEMBERS):
        assert time.monotonic() < deadline, {n: host(n).run(f"cat {GUARD_PROM}").stdout for n in MEMBERS}
        time.sleep(3)
    members = cluster_view()
    # a plain replica when there is one (in quorum mode every standby is a quorum standby), never the leader
    victim = sorted((m["role"] != "replica", m["name"]) for m in members if m["role"] != "leader")[0][1]
    leader_name = next(m["name"] for m in members if m["role"] == "leader")
    node = host(victim)
    psql(host("pg4"), "CREATE TABLE IF NOT EXISTS guard_probe (v int); INSERT INTO guard_probe VALUES (42)")
    reinits = guard_metric(node, "hybridops_patroni_member_reinit_total")
    data_dir = node.check_output("runuser -u postgres -- psql -XAtc 'SHOW data_directory'")
    # A replica that can never start again on its own: its control file is zeroed, so PostgreSQL refuses to start
    # ("incorrect checksum in control file") and pg_controldata cannot read it either. (Deleting its WAL is not
    # enough: a standby fetches the checkpoint record from the leader and carries on.)
    node.check_output("systemctl stop patroni")
    node.check_output(f"dd if=/dev/zero of={data_dir}/global/pg_control bs=8192 count=1 conv=notrunc status=none")
    node.check_output("systemctl start patroni")
    t0 = time.monotonic()
    seen_unhealthy = False
    while True:
        seen_unhealthy = seen_unhealthy or guard_metric(node, "hybridops_patroni_member_healthy") == 0
        # asked through the leader: the victim's own REST API is down while Patroni restarts there
        me = [m for m in cluster_view(via=leader_name) if m["name"] == victim]
        if seen_unhealthy and me and (me[0]["state"] == "streaming" or (
                me[0]["state"] == "running" and isinstance(me[0].get("lag"), int))):
            break
        # bound 60 s in this scenario, a timer every 15 s, then a copy of a small database
        assert time.monotonic() - t0 < 300, (me, node.run("journalctl -u hybridops-patroni-guard -n 20 -o cat").stdout)
        time.sleep(3)
    repaired_after = time.monotonic() - t0
    print(f"{victim}: control file zeroed, streaming again after {repaired_after:.0f} s")
    log = node.run("journalctl -u hybridops-patroni-guard --no-pager -o cat").stdout
    assert "re-initialising it from the leader" in log, log
    deadline = time.monotonic() + 60
    while guard_metric(node, "hybridops_patroni_member_reinit_total") != (reinits or 0) + 1:
        assert time.monotonic() < deadline, node.run(f"cat {GUARD_PROM}").stdout
        time.sleep(3)
    # the rebuilt member holds the data the leader had
    assert node.check_output("runuser -u postgres -- psql -XAtc 'SELECT max(v) FROM guard_probe'") == "42"


@pytest.mark.parametrize("name", ["pg1", "pg2"])
def test_haproxy_config_valid_and_vip_on_exactly_one_balancer(name):
    node = host(name)
    assert node.run("haproxy -c -f /etc/haproxy/haproxy.cfg").rc == 0
    # the stats page answers over TLS, its certificate verified against the collection CA
    stats = node.run(f"curl -sf -m 5 -o /dev/null -w '%{{http_code}}' -u admin:molecule-stats-pw "
                     f"--cacert /etc/haproxy/pki/ca.crt https://{ADDR[name]}:7000/")
    assert stats.rc == 0 and stats.stdout == "200", stats.stdout + stats.stderr
    assert node.run(f"curl -s -m 5 -u admin:molecule-stats-pw http://{ADDR[name]}:7000/").rc != 0
    holders = [n for n in ("pg1", "pg2") if VIP in host(n).run("ip -4 -o addr show").stdout]
    assert len(holders) == 1, holders
