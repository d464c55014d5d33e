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
    assert json.loads(state.read_text()) == {"unhealthy_since": 1.0, "reinit_total": 2}


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
    assert json.loads(state.read_text()) == {"unhealthy_since": 1.0, "reinit_total": 0}


def test_reachable_needs_an_answering_port():
    assert not guard.reachable({"host": "127.0.0.1", "port": 9}, timeout=1)
    assert not guard.reachable({"name": "no address"})
