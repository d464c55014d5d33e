"""The UniFi modules through real ansible-playbook runs against the simulator."""

from .simulator import API_KEY


def site_tasks(state="present", dhcp_stop="10.77.0.150", members=("10.77.0.5",), action="drop", fwd_port="8443",
               ip="10.77.0.11", passphrase="correct-horse-battery"):
    absent = state == "absent"
    tasks = [
        dict(name="network", **{"hybridops.platform.unifi_network": dict(
            name="lab", state=state, vlan=77, subnet="10.77.0.1/24", dhcp_enabled=True, dhcp_start="10.77.0.100",
            dhcp_stop=dhcp_stop, dhcp_dns=["10.77.0.1", "1.1.1.1"])}),
        dict(name="group", **{"hybridops.platform.unifi_firewall_group": dict(
            name="lab-admins", state=state, group_type="address-group", members=list(members))}),
        dict(name="rule", **{"hybridops.platform.unifi_firewall_rule": dict(
            name="lab-in", state=state, ruleset="LAN_IN", rule_index=2001, action=action,
            src_firewall_groups=["lab-admins"], dst_network="lab")}),
        dict(name="forward", **{"hybridops.platform.unifi_port_forward": dict(
            name="lab-https", state=state, protocol="tcp", dst_port="443", forward_ip="10.77.0.5",
            forward_port=fwd_port)}),
        dict(name="reservation", **{"hybridops.platform.unifi_dhcp_reservation": dict(
            mac="52:54:00:77:00:11", state=state, ip=ip, network="lab", name="lab-host")}),
        dict(name="wlan", no_log=False, **{"hybridops.platform.unifi_wlan": dict(
            name="lab-wifi", state=state, passphrase=passphrase, network="lab")}),
    ]
    if absent:
        for task in tasks:
            module = [k for k in task if k.startswith("hybridops.")][0]
            task[module] = dict((k, v) for k, v in task[module].items() if k in ("name", "mac", "state"))
        tasks.reverse()
    return tasks


def changed(results):
    return dict((name, result.get("changed")) for name, result in results.items())


def test_lifecycle_check_create_noop_update_delete(ansible, sim):
    controller = sim.controller
    names = ["network", "group", "rule", "forward", "reservation", "wlan"]

    # create
    rc, results, out = ansible.play(site_tasks())
    assert rc == 0, out
    assert changed(results) == dict.fromkeys(names, True)
    network = controller.find("networkconf", name="lab")
    assert network["vlan"] == 77 and network["dhcpd_dns_2"] == "1.1.1.1" and len(network["_id"]) == 24
    rule = controller.find("firewallrule", name="lab-in")
    assert rule["dst_networkconf_id"] == network["_id"]
    assert rule["src_firewallgroup_ids"] == [controller.find("firewallgroup", name="lab-admins")["_id"]]
    client = controller.find("user", mac="52:54:00:77:00:11")
    assert client["use_fixedip"] is True and client["network_id"] == network["_id"]
    wlan = controller.find("wlanconf", name="lab-wifi")
    assert wlan["x_passphrase"] == "correct-horse-battery" and wlan["ap_group_ids"]
    assert "correct-horse-battery" not in out
    assert results["wlan"]["wlan"]["x_passphrase"] == "********"
    assert all(entry["csrf"] for entry in controller.writes())  # every write carried the rotated token
    # each task logged in once and closed its session again
    assert len(controller.requests("POST", "/api/auth/logout")) == len(controller.requests("POST", "/api/auth/login"))
    assert controller.live_sessions() == []

    # the same again: no change, no write
    controller.log[:] = []
    rc, results, out = ansible.play(site_tasks())
    assert rc == 0, out
    assert changed(results) == dict.fromkeys(names, False)
    assert controller.writes() == []

    # an update in check mode shows the diff as text and writes nothing
    update = dict(dhcp_stop="10.77.0.160", members=("10.77.0.5", "10.77.0.6"), action="accept", fwd_port="9443",
                  ip="10.77.0.12", passphrase="another-long-secret")
    rc, _data, out = ansible.play(site_tasks(**update), check=True, diff=True, json_output=False)
    assert rc == 0, out
    assert '-    "dhcpd_stop": "10.77.0.150",' in out and '+    "dhcpd_stop": "10.77.0.160",' in out
    assert '-    "action": "drop",' in out and '+    "action": "accept",' in out
    assert "another-long-secret" not in out
    assert controller.writes() == []

    # the update itself
    rc, results, out = ansible.play(site_tasks(**update), diff=True)
    assert rc == 0, out
    assert changed(results) == dict.fromkeys(names, True)
    assert results["forward"]["diff"]["before"]["fwd_port"] == "8443"
    assert results["forward"]["diff"]["after"]["fwd_port"] == "9443"
    assert controller.find("networkconf", name="lab")["dhcpd_stop"] == "10.77.0.160"
    assert controller.find("wlanconf", name="lab-wifi")["x_passphrase"] == "another-long-secret"
    assert sorted(m["method"] for m in controller.writes() if "rest/" in m["path"]) == ["PUT"] * 6

    # delete (deleting what is gone is a no-op: see the unit tests)
    controller.log[:] = []
    rc, results, out = ansible.play(site_tasks(state="absent"))
    assert rc == 0, out
    assert changed(results) == dict.fromkeys(names, True)
    assert controller.find("networkconf", name="lab") is None
    assert controller.find("user", mac="52:54:00:77:00:11")["use_fixedip"] is False  # client kept


