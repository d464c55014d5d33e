#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: synology_service
short_description: Switch the SFTP and rsync file services of a Synology NAS (DSM) on or off
version_added: 0.1.0
description:
  - Sets the SFTP service (C(SYNO.Core.FileServ.FTP.SFTP), Control Panel > File Services > FTP > SFTP) and the
    rsync service (C(SYNO.Backup.Service.NetworkBackup), Control Panel > File Services > rsync).
  - Options left out are not touched.
author:
  - HybridOps platform engineering (@hybridops)
extends_documentation_fragment:
  - hybridops.platform._synology
options:
  sftp_enabled:
    description: Whether the SFTP service runs.
    type: bool
  sftp_port:
    description: TCP port of the SFTP service.
    type: int
  rsync_enabled:
    description: Whether the rsync service runs.
    type: bool
attributes:
  check_mode:
    support: full
    description: Makes no write call; returns the services as they would be.
  diff_mode:
    support: full
    description: Returns the services before and after.
"""

EXAMPLES = r"""
- name: SFTP on for the backup clients, rsync off
  hybridops.platform.synology_service:
    sftp_enabled: true
    sftp_port: 22
    rsync_enabled: false
"""

RETURN = r"""
services:
  description: The services after the task (as they would be, in check mode).
  returned: always
  type: dict
  sample:
    sftp: {enabled: true, port: 22}
    rsync: {enabled: false}
"""

import copy

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import run
from ansible_collections.hybridops.platform.plugins.module_utils._synology import (
    RSYNC,
    SFTP,
    SynologyError,
    SynologyModule,
)


class SynologyService(SynologyModule):
    argument_spec = dict(
        sftp_enabled=dict(type="bool"),
        sftp_port=dict(type="int"),
        rsync_enabled=dict(type="bool"),
    )
    module_kwargs = dict(required_one_of=[("sftp_enabled", "sftp_port", "rsync_enabled")])

    def execute(self):
        p = self.params
        if p["sftp_port"] is not None and not 1 <= p["sftp_port"] <= 65535:
            raise SynologyError("sftp_port must be between 1 and 65535, not %s" % p["sftp_port"])
        before = self.read_services()
        after = copy.deepcopy(before)
        if p["sftp_enabled"] is not None:
            after["sftp"]["enabled"] = p["sftp_enabled"]
        if p["sftp_port"] is not None:
            after["sftp"]["port"] = p["sftp_port"]
        if p["rsync_enabled"] is not None:
            after["rsync"]["enabled"] = p["rsync_enabled"]
        changed = before != after
        if not self.module.check_mode:
            if after["sftp"] != before["sftp"]:
                self.client.call(SFTP, "set", dict(enable=after["sftp"]["enabled"],
                                                   sftp_portnum=after["sftp"]["port"]))
            if after["rsync"] != before["rsync"]:
                self.client.call(RSYNC, "set", dict(enable=after["rsync"]["enabled"]))
        result = dict(changed=changed, services=after)
        if self.module._diff:
            result["diff"] = dict(before=before, after=after)
        self.module.exit_json(**result)


def main():
    run(SynologyService)


if __name__ == "__main__":
    main()
