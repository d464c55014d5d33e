from ansible_collections.hybridops.platform.plugins.modules import unifi_info

from ..conftest import BASE, NET, V2, ok


def test_default_subsets(api, run_module):
    api.on("GET", BASE + "/proxy/network/api/self/sites", ok({"name": "default", "desc": "Default"}))
    api.on("GET", NET + "rest/networkconf", ok({"name": "wan", "x_wan_password": "secret"}))
    api.on("GET", NET + "stat/device", ok({"mac": "f4:e2:c6:00:00:01", "model": "UDMPRO"}))
    api.on("GET", NET + "stat/sta", ok({"mac": "aa:bb:cc:00:00:01"}))
    result = run_module(unifi_info, {})
    assert result["changed"] is False
    assert result["sites"][0]["name"] == "default"
    assert result["networks"][0]["x_wan_password"] == "********"
    assert result["devices"][0]["model"] == "UDMPRO"
    assert len(result["clients"]) == 1
    assert api.writes() == []


def test_selected_subsets(api, run_module):
    api.on("GET", V2 + "firewall-policies", [{"name": "p"}])
    api.on("GET", NET + "rest/wlanconf", ok({"name": "staff", "x_passphrase": "secret-secret"}))
    result = run_module(unifi_info, dict(gather_subset=["firewall_policies", "wlans"]), check=True)
    assert result["firewall_policies"] == [{"name": "p"}]
    assert result["wlans"][0]["x_passphrase"] == "********"
    assert "networks" not in result
    assert len(api.calls) == 2
