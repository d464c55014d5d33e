"""The simulator itself is at least as strict as docs/unifi.md and the API notes say the controller is: these run
its request handler directly (no HTTP, no ansible-playbook), so they are fast."""

import pytest

from .simulator import API_KEY, PREFIX, Controller

NET = PREFIX + "/api/s/default/rest/networkconf"


class Session(object):
    def __init__(self, controller, key=False):
        self.controller = controller
        self.headers = {"X-API-KEY": API_KEY} if key else {}
        self.cookies = {}
        if not key:
            status, _reply, headers = controller.login({"username": "admin", "password": "admin-password"})
            assert status == 200
            self.cookies["TOKEN"] = headers["Set-Cookie"][0].split(";")[0].split("=", 1)[1]
            self.headers["X-CSRF-Token"] = headers["X-CSRF-Token"]

    def __call__(self, method, path, body=None):
        status, reply, headers = self.controller.handle(method, path, self.headers, self.cookies, body)
        if "X-Updated-Csrf-Token" in headers:
            self.headers["X-CSRF-Token"] = headers["X-Updated-Csrf-Token"]
        return status, reply, headers


@pytest.fixture
def api():
    return Session(Controller(), key=True)


def lab(**extra):
    return dict(dict(name="lab", purpose="corporate", vlan_enabled=True, vlan=77, ip_subnet="10.77.0.1/24"), **extra)


@pytest.mark.parametrize("vlan", [1, 4010, 4094])
def test_vlan_outside_2_4009_answers_invalid_vlan(api, vlan):
    status, reply, _h = api("POST", NET, lab(vlan=vlan))
    assert status == 400 and reply == {"meta": {"rc": "error", "msg": "api.err.InvalidVlan"}, "data": []}


def test_vlan_4009_is_accepted(api):
    assert api("POST", NET, lab(vlan=4009))[0] == 200


def test_unknown_field_is_refused_with_the_error_envelope(api):
    status, reply, _h = api("POST", NET, lab(vlan_id=77))
    assert status == 400
    assert reply == {"meta": {"rc": "error", "msg": "api.err.InvalidPayload", "validationError": {"field": "vlan_id"}},
                     "data": []}
    _s, created, _h = api("POST", NET, lab())
    oid = created["data"][0]["_id"]
    status, reply, _h = api("PUT", NET + "/" + oid, dict(created["data"][0], colour="blue"))
    assert status == 400 and reply["meta"]["validationError"] == {"field": "colour"}


def test_unknown_policy_field_is_refused():
    controller = Controller(zone_based=True)
    api = Session(controller, key=True)
    zone = controller.zone_by_name("Internal")
    policy = dict(name="p", action="BLOCK", source=dict(zone_id=zone), destination=dict(zone_id=zone),
                  schedule=dict(mode="ALWAYS"), priority=3)
    status, reply, _h = api("POST", PREFIX + "/v2/api/site/default/firewall-policies", policy)
    assert status == 400 and reply["code"] == "api.err.InvalidPayload" and "priority" in reply["message"]


def test_put_replaces_the_object_and_validates_it_like_a_create(api):
    _s, created, _h = api("POST", NET, lab(domain_name="lab.internal"))
    obj = created["data"][0]
    path = NET + "/" + obj["_id"]
    # a partial PUT is not merged: without name and purpose it is refused
    status, reply, _h = api("PUT", path, {"_id": obj["_id"], "domain_name": "other.internal"})
    assert status == 400 and reply["meta"]["msg"] == "api.err.InvalidPayload"
    # a full PUT replaces: a field the body leaves out is gone
    body = dict((k, v) for k, v in obj.items() if k != "domain_name")
    status, reply, _h = api("PUT", path, body)
    assert status == 200 and "domain_name" not in reply["data"][0]
    assert reply["data"][0]["_id"] == obj["_id"] and reply["data"][0]["site_id"] == obj["site_id"]
    # an _id in the body must be the one in the path
    status, reply, _h = api("PUT", path, dict(body, _id="0" * 24))
    assert status == 400 and reply["meta"]["msg"] == "api.err.IdInvalid"


def test_server_owned_fields_survive_a_put():
    controller = Controller()
    api = Session(controller, key=True)
    default = [n for n in controller.objects("networkconf") if n["name"] == "Default"][0]
    body = dict((k, v) for k, v in default.items() if not k.startswith("attr_"))
    status, reply, _h = api("PUT", NET + "/" + default["_id"], dict(body, domain_name="home"))
    assert status == 200 and reply["data"][0]["attr_no_delete"] is True


def test_failure_modes():
    controller = Controller()
    api = Session(controller)
    controller.fail_next("GET", "rest/networkconf", status=429, retry_after=2)
    status, reply, headers = api("GET", NET)
    assert status == 429 and headers["Retry-After"] == "2" and reply["meta"]["rc"] == "error"
    controller.fail_next("GET", "rest/networkconf", status=502)
    assert api("GET", NET)[0] == 502
    assert api("GET", NET)[0] == 200  # once
    controller.expire_sessions_after(1)
    assert api("GET", NET)[0] == 200
    status, reply, _h = api("GET", NET)
    assert status == 401 and reply["meta"]["msg"] == "api.err.LoginRequired"
    api = Session(controller)
    controller.reject_csrf_next(1)
    status, reply, _h = api("POST", NET, lab())
    assert status == 403 and reply["meta"]["msg"] == "api.err.InvalidCSRFToken"
    assert api("POST", NET, lab())[0] == 200
    controller.missing.add("apgroups")
    assert api("GET", PREFIX + "/v2/api/site/default/apgroups")[0] == 404


def test_logout_ends_the_session_and_needs_the_csrf_token():
    controller = Controller()
    api = Session(controller)
    assert len(controller.live_sessions()) == 1
    csrf = api.headers.pop("X-CSRF-Token")
    assert api("POST", "/api/auth/logout", {})[0] == 403
    api.headers["X-CSRF-Token"] = csrf
    status, _reply, headers = api("POST", "/api/auth/logout", {})
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    assert controller.live_sessions() == []
    assert api("GET", NET)[0] == 401
