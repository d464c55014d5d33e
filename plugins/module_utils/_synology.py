# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one Synology DSM Web API client of this collection, and the base classes its modules are built on.

Private to the collection. Modules add an argument spec and a few class attributes; everything that talks HTTP
lives here and in ``_http.py`` (TLS verification, CA bundle, retries on 429/5xx).

Protocol (DSM Login Web API Guide, File Station API Guide; see docs/synology.md)
  * Discovery: ``/webapi/query.cgi`` with ``api=SYNO.API.Info&version=1&method=query&query=all`` answers, per API,
    its ``path`` (relative to ``/webapi/``) and ``minVersion``/``maxVersion``. Every later call goes to the path DSM
    advertises, with a version clamped to what DSM supports (an API below the version a call needs is refused).
  * Login: ``SYNO.API.Auth`` ``method=login`` with ``account``, ``passwd``, ``session``, ``format=sid`` and
    ``enable_syno_token=yes`` answers ``sid`` and ``synotoken``. Later calls carry ``_sid`` and the
    ``X-SYNO-TOKEN`` header. ``method=logout`` ends the session; the modules log out when they end, on failure too.
  * Every reply is the envelope ``{"success": true, "data": ...}`` or ``{"success": false, "error": {"code": N}}``
    with HTTP 200. Codes 106/107/119 (session timed out, interrupted, invalid) log in once more and repeat the
    call. 403/404/406 mean the account uses 2-step verification: refused, with a message asking for a dedicated
    service account without it.
  * All calls are ``POST`` with form fields (never the password in a URL); list- and object-valued fields are
    JSON-encoded strings, booleans ``true``/``false``, as DSM's own web UI sends them.

Write calls
  The login and logout are the only calls with side effects a module makes in check mode.
"""

from __future__ import annotations

import json

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.hybridops.platform.plugins.module_utils._api_module import ApiModule, ApiObjectModule
from ansible_collections.hybridops.platform.plugins.module_utils._http import (
    HttpApiError,
    JsonHttpClient,
)

DEFAULT_PORT = 5001
SESSION_NAME = "HybridOps"
SFTP = "SYNO.Core.FileServ.FTP.SFTP"
RSYNC = "SYNO.Backup.Service.NetworkBackup"
SESSION_ERRORS = frozenset([106, 107, 119])
TWO_FACTOR_ERRORS = frozenset([403, 404, 406])

# Common codes (every API) and SYNO.API.Auth codes, from the DSM Login Web API Guide.
COMMON_ERRORS = {
    100: "unknown error",
    101: "no parameter of API, method or version",
    102: "the requested API does not exist",
    103: "the requested method does not exist",
    104: "the requested version does not support the functionality",
    105: "the logged in session does not have permission",
    106: "session timeout",
    107: "session interrupted by duplicated login",
    108: "failed to upload the file",
    109: "the network connection is unstable or the system is busy",
    110: "the network connection is unstable or the system is busy",
    111: "the network connection is unstable or the system is busy",
    114: "lost parameters for this API",
    115: "not allowed to upload a file",
    116: "not allowed to perform for a demo site",
    117: "the network connection is unstable or the system is busy",
    118: "the network connection is unstable or the system is busy",
    119: "invalid session",
    120: "invalid parameter",
    150: "request source IP does not match the login IP",
}
AUTH_ERRORS = {
    400: "no such account or incorrect password",
    401: "disabled account",
    402: "denied permission",
    403: "2-step verification code required",
    404: "failed to authenticate 2-step verification code",
    406: "2-step verification is enforced for this account",
    407: "blocked IP source (auto block)",
    408: "expired password cannot change",
    409: "expired password",
    410: "password must be changed",
}


def synology_argument_spec():
    """Connection options shared by every Synology module (documented in doc_fragments/_synology.py)."""
    return dict(
        host=dict(type="str", required=True, fallback=(env_fallback, ["SYNOLOGY_HOST"])),
        username=dict(type="str", required=True, fallback=(env_fallback, ["SYNOLOGY_USERNAME"])),
        password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["SYNOLOGY_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["SYNOLOGY_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["SYNOLOGY_CA_PATH"])),
        timeout=dict(type="int", default=30),
        request_retries=dict(type="int", default=3),
        retry_backoff=dict(type="float", default=1.0),
    )


class SynologyError(Exception):
    def __init__(self, msg, code=None, api=None):
        super(SynologyError, self).__init__(msg)
        self.msg = msg
        self.code = code
        self.api = api


def error_text(code, api=None):
    """DSM's meaning of an error code (Auth codes only for SYNO.API.Auth, where they apply)."""
    if api == "SYNO.API.Auth" and code in AUTH_ERRORS:
        return AUTH_ERRORS[code]
    return COMMON_ERRORS.get(code, "API-specific error (see the guide of %s)" % api)


