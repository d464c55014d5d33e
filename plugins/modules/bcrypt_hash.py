#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bcrypt_hash
short_description: A bcrypt hash of a password that stays the same while the password does
version_added: 0.1.0
author:
  - HybridOps platform engineering (@hybridops)
description:
  - Returns a bcrypt hash of O(password) for files such as the web configuration of Prometheus, Alertmanager and
    the exporters (C(basic_auth_users)).
  - A new bcrypt hash differs on every call (its salt is random), so a template that used a fresh one would change
    on every run. When O(current_hash) is a bcrypt hash of O(password), it is returned as it is; otherwise a new
    hash is made.
  - Runs on the target, which needs the Python C(bcrypt) library (Debian C(python3-bcrypt)); the controller needs
    neither passlib nor bcrypt. Changes nothing on the host.
options:
  password:
    description: The password, from Ansible Vault.
    type: str
    required: true
  current_hash:
    description: The hash in use now (for example read from the file it is written to); empty when there is none.
    type: str
    default: ""
  rounds:
    description: bcrypt cost factor of a new hash (4 to 31).
    type: int
    default: 10
requirements:
  - bcrypt (Python library on the target)
extends_documentation_fragment:
  - hybridops.platform._read_only
"""

EXAMPLES = r"""
- name: Hash the web password
  hybridops.platform.bcrypt_hash:
    password: "{{ prometheus_web_password }}"
    current_hash: "{{ hash_in_the_current_file | default('') }}"
  register: web_hash
  no_log: true
"""

RETURN = r"""
hash:
  description: The bcrypt hash, O(current_hash) when it still matches O(password).
  type: str
  returned: success
reused:
  description: Whether O(current_hash) was returned.
  type: bool
  returned: success
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import bcrypt

    HAS_BCRYPT = True
    BCRYPT_IMPORT_ERROR = None
except ImportError:
    HAS_BCRYPT = False
    BCRYPT_IMPORT_ERROR = traceback.format_exc()


def keep_or_hash(password, current_hash, rounds, lib):
    """(hash, reused): ``current_hash`` while it matches ``password``, else a new hash with ``rounds``."""
    secret = password.encode("utf-8")
    current = (current_hash or "").encode("utf-8")
    if current:
        try:
            if lib.checkpw(secret, current):
                return current_hash, True
        except ValueError:  # not a bcrypt hash
            pass
    return lib.hashpw(secret, lib.gensalt(rounds=rounds)).decode("ascii"), False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type="str", required=True, no_log=True),
            current_hash=dict(type="str", default=""),
            rounds=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    if not HAS_BCRYPT:
        module.fail_json(msg=missing_required_lib("bcrypt (Debian: python3-bcrypt)"), exception=BCRYPT_IMPORT_ERROR)
    if not 4 <= module.params["rounds"] <= 31:
        module.fail_json(msg="rounds must be between 4 and 31, got %d" % module.params["rounds"])
    digest, reused = keep_or_hash(module.params["password"], module.params["current_hash"], module.params["rounds"],
                                  bcrypt)
    module.exit_json(changed=False, hash=digest, reused=reused)


if __name__ == "__main__":
    main()
