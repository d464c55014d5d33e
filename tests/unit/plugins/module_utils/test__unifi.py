"""The UniFi client (module_utils/_unifi.py) and the HTTP base it stands on (module_utils/_http.py)."""

import base64
import json
import ssl

from urllib.error import URLError

import pytest

from ansible.module_utils.urls import SSLValidationError

from ansible_collections.hybridops.platform.plugins.module_utils import _unifi
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiClient, UnifiError

from ..conftest import BASE, NET, V2, Reply, error, ok

LOGIN = BASE + "/api/auth/login"


def session_client(sleeps=None, **kwargs):
    sleeps = [] if sleeps is None else sleeps
    kwargs.setdefault("backoff", 1.0)
    return UnifiClient("udm.test", username="admin", password="pw", sleep=sleeps.append, **kwargs)


def login_reply(token="tok1", csrf="csrf1"):
    return Reply({"username": "admin"}, headers={"Set-Cookie": "TOKEN=%s; Path=/; Secure; HttpOnly" % token,
                                                 "X-CSRF-Token": csrf})


def test_api_key_needs_no_login_and_sends_the_key(api):
    api.on("GET", NET + "rest/networkconf", ok({"_id": "n1", "name": "Default"}))
    client = UnifiClient("udm.test", api_key="k3y")
    assert client.rest_list("rest/networkconf") == [{"_id": "n1", "name": "Default"}]
    assert len(api.calls) == 1
    assert api.calls[0]["headers"]["X-API-KEY"] == "k3y"
    assert api.calls[0]["kwargs"]["validate_certs"] is True


def test_tls_options_reach_open_url(api):
    api.on("GET", NET + "rest/user", ok())
    UnifiClient("udm.test", api_key="k", ca_path="/etc/ca.pem", timeout=7).rest_list("rest/user")
    kwargs = api.calls[0]["kwargs"]
    assert kwargs["ca_path"] == "/etc/ca.pem"
    assert kwargs["validate_certs"] is True
    assert kwargs["timeout"] == 7


def test_unifi_os_session_login_cookie_and_csrf_rotation(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply())
    api.on("POST", NET + "rest/firewallgroup", Reply(ok({"_id": "g1"}), headers={"X-Updated-Csrf-Token": "csrf2"}))
    api.on("PUT", NET + "rest/firewallgroup/g1", ok({"_id": "g1"}))
    client = session_client()
    client.call("POST", client.site_path("rest/firewallgroup"), {"name": "g"})
    client.call("PUT", client.site_path("rest/firewallgroup/g1"), {"name": "g"})
    assert [c["method"] for c in api.calls] == ["GET", "POST", "POST", "PUT"]
    assert api.calls[0]["kwargs"]["follow_redirects"] == "none"
    assert api.calls[1]["body"] == {"username": "admin", "password": "pw"}
    assert "X-CSRF-Token" not in api.calls[1]["headers"]
    assert api.calls[2]["headers"]["Cookie"] == "TOKEN=tok1"
    assert api.calls[2]["headers"]["X-CSRF-Token"] == "csrf1"
    assert api.calls[3]["headers"]["X-CSRF-Token"] == "csrf2"


def test_csrf_taken_from_the_jwt_when_no_header(api):
    payload = base64.urlsafe_b64encode(json.dumps({"csrfToken": "from-jwt"}).encode()).decode().rstrip("=")
    api.on("POST", LOGIN, Reply({}, headers={"Set-Cookie": "TOKEN=h.%s.s; Path=/" % payload}))
    api.on("POST", NET + "rest/user", ok())
    client = session_client(controller_type="unifi_os")
    client.call("POST", client.site_path("rest/user"), {})
    assert api.calls[-1]["headers"]["X-CSRF-Token"] == "from-jwt"


def test_legacy_controller_detected_by_redirect(api):
    api.on("GET", BASE + "/", Reply(None, status=302, headers={"Location": "/manage"}))
    cookies = ["unifises=abc; Path=/", "csrf_token=c1; Path=/"]
    api.on("POST", BASE + "/api/login", Reply(ok(), headers={"Set-Cookie": cookies}))
    api.on("GET", BASE + "/api/s/default/rest/networkconf", ok({"_id": "n1"}))
    client = session_client()
    assert client.rest_list("rest/networkconf") == [{"_id": "n1"}]
    assert client.legacy is True
    assert client.csrf == "c1"
    assert api.calls[-1]["headers"]["Cookie"] == "csrf_token=c1; unifises=abc"


