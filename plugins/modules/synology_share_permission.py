#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_share_permission
short_description: Set a user's or a group's access to a shared folder of a Synology NAS (DSM)
version_added: 0.1.0
description:
  - Sets the permission of one local user or group on one shared folder through C(SYNO.Core.Share.Permission),
    as the "Permissions" tab of a shared folder in DSM does. Other users' and groups' permissions are untouched.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
options:
  share:
    description: Name of the shared folder.
    type: str
    required: true
  user:
    description: Local user whose permission is set. Exactly one of O(user) and O(group).
    type: str
  group:
    description: Local group whose permission is set. Exactly one of O(user) and O(group).
    type: str
  access:
    description:
      - V(rw) read/write, V(ro) read only, V(no_access) an explicit deny (wins over the groups' permissions),
        V(none) no explicit permission (the user then gets what its groups allow).
    type: str
    choices: [rw, ro, no_access, none]
    required: true
attributes:
  check_mode:
    support: full
    description: Makes no write call; returns the permission as it would be.
  diff_mode:
    support: full
    description: Returns the permission before and after.
"""

EXAMPLES = r"""
- name: The backup group may write to the backup folder
  hybridops.platform.synology_share_permission:
    share: backup
    group: backup
    access: rw
"""

RETURN = r"""
permission:
  description: The permission after the task (as it would be, in check mode).
  returned: always
  type: dict
  sample:
    share: backup
    group: backup
    access: rw
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyError, SynologyModule

FLAGS = dict(
    rw=dict(is_writable=True, is_readonly=False, is_deny=False),
    ro=dict(is_writable=False, is_readonly=True, is_deny=False),
    no_access=dict(is_writable=False, is_readonly=False, is_deny=True),
    none=dict(is_writable=False, is_readonly=False, is_deny=False),
)


def access_of(item):
    if item.get("is_deny"):
        return "no_access"
    if item.get("is_writable"):
        return "rw"
    if item.get("is_readonly"):
        return "ro"
    return "none"


class SynologySharePermission(SynologyModule):
    argument_spec = dict(
        share=dict(type="str", required=True),
        user=dict(type="str"),
        group=dict(type="str"),
        access=dict(type="str", required=True, choices=sorted(FLAGS)),
    )
    module_kwargs = dict(required_one_of=[("user", "group")], mutually_exclusive=[("user", "group")])

    def execute(self):
        p = self.params
        kind, name = ("user", p["user"]) if p["user"] else ("group", p["group"])
        user_group_type = "local_" + kind
        shares = [share["name"] for share in self.list_shares()]
        known = [u["name"] for u in self.list_users()] if kind == "user" else \
            [g["name"] for g in self.list_groups()]
        current_access = None
        exists = True
        for label, wanted, names in (("shared folder", p["share"], shares), (kind, name, known)):
            if wanted not in names:
                self.missing(label, wanted, names)
                exists = False
        if exists:
            data = self.client.call("SYNO.Core.Share.Permission", "list", dict(
                name=p["share"], user_group_type=user_group_type, action="find", substr=name, offset=0, limit=-1,
                is_unite_permission=False))
            for item in data.get("items") or []:
                if item.get("name") == name:
                    current_access = access_of(item)
            if current_access is None:
                raise SynologyError("DSM did not list the permission of %s '%s' on shared folder '%s'"
                                    % (kind, name, p["share"]), api="SYNO.Core.Share.Permission")
        before = dict(share=p["share"], access=current_access or "none")
        before[kind] = name
        after = dict(before, access=p["access"])
        changed = before["access"] != after["access"]
        if changed and not self.module.check_mode:
            permission = dict(FLAGS[p["access"]], name=name, is_custom=False)
            self.client.call("SYNO.Core.Share.Permission", "set", dict(
                name=p["share"], user_group_type=user_group_type, permissions=[permission]))
        result = dict(changed=changed, permission=after)
        if self.module._diff:
            result["diff"] = dict(before=before, after=after)
        self.module.exit_json(**result)


def main():
    run(SynologySharePermission)


if __name__ == "__main__":
    main()
