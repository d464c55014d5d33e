# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filter ``unifi_site_errors``: everything wrong with a site's network definitions, before any API call.

Input: a dict with the lists ``networks``, ``dhcp_reservations``, ``port_forwards``, ``wlans``,
``firewall_groups``, ``firewall_rules`` and ``firewall_policies`` (any may be missing), whose items use the option
names of the matching ``hybridops.platform.unifi_*`` modules. Output: a list of messages, empty when the site is
consistent. Items with ``state: absent`` only take part in the duplicate-name checks.

Every object another object refers to by name (a network of a reservation, a group of a rule) must be declared
in the same site definition, so that the check can be complete without asking the controller.
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
PORT_RE = re.compile(r"^\d{1,5}(-\d{1,5})?$")
SECTIONS = ("networks", "dhcp_reservations", "port_forwards", "wlans", "firewall_groups", "firewall_rules",
            "firewall_policies")
RULE_INDEX_RANGES = ((2000, 2999), (4000, 4999))


def _present(item):
    return item.get("state", "present") != "absent"


def _label(section, item, index, key="name"):
    value = item.get(key)
    return "%s '%s'" % (section, value) if value else "%s[%d]" % (section, index)


def _ip(value):
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        return None


def _valid_port(value):
    if value is None:
        return True
    text = str(value)
    if not PORT_RE.match(text):
        return False
    parts = [int(p) for p in text.split("-")]
    return all(1 <= p <= 65535 for p in parts) and parts == sorted(parts)


