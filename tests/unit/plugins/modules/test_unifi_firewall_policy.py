from ansible_collections.hybridops.platform.plugins.modules import unifi_firewall_policy

from ..conftest import NET, V2, Reply, ok

URL = V2 + "firewall-policies"
ZONES = [{"_id": "z1", "name": "Internal", "zone_key": "internal"},
         {"_id": "z2", "name": "External", "zone_key": "external"}]
ARGS = dict(name="iot-block", action="block", source_zone="Internal", source_networks=["iot"],
            destination_zone="internal")
POLICY = {"_id": "p1", "name": "iot-block", "action": "BLOCK", "enabled": True, "index": 10000,
          "schedule": {"mode": "ALWAYS"},
          "source": {"zone_id": "z1", "matching_target": "NETWORK", "network_ids": ["n3"], "port_matching_type": "ANY"},
          "destination": {"zone_id": "z1", "matching_target": "ANY", "port_matching_type": "ANY"}}


def routes(api, *policies):
    api.on("GET", URL, list(policies))
    api.on("GET", V2 + "firewall/zone", ZONES)
    api.on("GET", NET + "rest/networkconf", ok({"_id": "n3", "name": "iot"}))


def test_create_on_the_v2_api(api, run_module):
    routes(api)
    api.on("POST", URL, POLICY)
    result = run_module(unifi_firewall_policy, ARGS)
    assert result["changed"] is True and result["firewall_policy"]["_id"] == "p1"
    body = api.requests("POST")[0]["body"]
    assert body["action"] == "BLOCK" and body["schedule"] == {"mode": "ALWAYS"}
    assert body["source"] == {"zone_id": "z1", "matching_target": "NETWORK", "network_ids": ["n3"],
                              "port_matching_type": "ANY", "match_opposite_ports": False}
    assert body["destination"]["zone_id"] == "z1"  # zone_key matched case-insensitively


def test_unchanged_compares_nested_fields_only_as_set(api, run_module):
    routes(api, POLICY)
    assert run_module(unifi_firewall_policy, ARGS)["changed"] is False
    assert api.writes() == []


def test_update_puts_the_whole_object_with_id(api, run_module):
    routes(api, POLICY)
    api.on("PUT", URL + "/p1", dict(POLICY, destination=dict(POLICY["destination"], zone_id="z2")))
    result = run_module(unifi_firewall_policy, dict(name="iot-block", destination_zone="External"), diff=True)
    assert result["changed"] is True
    body = api.requests("PUT")[0]["body"]
    assert body["_id"] == "p1" and body["destination"]["zone_id"] == "z2"
    assert body["source"]["network_ids"] == ["n3"]  # the rest of the object is sent back unchanged
    assert result["diff"]["after"]["destination"]["zone_id"] == "z2"


def test_delete_answers_204(api, run_module):
    routes(api, POLICY)
    api.on("DELETE", URL + "/p1", Reply(None, status=204))
    result = run_module(unifi_firewall_policy, dict(name="iot-block", state="absent"))
    assert result["changed"] is True and len(api.requests("DELETE")) == 1


def test_check_mode_makes_no_write(api, run_module):
    routes(api)
    result = run_module(unifi_firewall_policy, ARGS, check=True, diff=True)
    assert result["changed"] is True and result["diff"]["after"]["action"] == "BLOCK"
    assert api.writes() == []


def test_unknown_zone(api, run_module):
    routes(api)
    result = run_module(unifi_firewall_policy, dict(ARGS, destination_zone="Nowhere"))
    assert result["failed"] is True and "firewall zone 'Nowhere' not found" in result["msg"]
