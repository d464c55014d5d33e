#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_user
short_description: Manage local users of a Synology NAS (DSM) and their group membership
version_added: 0.1.0
description:
  - Creates, updates or deletes a local DSM user through C(SYNO.Core.User), found by its name, and manages its
    group membership through C(SYNO.Core.Group.Member).
  - Meant for service accounts such as the user backup clients log in as over SFTP.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
  - hybridops.platform._synology.STATE
options:
  name:
    description: Name of the user; the natural key.
    type: str
    required: true
  user_password:
    description:
      - Password of the user. Required to create one.
      - DSM never returns passwords, so an existing user's password is set only with O(update_password=always).
      - Not O(password), which is the password of the account the module logs in with.
    type: str
  update_password:
    description:
      - V(on_create) sets the password only when the user is created.
      - V(always) sets it on every run; the task then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  description:
    description: Description of the user.
    type: str
  email:
    description: Email address of the user.
    type: str
  groups:
    description:
      - Local groups the user is a member of. The groups must exist (see M(hybridops.platform.synology_group)).
      - Every local user is also in DSM's C(users) group; it need not be listed and is never left.
      - Left out, membership is neither read nor changed.
    type: list
    elements: str
  append:
    description:
      - V(true) adds the user to O(groups) and leaves its other groups alone.
      - V(false) also removes it from every group not in O(groups) (except C(users)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Backup service account
  hybridops.platform.synology_user:
    name: backup
    user_password: "{{ vault_synology_backup_password }}"
    description: restic and pgBackRest over SFTP
    groups: [backup]
"""

RETURN = r"""
user:
  description: The user after the task (as it would be, in check mode), never with its password; C({}) once absent.
  returned: always
  type: dict
  sample:
    name: backup
    description: restic and pgBackRest over SFTP
    email: ""
    groups: [backup, users]
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyError, SynologyObjectModule

DEFAULT_GROUP = "users"


class SynologyUser(SynologyObjectModule):
    label = "user"
    result_key = "user"
    required_on_create = ("user_password",)
    create_defaults = dict(description="", email="")
    unordered_fields = ("groups",)
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        user_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
        description=dict(type="str"),
        email=dict(type="str"),
        groups=dict(type="list", elements="str"),
        append=dict(type="bool", default=True),
    )

    def read_current(self):
        self._groups = None
        self._members = {}
        for user in self.list_users():
            if user.get("name") == self.params["name"]:
                current = dict(name=user["name"], description=user.get("description", ""),
                               email=user.get("email", ""))
                if self.params["groups"] is not None:  # membership is read only when it is managed
                    current["groups"] = self.groups_of(user["name"])
                return current
        return None

    def all_groups(self):
        if self._groups is None:
            self._groups = sorted(group["name"] for group in self.list_groups())
        return self._groups

    def groups_of(self, user):
        """The groups ``user`` belongs to: only the ones this task looks at, unless ``append`` is false."""
        wanted = set(self.params["groups"] or [])
        names = self.all_groups() if not self.params["append"] else \
            [name for name in self.all_groups() if name in wanted]
        found = []
        for name in names:
            if name not in self._members:
                self._members[name] = self.group_members(name)
            if user in self._members[name]:
                found.append(name)
        return sorted(found)

    def desired(self):
        p = self.params
        out = dict(name=p["name"])
        for option in ("description", "email"):
            if p[option] is not None:
                out[option] = p[option]
        if p["groups"] is not None:
            known = self.all_groups()
            groups = set(p["groups"])
            for name in sorted(groups - set(known)):
                self.missing("group", name, known)
            if not p["append"] and DEFAULT_GROUP in known:
                groups.add(DEFAULT_GROUP)
            out["groups"] = sorted(groups)
        return out

    def make_present(self, current):
        changed, after, changes = super(SynologyUser, self).make_present(current)
        if current is not None and self.params["update_password"] == "always":
            if self.params["user_password"] is None:
                raise SynologyError("update_password=always needs user_password")
            if not self.module.check_mode:
                fields = dict(name=current["name"], password=self.params["user_password"])
                self.client.call("SYNO.Core.User", "set", fields)
            changed = True
        return changed, after, changes

    def create(self, body):
        self.client.call("SYNO.Core.User", "create", dict(
            name=body["name"], password=self.params["user_password"], description=body["description"],
            email=body["email"], expired="normal", cannot_chg_passwd=False, passwd_never_expire=True,
            notify_by_email=False, send_password=False))
        if body.get("groups"):
            self.change_groups(body["name"], [], body["groups"])

    def update(self, current, body, changes):
        fields = dict((key, changes[key]) for key in ("description", "email") if key in changes)
        if fields:
            self.client.call("SYNO.Core.User", "set", dict(fields, name=current["name"]))
        if "groups" in changes:
            self.change_groups(current["name"], current["groups"], body["groups"])

    def change_groups(self, user, before, after):
        for group in sorted(set(after) - set(before)):
            if group == DEFAULT_GROUP and not before:
                continue  # DSM puts every new user in it
            self.client.call("SYNO.Core.Group.Member", "change", dict(group=group, add_member=[user],
                                                                      remove_member=[]))
        for group in sorted(set(before) - set(after) - {DEFAULT_GROUP}):
            self.client.call("SYNO.Core.Group.Member", "change", dict(group=group, add_member=[],
                                                                      remove_member=[user]))

    def delete(self, current):
        self.client.call("SYNO.Core.User", "delete", dict(name=current["name"]))


def main():
    run(SynologyUser)


if __name__ == "__main__":
    main()