def test_expired_session_logs_in_once_more(api):
    api.on("POST", LOGIN, login_reply("tok1"), login_reply("tok2", "csrf9"))
    api.on("GET", NET + "rest/networkconf", Reply(error("api.err.LoginRequired"), status=401), ok({"_id": "n1"}))
    client = session_client(controller_type="unifi_os")
    assert client.rest_list("rest/networkconf") == [{"_id": "n1"}]
    assert len(api.requests("POST", LOGIN)) == 2
    assert api.calls[-1]["headers"]["Cookie"] == "TOKEN=tok2"


def test_session_rejected_twice_names_the_user(api):
    api.on("POST", LOGIN, login_reply())
    api.on("GET", NET + "rest/networkconf", Reply(error("api.err.LoginRequired"), status=401))
    client = session_client(controller_type="unifi_os")
    with pytest.raises(UnifiError) as e:
        client.rest_list("rest/networkconf")
    assert "user 'admin' was not accepted" in e.value.msg
    assert len(api.requests("POST", LOGIN)) == 2  # one re-login, not a loop


def test_bad_api_key_is_named(api):
    api.on("GET", NET + "rest/networkconf", Reply({"error": {"code": 401, "message": "Unauthorized"}}, status=401))
    with pytest.raises(UnifiError) as e:
        UnifiClient("udm.test", api_key="wrong").rest_list("rest/networkconf")
    assert e.value.msg.startswith("the API key was not accepted")
    assert e.value.status == 401
    assert len(api.calls) == 1


def test_forbidden_names_user_and_site(api):
    api.on("POST", LOGIN, login_reply())
    api.on("POST", NET + "rest/networkconf", Reply(error("api.err.NoPermission"), status=403))
    client = session_client(controller_type="unifi_os")
    with pytest.raises(UnifiError) as e:
        client.call("POST", client.site_path("rest/networkconf"), {})
    assert "user 'admin' is not allowed" in e.value.msg
    assert "api.err.NoPermission" in e.value.msg
    assert "site 'default'" in e.value.msg


def test_wrong_password_is_a_login_error(api):
    api.on("POST", LOGIN, Reply({"code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS"}, status=401))
    with pytest.raises(UnifiError) as e:
        session_client(controller_type="unifi_os").rest_list("rest/user")
    assert "login as user 'admin' was rejected (HTTP 401: AUTHENTICATION_FAILED_INVALID_CREDENTIALS)" in e.value.msg


def test_login_rate_limit_backs_off_exponentially(api):
    limited = Reply({"code": "AUTHENTICATION_FAILED_LIMIT_REACHED"}, status=429)
    api.on("POST", LOGIN, limited, limited, login_reply())
    api.on("GET", NET + "rest/user", ok())
    sleeps = []
    session_client(sleeps, controller_type="unifi_os").rest_list("rest/user")
    assert sleeps == [1.0, 2.0]
    assert len(api.requests("POST", LOGIN)) == 3


def test_login_rate_limit_gives_up_after_the_retries(api):
    api.on("POST", LOGIN, Reply({"code": "AUTHENTICATION_FAILED_LIMIT_REACHED"}, status=429))
    sleeps = []
    with pytest.raises(UnifiError) as e:
        session_client(sleeps, controller_type="unifi_os", retries=2).rest_list("rest/user")
    assert "rate limited" in e.value.msg and "AUTHENTICATION_FAILED_LIMIT_REACHED" in e.value.msg
    assert sleeps == [1.0, 2.0]
    assert len(api.calls) == 3


def test_server_errors_are_retried_and_retry_after_wins(api):
    api.on("GET", NET + "rest/user", Reply(error("busy"), status=503, headers={"Retry-After": "0.5"}),
           Reply(error("busy"), status=502), ok({"_id": "u"}))
    sleeps = []
    client = UnifiClient("udm.test", api_key="k", sleep=sleeps.append, backoff=0.25)
    assert client.rest_list("rest/user") == [{"_id": "u"}]
    assert sleeps == [0.5, 0.5]


def test_server_error_without_retries_fails_with_the_status(api):
    api.on("GET", NET + "rest/user", Reply(error("api.err.ServerBusy"), status=503))
    with pytest.raises(UnifiError) as e:
        UnifiClient("udm.test", api_key="k", retries=0).rest_list("rest/user")
    assert e.value.status == 503
    assert "api.err.ServerBusy" in e.value.msg
    assert len(api.calls) == 1


def test_bad_request_surfaces_meta_msg(api):
    api.on("POST", NET + "rest/networkconf", Reply(error("api.err.VlanUsed"), status=400))
    client = UnifiClient("udm.test", api_key="k")
    with pytest.raises(UnifiError) as e:
        client.call("POST", client.site_path("rest/networkconf"), {"name": "x"})
    assert e.value.api_msg == "api.err.VlanUsed"
    assert "HTTP 400: api.err.VlanUsed" in e.value.msg
    assert len(api.calls) == 1  # 400 is not retried


