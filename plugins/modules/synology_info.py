#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_info
short_description: Read system information, shared folders, users, groups and file services of a Synology NAS
version_added: 0.1.0
description:
  - Returns what DSM reports, read-only.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
options:
  gather_subset:
    description: What to read.
    type: list
    elements: str
    choices: [system, shares, users, groups, services]
    default: [system, shares, users, groups, services]
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
"""

EXAMPLES = r"""
- name: What the NAS offers
  hybridops.platform.synology_info:
    gather_subset: [system, services]
  register: nas

- name: SFTP must be on
  ansible.builtin.assert:
    that: nas.services.sftp.enabled
"""

RETURN = r"""
system:
  description: C(SYNO.DSM.Info) C(getinfo) (model, DSM version, serial, uptime).
  returned: when V(system) is in O(gather_subset)
  type: dict
  sample: {model: DS920+, version_string: DSM 7.2.1-69057 Update 5, serial: 2040SBRXXXXXX, uptime: 3600}
shares:
  description: Shared folders (C(name), C(vol_path), C(desc), C(share_quota) in MB, C(recyclebin), C(hidden)).
  returned: when V(shares) is in O(gather_subset)
  type: list
  elements: dict
users:
  description: Local users (C(name), C(description), C(email), C(expired)); never passwords.
  returned: when V(users) is in O(gather_subset)
  type: list
  elements: dict
groups:
  description: Local groups (C(name), C(description), C(gid)).
  returned: when V(groups) is in O(gather_subset)
  type: list
  elements: dict
services:
  description: SFTP and rsync services, as M(hybridops.platform.synology_service) returns them.
  returned: when V(services) is in O(gather_subset)
  type: dict
  sample:
    sftp: {enabled: true, port: 22}
    rsync: {enabled: false}
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyModule

SUBSETS = ["system", "shares", "users", "groups", "services"]


class SynologyInfo(SynologyModule):
    argument_spec = dict(
        gather_subset=dict(type="list", elements="str", default=list(SUBSETS), choices=SUBSETS),
    )

    def execute(self):
        result = dict(changed=False)
        for subset in self.params["gather_subset"]:
            if subset == "system":
                result["system"] = self.client.call("SYNO.DSM.Info", "getinfo", maximum=2)
            elif subset == "shares":
                result["shares"] = self.list_shares()
            elif subset == "users":
                result["users"] = self.list_users()
            elif subset == "groups":
                result["groups"] = self.list_groups()
            else:
                result["services"] = self.read_services()
        self.module.exit_json(**result)


def main():
    run(SynologyInfo)


if __name__ == "__main__":
    main()
