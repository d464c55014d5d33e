"""playbooks/network.yml against the simulator: check mode on a fresh console, apply, idempotence, and the
validation refusing a bad site definition before any request is made."""

import json
import sys

from .conftest import ROOT

SITE = dict(
    unifi_site_networks=[dict(name="gpu", vlan=20, subnet="10.20.0.1/24", dhcp_enabled=True,
                              dhcp_start="10.20.0.100", dhcp_stop="10.20.0.199")],
    unifi_site_dhcp_reservations=[dict(mac="52:54:00:20:00:11", name="gpu-01", network="gpu", ip="10.20.0.11")],
    unifi_site_firewall_groups=[dict(name="admins", group_type="address-group", members=["192.168.1.50"])],
    unifi_site_firewall_rules=[dict(name="admins-to-gpu", ruleset="LAN_IN", rule_index=2000, action="accept",
                                    src_firewall_groups=["admins"], dst_network="gpu")],
    unifi_site_port_forwards=[dict(name="ssh-gpu", protocol="tcp", dst_port="2222", forward_ip="10.20.0.11",
                                   forward_port="22")],
    unifi_site_wlans=[dict(name="gpu-wifi", passphrase="{{ vault_wlan_passphrase }}", network="gpu")],
)


def inventory(tmp_path, sim, **site):
    host = dict(unifi_host=sim.host, unifi_ca_path=sim.ca_path, unifi_username="admin",
                unifi_password="{{ vault_unifi_password }}", unifi_retry_backoff=0.1,
                vault_unifi_password="admin-password", vault_wlan_passphrase="gpu-wifi-passphrase",
                ansible_connection="local", ansible_python_interpreter=sys.executable)
    host.update(site)
    path = tmp_path / ("inventory-%d.json" % len(list(tmp_path.glob("inventory-*"))))
    path.write_text(json.dumps({"all": {"children": {"udm": {"hosts": {"sim": host}}}}}))
    return str(path)


def playbook(ansible, inv, **kwargs):
    return ansible.run(["-i", inv, str(ROOT / "playbooks" / "network.yml")], **kwargs)


def test_check_apply_and_rerun(ansible, sim, tmp_path):
    inv = inventory(tmp_path, sim, **SITE)
    rc, _data, out = playbook(ansible, inv, check=True, diff=True, json_output=False)
    assert rc == 0, out
    assert "+++ after" in out and '"ip_subnet": "10.20.0.1/24"' in out
    assert sim.controller.writes() == []

    rc, results, out = playbook(ansible, inv)
    assert rc == 0, out
    for task in ("Networks", "Firewall groups", "Firewall rules (classic rulesets)", "Port forwards",
                 "DHCP reservations", "WLANs"):
        assert results[task]["changed"] is True, task
    assert "gpu-wifi-passphrase" not in out and "admin-password" not in out
    gpu = sim.controller.find("networkconf", name="gpu")
    assert sim.controller.find("user", mac="52:54:00:20:00:11")["network_id"] == gpu["_id"]
    assert sim.controller.find("wlanconf", name="gpu-wifi")["x_passphrase"] == "gpu-wifi-passphrase"

    sim.controller.log[:] = []
    rc, results, out = playbook(ansible, inv)
    assert rc == 0, out
    assert not [name for name, result in results.items() if result.get("changed")]
    assert sim.controller.writes() == []


def test_validation_refuses_before_any_request(ansible, sim, tmp_path):
    bad = dict(SITE)
    bad["unifi_site_networks"] = SITE["unifi_site_networks"] + [
        dict(name="iot", vlan=20, subnet="10.20.0.129/25"), dict(name="gpu", vlan=30, subnet="10.30.0.1/24")]
    bad["unifi_site_dhcp_reservations"] = [dict(mac="52:54:00:20:00:11", name="gpu-01", network="gpu",
                                                ip="10.21.0.11")]
    inv = inventory(tmp_path, sim, **bad)
    rc, results, out = playbook(ansible, inv)
    assert rc != 0
    msg = results["Validate the site definition before any API call"]["msg"]
    assert "problem(s) in the UniFi site definition of sim" in msg
    assert "networks: name 'gpu' is defined 2 times (items 0, 2)" in msg
    assert "networks 'gpu', 'iot' both use VLAN 20" in msg
    assert "networks 'gpu' (10.20.0.0/24) and 'iot' (10.20.0.128/25) overlap" in msg
    assert "dhcp_reservations 'gpu-01': 10.21.0.11 is outside network 'gpu'" in msg
    assert "Networks" not in results
    assert sim.controller.log == []  # not even a login