def test_rc_error_in_a_200_reply_is_an_error(api):
    api.on("GET", NET + "rest/user", ok())
    api.routes[("GET", NET + "rest/user")] = [Reply(error("api.err.Invalid"))]
    with pytest.raises(UnifiError) as e:
        UnifiClient("udm.test", api_key="k").rest_list("rest/user")
    assert "api.err.Invalid" in e.value.msg


def test_v2_delete_with_204_and_v2_error_shape(api):
    api.on("DELETE", V2 + "firewall-policies/p1", Reply(None, status=204))
    api.on("PUT", V2 + "firewall-policies/p1", Reply({"code": "api.err.IdMismatch", "message": "id mismatch"},
                                                     status=400))
    client = UnifiClient("udm.test", api_key="k")
    assert client.call("DELETE", client.v2_path("firewall-policies/p1"), envelope=False) is None
    with pytest.raises(UnifiError) as e:
        client.call("PUT", client.v2_path("firewall-policies/p1"), {}, envelope=False)
    assert "id mismatch" in e.value.msg


def test_unreachable_controller_is_retried_then_reported(api):
    sleeps = []
    client = UnifiClient("udm.test", api_key="k", sleep=sleeps.append, retries=1, backoff=0.1)
    with pytest.raises(UnifiError) as e:
        client.rest_list("rest/user")  # FakeApi raises for unknown routes: a transport failure
    assert "failed" in e.value.msg
    assert sleeps == [0.1]


def test_comparison_helpers():
    assert _unifi.differences({"vlan": 20, "name": "a"}, {"vlan": "20", "name": "a", "other": 1}) == {}
    assert _unifi.differences({"enabled": True}, {"enabled": "true"}) == {}
    assert _unifi.differences({"dhcpd_dns_2": ""}, {}) == {}
    assert _unifi.differences({"enabled": False}, {"enabled": True}) == {"enabled": False}
    assert _unifi.differences({"m": ["b", "a"]}, {"m": ["a", "b"]}, unordered=("m",)) == {}
    assert _unifi.differences({"m": ["b", "a"]}, {"m": ["a", "b"]}) == {"m": ["b", "a"]}
    assert _unifi.differences({"src": {"zone_id": "z"}}, {"src": {"zone_id": "z", "x": 1}}) == {}
    assert _unifi.differences({"src": {"zone_id": "y"}}, {"src": {"zone_id": "z"}}) == {"src": {"zone_id": "y"}}
    assert _unifi.deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}) == {"a": {"b": 3, "c": 2}}
    assert _unifi.mask_secrets({"x_passphrase": "s", "name": "n", "n": [{"x_key": "k"}]}) == \
        {"x_passphrase": "********", "name": "n", "n": [{"x_key": "********"}]}
    assert _unifi.normalize_mac("AA-BB-CC-00-11-22") == "aa:bb:cc:00:11:22"


def _raising(exc):
    calls = []

    def fake(url, **kwargs):
        calls.append(url)
        raise exc
    return fake, calls


