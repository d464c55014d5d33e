#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_firewall_policy
short_description: Manage UniFi zone-based firewall policies (Network 9 and later)
version_added: 0.1.0
description:
  - Creates, updates or deletes a policy of the zone-based firewall through the v2 API
    (C(/proxy/network/v2/api/site/<site>/firewall-policies)), found by its name.
  - Zones and networks are referred to by name and resolved to their ids.
  - Only sites migrated to the zone-based firewall have this endpoint; older sites use
    M(hybridops.platform.unifi_firewall_rule).
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
  - hybridops.platform._unifi.STATE
options:
  name:
    description: Name of the policy; the natural key.
    type: str
    required: true
  description:
    description: Free text shown in the console.
    type: str
  action:
    description: What happens to matching traffic. Required to create a policy.
    type: str
    choices: [allow, block, reject]
  enabled:
    description: Whether the policy is active.
    type: bool
  protocol:
    description: Protocol matched (V(all), V(tcp), V(udp), V(tcp_udp), V(icmp), ...). V(all) when created.
    type: str
  ip_version:
    description: IP versions matched. V(both) when created.
    type: str
    choices: [both, ipv4, ipv6]
  logging:
    description: Log matching traffic.
    type: bool
  connection_states:
    description:
      - Match only these connection states. An empty list matches all states.
    type: list
    elements: str
    choices: [new, established, related, invalid]
  source_zone:
    description: Zone the traffic comes from, by name (such as V(Internal), V(External)). Required to create.
    type: str
  source_networks:
    description: Only traffic from these networks (by name). Mutually exclusive with O(source_ips).
    type: list
    elements: str
  source_ips:
    description: Only traffic from these addresses or networks in CIDR form.
    type: list
    elements: str
  source_port:
    description: Only traffic from this port (or range).
    type: str
  destination_zone:
    description: Zone the traffic goes to, by name. Required to create.
    type: str
  destination_networks:
    description: Only traffic to these networks (by name). Mutually exclusive with O(destination_ips).
    type: list
    elements: str
  destination_ips:
    description: Only traffic to these addresses or networks in CIDR form.
    type: list
    elements: str
  destination_port:
    description: Only traffic to this port (or range).
    type: str
"""

EXAMPLES = r"""
- name: Block the IoT network from reaching internal networks
  hybridops.platform.unifi_firewall_policy:
    name: iot-to-internal
    action: block
    source_zone: Internal
    source_networks: [iot]
    destination_zone: Internal

- name: Allow HTTPS from outside to the proxy
  hybridops.platform.unifi_firewall_policy:
    name: https-in
    action: allow
    protocol: tcp
    source_zone: External
    destination_zone: Internal
    destination_ips: [10.10.0.5]
    destination_port: "443"
"""

RETURN = r"""
firewall_policy:
  description: The policy after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000e001
    name: iot-to-internal
    action: BLOCK
    enabled: true
    source:
      zone_id: 65f0c0ffee00000000000z01
      matching_target: NETWORK
      network_ids: [65f0c0ffee0000000000a003]
    destination:
      zone_id: 65f0c0ffee00000000000z01
      matching_target: ANY
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiObjectModule


def _endpoint_default():
    return dict(matching_target="ANY", port_matching_type="ANY", match_opposite_ports=False)


class UnifiFirewallPolicy(UnifiObjectModule):
    endpoint = "firewall-policies"
    api = "v2"
    label = "firewall policy"
    result_key = "firewall_policy"
    unordered_fields = ("network_ids", "ips", "connection_states")
    required_on_create = ("action", "source_zone", "destination_zone")
    create_defaults = dict(
        enabled=True, protocol="all", ip_version="BOTH", logging=False, connection_state_type="ALL",
        connection_states=[], create_allow_respond=False, match_ip_sec=False, match_opposite_protocol=False,
        icmp_typename="ANY", schedule=dict(mode="ALWAYS"), source=_endpoint_default(),
        destination=_endpoint_default(),
    )
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        description=dict(type="str"),
        action=dict(type="str", choices=["allow", "block", "reject"]),
        enabled=dict(type="bool"),
        protocol=dict(type="str"),
        ip_version=dict(type="str", choices=["both", "ipv4", "ipv6"]),
        logging=dict(type="bool"),
        connection_states=dict(type="list", elements="str", choices=["new", "established", "related", "invalid"]),
        source_zone=dict(type="str"),
        source_networks=dict(type="list", elements="str"),
        source_ips=dict(type="list", elements="str"),
        source_port=dict(type="str"),
        destination_zone=dict(type="str"),
        destination_networks=dict(type="list", elements="str"),
        destination_ips=dict(type="list", elements="str"),
        destination_port=dict(type="str"),
    )
    module_kwargs = dict(mutually_exclusive=[("source_networks", "source_ips"),
                                             ("destination_networks", "destination_ips")])

    def zone_id(self, name):
        zones = self.cached("zone", lambda: self.client.v2_list("firewall/zone"))
        for zone in zones:
            if zone.get("name") == name:
                return zone["_id"]
        for zone in zones:
            if (zone.get("zone_key") or "").lower() == name.lower() or (zone.get("name") or "").lower() == name.lower():
                return zone["_id"]
        return self.resolve("zone", name, lambda: zones, label="firewall zone")

    def endpoint_desired(self, side):
        p = self.params
        out = {}
        if p["%s_zone" % side] is not None:
            out["zone_id"] = self.zone_id(p["%s_zone" % side])
        if p["%s_networks" % side] is not None:
            out["matching_target"] = "NETWORK"
            out["network_ids"] = [self.network_id(name) for name in p["%s_networks" % side]]
        if p["%s_ips" % side] is not None:
            out["matching_target"] = "IP"
            out["ips"] = list(p["%s_ips" % side])
        if p["%s_port" % side] is not None:
            out["port_matching_type"] = "SPECIFIC"
            out["port"] = p["%s_port" % side]
        return out

    def desired(self):
        p = self.params
        out = dict(name=p["name"])
        for opt in ("description", "enabled", "protocol", "logging"):
            if p[opt] is not None:
                out[opt] = p[opt]
        if p["action"] is not None:
            out["action"] = p["action"].upper()
        if p["ip_version"] is not None:
            out["ip_version"] = p["ip_version"].upper()
        if p["connection_states"] is not None:
            states = [state.upper() for state in p["connection_states"]]
            out["connection_state_type"] = "CUSTOM" if states else "ALL"
            out["connection_states"] = states
        for side in ("source", "destination"):
            wanted = self.endpoint_desired(side)
            if wanted:
                out[side] = wanted
        return out


def main():
    run(UnifiFirewallPolicy)


if __name__ == "__main__":
    main()
