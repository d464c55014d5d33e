import pathlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.hybridops.platform.plugins.filter.unifi_validate import FilterModule, unifi_site_errors

ROOT = pathlib.Path(__file__).resolve().parents[4]


def site(**sections):
    base = dict(networks=[
        dict(name="servers", vlan=10, subnet="10.10.0.1/24", dhcp_enabled=True, dhcp_start="10.10.0.100",
             dhcp_stop="10.10.0.199"),
        dict(name="gpu", vlan=20, subnet="10.20.0.1/24"),
    ])
    base.update(sections)
    return base


def test_filter_is_registered():
    assert FilterModule().filters()["unifi_site_errors"] is unifi_site_errors


def test_a_consistent_site_has_no_errors():
    assert unifi_site_errors(site(
        dhcp_reservations=[dict(mac="52:54:00:00:00:01", name="gpu-01", network="gpu", ip="10.20.0.11")],
        firewall_groups=[dict(name="admins", group_type="address-group", members=["10.10.0.5", "10.10.1.0/24"]),
                         dict(name="web", group_type="port-group", members=["80", "8000-8100"])],
        firewall_rules=[dict(name="r", ruleset="LAN_IN", rule_index=2000, action="accept",
                             src_firewall_groups=["admins"], dst_network="gpu")],
        port_forwards=[dict(name="https", dst_port="443", forward_ip="10.10.0.5", forward_port="443",
                            source_firewall_group="admins")],
        wlans=[dict(name="staff", network="servers", passphrase="long-enough")],
        firewall_policies=[dict(name="p", source_networks=["gpu"], destination_ips=["10.10.0.5"])],
    )) == []


def test_the_example_inventory_is_consistent():
    data = yaml.safe_load((ROOT / "inventories/example/group_vars/udm/network.yml").read_text())
    sections = dict((key[len("unifi_site_"):], value) for key, value in data.items() if key.startswith("unifi_site_"))
    for wlan in sections.get("wlans", []):
        wlan["passphrase"] = "stands-in-for-the-vault"
    assert unifi_site_errors(sections) == []


def test_overlapping_subnets():
    errors = unifi_site_errors(site(networks=[dict(name="a", subnet="10.0.0.1/16"), dict(name="b", subnet="10.0.5.1/24")]))
    assert errors == ["networks 'a' (10.0.0.0/16) and 'b' (10.0.5.0/24) overlap"]


def test_duplicate_vlans_and_names():
    errors = unifi_site_errors(site(networks=[dict(name="a", vlan=30), dict(name="b", vlan=30), dict(name="a", vlan=31)]))
    assert "networks: name 'a' is defined 2 times (items 0, 2)" in errors
    assert "networks 'a', 'b' both use VLAN 30" in errors


def test_bad_subnets_and_vlans():
    errors = unifi_site_errors(site(networks=[
        dict(name="net-address", subnet="10.1.0.0/24"), dict(name="garbage", subnet="10.1.300.1/24"),
        dict(name="no-prefix", subnet="10.2.0.1"), dict(name="vlan", vlan=4095, subnet="10.3.0.1/24"),
        dict(name="vlan-text", vlan="x")]))
    assert ("networks 'net-address': subnet 10.1.0.0/24 names the network address; UniFi wants the gateway address "
            "with the prefix, like 10.1.0.1/24") in errors
    assert any(e.startswith("networks 'garbage': subnet '10.1.300.1/24' is not an address") for e in errors)
    assert "networks 'no-prefix': subnet '10.2.0.1' needs a prefix length (like 10.2.0.1/24)" in errors
    assert "networks 'vlan': vlan 4095 is outside 2-4009 (UniFi answers api.err.InvalidVlan)" in errors
    assert "networks 'vlan-text': vlan 'x' is not a number" in errors


def test_dhcp_range():
    errors = unifi_site_errors(site(networks=[
        dict(name="a", subnet="10.0.0.1/24", dhcp_enabled=True, dhcp_start="10.0.1.10", dhcp_stop="10.0.0.5"),
        dict(name="b", subnet="10.1.0.1/24", dhcp_start="10.1.0.200", dhcp_stop="10.1.0.100"),
        dict(name="c", subnet="10.2.0.1/24", dhcp_enabled=True, dhcp_start="10.2.0.1"),
    ]))
    assert "networks 'a': dhcp_start 10.0.1.10 is outside the subnet 10.0.0.0/24" in errors
    assert "networks 'b': dhcp_start 10.1.0.200 comes after dhcp_stop 10.1.0.100" in errors
    assert "networks 'c': dhcp_start 10.2.0.1 is the gateway address" in errors
    assert "networks 'c': set both dhcp_start and dhcp_stop, or neither" in errors


