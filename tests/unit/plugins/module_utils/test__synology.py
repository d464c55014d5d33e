"""The DSM client: discovery and version clamping, login with SynoToken, the envelope's error codes, one fresh
login on an expired session, 2-step verification refused, logout, transport retries and TLS settings."""

import pytest

from ansible_collections.hybridops.platform.plugins.module_utils import _synology
from ansible_collections.hybridops.platform.plugins.module_utils._synology import (
    SynologyClient,
    SynologyError,
    base_url,
    form_value,
)

from ..conftest import DSM, DSM_APIS, Reply, dsm_error, dsm_ok


def client(**kwargs):
    options = dict(backoff=0.0, sleep=lambda s: None)
    options.update(kwargs)
    return SynologyClient("nas.test", "svc-ansible", "svc-password", **options)


def test_discovery_login_and_an_authenticated_call(dsm):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[], total=0)))
    c = client()
    assert c.call("SYNO.Core.Share", "list", dict(additional=["share_quota"])) == dict(shares=[], total=0)
    info, login, call = dsm.calls
    assert info["url"] == DSM + "query.cgi" and info["fields"] == dict(api="SYNO.API.Info", version="1",
                                                                       method="query", query="all")
    assert login["url"] == DSM + "entry.cgi" and login["method"] == "POST"
    assert login["fields"] == dict(api="SYNO.API.Auth", version="7", method="login", account="svc-ansible",
                                   passwd="svc-password", session="HybridOps", format="sid",
                                   enable_syno_token="yes")
    assert "svc-password" not in login["url"]  # form body, never the URL
    assert login["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert call["fields"] == dict(api="SYNO.Core.Share", version="1", method="list", _sid="sid-1",
                                  additional='["share_quota"]')
    assert call["headers"]["X-SYNO-TOKEN"] == "token-1"
    assert call["kwargs"]["validate_certs"] is True and call["kwargs"]["ca_path"] is None
    c.call("SYNO.Core.Share", "list")
    assert len(dsm.requests("SYNO.API.Info")) == 1 and len(dsm.requests("SYNO.API.Auth", "login")) == 1


def test_versions_are_clamped_to_what_dsm_offers(dsm):
    apis = dict(DSM_APIS)
    apis["SYNO.API.Auth"] = dict(path="auth.cgi", minVersion=1, maxVersion=6)  # DSM 6 advertises auth.cgi
    apis["SYNO.Core.Share"] = dict(path="entry.cgi", minVersion=2, maxVersion=3)
    del apis["SYNO.Core.User"]
    dsm.on("SYNO.API.Info", "query", dsm_ok(apis))
    dsm.on("SYNO.DSM.Info", "getinfo", dsm_ok(dict(model="DS920+")))
    c = client()
    assert c.call("SYNO.DSM.Info", "getinfo", maximum=5)["model"] == "DS920+"
    assert dsm.requests("SYNO.DSM.Info")[0]["fields"]["version"] == "2"
    login = dsm.requests("SYNO.API.Auth", "login")[0]
    assert login["url"] == DSM + "auth.cgi" and login["fields"]["version"] == "6"
    with pytest.raises(SynologyError) as e:
        c.call("SYNO.Core.Share", "list")
    assert "offers SYNO.Core.Share versions 2-3; this module needs 1-1" in e.value.msg and e.value.code == 104
    with pytest.raises(SynologyError) as e:
        c.call("SYNO.Core.User", "list")
    assert "does not offer SYNO.Core.User" in e.value.msg and e.value.code == 102
    assert not dsm.requests("SYNO.Core.Share") and not dsm.requests("SYNO.Core.User")


@pytest.mark.parametrize("code,text", [(105, "must be a member of administrators"), (114, "lost parameters"),
                                       (3302, "API-specific error (see the guide of SYNO.Core.Share)")])
def test_envelope_errors_are_named(dsm, code, text):
    dsm.on("SYNO.Core.Share", "create", dsm_error(code))
    with pytest.raises(SynologyError) as e:
        client().call("SYNO.Core.Share", "create", dict(name="x"))
    assert "SYNO.Core.Share create failed: DSM error %d" % code in e.value.msg and text in e.value.msg
    assert e.value.code == code and len(dsm.requests("SYNO.Core.Share", "create")) == 1


@pytest.mark.parametrize("code", [106, 107, 119])
def test_expired_session_logs_in_once_more(dsm, code):
    dsm.on("SYNO.API.Auth", "login", dsm_ok(dict(sid="sid-1", synotoken="token-1")),
           dsm_ok(dict(sid="sid-2", synotoken="token-2")))
    dsm.on("SYNO.Core.Share", "list", dsm_error(code), dsm_ok(dict(shares=[])))
    c = client()
    assert c.call("SYNO.Core.Share", "list") == dict(shares=[])
    first, second = dsm.requests("SYNO.Core.Share", "list")
    assert (first["fields"]["_sid"], first["headers"]["X-SYNO-TOKEN"]) == ("sid-1", "token-1")
    assert (second["fields"]["_sid"], second["headers"]["X-SYNO-TOKEN"]) == ("sid-2", "token-2")
    assert len(dsm.requests("SYNO.API.Auth", "login")) == 2


