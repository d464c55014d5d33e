#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_share
short_description: Manage shared folders of a Synology NAS (DSM)
version_added: 0.1.0
description:
  - Creates, updates or deletes a shared folder through C(SYNO.Core.Share), found by its name.
  - Moving a shared folder to another volume is refused (DSM does that as a long-running job in its UI).
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
  - hybridops.platform._synology.STATE
options:
  name:
    description: Name of the shared folder; the natural key.
    type: str
    required: true
  vol_path:
    description: Volume the folder lives on, such as V(/volume1). Required to create one.
    type: str
  description:
    description: Description shown in DSM.
    type: str
  quota_mb:
    description:
      - Quota of the shared folder in MB; V(0) means none.
      - DSM offers shared folder quotas on Btrfs volumes only; on another volume DSM refuses a quota other than 0.
    type: int
  recycle_bin:
    description: Whether the folder has a recycle bin.
    type: bool
  hidden:
    description: Hide the folder from "My Network Places" (SMB browsing).
    type: bool
"""

EXAMPLES = r"""
- name: Backup target folder
  hybridops.platform.synology_share:
    name: backup
    vol_path: /volume1
    description: restic and pgBackRest repositories
    quota_mb: 2097152
    recycle_bin: false
"""

RETURN = r"""
share:
  description: The shared folder after the task (as it would be, in check mode); C({}) once absent.
  returned: always
  type: dict
  sample:
    name: backup
    vol_path: /volume1
    description: restic and pgBackRest repositories
    quota_mb: 2097152
    recycle_bin: false
    hidden: false
"""

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyError, SynologyObjectModule


def share_view(raw):
    return dict(name=raw.get("name"), vol_path=raw.get("vol_path"), description=raw.get("desc", ""),
                quota_mb=int(raw.get("share_quota") or 0), recycle_bin=bool(raw.get("recyclebin")),
                hidden=bool(raw.get("hidden")))


class SynologyShare(SynologyObjectModule):
    label = "shared folder"
    result_key = "share"
    required_on_create = ("vol_path",)
    create_defaults = dict(description="", quota_mb=0, recycle_bin=True, hidden=False)
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        vol_path=dict(type="str"),
        description=dict(type="str"),
        quota_mb=dict(type="int"),
        recycle_bin=dict(type="bool"),
        hidden=dict(type="bool"),
    )

    def read_current(self):
        for share in self.list_shares():
            if share.get("name") == self.params["name"]:
                return share_view(share)
        return None

    def desired(self):
        p = self.params
        if p["quota_mb"] is not None and p["quota_mb"] < 0:
            raise SynologyError("quota_mb must be 0 (no quota) or more, not %s" % p["quota_mb"])
        out = dict(name=p["name"])
        for option in ("vol_path", "description", "quota_mb", "recycle_bin", "hidden"):
            if p[option] is not None:
                out[option] = p[option]
        return out

    def validate_change(self, current, changes):
        if "vol_path" in changes:
            raise SynologyError("shared folder '%s' is on %s, not %s; moving it to another volume is not done by "
                                "this module (use DSM's Control Panel)" % (current["name"], current["vol_path"],
                                                                           changes["vol_path"]))

    @staticmethod
    def shareinfo(body):
        return dict(name=body["name"], vol_path=body["vol_path"], desc=body["description"],
                    share_quota=body["quota_mb"], enable_recycle_bin=body["recycle_bin"], hidden=body["hidden"])

    def create(self, body):
        self.client.call("SYNO.Core.Share", "create", dict(name=body["name"], shareinfo=self.shareinfo(body)))

    def update(self, current, body, changes):
        self.client.call("SYNO.Core.Share", "set", dict(name=current["name"], shareinfo=self.shareinfo(body)))

    def delete(self, current):
        self.client.call("SYNO.Core.Share", "delete", dict(name=[current["name"]]))


def main():
    run(SynologyShare)


if __name__ == "__main__":
    main()
