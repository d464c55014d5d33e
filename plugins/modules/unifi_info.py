#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_info
short_description: Read sites, networks, devices, clients and more from a UniFi Network application
version_added: 0.1.0
description:
  - Returns what the controller knows, read-only. Secret fields (UniFi names them C(x_*), such as WLAN passphrases)
    are masked.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
options:
  gather_subset:
    description: What to read.
    type: list
    elements: str
    choices: [sites, networks, devices, clients, wlans, firewall_groups, firewall_rules, firewall_policies,
              port_forwards, known_clients]
    default: [sites, networks, devices, clients]
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: What is on the site
  hybridops.platform.unifi_info:
    gather_subset: [networks, clients]
  register: unifi

- name: Addresses of the active clients
  ansible.builtin.debug:
    msg: "{{ unifi.clients | map(attribute='ip') | list }}"
"""

RETURN = r"""
sites:
  description: Sites the account can see (C(name) is the short name used as O(site)).
  returned: when V(sites) is in O(gather_subset)
  type: list
  elements: dict
networks:
  description: Networks of the site.
  returned: when V(networks) is in O(gather_subset)
  type: list
  elements: dict
devices:
  description: Adopted devices (gateway, switches, access points) with their state.
  returned: when V(devices) is in O(gather_subset)
  type: list
  elements: dict
clients:
  description: Clients connected now.
  returned: when V(clients) is in O(gather_subset)
  type: list
  elements: dict
known_clients:
  description: Every client the controller remembers, including fixed IP settings.
  returned: when V(known_clients) is in O(gather_subset)
  type: list
  elements: dict
wlans:
  description: WLANs of the site, passphrases masked.
  returned: when V(wlans) is in O(gather_subset)
  type: list
  elements: dict
firewall_groups:
  description: Firewall groups.
  returned: when V(firewall_groups) is in O(gather_subset)
  type: list
  elements: dict
firewall_rules:
  description: Classic firewall rules.
  returned: when V(firewall_rules) is in O(gather_subset)
  type: list
  elements: dict
firewall_policies:
  description: Zone-based firewall policies (v2 API).
  returned: when V(firewall_policies) is in O(gather_subset)
  type: list
  elements: dict
port_forwards:
  description: Port forwarding rules.
  returned: when V(port_forwards) is in O(gather_subset)
  type: list
  elements: dict
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiModule, mask_secrets

SUBSETS = dict(
    networks="rest/networkconf", devices="stat/device", clients="stat/sta", known_clients="rest/user",
    wlans="rest/wlanconf", firewall_groups="rest/firewallgroup", firewall_rules="rest/firewallrule",
    port_forwards="rest/portforward",
)


class UnifiInfo(UnifiModule):
    argument_spec = dict(
        gather_subset=dict(type="list", elements="str", default=["sites", "networks", "devices", "clients"],
                           choices=["sites"] + sorted(SUBSETS) + ["firewall_policies"]),
    )

    def execute(self):
        result = dict(changed=False)
        for subset in self.params["gather_subset"]:
            if subset == "sites":
                data = self.client.call("GET", self.client.global_path("self/sites"))
            elif subset == "firewall_policies":
                data = self.client.v2_list("firewall-policies")
            else:
                data = self.client.rest_list(SUBSETS[subset])
            result[subset] = mask_secrets(data)
        self.module.exit_json(**result)


def main():
    run(UnifiInfo)


if __name__ == "__main__":
    main()
