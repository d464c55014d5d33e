# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-process simulator of the Synology DSM 7 Web API, for the integration tests of the synology modules.

What it models (from public sources; see docs/synology.md for which fact came from where):

* HTTPS only, with the throwaway test CA of the UniFi simulator (``make_tls``), so clients keep TLS verification on
  and trust the CA through ``ca_path``.
* Discovery: ``/webapi/query.cgi`` answers ``SYNO.API.Info`` ``method=query`` with ``path``, ``minVersion``,
  ``maxVersion`` and ``requestFormat`` per API (all of them for ``query=all``, else the comma-separated names).
  Every other API is served at the path it advertises (``entry.cgi``); asked at another path it does not exist.
* DSM's envelope on every reply, always HTTP 200: ``{"success": true, "data": ...}`` or
  ``{"success": false, "error": {"code": N}}``. ``api``/``version``/``method`` missing: 101; unknown API: 102;
  unknown method: 103; version outside the advertised range: 104; a required parameter missing: 114; a value
  DSM cannot parse (JSON fields): 120.
* Login: ``SYNO.API.Auth`` ``method=login`` (``account``, ``passwd``; ``enable_syno_token=yes`` adds ``synotoken``)
  answers ``sid``. Wrong password 400, disabled account 401, an account with 2-step verification 403
  (``otp-admin``; 406 for ``otp-enforced``, or for every such account with ``otp_enforced``); ``method=logout``
  with ``_sid`` ends the session.
* Every other call needs ``_sid`` of a live session (else 119) and, when the session was opened with a SynoToken,
  the ``X-SYNO-TOKEN`` header (or ``SynoToken`` field) with it (else 119). A session expires after
  ``expire_sessions_after(n)`` more authenticated requests (then 106, and it is gone). Non-administrators get 105
  on the Control Panel APIs.
* Control Panel state: shared folders (``SYNO.Core.Share`` list/get/create/set/delete; ``shareinfo`` JSON; quota
  only on a Btrfs volume), their permissions (``SYNO.Core.Share.Permission`` list/set), local users
  (``SYNO.Core.User``), groups (``SYNO.Core.Group``) and members (``SYNO.Core.Group.Member`` list/change), the SFTP
  service (``SYNO.Core.FileServ.FTP.SFTP``) and rsync (``SYNO.Backup.Service.NetworkBackup``), ``SYNO.DSM.Info``.
* ``fail_next(api, method, code)`` answers the next matching calls with an error code; ``log`` records every call
  (API, method, version, DSM code, user), ``writes()`` the write calls, ``live_sessions()`` the open sessions.
  Out of process, ``GET /_simulator/state`` (``snapshot()``, no passwords) and ``POST /_simulator/reset`` answer
  only with the header ``X-Simulator-Admin: <admin_token>`` (404 otherwise, and when no token was set).

The codes of the API-specific refusals (3100-3399 here: duplicate names, unknown volumes, quotas off Btrfs) are
placeholders in DSM's shape: only a real DSM can confirm them (docs/synology.md lists what else only it can).

