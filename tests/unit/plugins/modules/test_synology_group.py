"""synology_group: create, description update, idempotence, deletion by a JSON list of names."""

from ansible_collections.hybridops.platform.plugins.modules import synology_group

from ..conftest import DSM_CONNECTION, dsm_ok

GROUPS = dsm_ok(dict(groups=[dict(name="users", gid=100, description="System default group"),
                             dict(name="backup", gid=65536, description="Backup clients")]))


def run(run_module, args, **kwargs):
    return run_module(synology_group, dict(DSM_CONNECTION, **args), connection=False, **kwargs)


def test_create_update_and_unchanged(dsm, run_module):
    dsm.on("SYNO.Core.Group", "list", GROUPS)
    dsm.on("SYNO.Core.Group", "create", dsm_ok(dict(name="offsite", gid=65537)))
    dsm.on("SYNO.Core.Group", "set", dsm_ok(dict(name="backup", gid=65536)))
    result = run(run_module, dict(name="offsite", description="Second copy"))
    assert result["changed"] is True and result["group"] == dict(name="offsite", description="Second copy")
    assert dsm.requests("SYNO.Core.Group", "create")[0]["fields"]["description"] == "Second copy"
    result = run(run_module, dict(name="backup", description="Backup clients (SFTP)"), diff=True)
    assert result["changed"] is True and result["diff"]["before"]["description"] == "Backup clients"
    update, = dsm.requests("SYNO.Core.Group", "set")
    assert (update["fields"]["name"], update["fields"]["new_name"]) == ("backup", "backup")
    del dsm.calls[:]
    assert run(run_module, dict(name="backup", description="Backup clients"))["changed"] is False
    assert run(run_module, dict(name="backup"), check=True)["changed"] is False
    assert dsm.writes() == []


def test_absent(dsm, run_module):
    dsm.on("SYNO.Core.Group", "list", GROUPS)
    dsm.on("SYNO.Core.Group", "delete", dsm_ok())
    assert run(run_module, dict(name="backup", state="absent"), check=True)["changed"] is True
    assert dsm.writes() == []
    assert run(run_module, dict(name="backup", state="absent"))["changed"] is True
    assert dsm.requests("SYNO.Core.Group", "delete")[0]["fields"]["name"] == '["backup"]'