def test_reservations():
    errors = unifi_site_errors(site(dhcp_reservations=[
        dict(mac="52:54:00:00:00:01", name="outside", network="gpu", ip="10.10.0.5"),
        dict(mac="52:54:00:00:00:02", name="gateway", network="gpu", ip="10.20.0.1"),
        dict(mac="52:54:00:00:00:03", name="unknown-net", network="iot", ip="10.30.0.5"),
        dict(mac="52-54-00-00-00-01", name="dup-mac", network="gpu", ip="10.20.0.7"),
        dict(mac="not-a-mac", name="bad-mac", network="gpu", ip="10.20.0.8"),
        dict(mac="52:54:00:00:00:05", name="twin-a", network="gpu", ip="10.20.0.9"),
        dict(mac="52:54:00:00:00:06", name="twin-b", network="gpu", ip="10.20.0.9"),
        dict(mac="52:54:00:00:00:07", name="no-ip", network="gpu"),
        dict(mac="52:54:00:00:00:08", name="broadcast", network="gpu", ip="10.20.0.255"),
        dict(mac="52:54:00:00:00:09", name="gone", state="absent"),
    ]))
    assert "dhcp_reservations 'outside': 10.10.0.5 is outside network 'gpu' (10.20.0.0/24)" in errors
    assert "dhcp_reservations 'gateway': 10.20.0.1 is the gateway address of network 'gpu'" in errors
    assert ("dhcp_reservations 'unknown-net': network 'iot' is not defined in the site's networks "
            "(defined: 'servers', 'gpu')") in errors
    assert "dhcp_reservations: mac '52:54:00:00:00:01' is defined 2 times (items 0, 3)" in errors
    assert "dhcp_reservations 'bad-mac': mac 'not-a-mac' is not a MAC address (like 52:54:00:12:34:56)" in errors
    assert "dhcp_reservations: 10.20.0.9 is reserved for 'twin-a' and 'twin-b'" in errors
    assert "dhcp_reservations 'no-ip': ip and network are required" in errors
    assert "dhcp_reservations 'broadcast': 10.20.0.255 is not a usable host address of 10.20.0.0/24" in errors
    assert not any("gone" in e for e in errors)


def test_references_and_rules():
    errors = unifi_site_errors(site(
        firewall_groups=[dict(name="g", group_type="address-group", members=["10.0.0.300"]),
                         dict(name="p", group_type="port-group", members=["99999"]),
                         dict(name="t", group_type="nope")],
        firewall_rules=[dict(name="r1", ruleset="LAN_IN", rule_index=2000, src_network="iot", dst_firewall_groups=["x"]),
                        dict(name="r2", ruleset="LAN_IN", rule_index=2000),
                        dict(name="r1", ruleset="LAN_IN", rule_index=3000),
                        dict(name="r1", ruleset="WAN_IN", rule_index=2000)],
        port_forwards=[dict(name="f", dst_port="70000", forward_ip="10.0.0", forward_port="80")],
        wlans=[dict(name="w", network="iot", passphrase="short"), dict(name="w")],
        firewall_policies=[dict(name="pol", source_networks=["iot"], source_ips=["10.0.0.1"])],
    ))
    assert "firewall_groups 'g': member '10.0.0.300' does not fit a address-group" in errors
    assert "firewall_groups 'p': member '99999' does not fit a port-group" in errors
    assert "firewall_groups 't': group_type must be address-group, ipv6-address-group or port-group" in errors
    assert any(e.startswith("firewall_rules 'r1': src_network 'iot' is not defined") for e in errors)
    assert "firewall_rules 'r1': firewall group 'x' is not defined in the site's firewall groups" in errors
    assert "firewall_rules: name 'r1' in ruleset LAN_IN is defined 2 times (items 0, 2)" in errors
    assert "firewall_rules 'r1': rule_index 3000 is outside 2000-2999 and 4000-4999" in errors
    assert "firewall_rules 'r1', 'r2' share rule_index 2000 in LAN_IN" in errors
    assert "port_forwards 'f': forward_ip '10.0.0' is not an IP address" in errors
    assert "port_forwards 'f': dst_port '70000' is not a port or port range" in errors
    assert "wlans: name 'w' is defined 2 times (items 0, 1)" in errors
    assert "wlans 'w': passphrase must be 8 to 63 characters long" in errors
    assert "firewall_policies 'pol': set source_networks or source_ips, not both" in errors
    assert any(e.startswith("firewall_policies 'pol': source_networks entry 'iot' is not defined") for e in errors)


def test_shape_errors():
    assert unifi_site_errors(dict(networks="nope", wlans=[1])) == ["networks must be a list, got str",
                                                                   "wlans[0] must be a dict"]
    assert unifi_site_errors({"networks": [dict(vlan=5)]}) == ["networks[0]: name is required"]
    with pytest.raises(AnsibleFilterError):
        unifi_site_errors(["not", "a", "dict"])


def test_vlan_range_is_the_controllers_2_to_4009():
    errors = unifi_site_errors(site(networks=[dict(name="top", vlan=4009, subnet="10.3.0.1/24"),
                                              dict(name="over", vlan=4010, subnet="10.4.0.1/24")]))
    assert errors == ["networks 'over': vlan 4010 is outside 2-4009 (UniFi answers api.err.InvalidVlan)"]
