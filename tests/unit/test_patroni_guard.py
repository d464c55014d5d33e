"""The patroni role's rejoin guard (roles/patroni/files/hybridops-patroni-guard): when it repairs a member, and
when it must not (the leader, no other running leader, a paused cluster, a copy in progress, before the bound)."""

import importlib.machinery
import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles" / "patroni" / "files" / "hybridops-patroni-guard"


def load():
    loader = importlib.machinery.SourceFileLoader("hybridops_patroni_guard", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


guard = load()


def view(me_state="starting", me_lag="unknown", leader_state="running", pause=False, me_role="replica"):
    members = [
        {"name": "pg1", "role": "leader", "state": leader_state, "timeline": 3},
        {"name": "pg2", "role": me_role, "state": me_state, "lag": me_lag},
        {"name": "pg3", "role": "sync_standby", "state": "streaming", "lag": 0},
    ]
    cluster = {"members": members}
    if pause:
        cluster["pause"] = True
    return cluster


def test_stuck_replica_is_repaired_only_after_the_bound():
    action, state, healthy = guard.decide(view(), "pg2", 1000.0, {}, 120)
    assert (action, healthy, state["unhealthy_since"]) == ("wait", 0, 1000.0)
    action, state, _healthy = guard.decide(view(), "pg2", 1119.0, state, 120)
    assert action == "wait"
    action, state, _healthy = guard.decide(view(), "pg2", 1120.0, state, 120)
    assert action == "reinit"
    assert state == {"unhealthy_since": None, "reinit_total": 1}


@pytest.mark.parametrize("state_name", ["start failed", "stopped", "crashed", "starting"])
def test_every_broken_state_counts(state_name):
    action, _state, healthy = guard.decide(view(me_state=state_name), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)
    assert (action, healthy) == ("reinit", 0)


def test_running_without_a_wal_receiver_counts_but_streaming_does_not():
    # Patroni 3.0: `running` with a numeric lag streams; `running` with lag "unknown" does not
    assert guard.decide(view("running", 0), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "none"
    assert guard.decide(view("streaming", 0), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "none"
    assert guard.decide(view("running", "unknown"), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "reinit"


def test_recovery_resets_the_clock_and_keeps_the_counter():
    action, state, healthy = guard.decide(view("streaming", 0), "pg2", 500.0,
                                          {"unhealthy_since": 100.0, "reinit_total": 4}, 120)
    assert (action, healthy, state) == ("none", 1, {"unhealthy_since": None, "reinit_total": 4})


def test_never_on_the_leader():
    action, _state, healthy = guard.decide(view(), "pg1", 500.0, {"unhealthy_since": 100.0}, 120)
    assert (action, healthy) == ("none", 1)


@pytest.mark.parametrize("leader_state", ["stopped", "starting", "crashed"])
def test_never_without_a_running_leader_to_copy_from(leader_state):
    action, state, _healthy = guard.decide(view(leader_state=leader_state), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)
    assert action == "wait"
    assert state["unhealthy_since"] == 100.0  # the clock keeps running; the repair waits for a leader


def test_never_without_any_leader():
    cluster = view()
    cluster["members"] = [m for m in cluster["members"] if m["role"] != "leader"]
    assert guard.decide(cluster, "pg2", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "wait"


def test_not_while_paused_copying_or_restarting():
    assert guard.decide(view(pause=True), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "none"
    for progress in ("creating replica", "restarting"):
        action, state, _healthy = guard.decide(view(me_state=progress), "pg2", 500.0, {"unhealthy_since": 100.0}, 120)
        assert action == "none" and state["unhealthy_since"] is None


def test_a_member_patroni_does_not_list_is_left_alone():
    assert guard.decide(view(), "pg9", 500.0, {"unhealthy_since": 100.0}, 120)[0] == "none"


def test_main_reports_and_repairs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(guard, "fetch_cluster", lambda url, cacert: view())
    monkeypatch.setattr(guard, "reachable", lambda member: True)

    class Done:
        returncode, stdout, stderr = 0, "Success: reinitialize for member pg2", ""

    monkeypatch.setattr(guard.subprocess, "run", lambda cmd, **kw: calls.append(cmd) or Done())
    state, out = tmp_path / "state.json", tmp_path / "guard.prom"
    state.write_text(json.dumps({"unhealthy_since": 1.0, "reinit_total": 2}))
    args = ["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
            "--config", "/etc/patroni/config.yml", "--state", str(state), "--output", str(out)]
    assert guard.main(args) == 0
    assert calls == [["patronictl", "-c", "/etc/patroni/config.yml", "reinit", "--force", "pg-main", "pg2"]]
    text = out.read_text()
    assert 'hybridops_patroni_member_healthy{member="pg2"} 0' in text
    assert 'hybridops_patroni_member_reinit_total{member="pg2"} 3' in text
    assert 'hybridops_patroni_guard_up{member="pg2"} 1' in text
    # report only: no call, the clock is kept
    calls.clear()
    state.write_text(json.dumps({"unhealthy_since": 1.0, "reinit_total": 2}))
    assert guard.main(args + ["--no-repair"]) == 0
    assert calls == []
    assert json.loads(state.read_text()) == {"unhealthy_since": 1.0, "reinit_total": 2, "etcd_leader_moves_total": 0}


def test_main_without_patroni_writes_up_0(tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "fetch_cluster", lambda url, cacert: None)
    out = tmp_path / "guard.prom"
    args = ["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
            "--config", "/c", "--state", str(tmp_path / "s.json"), "--output", str(out)]
    assert guard.main(args) == 0
    assert 'hybridops_patroni_guard_up{member="pg2"} 0' in out.read_text()


def test_a_replica_that_cannot_reach_the_leader_keeps_its_data(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(guard, "fetch_cluster", lambda url, cacert: view())
    monkeypatch.setattr(guard, "reachable", lambda member: False)
    monkeypatch.setattr(guard.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"unhealthy_since": 1.0, "reinit_total": 0}))
    args = ["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
            "--config", "/c", "--state", str(state)]
    assert guard.main(args) == 0
    assert calls == []
    assert json.loads(state.read_text()) == {"unhealthy_since": 1.0, "reinit_total": 0, "etcd_leader_moves_total": 0}


def test_reachable_needs_an_answering_port():
    assert not guard.reachable({"host": "127.0.0.1", "port": 9}, timeout=1)
    assert not guard.reachable({"name": "no address"})


# etcd's raft leadership kept off the Patroni leader's host (--etcdctl)

def entry(member_id, leader):
    return {"Endpoint": "https://127.0.0.1:2379", "Status": {"header": {"member_id": member_id}, "leader": leader}}


def leader_view(paused=False):
    return view(me_state="running", me_role="leader", pause=paused)


def test_leads_etcd_reads_the_local_status():
    assert guard.leads_etcd(entry(7, 7))
    assert not guard.leads_etcd(entry(7, 9))
    assert not guard.leads_etcd({"Status": {"leader": 7}})
    assert not guard.leads_etcd(None)


def test_the_leader_hands_etcd_leadership_to_the_lowest_other_member_that_answered():
    answering = [entry(7, 7), entry(12345678901234567890, 7), entry(9, 7)]
    assert guard.etcd_move_target(leader_view(), "pg2", entry(7, 7), answering) == 9
    # nothing to move: the local member does not lead etcd, no other member answered
    assert guard.etcd_move_target(leader_view(), "pg2", entry(7, 9), answering) is None
    assert guard.etcd_move_target(leader_view(), "pg2", entry(7, 7), [entry(7, 7)]) is None


def test_the_next_failover_candidate_is_the_last_choice():
    # pg1 leads Patroni and etcd (7); pg3 is the synchronous standby Patroni would promote next (9), pg2 an
    # asynchronous replica (11), etcd4 a host without a Patroni member (13)
    cluster = {"members": [{"name": "pg1", "role": "leader", "state": "running"},
                           {"name": "pg2", "role": "replica", "state": "streaming"},
                           {"name": "pg3", "role": "sync_standby", "state": "streaming"}]}
    answering = [entry(7, 7), entry(9, 7), entry(11, 7), entry(13, 7)]
    names = {7: "pg1", 9: "pg3", 11: "pg2", 13: "etcd4"}
    assert guard.etcd_move_target(cluster, "pg1", entry(7, 7), answering, names) == 13
    assert guard.etcd_move_target(cluster, "pg1", entry(7, 7), answering[:3], names) == 11
    # quorum commit: every replica is a candidate, so the asynchronous rule cannot help; the lowest ID then
    quorum = {"members": [dict(m, role="quorum_standby") if m["role"] != "leader" else m for m in cluster["members"]]}
    assert guard.etcd_move_target(quorum, "pg1", entry(7, 7), answering[:3], names) == 9
    # positive control: the sync standby is still chosen when it is the only other member that answered
    assert guard.etcd_move_target(cluster, "pg1", entry(7, 7), answering[:2], names) == 9
    # without the names (member list failed) the lowest ID, as before
    assert guard.etcd_move_target(cluster, "pg1", entry(7, 7), answering[:3]) == 9


def test_only_the_patroni_leader_moves_and_never_while_paused():
    answering = [entry(7, 7), entry(9, 7)]
    assert guard.etcd_move_target(view(me_state="streaming"), "pg2", entry(7, 7), answering) is None
    assert guard.etcd_move_target(leader_view(paused=True), "pg2", entry(7, 7), answering) is None
    assert guard.etcd_move_target(leader_view(), "pg9", entry(7, 7), answering) is None


FAKE_ETCDCTL = """#!/bin/sh
# a stand-in of the etcd role's wrapper: the local member is 7 and leads when LEADS=1; 9 answers too
echo "$*" >> "$CALLS"
case "$*" in
  "endpoint status -w json --cluster") echo '[{"Status":{"header":{"member_id":7},"leader":7}},{"Status":{"header":{"member_id":9},"leader":7}}]' ;;
  "endpoint status -w json") if [ "$LEADS" = 1 ]; then echo '[{"Status":{"header":{"member_id":7},"leader":7}}]';
                              else echo '[{"Status":{"header":{"member_id":7},"leader":9}}]'; fi ;;
  "member list -w json") echo '{"members":[{"ID":7,"name":"pg2"},{"ID":9,"name":"pg3"}]}' ;;
  "move-leader 9") echo "Leadership transferred from 7 to 9" ;;
  *) exit 1 ;;
esac
"""


def run_main(tmp_path, monkeypatch, cluster, leads):
    etcdctl = tmp_path / "hybridops-etcdctl"
    etcdctl.write_text(FAKE_ETCDCTL)
    etcdctl.chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    monkeypatch.setenv("CALLS", str(calls))
    monkeypatch.setenv("LEADS", "1" if leads else "0")
    monkeypatch.setattr(guard, "fetch_cluster", lambda url, cacert: cluster)
    state, out = tmp_path / "state.json", tmp_path / "guard.prom"
    args = ["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
            "--config", "/c", "--state", str(state), "--output", str(out), "--etcdctl", str(etcdctl)]
    assert guard.main(args) == 0
    return calls.read_text().splitlines(), json.loads(state.read_text()), out.read_text()


def test_main_moves_etcd_leadership_off_the_leaders_host(tmp_path, monkeypatch):
    calls, state, text = run_main(tmp_path, monkeypatch, leader_view(), leads=True)
    assert calls == ["endpoint status -w json", "endpoint status -w json --cluster", "member list -w json",
                     "move-leader 9"]
    assert state["etcd_leader_moves_total"] == 1
    assert 'hybridops_patroni_guard_etcd_leader_moves_total{member="pg2"} 1' in text
    # the counter survives the next run, which finds nothing to move
    monkeypatch.setenv("LEADS", "0")
    assert guard.main(["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
                       "--config", "/c", "--state", str(tmp_path / "state.json"),
                       "--etcdctl", str(tmp_path / "hybridops-etcdctl")]) == 0
    assert json.loads((tmp_path / "state.json").read_text())["etcd_leader_moves_total"] == 1


def test_main_leaves_etcd_alone_where_it_need_not_act(tmp_path, monkeypatch):
    # the local etcd member does not lead etcd: one status call, no move
    calls, state, _text = run_main(tmp_path, monkeypatch, leader_view(), leads=False)
    assert calls == ["endpoint status -w json"] and state["etcd_leader_moves_total"] == 0
    # a replica never asks etcd at all
    calls, state, _text = run_main(tmp_path, monkeypatch, view(me_state="streaming"), leads=True)
    assert calls == [] and state["etcd_leader_moves_total"] == 0


def test_without_the_wrapper_nothing_is_called(tmp_path, monkeypatch):
    monkeypatch.setattr(guard.subprocess, "run", lambda *a, **kw: pytest.fail("no call expected"))
    assert guard.keep_etcd_leader_away(str(tmp_path / "absent"), leader_view(), "pg2") is False


def test_an_etcd_error_never_stops_the_repair_or_the_metrics(tmp_path, monkeypatch):
    def broken(*_args):
        raise RuntimeError("etcdctl answered nonsense")

    monkeypatch.setattr(guard, "keep_etcd_leader_away", broken)
    monkeypatch.setattr(guard, "fetch_cluster", lambda url, cacert: leader_view())
    out = tmp_path / "guard.prom"
    args = ["--url", "https://pg2:8008", "--cacert", "/ca", "--member", "pg2", "--scope", "pg-main",
            "--config", "/c", "--state", str(tmp_path / "s.json"), "--output", str(out), "--etcdctl", "/x"]
    assert guard.main(args) == 0
    assert 'hybridops_patroni_member_healthy{member="pg2"} 1' in out.read_text()
