#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_firewall_group
short_description: Manage UniFi firewall groups (address and port groups)
version_added: 0.1.0
description:
  - Creates, updates or deletes a firewall group of a UniFi Network application, found by its name.
  - Firewall rules and port forwards refer to groups by name (see M(hybridops.platform.unifi_firewall_rule)).
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
  - hybridops.platform._unifi.STATE
options:
  name:
    description: Name of the group; the natural key.
    type: str
    required: true
  group_type:
    description: Kind of group. Required to create one.
    type: str
    choices: [address-group, ipv6-address-group, port-group]
  members:
    description:
      - Addresses or networks (address groups), or ports and port ranges such as V(8000-8100) (port groups).
      - Compared without regard to order.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Admin workstations
  hybridops.platform.unifi_firewall_group:
    name: admins
    group_type: address-group
    members: [10.10.0.10, 10.10.0.11]

- name: Web ports
  hybridops.platform.unifi_firewall_group:
    name: web
    group_type: port-group
    members: ["80", "443"]
"""

RETURN = r"""
firewall_group:
  description: The group after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000b001
    name: admins
    group_type: address-group
    group_members: [10.10.0.10, 10.10.0.11]
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiObjectModule


class UnifiFirewallGroup(UnifiObjectModule):
    endpoint = "rest/firewallgroup"
    label = "firewall group"
    result_key = "firewall_group"
    unordered_fields = ("group_members",)
    create_defaults = dict(group_members=[])
    required_on_create = ("group_type",)
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        group_type=dict(type="str", choices=["address-group", "ipv6-address-group", "port-group"]),
        members=dict(type="list", elements="str"),
    )

    def desired(self):
        p = self.params
        out = dict(name=p["name"])
        if p["group_type"] is not None:
            out["group_type"] = p["group_type"]
        if p["members"] is not None:
            out["group_members"] = list(p["members"])
        return out


def main():
    run(UnifiFirewallGroup)


if __name__ == "__main__":
    main()
