# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  host:
    description:
      - Address of the Synology NAS (DSM), as a host name, C(host:port) or C(https://) URL. Without a port the
        DSM HTTPS port V(5001) is used.
      - Falls back to the E(SYNOLOGY_HOST) environment variable.
    type: str
    required: true
  username:
    description:
      - A DSM account in the C(administrators) group, without 2-step verification (a dedicated service account;
        DSM answers error 403/406 for an account with 2-step verification, and the modules refuse it).
      - Falls back to E(SYNOLOGY_USERNAME).
    type: str
    required: true
  password:
    description:
      - Password of O(username). Falls back to E(SYNOLOGY_PASSWORD).
    type: str
    required: true
  validate_certs:
    description:
      - Verify the NAS's TLS certificate. Keep this on and give O(ca_path) for a NAS with a private CA.
      - Falls back to E(SYNOLOGY_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the NAS's certificate.
      - Falls back to E(SYNOLOGY_CA_PATH).
    type: path
  timeout:
    description: Seconds to wait for each HTTP request.
    type: int
    default: 30
  request_retries:
    description:
      - How many times to repeat a request answered with HTTP 429 or 5xx (or not answered) before failing.
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds before the first retry; each further retry waits twice as long.
    type: float
    default: 1.0
notes:
  - All modules of the C(hybridops.platform.synology) action group share these options, so a play can set them
    once with C(module_defaults).
  - Each task discovers the APIs with C(SYNO.API.Info), logs in with C(SYNO.API.Auth) (session id and SynoToken),
    and logs out when it ends, on failure too. An expired or invalid session (DSM errors 106, 107, 119) is
    opened again once.
"""

    STATE = r"""
options:
  state:
    description:
      - V(present) creates the object or updates the options that were set; options left out are not touched.
      - V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Makes no write call (only the login and logout); returns the object as it would be.
  diff_mode:
    support: full
    description: Returns the object before and after.
"""
