"""synology_share_permission: the access of one user or group read with Share.Permission list and written with
set, leaving everyone else alone; missing objects warned about in check mode."""

import json

from ansible_collections.hybridops.platform.plugins.modules import synology_share_permission

from ..conftest import DSM_CONNECTION, dsm_ok


def run(run_module, args, **kwargs):
    return run_module(synology_share_permission, dict(DSM_CONNECTION, **args), connection=False, **kwargs)


def existing(dsm, **flags):
    item = dict(name="backup", is_readonly=False, is_writable=False, is_deny=False, is_custom=False, inherit="-")
    item.update(flags)
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[dict(name="backup", vol_path="/volume1")])))
    dsm.on("SYNO.Core.Group", "list", dsm_ok(dict(groups=[dict(name="backup"), dict(name="users")])))
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[dict(name="restic")])))
    dsm.on("SYNO.Core.Share.Permission", "list", dsm_ok(dict(items=[item, dict(name="backup2", is_writable=True)])))
    dsm.on("SYNO.Core.Share.Permission", "set", dsm_ok())


def test_grant_read_write_to_a_group(dsm, run_module):
    existing(dsm)
    result = run(run_module, dict(share="backup", group="backup", access="rw"), diff=True)
    assert result["changed"] is True
    assert result["diff"] == dict(before=dict(share="backup", group="backup", access="none"),
                                  after=dict(share="backup", group="backup", access="rw"))
    listing, = dsm.requests("SYNO.Core.Share.Permission", "list")
    assert (listing["fields"]["user_group_type"], listing["fields"]["substr"]) == ("local_group", "backup")
    update, = dsm.requests("SYNO.Core.Share.Permission", "set")
    assert update["fields"]["name"] == "backup" and update["fields"]["user_group_type"] == "local_group"
    assert json.loads(update["fields"]["permissions"]) == [dict(name="backup", is_writable=True, is_readonly=False,
                                                                is_deny=False, is_custom=False)]


def test_unchanged_and_check_mode(dsm, run_module):
    existing(dsm, is_writable=True)
    assert run(run_module, dict(share="backup", group="backup", access="rw"))["changed"] is False
    result = run(run_module, dict(share="backup", group="backup", access="no_access"), check=True)
    assert result["changed"] is True and result["permission"]["access"] == "no_access"
    assert dsm.writes() == []


def test_user_deny(dsm, run_module):
    existing(dsm)
    dsm.on("SYNO.Core.Share.Permission", "list", dsm_ok(dict(items=[dict(name="restic", is_readonly=True)])))
    result = run(run_module, dict(share="backup", user="restic", access="no_access"))
    assert result["changed"] is True
    assert result["permission"] == dict(share="backup", user="restic", access="no_access")
    permission = json.loads(dsm.requests("SYNO.Core.Share.Permission", "set")[0]["fields"]["permissions"])[0]
    assert permission["is_deny"] is True and permission["name"] == "restic"


def test_missing_share_warns_in_check_mode_and_fails_otherwise(dsm, run_module):
    existing(dsm)
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[])))
    result = run(run_module, dict(share="backup", group="backup", access="rw"), check=True)
    assert result["changed"] is True and any("shared folder 'backup' does not exist" in w for w in result["warnings"])
    result = run(run_module, dict(share="backup", group="nobody", access="rw"))
    assert result["failed"] and "shared folder 'backup' does not exist on the DSM" in result["msg"]
    assert not dsm.requests("SYNO.Core.Share.Permission")


def test_user_or_group_exactly_one(dsm, run_module):
    result = run(run_module, dict(share="backup", user="a", group="b", access="rw"))
    assert result["failed"] and "mutually exclusive" in result["msg"]
    result = run(run_module, dict(share="backup", access="rw"))
    assert result["failed"] and "one of the following is required" in result["msg"]
    assert dsm.calls == []