Run standalone for manual poking: ``python -m tests.integration.synology.simulator`` prints URL, accounts and CA.
"""

from __future__ import annotations

import json
import secrets
import ssl
import tempfile
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ..unifi.simulator import make_tls

ADMIN = ("admin", "admin-password")
OTP_ADMIN = ("otp-admin", "otp-password")
OTP_ENFORCED = ("otp-enforced", "otp-password")

# name: (path, minVersion, maxVersion, methods, admin only)
APIS = {
    "SYNO.API.Info": ("query.cgi", 1, 1, {"query"}, False),
    "SYNO.API.Auth": ("entry.cgi", 1, 7, {"login", "logout"}, False),
    "SYNO.DSM.Info": ("entry.cgi", 1, 2, {"getinfo"}, False),
    "SYNO.Core.Share": ("entry.cgi", 1, 1, {"list", "get", "create", "set", "delete"}, True),
    "SYNO.Core.Share.Permission": ("entry.cgi", 1, 1, {"list", "set"}, True),
    "SYNO.Core.User": ("entry.cgi", 1, 1, {"list", "get", "create", "set", "delete"}, True),
    "SYNO.Core.Group": ("entry.cgi", 1, 1, {"list", "create", "set", "delete"}, True),
    "SYNO.Core.Group.Member": ("entry.cgi", 1, 1, {"list", "change"}, True),
    "SYNO.Core.FileServ.FTP.SFTP": ("entry.cgi", 1, 1, {"get", "set"}, True),
    "SYNO.Backup.Service.NetworkBackup": ("entry.cgi", 1, 2, {"get", "set"}, True),
}
REQUIRED = {
    ("SYNO.API.Auth", "login"): ("account", "passwd"),
    ("SYNO.Core.Share", "get"): ("name",),
    ("SYNO.Core.Share", "create"): ("name", "shareinfo"),
    ("SYNO.Core.Share", "set"): ("name", "shareinfo"),
    ("SYNO.Core.Share", "delete"): ("name",),
    ("SYNO.Core.Share.Permission", "list"): ("name", "user_group_type"),
    ("SYNO.Core.Share.Permission", "set"): ("name", "user_group_type", "permissions"),
    ("SYNO.Core.User", "get"): ("name",),
    ("SYNO.Core.User", "create"): ("name", "password"),
    ("SYNO.Core.User", "set"): ("name",),
    ("SYNO.Core.User", "delete"): ("name",),
    ("SYNO.Core.Group", "create"): ("name",),
    ("SYNO.Core.Group", "set"): ("name",),
    ("SYNO.Core.Group", "delete"): ("name",),
    ("SYNO.Core.Group.Member", "list"): ("group",),
    ("SYNO.Core.Group.Member", "change"): ("group",),
    ("SYNO.Core.FileServ.FTP.SFTP", "set"): ("enable",),
    ("SYNO.Backup.Service.NetworkBackup", "set"): ("enable",),
}
WRITE_METHODS = {"create", "set", "delete", "change"}
VOLUMES = {"/volume1": "btrfs", "/volume2": "ext4"}


class DsmError(Exception):
    def __init__(self, code, errors=None):
        super(DsmError, self).__init__(code)
        self.code = code
        self.errors = errors


def _bool(value):
    return str(value).lower() in ("true", "1", "yes")


def _json(params, name):
    try:
        return json.loads(params[name])
    except (KeyError, ValueError):
        raise DsmError(120, [dict(name=name, reason="not JSON")])


def _names(value):
    """A ``name`` field that may be one name or a JSON list of names (DSM accepts both for deletes)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return [value]
    return parsed if isinstance(parsed, list) else [value]


