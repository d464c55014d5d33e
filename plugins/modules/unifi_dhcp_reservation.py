#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_dhcp_reservation
short_description: Manage fixed IP addresses (DHCP reservations) of UniFi clients
version_added: 0.1.0
description:
  - Gives the client with a MAC address a fixed IP address on a network, through the client ("user") records of a
    UniFi Network application (C(rest/user)).
  - A client the controller has not seen yet is created as a known client.
  - V(absent) turns the fixed address off and keeps the client record (with its name and history); forget a client
    in the console if that is wanted.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
options:
  mac:
    description: MAC address of the client; the natural key. Any case, with colons or dashes.
    type: str
    required: true
  ip:
    description: The fixed address. Must lie in O(network). Required when O(state=present).
    type: str
  network:
    description: Name of the network the address belongs to. Required when O(state=present).
    type: str
  name:
    description: Alias shown for the client in the console.
    type: str
  note:
    description: Note stored with the client.
    type: str
  state:
    description:
      - V(present) sets the fixed address (and O(name), O(note) when given).
      - V(absent) turns the fixed address off.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Makes no write call; returns the client as it would be.
  diff_mode:
    support: full
    description: Returns the client before and after.
"""

EXAMPLES = r"""
- name: Fixed address for the first GPU server
  hybridops.platform.unifi_dhcp_reservation:
    mac: "52:54:00:12:34:56"
    ip: 10.20.0.11
    network: gpu
    name: gpu-01

- name: Release it
  hybridops.platform.unifi_dhcp_reservation:
    mac: "52:54:00:12:34:56"
    state: absent
"""

RETURN = r"""
reservation:
  description: The client record after the task (as it would be, in check mode); C({}) if there is none.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000f001
    mac: "52:54:00:12:34:56"
    name: gpu-01
    use_fixedip: true
    fixed_ip: 10.20.0.11
    network_id: 65f0c0ffee0000000000a001
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiObjectModule, normalize_mac


class UnifiDhcpReservation(UnifiObjectModule):
    endpoint = "rest/user"
    label = "client"
    result_key = "reservation"
    key_param = "mac"
    key_field = "mac"
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        mac=dict(type="str", required=True),
        ip=dict(type="str"),
        network=dict(type="str"),
        name=dict(type="str"),
        note=dict(type="str"),
    )
    module_kwargs = dict(required_if=[("state", "present", ("ip", "network"))])

    def is_match(self, obj):
        return normalize_mac(obj.get("mac") or "") == normalize_mac(self.params["mac"])

    def desired(self):
        p = self.params
        out = dict(use_fixedip=True, fixed_ip=p["ip"], network_id=self.network_id(p["network"]))
        for opt in ("name", "note"):
            if p[opt] is not None:
                out[opt] = p[opt]
        return out

    def create_body(self, desired):
        return dict(desired, mac=normalize_mac(self.params["mac"]))

    def make_absent(self, current):
        if current is None or not current.get("use_fixedip"):
            return False, current
        body = dict(current, use_fixedip=False)
        if self.module.check_mode:
            return True, body
        return True, self.update(current, body, {"use_fixedip": False})


def main():
    run(UnifiDhcpReservation)


if __name__ == "__main__":
    main()
