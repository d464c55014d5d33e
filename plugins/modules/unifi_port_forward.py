#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_port_forward
short_description: Manage UniFi port forwarding rules
version_added: 0.1.0
description:
  - Creates, updates or deletes a port forward (destination NAT from a WAN port to an inside address) of a UniFi
    Network application, found by its name.
  - Port forwards exist only on the classic API; the official Integration API has no endpoint for them.
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
  enabled:
    description: Whether the rule is active.
    type: bool
  protocol:
    description: Protocol forwarded. Defaults to V(tcp_udp) when the rule is created.
    type: str
    choices: [tcp_udp, tcp, udp]
  wan_interface:
    description: Which WAN interface the rule listens on. Defaults to V(wan) when the rule is created.
    type: str
    choices: [wan, wan2, both, all]
  dst_port:
    description: Port (or range, V(8000-8010)) on the WAN side. Required to create a rule.
    type: str
  forward_ip:
    description: Inside address traffic is forwarded to. Required to create a rule.
    type: str
  forward_port:
    description: Port on the inside address. Required to create a rule.
    type: str
  source:
    description: Restrict the rule to this source address or network; V(any) for everyone.
    type: str
  source_firewall_group:
    description:
      - Restrict the rule to the addresses of this firewall group (by name). Replaces O(source) on the controller.
    type: str
  log:
    description: Log forwarded connections.
    type: bool
"""

EXAMPLES = r"""
- name: Forward 443 to the reverse proxy, only from the office addresses
  hybridops.platform.unifi_port_forward:
    name: https-proxy
    protocol: tcp
    dst_port: "443"
    forward_ip: 10.10.0.5
    forward_port: "443"
    source_firewall_group: office
"""

RETURN = r"""
port_forward:
  description: The rule after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000c001
    name: https-proxy
    proto: tcp
    dst_port: "443"
    fwd: 10.10.0.5
    fwd_port: "443"
    pfwd_interface: wan
    src: any
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiObjectModule


class UnifiPortForward(UnifiObjectModule):
    endpoint = "rest/portforward"
    label = "port forward"
    result_key = "port_forward"
    create_defaults = dict(enabled=True, proto="tcp_udp", pfwd_interface="wan", src="any", log=False)
    required_on_create = ("dst_port", "forward_ip", "forward_port")
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        enabled=dict(type="bool"),
        protocol=dict(type="str", choices=["tcp_udp", "tcp", "udp"]),
        wan_interface=dict(type="str", choices=["wan", "wan2", "both", "all"]),
        dst_port=dict(type="str"),
        forward_ip=dict(type="str"),
        forward_port=dict(type="str"),
        source=dict(type="str"),
        source_firewall_group=dict(type="str"),
        log=dict(type="bool"),
    )
    module_kwargs = dict(mutually_exclusive=[("source", "source_firewall_group")])
    simple = dict(name="name", enabled="enabled", protocol="proto", wan_interface="pfwd_interface",
                  dst_port="dst_port", forward_ip="fwd", forward_port="fwd_port", log="log")

    def desired(self):
        p = self.params
        out = dict((field, p[opt]) for opt, field in self.simple.items() if p[opt] is not None)
        if p["source"] is not None:
            out.update(src=p["source"], src_limiting_enabled=p["source"] != "any")
            if p["source"] != "any":
                out["src_limiting_type"] = "ip"
        if p["source_firewall_group"] is not None:
            out.update(src_limiting_enabled=True, src_limiting_type="firewall_group",
                       src_firewall_group_id=self.firewall_group_id(p["source_firewall_group"]))
        return out


def main():
    run(UnifiPortForward)


if __name__ == "__main__":
    main()
