"""The modules against the simulator's failure modes: an account with 2-step verification, wrong credentials, an
expired session mid-task, a logout that invalidates the session id, TLS without the CA, DSM refusing a value,
and secrets kept out of -vvv output. Every session a module opens is closed again."""

import time

import pytest

from .simulator import ADMIN, OTP_ADMIN, OTP_ENFORCED


def task(title, module, **args):
    return {"name": title, "hybridops.platform." + module: args}


def failing(title, module, **args):
    return dict(task(title, module, **args), ignore_errors=True)


def test_two_factor_accounts_and_wrong_passwords_are_refused(synology_ansible, dsm_sim):
    dsm = dsm_sim.dsm
    tasks = [
        failing("otp", "synology_info", **synology_ansible.connection(username=OTP_ADMIN[0],
                                                                      password=OTP_ADMIN[1])),
        failing("enforced", "synology_info", **synology_ansible.connection(username=OTP_ENFORCED[0],
                                                                           password=OTP_ENFORCED[1])),
        failing("wrong", "synology_info", **synology_ansible.connection(password="not-the-password")),
    ]
    rc, results, out = synology_ansible.play(tasks, module_defaults=False)
    assert rc == 0, out
    msg = results["otp"]["msg"]
    assert "2-step verification" in msg and "DSM error 403" in msg and results["otp"]["code"] == 403
    assert "dedicated service account without 2-step verification" in msg
    assert "DSM error 406" in results["enforced"]["msg"] and "service account" in results["enforced"]["msg"]
    assert "DSM error 400" in results["wrong"]["msg"] and "not-the-password" not in out
    assert [e["code"] for e in dsm.calls("SYNO.API.Auth", "login")] == [403, 406, 400]
    assert dsm.writes() == [] and dsm.live_sessions() == []


def test_expired_session_logs_in_again_once(synology_ansible, dsm_sim):
    dsm = dsm_sim.dsm
    dsm.expire_sessions_after(1)  # the list passes, the create finds the session expired (106)
    rc, results, out = synology_ansible.play([task("share", "synology_share", name="backup", vol_path="/volume1")])
    assert rc == 0 and results["share"]["changed"] is True, out
    assert [e["code"] for e in dsm.calls("SYNO.Core.Share", "create")] == [106, 0]
    assert [e["code"] for e in dsm.calls("SYNO.API.Auth", "login")] == [0, 0]
    assert "backup" in dsm.shares
    assert dsm.live_sessions() == []

    # a session DSM keeps refusing (invalid even right after a login) fails naming it, and is closed
    del dsm.log[:]
    dsm.expire_sessions_after(None)
    dsm.fail_next("SYNO.Core.Share", "set", 119, count=5)
    rc, results, out = synology_ansible.play([failing("share", "synology_share", name="backup", quota_mb=10)])
    assert "DSM error 119 (invalid session) even after a fresh login" in results["share"]["msg"]
    assert [e["code"] for e in dsm.calls("SYNO.Core.Share", "set")] == [119, 119]
    assert dsm.live_sessions() == []


def test_logout_invalidates_the_session_id(dsm_sim):
    """The client's own logout: the sid it held is refused afterwards (119)."""
    from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyClient

    client = SynologyClient(dsm_sim.host, ADMIN[0], ADMIN[1], ca_path=dsm_sim.ca_path)
    client.call("SYNO.Core.Share", "list")
    sid, token = client.sid, client.token
    client.logout()
    client.sid, client.token = sid, token
    body = client._call("entry.cgi", dict(api="SYNO.Core.Share", version=1, method="list"))
    assert body == {"success": False, "error": {"code": 119}}
    assert dsm_sim.dsm.live_sessions() == []


def test_dsm_refusals_are_reported_with_the_code(synology_ansible, dsm_sim):
    tasks = [
        failing("ext4 quota", "synology_share", name="media", vol_path="/volume2", quota_mb=100),
        failing("no volume", "synology_share", name="media", description="no vol_path"),
        failing("short password", "synology_user", name="short", user_password="short"),
        failing("move", "synology_share", name="homes", vol_path="/volume2"),
        failing("unknown group", "synology_user", name="restic", user_password="long-enough-1", groups=["nope"]),
        failing("bad port", "synology_service", sftp_port=70000),
    ]
    rc, results, out = synology_ansible.play(tasks)
    assert rc == 0, out
    assert "SYNO.Core.Share create failed: DSM error 3302" in results["ext4 quota"]["msg"]
    assert "Btrfs" in results["ext4 quota"]["msg"]
    assert "creating it needs vol_path" in results["no volume"]["msg"]
    assert "DSM error 3102" in results["short password"]["msg"]
    assert "moving it to another volume is not done" in results["move"]["msg"]
    assert "group 'nope' does not exist" in results["unknown group"]["msg"]
    assert "sftp_port must be between 1 and 65535" in results["bad port"]["msg"]
    assert "restic" not in dsm_sim.dsm.users and dsm_sim.dsm.live_sessions() == []


def test_tls_failure_without_ca_is_immediate(synology_ansible, dsm_sim):
    no_ca = synology_ansible.connection(request_retries=3, retry_backoff=10.0)
    del no_ca["ca_path"]
    started = time.monotonic()
    rc, results, out = synology_ansible.play([failing("no ca", "synology_info", **no_ca)], module_defaults=False)
    assert rc == 0, out
    msg = results["no ca"]["msg"]
    assert "TLS verification of https://%s failed" % dsm_sim.host in msg
    assert "ca_path" in msg and "validate_certs" in msg
    assert time.monotonic() - started < 30  # retried like a transient error it would wait 10 + 20 + 40 s
    assert dsm_sim.dsm.log == []


def test_secrets_never_in_verbose_output(synology_ansible, dsm_sim):
    # connection from the environment (no credentials in the play), a user password in the task, -vvv and --diff
    env = dict(SYNOLOGY_HOST=dsm_sim.host, SYNOLOGY_USERNAME=ADMIN[0], SYNOLOGY_PASSWORD=ADMIN[1],
               SYNOLOGY_CA_PATH=dsm_sim.ca_path)
    tasks = [task("user", "synology_user", name="restic", user_password="user-secret-value-42",
                  update_password="always"),
             task("info", "synology_info", gather_subset=["system"])]
    rc, _results, out = synology_ansible.play(tasks, diff=True, env=env, module_defaults=False, json_output=False,
                                              extra=["-vvv"])
    assert rc == 0, out
    assert "changed: [localhost]" in out and '"model": "DS920+"' in out
    assert "user-secret-value-42" not in out and ADMIN[1] not in out
    assert dsm_sim.dsm.users["restic"]["password"] == "user-secret-value-42"
    assert dsm_sim.dsm.live_sessions() == []


def test_admin_endpoint_needs_its_token(tmp_path):
    """The out-of-process inspection endpoint: 404 without the token, the state (no passwords) with it."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    from .simulator import Simulator

    sim = Simulator(directory=str(tmp_path), admin_token="admin-token-1").start()
    try:
        context = ssl.create_default_context(cafile=sim.ca_path)
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(sim.url + "/_simulator/state", context=context)
        assert e.value.code == 404
        request = urllib.request.Request(sim.url + "/_simulator/state", headers={"X-Simulator-Admin": "admin-token-1"})
        state = json.loads(urllib.request.urlopen(request, context=context).read())
        assert state["sftp"] == dict(enable=False, portnum=22) and state["live_sessions"] == []
        assert "admin" in state["groups"]["administrators"]["members"]
        assert ADMIN[1] not in json.dumps(state)
    finally:
        sim.stop()
