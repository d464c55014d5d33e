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
      - Address of the UniFi OS console (UDM Pro) or controller, as a host name, C(host:port) or C(https://) URL.
      - Falls back to the E(UNIFI_HOST) environment variable.
    type: str
    required: true
  username:
    description:
      - A local admin account of the console. Cloud (SSO/MFA) accounts cannot log in through the API.
      - Required with O(password) unless O(api_key) is set.
      - Falls back to E(UNIFI_USERNAME).
    type: str
  password:
    description:
      - Password of O(username). Falls back to E(UNIFI_PASSWORD).
    type: str
  api_key:
    description:
      - API key created in the UniFi OS console, sent as C(X-API-KEY). No login and no CSRF token are needed.
      - Takes precedence over O(username)/O(password) when both are given.
      - Whether a key is accepted on the classic C(/proxy/network/api) paths depends on the firmware.
      - Falls back to E(UNIFI_API_KEY).
    type: str
  site:
    description:
      - Site name as it appears in API paths (the short name, V(default) for the first site).
      - Falls back to E(UNIFI_SITE).
    type: str
    default: default
  validate_certs:
    description:
      - Verify the console's TLS certificate. Keep this on and give O(ca_path) for a console with a private CA.
      - Falls back to E(UNIFI_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the console's certificate.
      - Falls back to E(UNIFI_CA_PATH).
    type: path
  controller_type:
    description:
      - V(auto) detects the controller with C(GET /) (200 means UniFi OS, a redirect a legacy controller).
      - V(unifi_os) or V(legacy) skip the detection request.
    type: str
    choices: [auto, unifi_os, legacy]
    default: auto
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
      - Seconds before the first retry; each further retry waits twice as long. A short C(Retry-After) header wins.
    type: float
    default: 1.0
notes:
  - All modules of the C(hybridops.platform.unifi) action group share these options, so a play can set them once
    with C(module_defaults).
  - With O(username)/O(password) every task logs in once. The console rate limits logins (HTTP 429); the modules
    back off and retry, but an API key avoids the logins altogether.
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
    description: Makes no write call; returns the object as it would be.
  diff_mode:
    support: full
    description: Returns the object before and after.
"""
