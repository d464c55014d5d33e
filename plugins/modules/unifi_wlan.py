#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: unifi_wlan
short_description: Manage UniFi wireless networks (SSIDs)
version_added: 0.1.0
description:
  - Creates, updates or deletes a WLAN of a UniFi Network application, found by its SSID.
  - A new WLAN gets the site's default client group (classic C(rest/usergroup)) and the AP group that holds all
    access points (v2 C(apgroups), UniFi Network 6.0 or later, where AP groups replaced WLAN groups).
  - The client group is required by the controller, so creating a WLAN fails, naming the endpoint, when
    C(rest/usergroup) answers HTTP 404 (not a UniFi Network application, or a wrong O(site)). The AP group is
    optional in the API, so when C(apgroups) answers HTTP 404 (a controller older than Network 6.0) the WLAN is
    created without C(ap_group_ids) and a warning says so.
  - >-
    The passphrase is compared with the controller's copy (admins can read it); it never appears in the output.
    In a diff it shows as C(<passphrase: unchanged>) on both sides, or C(<passphrase: previous value>) and
    C(<passphrase: changed>) when the task changes it.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._unifi
  - hybridops.platform._unifi.STATE
options:
  name:
    description: The SSID; the natural key.
    type: str
    required: true
  passphrase:
    description: WPA passphrase, 8 to 63 characters. Setting it implies O(security=wpapsk) when a WLAN is created.
    type: str
  update_passphrase:
    description:
      - V(always) makes the controller's passphrase match O(passphrase).
      - V(on_create) sets it only when the WLAN is created (someone may rotate it in the console).
    type: str
    choices: [always, on_create]
    default: always
  security:
    description: Security mode. V(wpapsk) when created with a passphrase, V(open) otherwise.
    type: str
    choices: [open, wpapsk, wpaeap]
  wpa_mode:
    description: WPA version (V(wpa2) when created).
    type: str
    choices: [auto, wpa1, wpa2]
  wpa3_support:
    description: Offer WPA3.
    type: bool
  wpa3_transition:
    description: WPA2/WPA3 transition mode.
    type: bool
  network:
    description: Name of the network clients of this WLAN join. Required to create.
    type: str
  enabled:
    description: Whether the WLAN is broadcast.
    type: bool
  hide_ssid:
    description: Do not broadcast the SSID.
    type: bool
  is_guest:
    description: Apply the guest policies to this WLAN.
    type: bool
  bands:
    description: Radio bands the WLAN is offered on.
    type: list
    elements: str
    choices: [2g, 5g, 6g]
"""

EXAMPLES = r"""
- name: Staff WLAN on the corporate network
  hybridops.platform.unifi_wlan:
    name: hybridops-staff
    passphrase: "{{ vault_unifi_wlan_staff_passphrase }}"
    network: corp
    bands: [2g, 5g]
"""

RETURN = r"""
wlan:
  description: The WLAN after the task (as it would be, in check mode) with the passphrase masked; C({}) once absent.
  returned: always
  type: dict
  sample:
    _id: 65f0c0ffee0000000000aa01
    name: hybridops-staff
    security: wpapsk
    wpa_mode: wpa2
    x_passphrase: "********"
    networkconf_id: 65f0c0ffee0000000000a001
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._unifi import UnifiError, UnifiObjectModule


class UnifiWlan(UnifiObjectModule):
    endpoint = "rest/wlanconf"
    label = "WLAN"
    result_key = "wlan"
    unordered_fields = ("wlan_bands",)
    secret_fields = ("x_passphrase",)
    secret_labels = dict(x_passphrase="passphrase")
    required_on_create = ("network",)
    create_defaults = dict(enabled=True, wpa_mode="wpa2", wpa_enc="ccmp", hide_ssid=False, is_guest=False,
                           wlan_bands=["2g", "5g"])
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        passphrase=dict(type="str", no_log=True),
        update_passphrase=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        security=dict(type="str", choices=["open", "wpapsk", "wpaeap"]),
        wpa_mode=dict(type="str", choices=["auto", "wpa1", "wpa2"]),
        wpa3_support=dict(type="bool"),
        wpa3_transition=dict(type="bool"),
        network=dict(type="str"),
        enabled=dict(type="bool"),
        hide_ssid=dict(type="bool"),
        is_guest=dict(type="bool"),
        bands=dict(type="list", elements="str", choices=["2g", "5g", "6g"]),
    )
    simple = dict(name="name", security="security", wpa_mode="wpa_mode", wpa3_support="wpa3_support",
                  wpa3_transition="wpa3_transition", enabled="enabled", hide_ssid="hide_ssid", is_guest="is_guest")

    def desired(self):
        p = self.params
        passphrase = p["passphrase"]
        if passphrase is not None and not 8 <= len(passphrase) <= 63:
            raise UnifiError("passphrase must be 8 to 63 characters long")
        out = dict((field, p[opt]) for opt, field in self.simple.items() if p[opt] is not None)
        if p["network"] is not None:
            out["networkconf_id"] = self.network_id(p["network"])
        if p["bands"] is not None:
            out["wlan_bands"] = list(p["bands"])
        if passphrase is not None and p["update_passphrase"] == "always":
            out["x_passphrase"] = passphrase
        return out

    def create_body(self, desired):
        p = self.params
        body = super(UnifiWlan, self).create_body(desired)
        if p["passphrase"] is not None:
            body["x_passphrase"] = p["passphrase"]
        body.setdefault("security", "wpapsk" if p["passphrase"] is not None else "open")
        if body["security"] == "wpapsk" and not body.get("x_passphrase"):
            raise UnifiError("WLAN '%s' does not exist; creating it with security wpapsk needs a passphrase" % p["name"])
        try:
            groups = self.client.rest_list("rest/usergroup")
        except UnifiError as e:
            if e.status != 404:
                raise
            raise UnifiError(
                "creating WLAN '%s' needs the site's default client group, but GET %s answered HTTP 404: the "
                "classic endpoint rest/usergroup exists on every UniFi Network application version, so check that "
                "%s serves the Network application and that site '%s' exists"
                % (p["name"], self.client.site_path("rest/usergroup"), self.client.base_url, self.client.site),
                status=404, api_msg=e.api_msg)
        default = [g for g in groups if g.get("attr_no_delete")] or groups
        if default:
            body["usergroup_id"] = default[0]["_id"]
        try:
            ap_groups = self.client.v2_list("apgroups")
        except UnifiError as e:
            if e.status != 404:
                raise
            self.module.warn(
                "GET %s answered HTTP 404: AP groups (v2 API endpoint apgroups) need UniFi Network 6.0 or later; "
                "WLAN '%s' is created without ap_group_ids, so the controller applies its own default"
                % (self.client.v2_path("apgroups"), p["name"]))
            ap_groups = []
        all_aps = [g for g in ap_groups if g.get("attr_no_delete")] or ap_groups
        if all_aps:
            body["ap_group_ids"] = [all_aps[0]["_id"]]
        return body


def main():
    run(UnifiWlan)


if __name__ == "__main__":
    main()
