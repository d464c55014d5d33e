"""synology_share: create with DSM's shareinfo, check mode and diff without writes, update through ``set`` with
the whole shareinfo, moves refused, deletion by a JSON list of names, and the session closed every time."""

import json

from ansible_collections.hybridops.platform.plugins.modules import synology_share

from ..conftest import DSM_CONNECTION, dsm_ok

EXISTING = dict(name="backup", vol_path="/volume1", desc="old", share_quota=100, recyclebin=True, hidden=False,
                uuid="u-1")


def run(run_module, args, **kwargs):
    return run_module(synology_share, dict(DSM_CONNECTION, **args), connection=False, **kwargs)


def test_create_sends_shareinfo(dsm, run_module):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[])))
    dsm.on("SYNO.Core.Share", "create", dsm_ok(dict(name="backup")))
    result = run(run_module, dict(name="backup", vol_path="/volume1", quota_mb=2048))
    assert result["changed"] is True
    assert result["share"] == dict(name="backup", vol_path="/volume1", description="", quota_mb=2048,
                                   recycle_bin=True, hidden=False)
    create, = dsm.requests("SYNO.Core.Share", "create")
    assert create["fields"]["name"] == "backup"
    assert json.loads(create["fields"]["shareinfo"]) == dict(name="backup", vol_path="/volume1", desc="",
                                                             share_quota=2048, enable_recycle_bin=True, hidden=False)
    listing, = dsm.requests("SYNO.Core.Share", "list")
    assert json.loads(listing["fields"]["additional"]) == ["hidden", "recyclebin", "share_quota"]
    assert len(dsm.requests("SYNO.API.Auth", "logout")) == 1


def test_check_mode_and_diff_write_nothing(dsm, run_module):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[EXISTING])))
    result = run(run_module, dict(name="backup", description="new", quota_mb=200), check=True, diff=True)
    assert result["changed"] is True and dsm.writes() == []
    assert result["diff"]["before"]["quota_mb"] == 100 and result["diff"]["after"]["quota_mb"] == 200
    assert result["diff"]["after"]["description"] == "new"
    assert len(dsm.requests("SYNO.API.Auth", "logout")) == 1


def test_update_sends_the_whole_shareinfo_and_unchanged_sends_nothing(dsm, run_module):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[EXISTING])))
    dsm.on("SYNO.Core.Share", "set", dsm_ok(dict(name="backup")))
    result = run(run_module, dict(name="backup", recycle_bin=False))
    assert result["changed"] is True
    update, = dsm.requests("SYNO.Core.Share", "set")
    assert json.loads(update["fields"]["shareinfo"]) == dict(name="backup", vol_path="/volume1", desc="old",
                                                             share_quota=100, enable_recycle_bin=False, hidden=False)
    del dsm.calls[:]
    result = run(run_module, dict(name="backup", vol_path="/volume1", description="old", quota_mb=100))
    assert result["changed"] is False and dsm.writes() == []


def test_move_refused_and_negative_quota_refused(dsm, run_module):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[EXISTING])))
    result = run(run_module, dict(name="backup", vol_path="/volume2"))
    assert result["failed"] and "moving it to another volume is not done by this module" in result["msg"]
    result = run(run_module, dict(name="backup", quota_mb=-1))
    assert result["failed"] and "quota_mb must be 0" in result["msg"]
    result = run(run_module, dict(name="other"))
    assert result["failed"] and "creating it needs vol_path" in result["msg"]
    assert dsm.writes() == [] and len(dsm.requests("SYNO.API.Auth", "logout")) == 3


def test_absent_deletes_by_name_list(dsm, run_module):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[EXISTING])))
    dsm.on("SYNO.Core.Share", "delete", dsm_ok())
    result = run(run_module, dict(name="backup", state="absent"))
    assert result["changed"] is True and result["share"] == {}
    assert dsm.requests("SYNO.Core.Share", "delete")[0]["fields"]["name"] == '["backup"]'
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[])))
    assert run(run_module, dict(name="backup", state="absent"))["changed"] is False
