import pytest

from ansible_collections.hybridops.platform.plugins.modules import unifi_network

from ..conftest import NET, Reply, error, ok

URL = NET + "rest/networkconf"
DEFAULT = {"_id": "n0", "name": "Default", "purpose": "corporate", "ip_subnet": "192.168.1.1/24"}
GPU = {"_id": "n1", "site_id": "s", "name": "gpu", "purpose": "corporate", "vlan_enabled": True, "vlan": "20",
       "ip_subnet": "10.20.0.1/24", "dhcpd_enabled": True, "dhcpd_start": "10.20.0.100",
       "dhcpd_stop": "10.20.0.199", "ipv6_interface_type": "none", "dhcpd_dns_enabled": True,
       "dhcpd_dns_1": "10.20.0.1", "dhcpd_dns_2": "", "dhcpd_dns_3": "", "dhcpd_dns_4": ""}
ARGS = dict(name="gpu", vlan=20, subnet="10.20.0.1/24", dhcp_enabled=True, dhcp_start="10.20.0.100",
            dhcp_stop="10.20.0.199", dhcp_dns=["10.20.0.1"])


def test_create(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    api.on("POST", URL, ok(dict(GPU, _id="new")))
    result = run_module(unifi_network, ARGS, diff=True)
    assert result["changed"] is True
    assert result["network"]["_id"] == "new"
    body = api.requests("POST")[0]["body"]
    assert body["purpose"] == "corporate" and body["networkgroup"] == "LAN"
    assert body["vlan_enabled"] is True and body["vlan"] == 20
    assert body["dhcpd_dns_1"] == "10.20.0.1" and body["dhcpd_dns_4"] == ""
    assert result["diff"]["before"] == {}


def test_unchanged_makes_no_write(api, run_module):
    api.on("GET", URL, ok(DEFAULT, GPU))
    result = run_module(unifi_network, ARGS)
    assert result["changed"] is False
    assert api.writes() == []
    assert len(api.calls) == 1


def test_update_only_changes_what_was_set(api, run_module):
    api.on("GET", URL, ok(DEFAULT, GPU))
    api.on("PUT", URL + "/n1", ok(dict(GPU, dhcpd_stop="10.20.0.150")))
    result = run_module(unifi_network, dict(name="gpu", dhcp_stop="10.20.0.150"), diff=True)
    assert result["changed"] is True
    put = api.requests("PUT")
    assert len(put) == 1
    assert put[0]["body"]["_id"] == "n1"
    assert put[0]["body"]["dhcpd_stop"] == "10.20.0.150"
    assert put[0]["body"]["ipv6_interface_type"] == "none"  # untouched server-side field kept
    assert result["diff"]["before"]["dhcpd_stop"] == "10.20.0.199"
    assert result["diff"]["after"]["dhcpd_stop"] == "10.20.0.150"


def test_check_mode_create_and_update_make_no_write(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    result = run_module(unifi_network, ARGS, check=True, diff=True)
    assert result["changed"] is True
    assert result["network"]["ip_subnet"] == "10.20.0.1/24"
    assert "_id" not in result["network"]
    api.on("GET", URL, ok(DEFAULT, GPU))
    result = run_module(unifi_network, dict(name="gpu", vlan=21), check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["vlan"] == 21
    assert api.writes() == []


def test_delete_and_check_mode_delete(api, run_module):
    api.on("GET", URL, ok(DEFAULT, GPU))
    api.on("DELETE", URL + "/n1", ok())
    result = run_module(unifi_network, dict(name="gpu", state="absent"), check=True, diff=True)
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert api.writes() == []
    result = run_module(unifi_network, dict(name="gpu", state="absent"))
    assert result["changed"] is True and result["network"] == {}
    assert len(api.requests("DELETE")) == 1


def test_absent_when_missing_is_a_no_op(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    assert run_module(unifi_network, dict(name="gpu", state="absent"))["changed"] is False
    assert api.writes() == []


def test_controller_refusal_is_reported(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    api.on("POST", URL, Reply(error("api.err.VlanUsed"), status=400))
    result = run_module(unifi_network, ARGS)
    assert result["failed"] is True
    assert "api.err.VlanUsed" in result["msg"] and result["api_msg"] == "api.err.VlanUsed"


def test_invalid_vlan_and_duplicate_names_fail(api, run_module):
    api.on("GET", URL, ok(GPU, dict(GPU, _id="n2")))
    assert "between 2 and 4009" in run_module(unifi_network, dict(name="x", vlan=1))["msg"]
    result = run_module(unifi_network, dict(name="gpu", vlan=20))
    assert result["failed"] is True and "2 networks match name 'gpu'" in result["msg"]
    assert api.writes() == []


def test_connection_options_from_the_environment(api, run_module, monkeypatch):
    monkeypatch.setenv("UNIFI_HOST", "udm.test")
    monkeypatch.setenv("UNIFI_API_KEY", "env-key")
    monkeypatch.setenv("UNIFI_SITE", "lab")
    api.on("GET", "https://udm.test/proxy/network/api/s/lab/rest/networkconf", ok())
    result = run_module(unifi_network, dict(name="gpu", state="absent"), connection=False)
    assert result["changed"] is False
    assert api.calls[0]["headers"]["X-API-KEY"] == "env-key"


@pytest.mark.parametrize("vlan", [1, 4010, 4094])
def test_vlan_outside_2_4009_is_refused_before_any_request_in_check_mode_too(api, run_module, vlan):
    for check in (True, False):
        result = run_module(unifi_network, dict(name="gpu", vlan=vlan), check=check)
        assert result["failed"] is True
        assert "vlan must be between 2 and 4009" in result["msg"] and "api.err.InvalidVlan" in result["msg"]
    assert api.calls == []


def test_vlan_4009_is_accepted(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    result = run_module(unifi_network, dict(name="top", vlan=4009), check=True)
    assert result["changed"] is True and result["network"]["vlan"] == 4009


@pytest.mark.parametrize("args, message", [
    (dict(subnet="10.20.0.0/24"), "names the network address; UniFi wants the gateway address with the prefix, "
                                  "like 10.20.0.1/24"),
    (dict(subnet="10.20.0.255/24"), "names the broadcast address"),
    (dict(subnet="10.20.300.1/24"), "subnet '10.20.300.1/24' is not an address with prefix length"),
    (dict(subnet="10.20.0.1"), "subnet '10.20.0.1' needs a prefix length"),
    (dict(subnet="fd00::1/64"), "is not an IPv4 address"),
    (dict(subnet="10.20.0.1/24", dhcp_start="10.21.0.10", dhcp_stop="10.20.0.50"),
     "dhcp_start 10.21.0.10 is outside subnet 10.20.0.0/24"),
    (dict(subnet="10.20.0.1/24", dhcp_start="10.20.0.10", dhcp_stop="10.20.1.50"),
     "dhcp_stop 10.20.1.50 is outside subnet 10.20.0.0/24"),
    (dict(subnet="10.20.0.1/24", dhcp_start="10.20.0.1", dhcp_stop="10.20.0.50"), "is the gateway"),
    (dict(subnet="10.20.0.1/24", dhcp_start="10.20.0.200", dhcp_stop="10.20.0.100"),
     "dhcp_start 10.20.0.200 is after dhcp_stop 10.20.0.100"),
    (dict(dhcp_start="10.20.0.200", dhcp_stop="10.20.0.100"), "dhcp_start 10.20.0.200 is after dhcp_stop"),
    (dict(dhcp_start="10.20.0.x"), "dhcp_start '10.20.0.x' is not an IP address"),
])
def test_invalid_subnet_or_dhcp_range_is_refused_before_any_request(api, run_module, args, message):
    for check in (True, False):
        result = run_module(unifi_network, dict(name="gpu", **args), check=check)
        assert result["failed"] is True and message in result["msg"], result["msg"]
    assert api.calls == []


def test_absent_ignores_the_network_options(api, run_module):
    api.on("GET", URL, ok(DEFAULT))
    result = run_module(unifi_network, dict(name="gpu", state="absent", vlan=4090))
    assert result["changed"] is False


SESSION = dict(host="udm.test", username="admin", password="pw", api_key=None)


def _session_routes(api):
    api.on("GET", "https://udm.test/", Reply("<html/>"))
    api.on("POST", "https://udm.test/api/auth/login",
           Reply({}, headers={"Set-Cookie": "TOKEN=t1; Path=/", "X-CSRF-Token": "c1"}))
    api.on("POST", "https://udm.test/api/auth/logout", Reply({}))


def test_module_logs_out_after_success(api, run_module):
    _session_routes(api)
    api.on("GET", URL, ok(DEFAULT, GPU))
    result = run_module(unifi_network, dict(ARGS, **SESSION))
    assert result["changed"] is False
    assert [(c["method"], c["url"].rsplit("/", 1)[-1]) for c in api.calls][-1] == ("POST", "logout")
    assert len(api.requests("POST", "https://udm.test/api/auth/logout")) == 1


def test_module_logs_out_after_a_failure(api, run_module):
    _session_routes(api)
    api.on("GET", URL, ok(DEFAULT))
    api.on("POST", URL, Reply(error("api.err.VlanUsed"), status=400))
    result = run_module(unifi_network, dict(ARGS, **SESSION))
    assert result["failed"] is True and "api.err.VlanUsed" in result["msg"]
    assert len(api.requests("POST", "https://udm.test/api/auth/logout")) == 1


def test_api_key_module_makes_no_logout_call(api, run_module):
    api.on("GET", URL, ok(DEFAULT, GPU))
    run_module(unifi_network, ARGS)
    assert [c["method"] for c in api.calls] == ["GET"]
