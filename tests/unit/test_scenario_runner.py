"""The Molecule stage's scenario runner: action timings, and the time limit that stops a hung scenario."""

import time

from tests.molecule import test_scenarios as runner


def test_actions_are_timed_and_a_scenario_within_its_limit_is_left_alone(tmp_path):
    log = tmp_path / "molecule-demo.log"
    script = "echo '[demo > converge] start'; sleep 0.3; echo '[demo > verify] start'; echo done"
    rc, seconds, actions, timed_out = runner.run_timed(["bash", "-c", script], log, "demo", limit=30)
    assert (rc, timed_out) == (0, False)
    assert list(actions) == ["converge", "verify"] and actions["converge"] >= 0.2
    assert seconds < 30
    assert "stopped after" not in log.read_text()


def test_a_scenario_past_its_limit_is_stopped_with_what_hung(tmp_path):
    log = tmp_path / "molecule-demo.log"
    # a child and a grandchild in the scenario's session: both must go
    script = "echo '[demo > verify] start'; (sleep 311 & wait) & sleep 312; echo never"
    started = time.monotonic()
    rc, seconds, actions, timed_out = runner.run_timed(["bash", "-c", script], log, "demo", limit=1)
    assert timed_out and rc != 0
    assert time.monotonic() - started < 30 and seconds < 30
    text = log.read_text()
    assert "stopped after 1 s" in text and "sleep 312" in text and "sleep 311" in text
    assert "never" not in text.splitlines()
    assert list(actions) == ["verify"]


def test_every_scenario_has_a_limit_and_the_long_ones_more():
    assert all(runner.LIMITS.get(name, runner.DEFAULT_LIMIT) >= runner.DEFAULT_LIMIT for name in runner.SCENARIOS)
    assert set(runner.LIMITS) <= set(runner.SCENARIOS)


def test_the_suite_deadline_cuts_a_limit_and_none_means_the_scenario_limit(monkeypatch):
    monkeypatch.delenv("MOLECULE_SCENARIO_LIMIT", raising=False)
    monkeypatch.setenv("HYBRIDOPS_TEST_DEADLINE", "10000")
    assert runner.scenario_limit("gitea", now=9000) == 1000
    assert runner.scenario_limit("gitea", now=1000) == runner.DEFAULT_LIMIT
    assert runner.scenario_limit("postgres", now=1000) == runner.LIMITS["postgres"]
    assert runner.scenario_limit("gitea", now=10500) <= 0
    monkeypatch.setenv("HYBRIDOPS_TEST_DEADLINE", "0")
    assert runner.scenario_limit("gitea", now=10**10) == runner.DEFAULT_LIMIT
    monkeypatch.setenv("MOLECULE_SCENARIO_LIMIT", "77")
    assert runner.scenario_limit("postgres", now=0) == 77


def test_the_process_tree_shows_whole_command_lines():
    long_arg = "x" * 300
    proc = runner.subprocess.Popen(["bash", "-c", f"sleep 30; : {long_arg}"], start_new_session=True)
    try:
        assert long_arg in runner.process_tree(proc.pid)
    finally:
        proc.kill()
        proc.wait()