def test_a_session_refused_after_the_fresh_login_fails(dsm):
    dsm.on("SYNO.Core.Share", "list", dsm_error(119))
    with pytest.raises(SynologyError) as e:
        client().call("SYNO.Core.Share", "list")
    assert "DSM error 119 (invalid session) even after a fresh login" in e.value.msg
    assert len(dsm.requests("SYNO.Core.Share", "list")) == 2 and len(dsm.requests("SYNO.API.Auth", "login")) == 2


@pytest.mark.parametrize("code", [403, 404, 406])
def test_two_step_accounts_are_refused(dsm, code):
    dsm.on("SYNO.API.Auth", "login", dsm_error(code))
    with pytest.raises(SynologyError) as e:
        client().call("SYNO.Core.Share", "list")
    assert "uses 2-step verification (DSM error %d" % code in e.value.msg
    assert "dedicated service account without 2-step verification" in e.value.msg
    assert len(dsm.requests("SYNO.API.Auth", "login")) == 1 and not dsm.requests("SYNO.Core.Share")


@pytest.mark.parametrize("code,hint", [(400, "check username/password"), (401, "disabled account"),
                                       (407, "unblock it"), (410, "change the password")])
def test_other_login_refusals(dsm, code, hint):
    dsm.on("SYNO.API.Auth", "login", dsm_error(code))
    with pytest.raises(SynologyError) as e:
        client().login()
    assert "DSM refused the login of 'svc-ansible' (DSM error %d" % code in e.value.msg and hint in e.value.msg
    assert "svc-password" not in e.value.msg


def test_logout_once_with_the_session_and_errors_ignored(dsm):
    dsm.on("SYNO.Core.Share", "list", dsm_ok(dict(shares=[])))
    dsm.on("SYNO.API.Auth", "logout", dsm_error(119))
    c = client()
    c.logout()  # no session yet: nothing to close
    assert not dsm.requests("SYNO.API.Auth", "logout")
    c.call("SYNO.Core.Share", "list")
    c.logout()
    c.logout()
    logout, = dsm.requests("SYNO.API.Auth", "logout")
    assert logout["fields"] == dict(api="SYNO.API.Auth", version="7", method="logout", session="HybridOps",
                                    _sid="sid-1")
    assert c.sid is None and c.token is None


def test_transport_retries_and_replies_that_are_not_dsm(dsm):
    dsm.on("SYNO.Core.Share", "list", Reply(None, status=503), dsm_ok(dict(shares=[])))
    c = client(retries=2)
    assert c.call("SYNO.Core.Share", "list") == dict(shares=[])
    assert len(dsm.requests("SYNO.Core.Share", "list")) == 2
    dsm.on("SYNO.Core.Share", "list", Reply("<html>portal</html>"))
    with pytest.raises(SynologyError) as e:
        c.call("SYNO.Core.Share", "list")
    assert "did not answer DSM's JSON envelope: <html>portal</html>" in e.value.msg
    dsm.on("SYNO.Core.Share", "list", Reply({"error": "x"}, status=404))
    with pytest.raises(SynologyError) as e:
        c.call("SYNO.Core.Share", "list")
    assert "HTTP 404" in e.value.msg


def test_tls_settings_reach_open_url(dsm):
    c = SynologyClient.from_params(dict(host="https://nas.test:5001", username="u", password="p",
                                        validate_certs=True, ca_path="/etc/ca.pem", timeout=7, request_retries=0,
                                        retry_backoff=0.0))
    c.discover()
    kwargs = dsm.calls[0]["kwargs"]
    assert kwargs["validate_certs"] is True and kwargs["ca_path"] == "/etc/ca.pem" and kwargs["timeout"] == 7


def test_base_url_and_form_values():
    assert base_url("nas.test") == "https://nas.test:5001"
    assert base_url("nas.test:5443") == "https://nas.test:5443"
    assert base_url("https://nas.test") == "https://nas.test"
    assert base_url("[fd00::5]") == "https://[fd00::5]:5001"
    assert base_url("[fd00::5]:5443") == "https://[fd00::5]:5443"
    assert form_value(True) == "true" and form_value(False) == "false"
    assert form_value(["a", "b"]) == '["a","b"]' and form_value(dict(a=1)) == '{"a":1}'
    assert form_value(5) == "5"


def test_every_dsm_code_the_modules_name_has_a_text():
    for code in (100, 101, 102, 103, 104, 105, 106, 107, 114, 119, 120):
        assert _synology.error_text(code, "SYNO.Core.Share") == _synology.COMMON_ERRORS[code]
    for code in range(400, 411):
        if code != 405:
            assert _synology.error_text(code, "SYNO.API.Auth") == _synology.AUTH_ERRORS[code]
