"""synology_user: create with the password (never returned), group membership through Group.Member, append or
exact membership, update_password, groups missing in check mode warned about."""

import json

from ansible_collections.hybridops.platform.plugins.modules import synology_user

from ..conftest import DSM_CONNECTION, dsm_ok

GROUPS = dsm_ok(dict(groups=[dict(name="administrators", gid=101), dict(name="backup", gid=65536),
                             dict(name="offsite", gid=65537), dict(name="users", gid=100)]))
RESTIC = dict(name="restic", uid=1030, description="restic", email="", expired="normal")


def run(run_module, args, **kwargs):
    return run_module(synology_user, dict(DSM_CONNECTION, **args), connection=False, **kwargs)


def route_members(dsm, membership):
    """Group.Member list answers from ``membership`` ({group: [users]})."""
    dsm.on("SYNO.Core.Group.Member", "list",
           lambda fields: dsm_ok(dict(users=[dict(name=n) for n in membership[fields["group"]]])))


def test_create_with_password_and_group(dsm, run_module):
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[])))
    dsm.on("SYNO.Core.Group", "list", GROUPS)
    dsm.on("SYNO.Core.User", "create", dsm_ok(dict(name="restic", uid=1030)))
    dsm.on("SYNO.Core.Group.Member", "change", dsm_ok())
    result = run(run_module, dict(name="restic", user_password="s3cret-value", description="restic",
                                  groups=["backup"]))
    assert result["changed"] is True
    assert result["user"] == dict(name="restic", description="restic", email="", groups=["backup"])
    create, = dsm.requests("SYNO.Core.User", "create")
    assert create["fields"]["password"] == "s3cret-value" and create["fields"]["passwd_never_expire"] == "true"
    change, = dsm.requests("SYNO.Core.Group.Member", "change")
    assert change["fields"]["group"] == "backup" and json.loads(change["fields"]["add_member"]) == ["restic"]
    assert "s3cret-value" not in json.dumps(result)


def test_existing_user_append_and_exact_membership(dsm, run_module):
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[RESTIC])))
    dsm.on("SYNO.Core.Group", "list", GROUPS)
    dsm.on("SYNO.Core.Group.Member", "change", dsm_ok())
    route_members(dsm, dict(administrators=["admin"], backup=["restic"], offsite=[], users=["admin", "restic"]))
    result = run(run_module, dict(name="restic", user_password="ignored", groups=["backup"]))
    assert result["changed"] is False and dsm.writes() == []

    result = run(run_module, dict(name="restic", groups=["offsite"], append=False), diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["groups"] == ["backup", "users"]
    assert result["diff"]["after"]["groups"] == ["offsite", "users"]
    changes = [(c["fields"]["group"], json.loads(c["fields"]["add_member"]), json.loads(c["fields"]["remove_member"]))
               for c in dsm.requests("SYNO.Core.Group.Member", "change")]
    assert changes == [("offsite", ["restic"], []), ("backup", [], ["restic"])]


def test_update_password_always_sets_it_and_reports_a_change(dsm, run_module):
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[RESTIC])))
    dsm.on("SYNO.Core.User", "set", dsm_ok(dict(name="restic")))
    result = run(run_module, dict(name="restic", user_password="rotated-1", update_password="always"))
    assert result["changed"] is True
    update, = dsm.requests("SYNO.Core.User", "set")
    assert update["fields"] == dict(api="SYNO.Core.User", version="1", method="set", name="restic",
                                    password="rotated-1", _sid="sid-1")
    del dsm.calls[:]
    result = run(run_module, dict(name="restic", user_password="rotated-1", update_password="always"), check=True)
    assert result["changed"] is True and dsm.writes() == []
    result = run(run_module, dict(name="restic", update_password="always"))
    assert result["failed"] and "update_password=always needs user_password" in result["msg"]


def test_missing_group_warns_in_check_mode_and_fails_otherwise(dsm, run_module):
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[])))
    dsm.on("SYNO.Core.Group", "list", GROUPS)
    result = run(run_module, dict(name="restic", user_password="s3cret-value", groups=["nope"]), check=True)
    assert result["changed"] is True
    assert any("group 'nope' does not exist" in w for w in result["warnings"])
    result = run(run_module, dict(name="restic", user_password="s3cret-value", groups=["nope"]))
    assert result["failed"] and "group 'nope' does not exist on the DSM (known: 'administrators'" in result["msg"]
    assert dsm.writes() == []
    result = run(run_module, dict(name="restic"))
    assert result["failed"] and "creating it needs user_password" in result["msg"]


def test_absent(dsm, run_module):
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[RESTIC])))
    dsm.on("SYNO.Core.User", "delete", dsm_ok())
    result = run(run_module, dict(name="restic", state="absent"))
    assert result["changed"] is True and dsm.requests("SYNO.Core.User", "delete")[0]["fields"]["name"] == "restic"
