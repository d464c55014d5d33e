"""What tests/chaos/pg_chaos.py prints when a control fails: the Patroni and HAProxy lines of the fault's window,
read from journalctl output as the containers write it (stand-in `sh`, no containers)."""

import importlib.util
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "chaos" / "pg_chaos.py"

PATRONI_JOURNAL = """\
-- Journal begins at Mon 2026-12-07 22:00:00 UTC. --
Dec 07 23:05:28.265001 pg1 patroni[51]: 2026-12-07 23:05:28,265 WARNING: Loop time exceeded, rescheduling immediately.
Dec 07 23:05:30.100000 pg1 patroni[51]: 2026-12-07 23:05:30,099 INFO: no action. I am (pg1), the leader with the lock
Dec 07 23:05:34.175133 pg1 patroni[1842]: 2026-12-07 23:05:34.174 UTC [1842] postgres@postgres LOG:  could not receive data
Dec 07 23:05:43.766873 pg1 patroni[51]: 2026-12-07 23:05:43,765 ERROR: Request to server https://10.89.12.11:2379 failed
Dec 07 23:05:44.001000 pg1 patroni[51]: 2026-12-07 23:05:44,000 INFO: demoted self because failed to update leader lock in DCS
"""
HAPROXY_JOURNAL = """\
Dec 07 23:07:11.888001 pg1 haproxy[3195]: [WARNING]  (3195) : Server postgres_primary/pg2 is DOWN, reason: Layer7 wrong status
Dec 07 23:07:11.888500 pg1 haproxy[3195]: Server postgres_primary/pg2 is DOWN, reason: Layer7 wrong status, code: 503
Dec 07 23:07:20.000100 pg1 haproxy[3195]: Proxy stats started.
Dec 07 23:07:31.500000 pg1 haproxy[3195]: Server postgres_primary/pg3 is UP, reason: Layer7 check passed, code: 200
"""


@pytest.fixture(name="chaos", scope="module")
def fixture_chaos():
    spec = importlib.util.spec_from_file_location("pg_chaos_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def journal_stand_in(calls):
    def sh(*argv, **kwargs):
        calls.append(argv)
        unit = argv[argv.index("-u") + 1]
        return subprocess.CompletedProcess(argv, 0, PATRONI_JOURNAL if unit == "patroni" else HAPROXY_JOURNAL, "")
    return sh


def test_patroni_lines_without_routine_or_postgresql_lines(chaos, monkeypatch):
    calls = []
    monkeypatch.setattr(chaos, "sh", journal_stand_in(calls))
    lines = chaos.unit_events("pg1", "patroni", 1_796_684_700.9, 6, r"^(INFO|WARNING|ERROR|CRITICAL): ",
                              ("no action.",))
    assert lines == [
        "23:05:28.265 WARNING: Loop time exceeded, rescheduling immediately.",
        "23:05:43.766 ERROR: Request to server https://10.89.12.11:2379 failed",
        "23:05:44.001 INFO: demoted self because failed to update leader lock in DCS",
    ]
    # the window starts a second before the fault, whole seconds since the epoch
    assert calls[0][calls[0].index("--since") + 1] == "@1796684699"


def test_limit_keeps_the_last_lines(chaos, monkeypatch):
    monkeypatch.setattr(chaos, "sh", journal_stand_in([]))
    lines = chaos.unit_events("pg1", "patroni", 0, 1, r"^(INFO|WARNING|ERROR|CRITICAL): ")
    assert lines == ["23:05:44.001 INFO: demoted self because failed to update leader lock in DCS"]


def test_window_events_reads_haproxy_on_balancers_only(chaos, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(chaos, "sh", journal_stand_in(calls))

    class Cluster:
        @staticmethod
        def running():
            return ["pg1", "pg3"]

    events = chaos.window_events(Cluster(), 0, balancers=("pg1", "pg2"))
    # HAProxy's lines once each (not its [WARNING] echo), and only the server changes
    assert [e for e in events if " haproxy " in e] == [
        "pg1 haproxy 23:07:11.888 Server postgres_primary/pg2 is DOWN, reason: Layer7 wrong status, code: 503",
        "pg1 haproxy 23:07:31.500 Server postgres_primary/pg3 is UP, reason: Layer7 check passed, code: 200",
    ]
    assert sum(1 for e in events if e.startswith("pg3 patroni ")) == 3
    assert not any(e.startswith("pg3 haproxy") for e in events)
    assert [c[2] for c in calls] == ["pg1", "pg1", "pg3"]  # podman exec NODE ...
    assert "pg1 patroni 23:05:44.001 INFO: demoted self" in capsys.readouterr().out
