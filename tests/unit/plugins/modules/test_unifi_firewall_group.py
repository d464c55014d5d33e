from ansible_collections.hybridops.platform.plugins.modules import unifi_firewall_group

from ..conftest import NET, ok

URL = NET + "rest/firewallgroup"
ADMINS = {"_id": "g1", "name": "admins", "group_type": "address-group", "group_members": ["10.0.0.2", "10.0.0.1"]}


def test_create_requires_group_type(api, run_module):
    api.on("GET", URL, ok())
    result = run_module(unifi_firewall_group, dict(name="admins", members=["10.0.0.1"]))
    assert result["failed"] is True and "needs group_type" in result["msg"]
    assert api.writes() == []


def test_create(api, run_module):
    api.on("GET", URL, ok())
    api.on("POST", URL, ok(ADMINS))
    result = run_module(unifi_firewall_group, dict(name="admins", group_type="address-group",
                                                   members=["10.0.0.1", "10.0.0.2"]))
    assert result["changed"] is True and result["firewall_group"]["_id"] == "g1"
    assert api.requests("POST")[0]["body"]["group_members"] == ["10.0.0.1", "10.0.0.2"]


def test_member_order_does_not_matter(api, run_module):
    api.on("GET", URL, ok(ADMINS))
    result = run_module(unifi_firewall_group, dict(name="admins", members=["10.0.0.1", "10.0.0.2"]))
    assert result["changed"] is False and api.writes() == []


def test_update_members_check_mode_then_real(api, run_module):
    api.on("GET", URL, ok(ADMINS))
    api.on("PUT", URL + "/g1", ok(dict(ADMINS, group_members=["10.0.0.3"])))
    result = run_module(unifi_firewall_group, dict(name="admins", members=["10.0.0.3"]), check=True, diff=True)
    assert result["changed"] is True and result["diff"]["after"]["group_members"] == ["10.0.0.3"]
    assert api.writes() == []
    result = run_module(unifi_firewall_group, dict(name="admins", members=["10.0.0.3"]))
    assert result["changed"] is True and len(api.requests("PUT")) == 1


def test_delete(api, run_module):
    api.on("GET", URL, ok(ADMINS))
    api.on("DELETE", URL + "/g1", ok())
    assert run_module(unifi_firewall_group, dict(name="admins", state="absent"))["changed"] is True
    assert [c["method"] for c in api.writes()] == ["DELETE"]
