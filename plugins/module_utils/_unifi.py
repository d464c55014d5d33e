# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one UniFi Network API client of this collection, and the base class its modules are built on.

Private to the collection. Modules add an argument spec and a few class attributes; everything that talks HTTP
lives here and in ``_http.py``.

Authentication
  * ``api_key``: header ``X-API-KEY``; UniFi OS only, no login, no CSRF.
  * ``username``/``password``: a local admin. On UniFi OS ``POST /api/auth/login`` sets the ``TOKEN`` cookie and
    answers an ``X-CSRF-Token`` header; every non-GET request carries that token, replaced whenever a reply
    carries ``X-Updated-Csrf-Token``. A legacy controller (``GET /`` answers a redirect) logs in at
    ``/api/login`` and has no ``/proxy/network`` prefix. A 401 on an established session, or a 403
    ``api.err.InvalidCSRFToken``, logs in again once and repeats the request. The session is closed when the
    module ends, on failure too (``POST /api/auth/logout``, legacy ``/api/logout``); an API key has none.

Write calls
  The login ``POST`` is the only non-GET request a module makes in check mode.
"""

from __future__ import annotations

import base64
import copy
import json

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import ApiModule, ApiObjectModule
from ansible_collections.hybridops.platform.plugins.module_utils._http import (
    HttpApiError,
    JsonHttpClient,
)

MASK = "********"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def unifi_argument_spec():
    """Connection options shared by every UniFi module (documented in doc_fragments/_unifi.py)."""
    return dict(
        host=dict(type="str", required=True, fallback=(env_fallback, ["UNIFI_HOST"])),
        username=dict(type="str", fallback=(env_fallback, ["UNIFI_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["UNIFI_PASSWORD"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["UNIFI_API_KEY"])),
        site=dict(type="str", default="default", fallback=(env_fallback, ["UNIFI_SITE"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["UNIFI_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["UNIFI_CA_PATH"])),
        controller_type=dict(type="str", default="auto", choices=["auto", "unifi_os", "legacy"]),
        timeout=dict(type="int", default=30),
        request_retries=dict(type="int", default=3),
        retry_backoff=dict(type="float", default=1.0),
    )


UNIFI_REQUIRED_TOGETHER = [("username", "password")]
UNIFI_REQUIRED_ONE_OF = [("api_key", "username")]


class UnifiError(Exception):
    def __init__(self, msg, status=None, api_msg=None):
        super(UnifiError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.api_msg = api_msg


def api_error_message(response):
    """The controller's own words for a failed request: ``meta.msg`` (classic), ``message``/``code`` (v2)."""
    body = response.json
    if isinstance(body, dict):
        meta = body.get("meta")
        if isinstance(meta, dict) and meta.get("msg"):
            invalid = meta.get("validationError")
            if isinstance(invalid, dict) and invalid.get("field"):
                return "%s (field %s)" % (to_native(meta["msg"]), to_native(invalid["field"]))
            return to_native(meta["msg"])
        for key in ("message", "msg", "error", "code", "errorCode"):
            if body.get(key):
                return to_native(body[key])
    text = (response.text or "").strip()
    return text[:200] if text else None


def _csrf_rejected(response):
    """A 403 that is about the CSRF token, not the account's permissions."""
    return response.status == 403 and "csrf" in (api_error_message(response) or "").lower()


