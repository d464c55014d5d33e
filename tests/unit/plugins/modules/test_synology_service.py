"""synology_service: SFTP and rsync read and set only where they differ; check mode and diff."""

from ansible_collections.hybridops.platform.plugins.modules import synology_service

from ..conftest import DSM_CONNECTION, dsm_ok


def run(run_module, args, **kwargs):
    return run_module(synology_service, dict(DSM_CONNECTION, **args), connection=False, **kwargs)


def services(dsm, sftp=False, port=22, rsync=False):
    dsm.on("SYNO.Core.FileServ.FTP.SFTP", "get", dsm_ok(dict(enable=sftp, portnum=port)))
    dsm.on("SYNO.Backup.Service.NetworkBackup", "get", dsm_ok(dict(enable=rsync, enable_custom_config=False)))
    dsm.on("SYNO.Core.FileServ.FTP.SFTP", "set", dsm_ok())
    dsm.on("SYNO.Backup.Service.NetworkBackup", "set", dsm_ok())


def test_sftp_on_rsync_untouched(dsm, run_module):
    services(dsm)
    result = run(run_module, dict(sftp_enabled=True, sftp_port=2222), diff=True)
    assert result["changed"] is True
    assert result["services"] == dict(sftp=dict(enabled=True, port=2222), rsync=dict(enabled=False))
    assert result["diff"]["before"]["sftp"] == dict(enabled=False, port=22)
    update, = dsm.writes()
    assert update["fields"]["enable"] == "true" and update["fields"]["sftp_portnum"] == "2222"
    assert update["api"] == "SYNO.Core.FileServ.FTP.SFTP"


def test_unchanged_and_check_mode(dsm, run_module):
    services(dsm, sftp=True, port=22)
    assert run(run_module, dict(sftp_enabled=True, rsync_enabled=False))["changed"] is False
    result = run(run_module, dict(rsync_enabled=True), check=True)
    assert result["changed"] is True and result["services"]["rsync"] == dict(enabled=True)
    assert dsm.writes() == []
    result = run(run_module, dict(rsync_enabled=True))
    update, = dsm.writes()
    assert update["api"] == "SYNO.Backup.Service.NetworkBackup" and update["fields"]["enable"] == "true"


def test_port_range_refused_before_any_request(dsm, run_module):
    result = run(run_module, dict(sftp_port=0))
    assert result["failed"] and "sftp_port must be between 1 and 65535" in result["msg"]
    assert dsm.calls == []
