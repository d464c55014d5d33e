"""synology_info: each subset read with its API, nothing written."""

from ansible_collections.hybridops.platform.plugins.modules import synology_info

from ..conftest import DSM_CONNECTION, dsm_ok


def test_subsets(dsm, run_module):
    dsm.on("SYNO.DSM.Info", "getinfo", dsm_ok(dict(model="DS920+", version_string="DSM 7.2.1-69057")))
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[dict(name="backup")])))
    dsm.on("SYNO.Core.User", "list", dsm_ok(dict(users=[dict(name="admin")])))
    dsm.on("SYNO.Core.Group", "list", dsm_ok(dict(groups=[dict(name="users")])))
    dsm.on("SYNO.Core.FileServ.FTP.SFTP", "get", dsm_ok(dict(enable=True, portnum=22)))
    dsm.on("SYNO.Backup.Service.NetworkBackup", "get", dsm_ok(dict(enable=False)))
    result = run_module(synology_info, dict(DSM_CONNECTION), connection=False)
    assert result["changed"] is False
    assert result["system"]["model"] == "DS920+" and result["shares"] == [dict(name="backup")]
    assert result["users"] == [dict(name="admin")] and result["groups"] == [dict(name="users")]
    assert result["services"] == dict(sftp=dict(enabled=True, port=22), rsync=dict(enabled=False))
    assert dsm.requests("SYNO.DSM.Info")[0]["fields"]["version"] == "2"
    del dsm.calls[:]
    result = run_module(synology_info, dict(DSM_CONNECTION, gather_subset=["services"]), connection=False)
    assert sorted(result) == ["changed", "services", "warnings"]
    assert dsm.writes() == [] and len(dsm.requests("SYNO.API.Auth", "logout")) == 1