def _jwt_csrf(token):
    """The csrfToken claim of a UniFi OS TOKEN cookie (a JWT); None when it is not one."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload.encode("ascii"))).get("csrfToken")
    except Exception:
        return None


class UnifiClient(JsonHttpClient):
    """Session or API-key access to one site of a UniFi Network application."""

    def __init__(self, host, username=None, password=None, api_key=None, site="default", controller_type="auto",
                 **kwargs):
        base = host if "://" in host else "https://" + host
        super(UnifiClient, self).__init__(base, **kwargs)
        self.username = username
        self.password = password
        self.api_key = api_key
        self.site = site
        self.csrf = None
        self.logged_in = False
        self.legacy = {"auto": None, "unifi_os": False, "legacy": True}[controller_type]
        if api_key and self.legacy is None:
            self.legacy = False  # API keys exist on UniFi OS only

    @classmethod
    def from_params(cls, params):
        return cls(
            params["host"], username=params.get("username"), password=params.get("password"),
            api_key=params.get("api_key"), site=params.get("site") or "default",
            controller_type=params.get("controller_type") or "auto",
            validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
            timeout=params.get("timeout") or 30,
            retries=3 if params.get("request_retries") is None else params["request_retries"],
            backoff=1.0 if params.get("retry_backoff") is None else params["retry_backoff"],
        )

    # -- transport hooks -----------------------------------------------------------------------------------------
    def auth_headers(self, method):
        if self.api_key:
            return {"X-API-KEY": self.api_key}
        if method != "GET" and self.csrf:
            return {"X-CSRF-Token": self.csrf}
        return {}

    def after_response(self, response):
        updated = response.header("X-Updated-Csrf-Token")
        if updated:
            self.csrf = updated

    # -- paths ---------------------------------------------------------------------------------------------------
    @property
    def prefix(self):
        if self.legacy is None:
            self.detect()  # paths depend on the kind of controller
        return "" if self.legacy else "/proxy/network"

    def site_path(self, path):
        return "%s/api/s/%s/%s" % (self.prefix, self.site, path.lstrip("/"))

    def v2_path(self, path):
        return "%s/v2/api/site/%s/%s" % (self.prefix, self.site, path.lstrip("/"))

    def global_path(self, path):
        return "%s/api/%s" % (self.prefix, path.lstrip("/"))

    # -- session -------------------------------------------------------------------------------------------------
    def _request(self, method, path, body=None, **kwargs):
        try:
            return self.request(method, path, body=body, **kwargs)
        except HttpApiError as e:
            raise UnifiError(e.msg)

    def detect(self):
        """Decide between UniFi OS and a legacy controller (GET / answers 200 or a redirect)."""
        if self.legacy is not None:
            return
        response = self._request("GET", "/", follow_redirects="none")
        if response.status in REDIRECT_STATUSES:
            self.legacy = True
        elif response.status == 200:
            self.legacy = False
        else:
            raise UnifiError("cannot tell which controller answers at %s: GET / returned HTTP %s"
                             % (self.base_url, response.status), status=response.status)

    def login(self):
        self.detect()
        self.cookies.clear()
        self.csrf = None
        path = "/api/login" if self.legacy else "/api/auth/login"
        response = self._request("POST", path, body={"username": self.username, "password": self.password})
        if response.status == 429:
            raise UnifiError(
                "login as user '%s' is rate limited by the controller (HTTP 429: %s) after %d retries; wait a few "
                "minutes, or use an API key" % (self.username, api_error_message(response), self.retries), status=429)
        if response.status in (400, 401, 403):
            raise UnifiError(
                "login as user '%s' was rejected (HTTP %s: %s): check username/password; cloud (SSO/MFA) accounts "
                "cannot log in here, use a local admin or an API key"
                % (self.username, response.status, api_error_message(response)), status=response.status)
        if response.status >= 300:
            raise UnifiError("login at %s%s failed: HTTP %s: %s"
                             % (self.base_url, path, response.status, api_error_message(response)),
                             status=response.status)
        self.csrf = (response.header("X-CSRF-Token") or response.header("X-Updated-Csrf-Token")
                     or _jwt_csrf(self.cookies.get("TOKEN", "")) or self.cookies.get("csrf_token"))
        self.logged_in = True

    def logout(self):
        """Close the session, if one was opened. Best effort: a failed logout never fails the task."""
        if self.api_key or not self.logged_in:
            return True
        path = "/api/logout" if self.legacy else "/api/auth/logout"
        try:
            response = self.request("POST", path, body={}, retry=False)
            closed = response.status < 400
        except HttpApiError:
            closed = False
        self.logged_in = False
        self.cookies.clear()
        self.csrf = None
        return closed

    def _ensure_session(self):
        if self.api_key:
            self.detect()
        elif not self.logged_in:
            self.login()

    def _auth_error(self, method, path, response):
        what = "the API key" if self.api_key else "user '%s'" % self.username
        reason = api_error_message(response)
        if response.status == 401:
            return UnifiError("%s was not accepted for %s %s (HTTP 401: %s)" % (what, method, path, reason), status=401,
                              api_msg=reason)
        return UnifiError("%s is not allowed to %s %s (HTTP 403: %s); check the account's role on site '%s'"
                          % (what, method, path, reason, self.site), status=403, api_msg=reason)

    def call(self, method, path, body=None, envelope=True):
        """One API call, authenticated. Classic replies are unwrapped to their ``data`` list (``envelope``)."""
        self._ensure_session()
        response = self._request(method, path, body=body)
        if not self.api_key and (response.status == 401 or _csrf_rejected(response)):
            # The session expired (or the controller restarted), or the CSRF token went stale: log in once more
            # and repeat the request. A session refused for its CSRF token is still open: close it first.
            if response.status == 403:
                self.logout()
            self.logged_in = False
            self.login()
            response = self._request(method, path, body=body)
        if _csrf_rejected(response):
            raise UnifiError(
                "the controller rejected the CSRF token (X-CSRF-Token) of user '%s' for %s %s even after a fresh "
                "login (HTTP 403: %s); a proxy in between may drop the X-CSRF-Token/X-Updated-Csrf-Token headers"
                % (self.username, method, path, api_error_message(response)), status=403,
                api_msg=api_error_message(response))
        if response.status in (401, 403):
            raise self._auth_error(method, path, response)
        if response.status >= 400:
            reason = api_error_message(response)
            raise UnifiError("%s %s failed: HTTP %s: %s" % (method, path, response.status, reason),
                             status=response.status, api_msg=reason)
        if response.status >= 300:
            raise UnifiError("%s %s answered an unexpected redirect (HTTP %s)" % (method, path, response.status),
                             status=response.status)
        payload = response.json
        if response.text and payload is None:
            raise UnifiError("%s %s did not answer JSON: %s" % (method, path, response.text[:200]))
        if not envelope:
            return payload
        if payload is None:
            return []
        meta = payload.get("meta") if isinstance(payload, dict) else None
        if isinstance(meta, dict) and meta.get("rc") == "error":
            raise UnifiError("%s %s failed: %s" % (method, path, meta.get("msg")), status=response.status,
                             api_msg=meta.get("msg"))
        if isinstance(payload, dict) and "data" in payload:
            return payload["data"]
        return payload

    # -- convenience -------------------------------------------------------------------------------------------
    def rest_list(self, endpoint):
        return self.call("GET", self.site_path(endpoint)) or []

    def v2_list(self, endpoint):
        data = self.call("GET", self.v2_path(endpoint), envelope=False)
        if isinstance(data, dict) and "data" in data:
            data = data["data"]
        return data or []


# ------------------------------------------------------------------------------------------------------------------
# comparison helpers
# ------------------------------------------------------------------------------------------------------------------
def _scalar(value):
    if isinstance(value, bool):
        return value
    if value is None:
        return ""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return to_native(value)


def values_equal(want, have, unordered=False):
    if isinstance(want, dict) or isinstance(have, dict):
        return isinstance(want, dict) and isinstance(have, dict) and not differences(want, have) and \
            not differences(have, want)
    if isinstance(want, (list, tuple)) or isinstance(have, (list, tuple)):
        want_l = list(want or [])
        have_l = list(have or [])
        if len(want_l) != len(have_l):
            return False
        if unordered:
            want_l = sorted(want_l, key=lambda v: json.dumps(v, sort_keys=True, default=str))
            have_l = sorted(have_l, key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return all(values_equal(w, h) for w, h in zip(want_l, have_l))
    return _scalar(want) == _scalar(have)


def differences(desired, current, unordered=()):
    """The part of ``desired`` that ``current`` does not already have. Keys absent from desired are ignored."""
    out = {}
    current = current if isinstance(current, dict) else {}
    for key, want in desired.items():
        have = current.get(key)
        if isinstance(want, dict) and isinstance(have, dict):
            sub = differences(want, have, unordered)
            if sub:
                out[key] = sub
        elif not values_equal(want, have, key in unordered):
            out[key] = want
    return out


def deep_merge(base, override):
    merged = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def mask_secrets(obj, secret_fields=()):
    """A copy for output: UniFi's ``x_*`` fields and the module's own secret fields replaced by a mask."""
    if isinstance(obj, list):
        return [mask_secrets(item, secret_fields) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if (key.startswith("x_") or key in secret_fields) and value not in (None, ""):
            out[key] = MASK
        else:
            out[key] = mask_secrets(value, secret_fields)
    return out


def normalize_mac(mac):
    return mac.strip().lower().replace("-", ":")


# ------------------------------------------------------------------------------------------------------------------
# module base class
# ------------------------------------------------------------------------------------------------------------------
class UnifiModule(ApiModule):
    """An AnsibleModule plus a client (``_api_module.ApiModule``), with name → id resolution shared by every UniFi
    module."""

    client_class = UnifiClient
    error_class = UnifiError

    def __init__(self):
        super(UnifiModule, self).__init__()
        self._lists = {}

    def connection_argument_spec(self):
        return unifi_argument_spec()

    def module_options(self, kwargs):
        kwargs["required_together"] = UNIFI_REQUIRED_TOGETHER + list(kwargs.get("required_together", []))
        kwargs["required_one_of"] = UNIFI_REQUIRED_ONE_OF + list(kwargs.get("required_one_of", []))
        return kwargs

    def error_result(self, error):
        return dict(msg=error.msg, status=error.status, api_msg=error.api_msg)

    # -- lookups -------------------------------------------------------------------------------------------------
    def cached(self, kind, loader):
        if kind not in self._lists:
            self._lists[kind] = loader()
        return self._lists[kind]

    def resolve(self, kind, name, loader, label=None, key="name"):
        """The ``_id`` of the ``kind`` object called ``name``. In check mode a missing object may be one an
        earlier task would have created, so it resolves to a placeholder with a warning instead of failing."""
        items = self.cached(kind, loader)
        found = [item for item in items if item.get(key) == name]
        if len(found) == 1:
            return found[0]["_id"]
        label = label or kind
        if len(found) > 1:
            raise UnifiError("%d %ss are called '%s' on site '%s'; names must be unique to be referenced"
                             % (len(found), label, name, self.client.site))
        if self.module.check_mode:
            self.module.warn("%s '%s' does not exist on site '%s' (yet); check mode assumes an earlier task "
                             "creates it" % (label, name, self.client.site))
            return "(%s %s)" % (label, name)
        known = ", ".join(sorted("'%s'" % item.get(key) for item in items if item.get(key))) or "none"
        raise UnifiError("%s '%s' not found on site '%s' (known: %s)" % (label, name, self.client.site, known))

    def network_id(self, name):
        return self.resolve("network", name, lambda: self.client.rest_list("rest/networkconf"))

    def firewall_group_id(self, name):
        return self.resolve("firewall group", name, lambda: self.client.rest_list("rest/firewallgroup"))


class UnifiObjectModule(UnifiModule, ApiObjectModule):
    """Declarative management of one object of one endpoint, found by its natural key.

    Subclasses set ``endpoint`` (``rest/<collection>`` on the classic API, or a v2 path with ``api = "v2"``),
    ``result_key``, and implement ``desired()`` (API fields from the options the user set, nothing else) and,
    when the natural key is not ``name``, ``is_match()``.
    """

    endpoint = None
    api = "v1"
    label = "object"
    result_key = "object"
    key_param = "name"
    key_field = "name"
    unordered_fields = ()
    secret_fields = ()
    secret_labels = {}
    create_defaults = {}
    required_on_create = ()

    # -- hooks -----------------------------------------------------------------------------------------------------
    def desired(self):
        raise NotImplementedError

    def is_match(self, obj):
        return obj.get(self.key_field) == self.params[self.key_param]

    def create_body(self, desired):
        return deep_merge(copy.deepcopy(self.create_defaults), desired)

    # -- API -------------------------------------------------------------------------------------------------------
    def _collection_path(self):
        return self.client.v2_path(self.endpoint) if self.api == "v2" else self.client.site_path(self.endpoint)

    def list_objects(self):
        if self.api == "v2":
            return self.client.v2_list(self.endpoint)
        return self.client.rest_list(self.endpoint)

    def read_current(self):
        found = [obj for obj in self.list_objects() if self.is_match(obj)]
        if len(found) > 1:
            raise UnifiError("%d %ss match %s '%s' on site '%s'; remove the duplicates first"
                             % (len(found), self.label, self.key_param, self.params[self.key_param],
                                self.client.site))
        return found[0] if found else None

    def _one(self, data):
        if isinstance(data, list):
            return data[0] if data else None
        return data

    def create(self, body):
        envelope = self.api != "v2"
        return self._one(self.client.call("POST", self._collection_path(), body=body, envelope=envelope)) or body

    def update(self, current, body, changes):
        body = dict(body, _id=current["_id"])  # the v2 API wants _id in the body as well as in the path
        envelope = self.api != "v2"
        path = "%s/%s" % (self._collection_path(), current["_id"])
        return self._one(self.client.call("PUT", path, body=body, envelope=envelope)) or body

    def delete(self, current):
        envelope = self.api != "v2"
        self.client.call("DELETE", "%s/%s" % (self._collection_path(), current["_id"]), envelope=envelope)

    # -- how UniFi compares, merges and masks (the flow is ApiObjectModule's) ---------------------------------
    def differences(self, desired, current):
        return differences(desired, current, self.unordered_fields)

    def merge(self, current, desired):
        return deep_merge(current, desired)

    def mask(self, obj):
        return mask_secrets(obj, self.secret_fields)

    def mark_secrets(self, diff, current, after, changes):
        """Both sides of a diff show a masked secret the same way, so say whether it changes, never its value:
        ``<passphrase: unchanged>`` on both sides, or ``<passphrase: previous value>`` → ``<passphrase: changed>``."""
        if not current or not after:
            return
        for field in self.secret_fields:
            if field not in current and field not in after:
                continue
            label = self.secret_labels.get(field, field)
            if field in changes:
                diff["before"][field] = "<%s: previous value>" % label
                diff["after"][field] = "<%s: changed>" % label
            else:
                diff["before"][field] = diff["after"][field] = "<%s: unchanged>" % label