def policy_task(state="present", task_name="policy", **options):
    args = dict(name="iot-block", state=state)
    if state == "present":
        args.update(action="block", source_zone="Internal", source_networks=["Default"], destination_zone="External",
                    destination_port="25", protocol="tcp")
        args.update(options)
    return dict(name=task_name, **{"hybridops.platform.unifi_firewall_policy": args})


def test_zone_based_policies_and_classic_rules_refused(ansible, sim):
    controller = sim.controller
    controller.zone_based = True
    classic = dict(name="classic", ignore_errors=True, **{"hybridops.platform.unifi_firewall_rule": dict(
        name="x", ruleset="LAN_IN", rule_index=2000, action="drop")})
    rc, results, out = ansible.play([policy_task(), classic], diff=True)
    assert rc == 0, out
    assert results["policy"]["changed"] is True
    policy = controller.find("firewall-policies", name="iot-block")
    assert policy["action"] == "BLOCK" and policy["source"]["matching_target"] == "NETWORK"
    assert policy["destination"]["port"] == "25" and policy["schedule"] == {"mode": "ALWAYS"}
    assert results["classic"]["failed"] is True
    assert "api.err.FirewallRuleIndexOutOfRange" in results["classic"]["msg"]

    controller.log[:] = []
    rc, results, out = ansible.play([policy_task(task_name="same"),
                                     policy_task(task_name="update", destination_port="587")], diff=True)
    assert rc == 0, out
    assert results["same"]["changed"] is False and results["update"]["changed"] is True
    assert results["update"]["diff"]["before"]["destination"]["port"] == "25"
    assert controller.find("firewall-policies", name="iot-block")["destination"]["port"] == "587"
    puts = [entry for entry in controller.writes() if entry["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["body"]["_id"] == policy["_id"]

    rc, results, out = ansible.play([policy_task("absent")])
    assert rc == 0 and results["policy"]["changed"] is True, out
    assert [e["status"] for e in controller.requests("DELETE")] == [204]
    assert controller.find("firewall-policies", name="iot-block") is None
    assert controller.find("firewall-policies", name="Allow Return Traffic") is not None


def test_api_key_from_the_environment_and_credential_errors_named(ansible, sim):
    env = dict(UNIFI_HOST=sim.host, UNIFI_API_KEY=API_KEY, UNIFI_CA_PATH=sim.ca_path)
    tasks = [
        dict(name="info", **{"hybridops.platform.unifi_info": dict(gather_subset=["sites", "networks", "devices"])}),
        dict(name="bad key", ignore_errors=True, **{"hybridops.platform.unifi_info": dict(api_key="wrong")}),
        dict(name="no ca", ignore_errors=True, **{"hybridops.platform.unifi_info": dict(ca_path="/etc/hostname-none")}),
        dict(name="wrong password", ignore_errors=True, environment=dict(UNIFI_API_KEY=""), **{"hybridops.platform.unifi_network": dict(
            name="x", state="absent", username="admin", password="nope")}),
        dict(name="viewer", ignore_errors=True, environment=dict(UNIFI_API_KEY=""), **{"hybridops.platform.unifi_firewall_group": dict(
            name="x", group_type="port-group", members=["80"], username="viewer",
            password="viewer-password")}),
    ]
    rc, results, out = ansible.play(tasks, env=env, module_defaults=False)
    assert rc == 0, out
    info = results["info"]
    assert info["sites"][0]["name"] == "default"
    assert info["devices"][0]["model"] == "UDMPRO"
    assert [n for n in info["networks"] if n["purpose"] == "wan"][0]["x_wan_password"] == "********"
    assert "the API key was not accepted" in results["bad key"]["msg"]
    assert results["no ca"]["failed"] is True
    assert "login as user 'admin' was rejected (HTTP 401" in results["wrong password"]["msg"]
    assert "user 'viewer' is not allowed to POST" in results["viewer"]["msg"]
    assert "api.err.NoPermission" in results["viewer"]["msg"]
    logins = sim.controller.requests("POST", "/api/auth/login")
    assert [entry["body"]["username"] for entry in logins] == ["admin", "viewer"]  # API keys never log in
    assert all(entry["api_key"] for entry in sim.controller.requests(contains="/proxy/network")
               if "firewallgroup" not in entry["path"])


def test_legacy_controller(ansible, sim):
    sim.controller.legacy = True
    args = dict(name="legacy", vlan=5, subnet="10.5.0.1/24")
    task = dict(name="network", **{"hybridops.platform.unifi_network": args})
    rc, results, out = ansible.play([task])
    assert rc == 0 and results["network"]["changed"] is True, out
    assert sim.controller.requests("POST", "/api/login")
    assert not sim.controller.requests(contains="/proxy/network")
    assert sim.controller.find("networkconf", name="legacy")["vlan"] == 5
    assert [e["status"] for e in sim.controller.requests("POST", "/api/logout")] == [200]
    assert sim.controller.live_sessions() == []
