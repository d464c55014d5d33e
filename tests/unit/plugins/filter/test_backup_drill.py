import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hybridops.platform.plugins.filter.backup_drill import FilterModule, backup_drill_summary


def test_filter_is_registered():
    assert FilterModule().filters()["backup_drill_summary"] is backup_drill_summary


def test_a_clean_job():
    line = backup_drill_summary({"job": "docs", "ok": True, "snapshot": "abcd1234", "snapshot_time": "T",
                                 "rpo_seconds": 12.5, "rto_seconds": 3.1, "files_compared": 5, "mismatched": [],
                                 "missing_in_source": [], "not_in_snapshot": 1})
    assert line == ("docs: snapshot abcd1234 of T, RPO 12.5 s, RTO 3.1 s, 5 files compared, 0 differ, "
                    "1 source files not in the snapshot (new or excluded)")


def test_differences_are_listed_and_marked():
    changed = ["/srv/f%d" % i for i in range(7)]
    line = backup_drill_summary({"job": "docs", "ok": False, "snapshot": "s", "snapshot_time": "T",
                                 "rpo_seconds": 1, "rto_seconds": 1, "files_compared": 9, "mismatched": changed,
                                 "missing_in_source": ["/srv/gone"]})
    assert "7 differ (/srv/f0, /srv/f1, /srv/f2, /srv/f3, /srv/f4 and 2 more)" in line
    assert "1 gone from the source (/srv/gone)" in line
    assert line.endswith(" - MISMATCH")


def test_an_error():
    assert backup_drill_summary({"job": "db", "ok": False, "error": "db: no snapshot to restore"}) == \
        "db: FAILED - db: no snapshot to restore"


def test_not_a_job():
    with pytest.raises(AnsibleFilterError):
        backup_drill_summary(["docs"])