class _Checker(object):
    def __init__(self, site):
        if not isinstance(site, dict):
            raise AnsibleFilterError("unifi_site_errors expects a dict of lists, got %s" % type(site).__name__)
        self.errors = []
        self.site = {}
        for section in SECTIONS:
            items = site.get(section) or []
            if not isinstance(items, list):
                self.errors.append("%s must be a list, got %s" % (section, type(items).__name__))
                items = []
            bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
            for index in bad:
                self.errors.append("%s[%d] must be a dict" % (section, index))
            self.site[section] = [item for item in items if isinstance(item, dict)]
        self.subnets = {}
        self.subnet_list = []

    def error(self, msg):
        self.errors.append(msg)

    def unique(self, section, key="name", scope=None, normalize=lambda v: v):
        seen = {}
        for index, item in enumerate(self.site[section]):
            value = item.get(key)
            if value in (None, ""):
                self.error("%s[%d]: %s is required" % (section, index, key))
                continue
            ident = (normalize(value), item.get(scope) if scope else None)
            seen.setdefault(ident, []).append(index)
        for (value, scoped), indexes in sorted(seen.items(), key=lambda kv: kv[1][0]):
            if len(indexes) > 1:
                where = " in %s %s" % (scope, scoped) if scope and scoped else ""
                self.error("%s: %s '%s'%s is defined %d times (items %s)"
                           % (section, key, value, where, len(indexes), ", ".join(str(i) for i in indexes)))

    # -- networks --------------------------------------------------------------------------------------------------
    def networks(self):
        self.unique("networks")
        vlans = {}
        for index, net in enumerate(self.site["networks"]):
            if not _present(net):
                continue
            label = _label("networks", net, index)
            vlan = net.get("vlan")
            if vlan is not None:
                try:
                    vlan = int(vlan)
                except (TypeError, ValueError):
                    self.error("%s: vlan '%s' is not a number" % (label, vlan))
                    vlan = None
            if vlan is not None:
                if not 2 <= vlan <= 4009:
                    self.error("%s: vlan %d is outside 2-4009 (UniFi answers api.err.InvalidVlan)" % (label, vlan))
                vlans.setdefault(vlan, []).append(net.get("name"))
            subnet = net.get("subnet")
            if subnet is None:
                if net.get("purpose") != "vlan-only" and (net.get("dhcp_start") or net.get("dhcp_stop")):
                    self.error("%s: a DHCP range needs a subnet" % label)
                continue
            try:
                iface = ipaddress.ip_interface(str(subnet))
            except ValueError:
                self.error("%s: subnet '%s' is not an address with prefix length (like 10.20.0.1/24)" % (label, subnet))
                continue
            if "/" not in str(subnet):
                self.error("%s: subnet '%s' needs a prefix length (like %s/24)" % (label, subnet, subnet))
                continue
            edges = (iface.network.network_address, iface.network.broadcast_address)
            if iface.network.num_addresses > 2 and iface.ip in edges:
                which = "network" if iface.ip == iface.network.network_address else "broadcast"
                self.error("%s: subnet %s names the %s address; UniFi wants the gateway address with the prefix, "
                           "like %s/%d" % (label, subnet, which, iface.network.network_address + 1,
                                           iface.network.prefixlen))
                continue
            self.subnets.setdefault(net.get("name"), iface)
            self.subnet_list.append((net.get("name"), iface))
            self.dhcp_range(label, net, iface)
        for vlan, names in sorted(vlans.items()):
            if len(names) > 1:
                self.error("networks %s %s use VLAN %d"
                           % (", ".join("'%s'" % n for n in names), "both" if len(names) == 2 else "all", vlan))
        items = self.subnet_list
        for i, (name_a, a) in enumerate(items):
            for name_b, b in items[i + 1:]:
                if a.version == b.version and a.network.overlaps(b.network):
                    self.error("networks '%s' (%s) and '%s' (%s) overlap" % (name_a, a.network, name_b, b.network))

    def dhcp_range(self, label, net, iface):
        bounds = []
        for key in ("dhcp_start", "dhcp_stop"):
            value = net.get(key)
            if value is None:
                continue
            addr = _ip(value)
            if addr is None:
                self.error("%s: %s '%s' is not an IP address" % (label, key, value))
            elif addr not in iface.network:
                self.error("%s: %s %s is outside the subnet %s" % (label, key, addr, iface.network))
            elif addr == iface.ip:
                self.error("%s: %s %s is the gateway address" % (label, key, addr))
            else:
                bounds.append(addr)
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            self.error("%s: dhcp_start %s comes after dhcp_stop %s" % (label, bounds[0], bounds[1]))
        if net.get("dhcp_enabled") and (net.get("dhcp_start") is None) != (net.get("dhcp_stop") is None):
            self.error("%s: set both dhcp_start and dhcp_stop, or neither" % label)

    def network_ref(self, label, name, what="network"):
        declared = [n.get("name") for n in self.site["networks"] if _present(n)]
        if name not in declared:
            self.error("%s: %s '%s' is not defined in the site's networks (defined: %s)"
                       % (label, what, name, ", ".join("'%s'" % n for n in declared) or "none"))
            return False
        return True

    def group_ref(self, label, name):
        declared = [g.get("name") for g in self.site["firewall_groups"] if _present(g)]
        if name not in declared:
            self.error("%s: firewall group '%s' is not defined in the site's firewall groups" % (label, name))

    # -- reservations ----------------------------------------------------------------------------------------------
    def reservations(self):
        self.unique("dhcp_reservations", key="mac", normalize=lambda v: str(v).lower().replace("-", ":"))
        taken = {}
        for index, res in enumerate(self.site["dhcp_reservations"]):
            label = "dhcp_reservations '%s'" % res.get("name", res.get("mac")) if res.get("mac") else \
                "dhcp_reservations[%d]" % index
            mac = str(res.get("mac") or "").lower().replace("-", ":")
            if mac and not MAC_RE.match(mac):
                self.error("%s: mac '%s' is not a MAC address (like 52:54:00:12:34:56)" % (label, res.get("mac")))
            if not _present(res):
                continue
            if res.get("ip") is None or res.get("network") is None:
                self.error("%s: ip and network are required" % label)
                continue
            addr = _ip(res["ip"])
            if addr is None:
                self.error("%s: ip '%s' is not an IP address" % (label, res["ip"]))
                continue
            if not self.network_ref(label, res["network"]):
                continue
            iface = self.subnets.get(res["network"])
            if iface is None:
                self.error("%s: network '%s' has no (valid) subnet to reserve %s in" % (label, res["network"], addr))
                continue
            if addr not in iface.network:
                self.error("%s: %s is outside network '%s' (%s)" % (label, addr, res["network"], iface.network))
            elif addr == iface.ip:
                self.error("%s: %s is the gateway address of network '%s'" % (label, addr, res["network"]))
            elif addr in (iface.network.network_address, iface.network.broadcast_address):
                self.error("%s: %s is not a usable host address of %s" % (label, addr, iface.network))
            taken.setdefault(addr, []).append(res.get("name") or mac)
        for addr, owners in sorted(taken.items()):
            if len(owners) > 1:
                self.error("dhcp_reservations: %s is reserved for %s" % (addr, " and ".join("'%s'" % o for o in owners)))

    # -- the rest -----------------------------------------------------------------------------------------------
    def port_forwards(self):
        self.unique("port_forwards")
        for index, fwd in enumerate(self.site["port_forwards"]):
            if not _present(fwd):
                continue
            label = _label("port_forwards", fwd, index)
            if fwd.get("forward_ip") is not None and _ip(fwd["forward_ip"]) is None:
                self.error("%s: forward_ip '%s' is not an IP address" % (label, fwd["forward_ip"]))
            for key in ("dst_port", "forward_port"):
                if not _valid_port(fwd.get(key)):
                    self.error("%s: %s '%s' is not a port or port range" % (label, key, fwd.get(key)))
            if fwd.get("source_firewall_group") is not None:
                self.group_ref(label, fwd["source_firewall_group"])

    def wlans(self):
        self.unique("wlans")
        for index, wlan in enumerate(self.site["wlans"]):
            if not _present(wlan):
                continue
            label = _label("wlans", wlan, index)
            if wlan.get("network") is not None:
                self.network_ref(label, wlan["network"])
            passphrase = wlan.get("passphrase")
            if passphrase is not None and not 8 <= len(str(passphrase)) <= 63:
                self.error("%s: passphrase must be 8 to 63 characters long" % label)

    def firewall_groups(self):
        self.unique("firewall_groups")
        for index, group in enumerate(self.site["firewall_groups"]):
            if not _present(group):
                continue
            label = _label("firewall_groups", group, index)
            kind = group.get("group_type")
            if kind not in ("address-group", "ipv6-address-group", "port-group"):
                self.error("%s: group_type must be address-group, ipv6-address-group or port-group" % label)
                continue
            for member in group.get("members") or []:
                if kind == "port-group":
                    ok = _valid_port(member)
                else:
                    try:
                        net = ipaddress.ip_network(str(member), strict=False)
                        ok = net.version == (6 if kind == "ipv6-address-group" else 4)
                    except ValueError:
                        ok = False
                if not ok:
                    self.error("%s: member '%s' does not fit a %s" % (label, member, kind))

    def firewall_rules(self):
        self.unique("firewall_rules", scope="ruleset")
        indexes = {}
        for index, rule in enumerate(self.site["firewall_rules"]):
            if not _present(rule):
                continue
            label = _label("firewall_rules", rule, index)
            for side in ("src", "dst"):
                if rule.get("%s_network" % side) is not None:
                    self.network_ref(label, rule["%s_network" % side], what="%s_network" % side)
                for group in rule.get("%s_firewall_groups" % side) or []:
                    self.group_ref(label, group)
            if rule.get("rule_index") is not None:
                try:
                    value = int(rule["rule_index"])
                except (TypeError, ValueError):
                    value = -1
                if not any(low <= value <= high for low, high in RULE_INDEX_RANGES):
                    self.error("%s: rule_index %s is outside 2000-2999 and 4000-4999" % (label, rule["rule_index"]))
                else:
                    indexes.setdefault((rule.get("ruleset"), value), []).append(rule.get("name"))
        for (ruleset, value), names in sorted(indexes.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            if len(names) > 1:
                self.error("firewall_rules %s share rule_index %d in %s"
                           % (", ".join("'%s'" % n for n in names), value, ruleset))

    def firewall_policies(self):
        self.unique("firewall_policies")
        for index, policy in enumerate(self.site["firewall_policies"]):
            if not _present(policy):
                continue
            label = _label("firewall_policies", policy, index)
            for side in ("source", "destination"):
                for name in policy.get("%s_networks" % side) or []:
                    self.network_ref(label, name, what="%s_networks entry" % side)
                if policy.get("%s_networks" % side) and policy.get("%s_ips" % side):
                    self.error("%s: set %s_networks or %s_ips, not both" % (label, side, side))

    def run(self):
        self.networks()
        self.reservations()
        self.port_forwards()
        self.wlans()
        self.firewall_groups()
        self.firewall_rules()
        self.firewall_policies()
        return self.errors


def unifi_site_errors(site):
    """Messages for everything inconsistent in ``site``; an empty list when it may be applied."""
    return _Checker(site).run()


class FilterModule(object):
    def filters(self):
        return {"unifi_site_errors": unifi_site_errors}
