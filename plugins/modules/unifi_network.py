#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_network
short_description: Manage UniFi networks (VLANs) and their DHCP settings
version_added: 0.1.0
description:
  - Creates, updates or deletes a LAN network of a UniFi Network application (a UDM Pro or a controller), found by
    its name.
  - Only the options that are set are compared and changed; everything else on the network is left as it is.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
  - hybridops.platform._unifi.STATE
options:
  name:
    description: Name of the network; the natural key.
    type: str
    required: true
  purpose:
    description:
      - What the network is for. Used when the network is created (default V(corporate)); changing it later is
        compared like any other option.
    type: str
    choices: [corporate, guest, vlan-only]
  enabled:
    description: Whether the network is enabled.
    type: bool
  vlan:
    description:
      - VLAN id, 2 to 4009 (the range the UniFi Network application accepts; it answers C(api.err.InvalidVlan)
        otherwise). Setting it also turns VLAN tagging on.
    type: int
  subnet:
    description:
      - Gateway address with prefix length, as UniFi stores it (V(10.20.0.1/24)), not the network address.
      - Checked before any request, in check mode too, together with O(dhcp_start) and O(dhcp_stop) (both inside
        the subnet, start not after stop).
    type: str
  dhcp_enabled:
    description: Run the DHCP server on this network.
    type: bool
  dhcp_start:
    description: First address of the DHCP pool.
    type: str
  dhcp_stop:
    description: Last address of the DHCP pool.
    type: str
  dhcp_lease_time:
    description: DHCP lease time in seconds.
    type: int
  dhcp_dns:
    description:
      - Up to four DNS servers handed out by DHCP. An empty list goes back to the gateway as DNS server.
    type: list
    elements: str
  domain_name:
    description: Domain name handed out by DHCP.
    type: str
  igmp_snooping:
    description: IGMP snooping on this network.
    type: bool
  internet_access_enabled:
    description: Whether clients on this network may reach the internet.
    type: bool
  network_isolation_enabled:
    description: Isolate this network from the other LANs.
    type: bool
seealso:
  - module: hybridops.platform.unifi_dhcp_reservation
  - module: hybridops.platform.unifi_info
"""

EXAMPLES = r"""
- name: GPU servers on VLAN 20 with a DHCP pool
  hybridops.platform.unifi_network:
    host: udm.example.internal
    username: ansible
    password: "{{ vault_unifi_password }}"
    ca_path: /etc/ssl/certs/udm-ca.pem
    name: gpu
    vlan: 20
    subnet: 10.20.0.1/24
    dhcp_enabled: true
    dhcp_start: 10.20.0.100
    dhcp_stop: 10.20.0.199
    dhcp_dns: [10.20.0.1]
    domain_name: gpu.example.internal

- name: Remove an old network (connection options from module_defaults)
  hybridops.platform.unifi_network:
    name: old-lab
    state: absent
"""

RETURN = r"""
network:
  description: The network as the controller stores it after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000a001
    name: gpu
    purpose: corporate
    vlan_enabled: true
    vlan: 20
    ip_subnet: 10.20.0.1/24
    dhcpd_enabled: true
"""

import ipaddress

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiError, UnifiObjectModule

VLAN_MIN = 2
VLAN_MAX = 4009  # go-unifi's vlan field pattern; the controller answers api.err.InvalidVlan above it


class UnifiNetwork(UnifiObjectModule):
    endpoint = "rest/networkconf"
    label = "network"
    result_key = "network"
    create_defaults = dict(purpose="corporate", networkgroup="LAN", enabled=True)
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        purpose=dict(type="str", choices=["corporate", "guest", "vlan-only"]),
        enabled=dict(type="bool"),
        vlan=dict(type="int"),
        subnet=dict(type="str"),
        dhcp_enabled=dict(type="bool"),
        dhcp_start=dict(type="str"),
        dhcp_stop=dict(type="str"),
        dhcp_lease_time=dict(type="int"),
        dhcp_dns=dict(type="list", elements="str"),
        domain_name=dict(type="str"),
        igmp_snooping=dict(type="bool"),
        internet_access_enabled=dict(type="bool"),
        network_isolation_enabled=dict(type="bool"),
    )
    simple = dict(
        name="name", purpose="purpose", enabled="enabled", subnet="ip_subnet", dhcp_enabled="dhcpd_enabled",
        dhcp_start="dhcpd_start", dhcp_stop="dhcpd_stop", dhcp_lease_time="dhcpd_leasetime",
        domain_name="domain_name", igmp_snooping="igmp_snooping", internet_access_enabled="internet_access_enabled",
        network_isolation_enabled="network_isolation_enabled",
    )

    def validate_params(self):
        p = self.params
        if p["state"] == "absent":
            return
        if p["vlan"] is not None and not VLAN_MIN <= p["vlan"] <= VLAN_MAX:
            raise UnifiError("vlan must be between %d and %d (the controller answers api.err.InvalidVlan outside "
                             "that range), got %d" % (VLAN_MIN, VLAN_MAX, p["vlan"]))
        if p["dhcp_dns"] is not None and len(p["dhcp_dns"]) > 4:
            raise UnifiError("dhcp_dns takes at most four servers")
        iface = None
        if p["subnet"] is not None:
            try:
                iface = ipaddress.ip_interface(p["subnet"])
            except ValueError:
                raise UnifiError("subnet '%s' is not an address with prefix length (like 10.20.0.1/24)" % p["subnet"])
            if "/" not in p["subnet"]:
                raise UnifiError("subnet '%s' needs a prefix length (like %s/24)" % (p["subnet"], p["subnet"]))
            if iface.version != 4:
                raise UnifiError("subnet '%s' is not an IPv4 address with prefix length" % p["subnet"])
            edges = (iface.network.network_address, iface.network.broadcast_address)
            if iface.network.num_addresses > 2 and iface.ip in edges:
                raise UnifiError("subnet %s names the %s address; UniFi wants the gateway address with the prefix, "
                                 "like %s/%d" % (p["subnet"], "network" if iface.ip == edges[0] else "broadcast",
                                                 edges[0] + 1, iface.network.prefixlen))
        bounds = {}
        for opt in ("dhcp_start", "dhcp_stop"):
            if p[opt] is None:
                continue
            try:
                bounds[opt] = ipaddress.ip_address(p[opt])
            except ValueError:
                raise UnifiError("%s '%s' is not an IP address" % (opt, p[opt]))
            if iface is not None and bounds[opt] not in iface.network:
                raise UnifiError("%s %s is outside subnet %s" % (opt, p[opt], iface.network))
            if iface is not None and bounds[opt] in (iface.ip, iface.network.network_address,
                                                     iface.network.broadcast_address):
                raise UnifiError("%s %s is the gateway, network or broadcast address of %s" % (opt, p[opt], p["subnet"]))
        if len(bounds) == 2 and bounds["dhcp_start"] > bounds["dhcp_stop"]:
            raise UnifiError("dhcp_start %s is after dhcp_stop %s" % (p["dhcp_start"], p["dhcp_stop"]))

    def desired(self):
        p = self.params
        out = dict((field, p[opt]) for opt, field in self.simple.items() if p[opt] is not None)
        if p["vlan"] is not None:
            out["vlan_enabled"] = True
            out["vlan"] = p["vlan"]
        if p["dhcp_dns"] is not None:
            servers = list(p["dhcp_dns"])
            out["dhcpd_dns_enabled"] = bool(servers)
            for index in range(4):
                out["dhcpd_dns_%d" % (index + 1)] = servers[index] if index < len(servers) else ""
        return out


def main():
    run(UnifiNetwork)


if __name__ == "__main__":
    main()