class Dsm(object):
    """State of one DSM. Thread-safe through one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    # -- state ---------------------------------------------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.log = []
            self.sessions = {}
            self.expire_after = None
            self.failures = []
            self.otp_enforced = False
            self.next_uid = 1026
            self.next_gid = 65536
            self.users = {}
            self.groups = {
                "administrators": dict(gid=101, description="System default admin group", members=set()),
                "users": dict(gid=100, description="System default group", members=set()),
            }
            self._user(ADMIN[0], ADMIN[1], "System default user", admin=True)
            self._user(OTP_ADMIN[0], OTP_ADMIN[1], "Admin with 2-step verification", admin=True, otp=True)
            self._user(OTP_ENFORCED[0], OTP_ENFORCED[1], "Admin under an enforced 2-step policy", admin=True,
                       otp="enforced")
            self._user("guest", secrets.token_hex(8), "Guest", disabled=True)
            self.shares = {}
            self.permissions = {}
            self._share("homes", "/volume1", "user home service", recyclebin=False)
            self.sftp = dict(enable=False, portnum=22)
            self.rsync = dict(enable=False, enable_custom_config=False, enable_rsync_account=False,
                              rsync_sshd_port="22")

    def _user(self, name, password, description="", email="", admin=False, otp=False, disabled=False):
        self.users[name] = dict(name=name, password=password, description=description, email=email, uid=self.next_uid,
                                otp=otp, disabled=disabled, expired="now" if disabled else "normal")
        self.next_uid += 1
        self.groups["users"]["members"].add(name)
        if admin:
            self.groups["administrators"]["members"].add(name)

    def _share(self, name, vol_path, desc="", quota=0, recyclebin=True, hidden=False):
        self.shares[name] = dict(name=name, vol_path=vol_path, desc=desc, share_quota=quota, recyclebin=recyclebin,
                                 hidden=hidden, uuid=secrets.token_hex(16))
        self.permissions[name] = {}

    # -- seeding (tests start from a state without an apply run) ------------------------------------------------------
    def add_group(self, name, description=""):
        with self.lock:
            self.groups[name] = dict(gid=self.next_gid, description=description, members=set())
            self.next_gid += 1

    def add_user(self, name, password, description="", groups=()):
        with self.lock:
            self._user(name, password, description)
            for group in groups:
                self.groups[group]["members"].add(name)

    def add_share(self, name, vol_path="/volume1", desc="", quota=0, recyclebin=True):
        with self.lock:
            self._share(name, vol_path, desc, quota, recyclebin)

    def set_access(self, share, kind, name, access):
        with self.lock:
            self.permissions[share][(kind, name)] = dict(is_writable=access == "rw", is_readonly=access == "ro",
                                                         is_deny=access == "no_access")

    # -- failure modes and inspection ------------------------------------------------------------------------------
    def expire_sessions_after(self, requests):
        """Every session expires after ``requests`` more authenticated requests (then 106)."""
        with self.lock:
            self.expire_after = requests

    def fail_next(self, api, method, code, count=1):
        with self.lock:
            self.failures.append(dict(api=api, method=method, code=code, count=count))

    def live_sessions(self):
        with self.lock:
            return sorted(s["user"] for s in self.sessions.values())

    def calls(self, api=None, method=None):
        with self.lock:
            return [e for e in self.log if (api is None or e["api"] == api) and (method is None or e["method"] == method)]

    def writes(self):
        return [e for e in self.calls() if e["method"] in WRITE_METHODS]

    def access(self, share, kind, name):
        flags = self.permissions.get(share, {}).get((kind, name))
        if not flags:
            return "none"
        return "no_access" if flags["is_deny"] else "rw" if flags["is_writable"] else \
            "ro" if flags["is_readonly"] else "none"

    def members(self, group):
        return sorted(self.groups[group]["members"])

    def snapshot(self):
        """The state as JSON-friendly data (no passwords), for the admin endpoint."""
        with self.lock:
            return dict(
                shares=[dict(s) for _n, s in sorted(self.shares.items())],
                users=[dict(name=u["name"], description=u["description"], email=u["email"], uid=u["uid"])
                       for _n, u in sorted(self.users.items())],
                groups=dict((name, dict(description=g["description"], gid=g["gid"], members=sorted(g["members"])))
                            for name, g in sorted(self.groups.items())),
                permissions=dict((share, dict(("%s:%s" % key, self.access(share, *key)) for key in sorted(perms)))
                                 for share, perms in sorted(self.permissions.items())),
                sftp=dict(self.sftp), rsync=dict(self.rsync), live_sessions=self.live_sessions(),
                writes=len(self.writes()))

    # -- dispatch --------------------------------------------------------------------------------------------------
    def handle(self, cgi, params, headers):
        """One request; returns the envelope. ``params`` is a flat dict of strings."""
        api, method, version = params.get("api"), params.get("method"), params.get("version")
        entry = dict(api=api, method=method, version=version, cgi=cgi, user=None, time=time.monotonic())
        with self.lock:
            try:
                data = self._dispatch(cgi, api, method, version, params, headers, entry)
                entry["code"] = 0
                reply = {"success": True} if data is None else {"success": True, "data": data}
            except DsmError as e:
                entry["code"] = e.code
                reply = {"success": False, "error": {"code": e.code}}
                if e.errors:
                    reply["error"]["errors"] = e.errors
            self.log.append(entry)
            return reply

    def _dispatch(self, cgi, api, method, version, params, headers, entry):
        if not api or not method or not version:
            raise DsmError(101)
        spec = APIS.get(api)
        if spec is None or spec[0] != cgi:
            raise DsmError(102)
        path, low, high, methods, admin_only = spec
        if method not in methods:
            raise DsmError(103)
        try:
            version = int(version)
        except ValueError:
            raise DsmError(104)
        if not low <= version <= high:
            raise DsmError(104)
        missing = [name for name in REQUIRED.get((api, method), ()) if name not in params]
        if missing:
            raise DsmError(114, [dict(name=name, reason="missing") for name in missing])
        if api == "SYNO.API.Info":
            return self.api_info(params)
        if api == "SYNO.API.Auth" and method == "login":
            return self.login(params)
        session = self.session(params, headers)
        entry["user"] = session["user"]
        if api == "SYNO.API.Auth":  # logout
            self.sessions.pop(params["_sid"], None)
            return None
        for failure in self.failures:
            if failure["api"] == api and failure["method"] == method and failure["count"] > 0:
                failure["count"] -= 1
                if failure["code"] in (106, 107, 119):  # DSM answers these for a session it no longer has
                    self.sessions.pop(params["_sid"], None)
                raise DsmError(failure["code"])
        if admin_only and session["user"] not in self.groups["administrators"]["members"]:
            raise DsmError(105)
        handler = getattr(self, "%s_%s" % (api.replace("SYNO.", "").replace(".", "_").lower(), method))
        return handler(params)

    # -- SYNO.API.Info / Auth ----------------------------------------------------------------------------------------
    def api_info(self, params):
        query = params.get("query", "all")
        names = sorted(APIS) if query == "all" else [n for n in query.split(",") if n in APIS]
        return dict((name, dict(path=APIS[name][0], minVersion=APIS[name][1], maxVersion=APIS[name][2],
                                requestFormat="JSON")) for name in names)

    def login(self, params):
        user = self.users.get(params["account"])
        if user is None or user["password"] != params["passwd"]:
            raise DsmError(400)
        if user["disabled"]:
            raise DsmError(401)
        if user["otp"]:
            raise DsmError(406 if self.otp_enforced or user["otp"] == "enforced" else 403)
        sid = secrets.token_urlsafe(24)
        session = dict(user=user["name"], token=None, requests=0)
        data = dict(sid=sid, did=secrets.token_hex(8), is_portal_port=False)
        if params.get("enable_syno_token") == "yes":
            session["token"] = data["synotoken"] = secrets.token_urlsafe(12)
        self.sessions[sid] = session
        return data

    def session(self, params, headers):
        sid = params.get("_sid")
        session = self.sessions.get(sid) if sid else None
        if session is None:
            raise DsmError(119)
        token = headers.get("X-SYNO-TOKEN") or params.get("SynoToken")
        if session["token"] is not None and token != session["token"]:
            raise DsmError(119)
        if self.expire_after is not None:
            if session["requests"] >= self.expire_after:
                del self.sessions[sid]
                raise DsmError(106)
            session["requests"] += 1
        return session

    # -- SYNO.DSM.Info ---------------------------------------------------------------------------------------------
    def dsm_info_getinfo(self, params):
        return dict(model="DS920+", ram=4096, serial="SIM0000000001", temperature=41, temperature_warn=False,
                    time=time.strftime("%a %b %d %H:%M:%S %Y"), uptime=86400, version="69057",
                    version_string="DSM 7.2.1-69057 Update 5")

    # -- SYNO.Core.Share ---------------------------------------------------------------------------------------------
    def _share_view(self, share, additional):
        out = dict(name=share["name"], vol_path=share["vol_path"], desc=share["desc"], uuid=share["uuid"],
                   is_usb_share=False)
        for field in ("hidden", "recyclebin", "share_quota"):
            if field in additional:
                out[field] = share[field]
        return out

    def core_share_list(self, params):
        additional = _json(params, "additional") if "additional" in params else []
        shares = [self._share_view(s, additional) for _n, s in sorted(self.shares.items())]
        return dict(shares=shares, total=len(shares))

    def core_share_get(self, params):
        share = self.shares.get(params["name"])
        if share is None:
            raise DsmError(3300, [dict(name="name", reason="no such shared folder")])
        return self._share_view(share, ["hidden", "recyclebin", "share_quota"])

    def _shareinfo(self, params, creating):
        info = _json(params, "shareinfo")
        if not isinstance(info, dict) or not info.get("name") or not info.get("vol_path"):
            raise DsmError(120, [dict(name="shareinfo", reason="name and vol_path are required")])
        if info["vol_path"] not in VOLUMES:
            raise DsmError(3301, [dict(name="vol_path", reason="no such volume")])
        quota = info.get("share_quota", 0)
        if not isinstance(quota, int) or quota < 0:
            raise DsmError(120, [dict(name="share_quota", reason="not a size in MB")])
        if quota and VOLUMES[info["vol_path"]] != "btrfs":
            raise DsmError(3302, [dict(name="share_quota", reason="shared folder quota needs a Btrfs volume")])
        return info

    def core_share_create(self, params):
        info = self._shareinfo(params, True)
        if info["name"] in self.shares:
            raise DsmError(3303, [dict(name="name", reason="a shared folder with this name exists")])
        self._share(info["name"], info["vol_path"], info.get("desc", ""), info.get("share_quota", 0),
                    bool(info.get("enable_recycle_bin", True)), bool(info.get("hidden", False)))
        return dict(name=info["name"])

    def core_share_set(self, params):
        share = self.shares.get(params["name"])
        if share is None:
            raise DsmError(3300, [dict(name="name", reason="no such shared folder")])
        info = self._shareinfo(params, False)
        if info["vol_path"] != share["vol_path"] or info["name"] != share["name"]:
            raise DsmError(3304, [dict(name="vol_path", reason="moving or renaming is not simulated")])
        share.update(desc=info.get("desc", share["desc"]), share_quota=info.get("share_quota", share["share_quota"]),
                     recyclebin=bool(info.get("enable_recycle_bin", share["recyclebin"])),
                     hidden=bool(info.get("hidden", share["hidden"])))
        return dict(name=share["name"])

    def core_share_delete(self, params):
        names = _names(params["name"])
        for name in names:
            if name not in self.shares:
                raise DsmError(3300, [dict(name="name", reason="no such shared folder")])
        for name in names:
            del self.shares[name]
            del self.permissions[name]
        return None

    # -- SYNO.Core.Share.Permission ----------------------------------------------------------------------------------
    def _principals(self, kind):
        if kind == "local_user":
            return sorted(self.users)
        if kind == "local_group":
            return sorted(self.groups)
        raise DsmError(120, [dict(name="user_group_type", reason="only local_user and local_group are simulated")])

    def core_share_permission_list(self, params):
        if params["name"] not in self.shares:
            raise DsmError(3300, [dict(name="name", reason="no such shared folder")])
        kind = params["user_group_type"]
        names = self._principals(kind)
        if params.get("action") == "find":
            names = [n for n in names if params.get("substr", "") in n]
        perms = self.permissions[params["name"]]
        items = []
        for name in names:
            flags = perms.get((kind, name)) or dict(is_readonly=False, is_writable=False, is_deny=False)
            items.append(dict(name=name, is_admin=name in self.groups["administrators"]["members"] or
                              name == "administrators", is_custom=False, inherit="-", **flags))
        return dict(items=items, total=len(items))

    def core_share_permission_set(self, params):
        if params["name"] not in self.shares:
            raise DsmError(3300, [dict(name="name", reason="no such shared folder")])
        kind = params["user_group_type"]
        known = self._principals(kind)
        permissions = _json(params, "permissions")
        if not isinstance(permissions, list):
            raise DsmError(120, [dict(name="permissions", reason="not a list")])
        for item in permissions:
            if not isinstance(item, dict) or item.get("name") not in known:
                raise DsmError(3305, [dict(name="permissions", reason="unknown user or group")])
        for item in permissions:
            self.permissions[params["name"]][(kind, item["name"])] = dict(
                is_readonly=bool(item.get("is_readonly")), is_writable=bool(item.get("is_writable")),
                is_deny=bool(item.get("is_deny")))
        return None

    # -- SYNO.Core.User ----------------------------------------------------------------------------------------------
    def _user_view(self, user, additional):
        out = dict(name=user["name"], uid=user["uid"])
        for field in ("description", "email", "expired"):
            if field in additional:
                out[field] = user[field]
        return out

    def core_user_list(self, params):
        additional = _json(params, "additional") if "additional" in params else []
        users = [self._user_view(u, additional) for _n, u in sorted(self.users.items())]
        return dict(users=users, total=len(users), offset=0)

    def core_user_get(self, params):
        user = self.users.get(params["name"])
        if user is None:
            raise DsmError(3100)
        return dict(users=[self._user_view(user, ["description", "email", "expired"])])

    def core_user_create(self, params):
        name = params["name"]
        if name in self.users or name in self.groups:
            raise DsmError(3101, [dict(name="name", reason="exists")])
        if len(params["password"]) < 8:
            raise DsmError(3102, [dict(name="password", reason="password policy: at least 8 characters")])
        self._user(name, params["password"], params.get("description", ""), params.get("email", ""))
        return dict(name=name, uid=self.users[name]["uid"])

    def core_user_set(self, params):
        user = self.users.get(params["name"])
        if user is None:
            raise DsmError(3100)
        for field in ("description", "email"):
            if field in params:
                user[field] = params[field]
        if params.get("password"):
            if len(params["password"]) < 8:
                raise DsmError(3102, [dict(name="password", reason="password policy: at least 8 characters")])
            user["password"] = params["password"]
        return dict(name=user["name"], uid=user["uid"])

    def core_user_delete(self, params):
        for name in _names(params["name"]):
            if name not in self.users:
                raise DsmError(3100)
            del self.users[name]
            for group in self.groups.values():
                group["members"].discard(name)
            for perms in self.permissions.values():
                perms.pop(("local_user", name), None)
        return None

    # -- SYNO.Core.Group / Group.Member --------------------------------------------------------------------------------
    def core_group_list(self, params):
        groups = [dict(name=name, gid=g["gid"], description=g["description"]) for name, g in sorted(self.groups.items())]
        return dict(groups=groups, total=len(groups), offset=0)

    def core_group_create(self, params):
        name = params["name"]
        if name in self.groups or name in self.users:
            raise DsmError(3201, [dict(name="name", reason="exists")])
        self.groups[name] = dict(gid=self.next_gid, description=params.get("description", ""), members=set())
        self.next_gid += 1
        return dict(name=name, gid=self.groups[name]["gid"])

    def core_group_set(self, params):
        group = self.groups.get(params["name"])
        if group is None:
            raise DsmError(3200)
        if params.get("new_name", params["name"]) != params["name"]:
            raise DsmError(3202, [dict(name="new_name", reason="renaming is not simulated")])
        group["description"] = params.get("description", group["description"])
        return dict(name=params["name"], gid=group["gid"])

    def core_group_delete(self, params):
        for name in _names(params["name"]):
            if name not in self.groups or name in ("administrators", "users"):
                raise DsmError(3200)
            del self.groups[name]
            for perms in self.permissions.values():
                perms.pop(("local_group", name), None)
        return None

    def core_group_member_list(self, params):
        group = self.groups.get(params["group"])
        if group is None:
            raise DsmError(3200)
        inside = _bool(params.get("ingroup", "true"))
        names = sorted(n for n in self.users if (n in group["members"]) == inside)
        users = [dict(name=n, uid=self.users[n]["uid"], description=self.users[n]["description"]) for n in names]
        return dict(users=users, total=len(users), offset=0)

    def core_group_member_change(self, params):
        group = self.groups.get(params["group"])
        if group is None:
            raise DsmError(3200)
        add = _json(params, "add_member") if "add_member" in params else []
        remove = _json(params, "remove_member") if "remove_member" in params else []
        for name in list(add) + list(remove):
            if name not in self.users:
                raise DsmError(3100)
        if params["group"] == "users" and remove:
            raise DsmError(3203, [dict(name="remove_member", reason="every user stays in users")])
        group["members"].update(add)
        group["members"].difference_update(remove)
        return None

    # -- services ----------------------------------------------------------------------------------------------------
    def core_fileserv_ftp_sftp_get(self, params):
        return dict(self.sftp)

    def core_fileserv_ftp_sftp_set(self, params):
        port = params.get("sftp_portnum", str(self.sftp["portnum"]))
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise DsmError(120, [dict(name="sftp_portnum", reason="not a port")])
        self.sftp.update(enable=_bool(params["enable"]), portnum=int(port))
        return None

    def backup_service_networkbackup_get(self, params):
        return dict(self.rsync)

    def backup_service_networkbackup_set(self, params):
        self.rsync["enable"] = _bool(params["enable"])
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _serve(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        params = dict((k, v[-1]) for k, v in parse_qs(url.query, keep_blank_values=True).items())
        if raw and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            params.update((k, v[-1]) for k, v in parse_qs(raw, keep_blank_values=True).items())
        if url.path.startswith("/_simulator/"):
            self._admin(url.path)
            return
        if not url.path.startswith("/webapi/"):
            self._reply(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        reply = self.server.dsm.handle(url.path[len("/webapi/"):], params, self.headers)
        self._reply(200, json.dumps(reply).encode(), "application/json; charset=utf-8")

    def _admin(self, path):
        """Inspection for tests that run the simulator out of process: ``GET /_simulator/state`` and
        ``POST /_simulator/reset``, with the header ``X-Simulator-Admin: <admin token>``; 404 without it."""
        token = self.server.admin_token
        if not token or not secrets.compare_digest(self.headers.get("X-Simulator-Admin", ""), token):
            self._reply(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        dsm = self.server.dsm
        if path == "/_simulator/reset" and self.command == "POST":
            dsm.reset()
            body = {}
        elif path == "/_simulator/state":
            body = dsm.snapshot()
        else:
            self._reply(404, b"<html><body>Not Found</body></html>", "text/html")
            return
        self._reply(200, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _reply(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve


class Simulator(object):
    """Start with ``start()``; ``host``, ``ca_path`` and ``dsm`` for the tests; ``stop()`` at the end."""

    def __init__(self, directory=None, bind="127.0.0.1", port=0, admin_token=None):
        self.directory = directory or tempfile.mkdtemp(prefix="synology-sim-")
        self.ca_path, self.cert_path, self.key_path = make_tls(self.directory)
        self.dsm = Dsm()
        self.bind = bind
        self.requested_port = port
        self.admin_token = admin_token
        self.httpd = None

    def start(self):
        self.httpd = ThreadingHTTPServer((self.bind, self.requested_port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.dsm = self.dsm
        self.httpd.admin_token = self.admin_token
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, name="synology-simulator", daemon=True).start()
        return self

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "https://" + self.host

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Synology DSM Web API simulator (HTTPS, test CA)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (the certificate names "
                        "127.0.0.1 and localhost only)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument("--directory", help="where the CA and server certificate are written (ca.pem)")
    parser.add_argument("--admin-token", default=secrets.token_urlsafe(16),
                        help="token of the /_simulator/ endpoints (header X-Simulator-Admin)")
    args = parser.parse_args()
    sim = Simulator(directory=args.directory, bind=args.bind, port=args.port, admin_token=args.admin_token).start()
    values = (sim.url, sim.ca_path, ADMIN[0], ADMIN[1], OTP_ADMIN[0], sim.url, args.admin_token)
    print("Synology DSM simulator at %s (CA %s); admin %s/%s, 2-step account %s; state: GET %s/_simulator/state "
          "with X-Simulator-Admin: %s" % values, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()
