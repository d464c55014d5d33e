from ansible_collections.hybridops.platform.plugins.modules import unifi_firewall_rule

from ..conftest import NET, ok

URL = NET + "rest/firewallrule"
NETWORKS = ok({"_id": "n1", "name": "gpu"}, {"_id": "n2", "name": "servers"})
GROUPS = ok({"_id": "g1", "name": "admins"}, {"_id": "g2", "name": "web"})
ARGS = dict(name="admins-to-gpu", ruleset="LAN_IN", rule_index=2000, action="accept",
            src_firewall_groups=["admins"], dst_network="gpu")
RULE = {"_id": "r1", "name": "admins-to-gpu", "ruleset": "LAN_IN", "rule_index": 2000, "action": "accept",
        "enabled": True, "src_firewallgroup_ids": ["g1"], "dst_networkconf_id": "n1",
        "dst_networkconf_type": "NETv4", "protocol": "all"}


def routes(api, *rules):
    api.on("GET", URL, ok(*rules))
    api.on("GET", NET + "rest/networkconf", NETWORKS)
    api.on("GET", NET + "rest/firewallgroup", GROUPS)


def test_create_resolves_names_to_ids(api, run_module):
    routes(api)
    api.on("POST", URL, ok(RULE))
    result = run_module(unifi_firewall_rule, ARGS)
    assert result["changed"] is True
    body = api.requests("POST")[0]["body"]
    assert body["src_firewallgroup_ids"] == ["g1"]
    assert body["dst_networkconf_id"] == "n1" and body["dst_networkconf_type"] == "NETv4"
    assert body["src_networkconf_id"] == "" and body["protocol"] == "all"  # create defaults


def test_unchanged(api, run_module):
    routes(api, RULE)
    assert run_module(unifi_firewall_rule, ARGS)["changed"] is False
    assert api.writes() == []


def test_same_name_in_another_ruleset_is_another_rule(api, run_module):
    routes(api, dict(RULE, ruleset="WAN_IN", _id="r9"))
    api.on("POST", URL, ok(RULE))
    assert run_module(unifi_firewall_rule, ARGS)["changed"] is True
    assert len(api.requests("POST")) == 1


def test_update_action_and_diff(api, run_module):
    routes(api, RULE)
    api.on("PUT", URL + "/r1", ok(dict(RULE, action="drop")))
    result = run_module(unifi_firewall_rule, dict(ARGS, action="drop"), diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["action"] == "accept" and result["diff"]["after"]["action"] == "drop"


def test_unknown_network_fails_with_the_known_names(api, run_module):
    routes(api)
    result = run_module(unifi_firewall_rule, dict(ARGS, dst_network="nope"))
    assert result["failed"] is True
    assert "network 'nope' not found on site 'default' (known: 'gpu', 'servers')" in result["msg"]
    assert api.writes() == []


def test_unknown_network_in_check_mode_warns(api, run_module):
    routes(api)
    result = run_module(unifi_firewall_rule, dict(ARGS, dst_network="later"), check=True)
    assert result["changed"] is True and api.writes() == []
    assert any("does not exist" in w for w in result.get("warnings", []))


def test_create_needs_ruleset_index_and_action(api, run_module):
    routes(api)
    result = run_module(unifi_firewall_rule, dict(name="x", dst_network="gpu"))
    assert result["failed"] is True and "needs ruleset, rule_index, action" in result["msg"]


def test_delete_check_mode(api, run_module):
    routes(api, RULE)
    result = run_module(unifi_firewall_rule, dict(name="admins-to-gpu", state="absent"), check=True)
    assert result["changed"] is True and api.writes() == []