@pytest.mark.parametrize("exc", [
    URLError(ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")),
    SSLValidationError("Failed to validate the SSL certificate for udm.test:443"),
])
def test_tls_verification_failure_is_not_retried_and_names_the_options(monkeypatch, exc):
    fake, calls = _raising(exc)
    monkeypatch.setattr("ansible_collections.hybridops.platform.plugins.module_utils._http.open_url", fake)
    sleeps = []
    client = UnifiClient("udm.test", api_key="k", sleep=sleeps.append, retries=3, backoff=1.0)
    with pytest.raises(UnifiError) as e:
        client.rest_list("rest/user")
    assert len(calls) == 1 and sleeps == []  # failed at once: no backoff, no second attempt
    assert "TLS verification of https://udm.test failed" in e.value.msg
    assert "ca_path" in e.value.msg and "validate_certs" in e.value.msg
    assert "cannot reach" not in e.value.msg


def test_unloadable_ca_bundle_is_not_retried_and_names_ca_path(monkeypatch):
    fake, calls = _raising(ssl.SSLError(136, "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found"))
    monkeypatch.setattr("ansible_collections.hybridops.platform.plugins.module_utils._http.open_url", fake)
    sleeps = []
    client = UnifiClient("udm.test", api_key="k", ca_path="/etc/hostname", sleep=sleeps.append)
    with pytest.raises(UnifiError) as e:
        client.rest_list("rest/user")
    assert len(calls) == 1 and sleeps == []
    assert "ca_path '/etc/hostname' must be a readable PEM CA certificate" in e.value.msg


def test_connection_refused_is_still_retried(monkeypatch):
    fake, calls = _raising(URLError(ConnectionRefusedError(111, "Connection refused")))
    monkeypatch.setattr("ansible_collections.hybridops.platform.plugins.module_utils._http.open_url", fake)
    sleeps = []
    client = UnifiClient("udm.test", api_key="k", sleep=sleeps.append, retries=2, backoff=0.5)
    with pytest.raises(UnifiError) as e:
        client.rest_list("rest/user")
    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    assert "cannot reach" in e.value.msg


LOGOUT = BASE + "/api/auth/logout"


def test_stale_csrf_token_logs_in_again_once_and_repeats(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply("tok1", "csrf1"), login_reply("tok2", "csrf2"))
    api.on("PUT", NET + "rest/firewallgroup/g1", Reply(error("api.err.InvalidCSRFToken"), status=403), ok({"_id": "g1"}))
    api.on("POST", BASE + "/api/auth/logout", Reply({}))
    client = session_client()
    assert client.call("PUT", client.site_path("rest/firewallgroup/g1"), {"name": "g"}) == [{"_id": "g1"}]
    puts = api.requests("PUT")
    assert [p["headers"]["X-CSRF-Token"] for p in puts] == ["csrf1", "csrf2"]
    assert len(api.requests("POST", LOGIN)) == 2
    # the refused session is closed before the new login
    assert [c["url"].rsplit("/", 1)[-1] for c in api.calls if c["method"] == "POST"] == ["login", "logout", "login"]
    assert api.requests("POST", BASE + "/api/auth/logout")[0]["headers"]["Cookie"] == "TOKEN=tok1"


def test_csrf_rejected_twice_says_csrf_not_permissions(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply())
    api.on("PUT", NET + "rest/firewallgroup/g1", Reply(error("api.err.InvalidCSRFToken"), status=403))
    api.on("POST", BASE + "/api/auth/logout", Reply({}))
    client = session_client()
    with pytest.raises(UnifiError) as e:
        client.call("PUT", client.site_path("rest/firewallgroup/g1"), {"name": "g"})
    assert "CSRF token" in e.value.msg and "api.err.InvalidCSRFToken" in e.value.msg
    assert "not allowed" not in e.value.msg and "role" not in e.value.msg
    assert len(api.requests("PUT")) == 2 and len(api.requests("POST", LOGIN)) == 2


def test_permission_403_is_not_retried_with_a_new_login(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply())
    api.on("PUT", NET + "rest/firewallgroup/g1", Reply(error("api.err.NoPermission"), status=403))
    client = session_client()
    with pytest.raises(UnifiError) as e:
        client.call("PUT", client.site_path("rest/firewallgroup/g1"), {"name": "g"})
    assert "is not allowed to PUT" in e.value.msg
    assert len(api.requests("POST", LOGIN)) == 1


def test_logout_closes_the_session_with_the_csrf_token(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply())
    api.on("GET", NET + "rest/user", ok())
    api.on("POST", LOGOUT, Reply({}))
    client = session_client()
    client.rest_list("rest/user")
    assert client.logout() is True
    assert client.logout() is True  # a second call does nothing
    (call,) = api.requests("POST", LOGOUT)
    assert call["headers"]["Cookie"] == "TOKEN=tok1" and call["headers"]["X-CSRF-Token"] == "csrf1"
    assert client.cookies == {} and client.logged_in is False


def test_legacy_logout_path_and_api_key_has_nothing_to_close(api):
    api.on("GET", BASE + "/", Reply(status=302, headers={"Location": "/manage"}))
    api.on("POST", BASE + "/api/login", Reply(ok(), headers={"Set-Cookie": "unifises=s1; Path=/"}))
    api.on("GET", BASE + "/api/s/default/rest/user", ok())
    api.on("POST", BASE + "/api/logout", Reply(ok()))
    client = session_client()
    client.rest_list("rest/user")
    client.logout()
    assert len(api.requests("POST", BASE + "/api/logout")) == 1
    api.calls[:] = []
    UnifiClient("udm.test", api_key="k").logout()
    assert api.calls == []


def test_failed_logout_does_not_raise(api):
    api.on("GET", BASE + "/", Reply("<html/>"))
    api.on("POST", LOGIN, login_reply())
    api.on("GET", NET + "rest/user", ok())
    api.on("POST", LOGOUT, Reply(status=500))
    client = session_client()
    client.rest_list("rest/user")
    assert client.logout() is False
    assert len(api.requests("POST", LOGOUT)) == 1  # not retried
