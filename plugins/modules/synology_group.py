#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_group
short_description: Manage local groups of a Synology NAS (DSM)
version_added: 0.1.0
description:
  - Creates, updates or deletes a local DSM group through C(SYNO.Core.Group), found by its name.
  - Members are managed from the user side with M(hybridops.platform.synology_user) O(hybridops.platform.synology_user#module:groups).
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
  - hybridops.platform._synology.STATE
options:
  name:
    description: Name of the group; the natural key.
    type: str
    required: true
  description:
    description: Description of the group.
    type: str
"""

EXAMPLES = r"""
- name: Group of the backup accounts
  hybridops.platform.synology_group:
    name: backup
    description: Backup clients (SFTP)
"""

RETURN = r"""
group:
  description: The group after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    name: backup
    description: Backup clients (SFTP)
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyObjectModule


class SynologyGroup(SynologyObjectModule):
    label = "group"
    result_key = "group"
    create_defaults = dict(description="")
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        description=dict(type="str"),
    )

    def read_current(self):
        for group in self.list_groups():
            if group.get("name") == self.params["name"]:
                return dict(name=group["name"], description=group.get("description", ""))
        return None

    def desired(self):
        out = dict(name=self.params["name"])
        if self.params["description"] is not None:
            out["description"] = self.params["description"]
        return out

    def create(self, body):
        self.client.call("SYNO.Core.Group", "create", dict(name=body["name"], description=body["description"]))

    def update(self, current, body, changes):
        self.client.call("SYNO.Core.Group", "set", dict(name=current["name"], new_name=current["name"],
                                                        description=body["description"]))

    def delete(self, current):
        self.client.call("SYNO.Core.Group", "delete", dict(name=[current["name"]]))


def main():
    run(SynologyGroup)


if __name__ == "__main__":
    main()
