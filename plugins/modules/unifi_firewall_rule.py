#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_firewall_rule
short_description: Manage classic UniFi firewall rules (rulesets such as LAN_IN, WAN_IN)
version_added: 0.1.0
description:
  - Creates, updates or deletes a rule of the classic (ruleset based) firewall of a UniFi Network application,
    found by its name (and O(ruleset) when given).
  - Networks and firewall groups are referred to by name and resolved to their ids.
  - On a site migrated to the zone-based firewall (Network 9+) the controller refuses these writes; use
    M(hybridops.platform.unifi_firewall_policy) there.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
  - hybridops.platform._unifi.STATE
options:
  name:
    description: Name of the rule; the natural key.
    type: str
    required: true
  ruleset:
    description:
      - Ruleset the rule belongs to. Required to create a rule. When set, only rules of this ruleset match O(name).
    type: str
    choices: [WAN_IN, WAN_OUT, WAN_LOCAL, LAN_IN, LAN_OUT, LAN_LOCAL, GUEST_IN, GUEST_OUT, GUEST_LOCAL]
  rule_index:
    description: Position of the rule; user rules live in 2000-2999 (before) and 4000-4999 (after the defaults).
    type: int
  action:
    description: What happens to matching traffic. Required to create a rule.
    type: str
    choices: [accept, drop, reject]
  protocol:
    description: Protocol matched, such as V(all), V(tcp), V(udp), V(tcp_udp), V(icmp). V(all) when created.
    type: str
  enabled:
    description: Whether the rule is active.
    type: bool
  logging:
    description: Log matching packets.
    type: bool
  src_network:
    description: Match traffic from this network (by name).
    type: str
  dst_network:
    description: Match traffic to this network (by name).
    type: str
  src_address:
    description: Match traffic from this address.
    type: str
  dst_address:
    description: Match traffic to this address.
    type: str
  src_firewall_groups:
    description: Match traffic from these firewall groups (by name).
    type: list
    elements: str
  dst_firewall_groups:
    description: Match traffic to these firewall groups (by name; at most one address and one port group).
    type: list
    elements: str
  dst_port:
    description: Destination port or range.
    type: str
  state_established:
    description: Match established connections.
    type: bool
  state_related:
    description: Match related connections.
    type: bool
  state_new:
    description: Match new connections.
    type: bool
  state_invalid:
    description: Match invalid packets.
    type: bool
"""

EXAMPLES = r"""
- name: Let admin workstations reach the GPU network
  hybridops.platform.unifi_firewall_rule:
    name: admins-to-gpu
    ruleset: LAN_IN
    rule_index: 2000
    action: accept
    src_firewall_groups: [admins]
    dst_network: gpu

- name: Drop everything else into the GPU network
  hybridops.platform.unifi_firewall_rule:
    name: drop-to-gpu
    ruleset: LAN_IN
    rule_index: 2010
    action: drop
    dst_network: gpu
"""

RETURN = r"""
firewall_rule:
  description: The rule after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000d001
    name: drop-to-gpu
    ruleset: LAN_IN
    rule_index: 2010
    action: drop
    dst_networkconf_id: 65f0c0ffee0000000000a001
    dst_networkconf_type: NETv4
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiObjectModule

RULESETS = ["WAN_IN", "WAN_OUT", "WAN_LOCAL", "LAN_IN", "LAN_OUT", "LAN_LOCAL", "GUEST_IN", "GUEST_OUT", "GUEST_LOCAL"]


class UnifiFirewallRule(UnifiObjectModule):
    endpoint = "rest/firewallrule"
    label = "firewall rule"
    result_key = "firewall_rule"
    unordered_fields = ("src_firewallgroup_ids", "dst_firewallgroup_ids")
    required_on_create = ("ruleset", "rule_index", "action")
    create_defaults = dict(
        enabled=True, protocol="all", protocol_match_excepted=False, logging=False,
        src_firewallgroup_ids=[], dst_firewallgroup_ids=[], src_mac_address="",
        src_networkconf_id="", src_networkconf_type="NETv4", dst_networkconf_id="", dst_networkconf_type="NETv4",
        src_address="", dst_address="", dst_port="", icmp_typename="",
        state_established=False, state_related=False, state_new=False, state_invalid=False,
    )
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        ruleset=dict(type="str", choices=RULESETS),
        rule_index=dict(type="int"),
        action=dict(type="str", choices=["accept", "drop", "reject"]),
        protocol=dict(type="str"),
        enabled=dict(type="bool"),
        logging=dict(type="bool"),
        src_network=dict(type="str"),
        dst_network=dict(type="str"),
        src_address=dict(type="str"),
        dst_address=dict(type="str"),
        src_firewall_groups=dict(type="list", elements="str"),
        dst_firewall_groups=dict(type="list", elements="str"),
        dst_port=dict(type="str"),
        state_established=dict(type="bool"),
        state_related=dict(type="bool"),
        state_new=dict(type="bool"),
        state_invalid=dict(type="bool"),
    )
    simple = ("name", "ruleset", "rule_index", "action", "protocol", "enabled", "logging", "src_address",
              "dst_address", "dst_port", "state_established", "state_related", "state_new", "state_invalid")

    def is_match(self, obj):
        if obj.get("name") != self.params["name"]:
            return False
        return self.params["ruleset"] is None or obj.get("ruleset") == self.params["ruleset"]

    def desired(self):
        p = self.params
        out = dict((opt, p[opt]) for opt in self.simple if p[opt] is not None)
        for side in ("src", "dst"):
            network = p["%s_network" % side]
            if network is not None:
                out["%s_networkconf_id" % side] = self.network_id(network)
                out["%s_networkconf_type" % side] = "NETv4"
            groups = p["%s_firewall_groups" % side]
            if groups is not None:
                out["%s_firewallgroup_ids" % side] = [self.firewall_group_id(name) for name in groups]
        return out


def main():
    run(UnifiFirewallRule)


if __name__ == "__main__":
    main()