def form_value(value):
    """A form field as DSM reads it: booleans lower case, lists and dicts JSON-encoded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return to_native(value)


def base_url(host):
    if "://" in host:
        return host
    bare = host.rsplit("]", 1)[-1]  # an IPv6 literal in brackets has colons of its own
    return "https://%s" % host if ":" in bare else "https://%s:%d" % (host, DEFAULT_PORT)


class SynologyClient(JsonHttpClient):
    """A session with one DSM, opened on the first call and closed by ``logout()``."""

    def __init__(self, host, username, password, **kwargs):
        super(SynologyClient, self).__init__(base_url(host), **kwargs)
        self.username = username
        self.password = password
        self.apis = None
        self.sid = None
        self.token = None

    @classmethod
    def from_params(cls, params):
        return cls(params["host"], params["username"], params["password"], validate_certs=params["validate_certs"],
                   ca_path=params["ca_path"], timeout=params["timeout"], retries=params["request_retries"],
                   backoff=params["retry_backoff"])

    def auth_headers(self, method):
        return {"X-SYNO-TOKEN": self.token} if self.token else {}

    # -- transport ------------------------------------------------------------------------------------------------
    def _post(self, path, fields, label):
        try:
            response = self.request("POST", "/webapi/" + path, form=dict((k, form_value(v)) for k, v in fields.items()))
        except HttpApiError as e:
            raise SynologyError(e.msg, api=label)
        if response.status != 200:
            reply = (response.text or "").strip()[:200]
            raise SynologyError("%s: HTTP %s from %s (%s)" % (label, response.status, self.base_url, reply),
                                api=label)
        body = response.json
        if not isinstance(body, dict) or "success" not in body:
            raise SynologyError("%s: %s did not answer DSM's JSON envelope: %s"
                                % (label, self.base_url, (response.text or "").strip()[:200]), api=label)
        return body

    # -- discovery and versions -----------------------------------------------------------------------------------
    def discover(self):
        if self.apis is None:
            body = self._post("query.cgi", dict(api="SYNO.API.Info", version=1, method="query", query="all"),
                              "SYNO.API.Info")
            if not body.get("success"):
                code = (body.get("error") or {}).get("code")
                raise SynologyError("API discovery (SYNO.API.Info) failed on %s: DSM error %s (%s)"
                                    % (self.base_url, code, error_text(code)), code=code, api="SYNO.API.Info")
            self.apis = body.get("data") or {}
        return self.apis

    def version(self, api, minimum=1, maximum=1):
        """The version to call ``api`` with: the highest DSM and this client both support, within [minimum, maximum]."""
        info = self.discover().get(api)
        if not info:
            raise SynologyError("DSM at %s does not offer %s (SYNO.API.Info does not list it); these modules need "
                                "DSM 7 with the Control Panel APIs" % (self.base_url, api), code=102, api=api)
        chosen = min(int(info.get("maxVersion", 1)), maximum)
        if chosen < max(int(info.get("minVersion", 1)), minimum):
            raise SynologyError("DSM at %s offers %s versions %s-%s; this module needs %s-%s"
                                % (self.base_url, api, info.get("minVersion"), info.get("maxVersion"), minimum,
                                   maximum), code=104, api=api)
        return chosen, info.get("path") or "entry.cgi"

    # -- session --------------------------------------------------------------------------------------------------
    def login(self):
        version, path = self.version("SYNO.API.Auth", 3, 7)
        body = self._post(path, dict(api="SYNO.API.Auth", version=version, method="login", account=self.username,
                                     passwd=self.password, session=SESSION_NAME, format="sid",
                                     enable_syno_token="yes"), "SYNO.API.Auth login")
        if not body.get("success"):
            code = (body.get("error") or {}).get("code")
            if code in TWO_FACTOR_ERRORS:
                raise SynologyError(
                    "DSM refused the login of '%s': the account uses 2-step verification (DSM error %s: %s). "
                    "Automation cannot answer a one-time code: use a dedicated service account without 2-step "
                    "verification (a member of administrators, with a long random password kept in Vault, "
                    "allowed only from the automation host)" % (self.username, code, error_text(code, "SYNO.API.Auth")),
                    code=code, api="SYNO.API.Auth")
            hint = ""
            if code == 400:
                hint = "; check username/password (SYNOLOGY_USERNAME/SYNOLOGY_PASSWORD)"
            elif code == 407:
                hint = "; DSM's auto block banned this address: unblock it in Control Panel > Security"
            elif code in (408, 409, 410):
                hint = "; log in once in the DSM web UI to change the password"
            raise SynologyError("DSM refused the login of '%s' (DSM error %s: %s)%s"
                                % (self.username, code, error_text(code, "SYNO.API.Auth"), hint),
                                code=code, api="SYNO.API.Auth")
        data = body.get("data") or {}
        self.sid = data.get("sid")
        self.token = data.get("synotoken")
        if not self.sid:
            raise SynologyError("DSM answered the login of '%s' without a session id" % self.username,
                                api="SYNO.API.Auth")

    def logout(self):
        """End the session (once; errors ignored: the module's own result matters more)."""
        if not self.sid:
            return
        sid, self.sid = self.sid, None
        try:
            version, path = self.version("SYNO.API.Auth", 1, 7)
            self._post(path, dict(api="SYNO.API.Auth", version=version, method="logout", session=SESSION_NAME,
                                  _sid=sid), "SYNO.API.Auth logout")
        except SynologyError:
            pass
        finally:
            self.token = None

    # -- calls ----------------------------------------------------------------------------------------------------
    def call(self, api, method, params=None, minimum=1, maximum=1):
        """One API call on the session; returns the reply's ``data`` (``{}`` when it has none)."""
        version, path = self.version(api, minimum, maximum)
        if not self.sid:
            self.login()
        fields = dict(api=api, version=version, method=method)
        fields.update(params or {})
        body = self._call(path, fields)
        code = (body.get("error") or {}).get("code") if not body.get("success") else None
        if code in SESSION_ERRORS:
            # the session timed out, was interrupted by a duplicated login or is unknown: log in once more
            self.sid = self.token = None
            self.login()
            body = self._call(path, fields)
            code = (body.get("error") or {}).get("code") if not body.get("success") else None
        if not body.get("success"):
            extra = ""
            if code == 105:
                extra = "; the account '%s' must be a member of administrators" % self.username
            elif code in SESSION_ERRORS:
                extra = " even after a fresh login"
            errors = (body.get("error") or {}).get("errors")
            if errors:
                extra += " (details: %s)" % json.dumps(errors, sort_keys=True)
            raise SynologyError("%s %s failed: DSM error %s (%s)%s" % (api, method, code, error_text(code, api), extra),
                                code=code, api=api)
        data = body.get("data")
        return {} if data is None else data

    def _call(self, path, fields):
        fields = dict(fields, _sid=self.sid)
        return self._post(path, fields, "%s %s" % (fields["api"], fields["method"]))


# ------------------------------------------------------------------------------------------------------------------
# module base classes
# ------------------------------------------------------------------------------------------------------------------


def differences(desired, current, unordered=()):
    """The options of ``desired`` whose value ``current`` does not already have (lists in ``unordered`` compared
    as sets)."""
    out = {}
    current = current or {}
    for key, want in desired.items():
        have = current.get(key)
        if key in unordered:
            if sorted(want or []) != sorted(have or []):
                out[key] = want
        elif want != have:
            out[key] = want
    return out


class SynologyModule(ApiModule):
    """An AnsibleModule plus a client (``_api_module.ApiModule``); the session is closed whatever way the module
    ends."""

    client_class = SynologyClient
    error_class = SynologyError

    def connection_argument_spec(self):
        return synology_argument_spec()

    def error_result(self, error):
        return dict(msg=error.msg, code=error.code, api=error.api)

    # -- lookups shared by several modules ----------------------------------------------------------------------
    def list_shares(self):
        data = self.client.call("SYNO.Core.Share", "list", dict(
            shareType="all", additional=["hidden", "recyclebin", "share_quota"]))
        return data.get("shares") or []

    def list_users(self):
        data = self.client.call("SYNO.Core.User", "list", dict(
            type="local", offset=0, limit=-1, additional=["description", "email", "expired"]))
        return data.get("users") or []

    def list_groups(self):
        data = self.client.call("SYNO.Core.Group", "list", dict(type="local", offset=0, limit=-1))
        return data.get("groups") or []

    def group_members(self, group):
        data = self.client.call("SYNO.Core.Group.Member", "list", dict(group=group, ingroup=True, offset=0,
                                                                       limit=-1))
        return sorted(user["name"] for user in data.get("users") or [])

    def read_services(self):
        sftp = self.client.call(SFTP, "get")
        rsync = self.client.call(RSYNC, "get")
        return dict(sftp=dict(enabled=bool(sftp.get("enable")), port=int(sftp.get("portnum") or 22)),
                    rsync=dict(enabled=bool(rsync.get("enable"))))

    def missing(self, label, name, known):
        """A referenced object that does not exist: a warning in check mode (an earlier task may create it),
        an error otherwise."""
        if self.module.check_mode:
            self.module.warn("%s '%s' does not exist on the DSM (yet); check mode assumes an earlier task creates it"
                             % (label, name))
            return
        raise SynologyError("%s '%s' does not exist on the DSM (known: %s)"
                            % (label, name, ", ".join("'%s'" % k for k in sorted(known)) or "none"))


class SynologyObjectModule(SynologyModule, ApiObjectModule):
    """Declarative management of one object found by its name (the flow is ``_api_module.ApiObjectModule``'s):
    subclasses set ``label`` and ``result_key`` and implement ``read_current()`` (the object in module terms, or
    None), ``desired()`` (options the user set), ``create()``, ``update()`` and ``delete()``."""

    def differences(self, desired, current):
        return differences(desired, current, self.unordered_fields)
