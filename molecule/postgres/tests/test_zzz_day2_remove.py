"""playbooks/pg_remove_node.yml at the very end of verify (after test_zz_chaos.py, which needs pg4 as a member).

First a request that would leave etcd with two members (pg3): refused before anything changes. Then pg4, which is
not an etcd member: it leaves Patroni's view, HAProxy's backends no longer list it, the rows of a table are the same
on every remaining member before and after, and etcd keeps its members.
"""

import re

import psycopg2

from day2_common import BALANCERS, MEMBERS, cluster_view, dsn, healthy, host, playbook, report, rows_on
from tests.testinfra_helpers import wait_for


def test_remove_refuses_to_shrink_etcd_below_three():
    proc = playbook("playbooks/pg_remove_node.yml", "-e", "pg_remove_node=pg3", tag="-pg3")
    assert proc.returncode != 0
    # the failure message goes to stdout or stderr, depending on display_failed_stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "would leave etcd_cluster with 2 member(s) (pg1, pg2)" in said, said[-3000:]
    assert "Nothing was changed" in said
    assert host("pg3").service("patroni").is_running and host("pg3").service("etcd").is_running
    assert wait_for(lambda: healthy(4), timeout=60), cluster_view()


def test_remove_node_leaves_patroni_and_haproxy_data_intact():
    assert wait_for(lambda: healthy(4), timeout=120), cluster_view()
    remaining = ["pg1", "pg2", "pg3"]
    # the writer of the previous test has stopped: every member holds the same rows once replay caught up
    assert wait_for(lambda: len({rows_on(m) for m in MEMBERS}) == 1, timeout=60), {m: rows_on(m) for m in MEMBERS}
    before = {m: rows_on(m) for m in remaining}
    etcd_before = host("pg1").check_output("/usr/local/sbin/hybridops-etcdctl member list")
    proc = playbook("playbooks/pg_remove_node.yml", "-e", "pg_remove_node=pg4", tag="-pg4")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    members = wait_for(lambda: healthy(3) and cluster_view(), timeout=120) or []
    after = {m: rows_on(m) for m in remaining}
    configs = {b: host(b).file("/etc/haproxy/haproxy.cfg").content_string for b in BALANCERS}
    listed = {b: re.findall(r"^\s*server\s+(\S+)", cfg, re.M) for b, cfg in configs.items()}
    report(f"pg_remove_node.yml pg4: /cluster {sorted(m['name'] for m in members)}; HAProxy servers "
           f"{listed}; chaos_writes (count, max) before {before}, after {after}; pg4 patroni "
           f"{'running' if host('pg4').service('patroni').is_running else 'stopped'}")
    assert sorted(m["name"] for m in members) == remaining
    assert after == before
    for balancer, servers in listed.items():
        assert servers and "pg4" not in servers, (balancer, servers)
        assert "10.89.12.14" not in configs[balancer]
    assert not host("pg4").service("patroni").is_running
    assert not host("pg4").service("patroni").is_enabled
    # pg4 was never an etcd member: etcd keeps its three
    assert host("pg1").check_output("/usr/local/sbin/hybridops-etcdctl member list") == etcd_before
    # writes still go through the VIP to the remaining members
    conn = psycopg2.connect(dsn(), connect_timeout=5)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO chaos_writes(seq) VALUES (-1) RETURNING seq")
        assert cur.fetchone() == (-1,)
    conn.close()
