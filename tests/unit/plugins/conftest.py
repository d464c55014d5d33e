"""Fakes shared by the unit tests of the UniFi and Synology clients and modules.

``FakeApi`` replaces ``open_url`` in module_utils/_http.py. Replies are keyed by (method, URL); a list of replies
is served in order and its last one repeats. Every call is recorded, so tests can count writes. ``FakeDsm`` (fixture
``dsm``) does the same for DSM's form-encoded calls, keyed by (api, method).
"""

import io
import json

from email.message import Message
from urllib.error import HTTPError

import pytest

from ansible.module_utils import basic

BASE = "https://udm.test"
NET = BASE + "/proxy/network/api/s/default/"
V2 = BASE + "/proxy/network/v2/api/site/default/"
CONNECTION = dict(host="udm.test", api_key="test-key", retry_backoff=0.0)


def ok(*objects):
    return {"meta": {"rc": "ok"}, "data": list(objects)}


def error(msg):
    return {"meta": {"rc": "error", "msg": msg}, "data": []}


class Reply(object):
    def __init__(self, body=None, status=200, headers=None):
        self.body = body
        self.status = status
        self.headers = headers or {}

    def encoded(self):
        if self.body is None:
            return b""
        if isinstance(self.body, (bytes, str)):
            return self.body.encode() if isinstance(self.body, str) else self.body
        return json.dumps(self.body).encode()

    def header_message(self):
        msg = Message()
        for key, value in self.headers.items():
            for item in value if isinstance(value, list) else [value]:
                msg[key] = item
        return msg


class FakeResponse(object):
    def __init__(self, reply):
        self.status = reply.status
        self.headers = reply.header_message()
        self._body = reply.encoded()

    def getcode(self):
        return self.status

    def read(self):
        return self._body


class FakeApi(object):
    def __init__(self):
        self.routes = {}
        self.calls = []

    def on(self, method, url, *replies):
        """Register replies: dicts/lists become 200 JSON bodies, Reply objects are used as they are."""
        self.routes[(method, url)] = [r if isinstance(r, Reply) else Reply(r) for r in replies]
        return self

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        body = json.loads(data) if data else None
        self.calls.append(dict(method=method, url=url, body=body, headers=dict(headers or {}), kwargs=kwargs))
        replies = self.routes.get((method, url))
        if not replies:
            raise AssertionError("unexpected request %s %s" % (method, url))
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.status >= 300:
            raise HTTPError(url, reply.status, "status %d" % reply.status, reply.header_message(),
                            io.BytesIO(reply.encoded()))
        return FakeResponse(reply)

    def requests(self, method=None, url=None):
        return [c for c in self.calls if (method is None or c["method"] == method) and (url is None or c["url"] == url)]

    def writes(self):
        return [c for c in self.calls if c["method"] != "GET" and "/api/auth/" not in c["url"]]


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi()
    monkeypatch.setattr("ansible_collections.hybridops.platform.plugins.module_utils._http.open_url", fake)
    return fake


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ExitJson(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs["msg"] = msg
    kwargs["failed"] = True
    raise FailJson(kwargs)


def _set_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args
        return patch_module_args(args)
    except ImportError:  # ansible-core before 2.19
        from unittest import mock
        return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, check=False, diff=False) → (result dict, failed bool)."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))

    def run(module, args, check=False, diff=False, connection=True):
        full = dict(CONNECTION) if connection else {}
        full.update(args)
        if check:
            full["_ansible_check_mode"] = True
        if diff:
            full["_ansible_diff"] = True
        del warnings[:]
        with _set_args(full):
            try:
                module.main()
            except (ExitJson, FailJson) as e:
                result = e.args[0]
                result["warnings"] = list(warnings)
                return result
        raise AssertionError("module did not exit")

    return run


# ------------------------------------------------------------------------------------------------------------------
# Synology DSM: every call is a POST of form fields to /webapi/<cgi>, so replies are keyed by (api, method)
# ------------------------------------------------------------------------------------------------------------------
DSM = "https://nas.test:5001/webapi/"
DSM_CONNECTION = dict(host="nas.test", username="svc-ansible", password="svc-password", retry_backoff=0.0)
DSM_APIS = dict(
    (name, dict(path=path, minVersion=low, maxVersion=high, requestFormat="JSON"))
    for name, path, low, high in (
        ("SYNO.API.Info", "query.cgi", 1, 1), ("SYNO.API.Auth", "entry.cgi", 1, 7), ("SYNO.DSM.Info", "entry.cgi", 1, 2),
        ("SYNO.Core.Share", "entry.cgi", 1, 1), ("SYNO.Core.Share.Permission", "entry.cgi", 1, 1),
        ("SYNO.Core.User", "entry.cgi", 1, 1), ("SYNO.Core.Group", "entry.cgi", 1, 1),
        ("SYNO.Core.Group.Member", "entry.cgi", 1, 1), ("SYNO.Core.FileServ.FTP.SFTP", "entry.cgi", 1, 1),
        ("SYNO.Backup.Service.NetworkBackup", "entry.cgi", 1, 2)))


def dsm_ok(data=None):
    return {"success": True} if data is None else {"success": True, "data": data}


def dsm_error(code):
    return {"success": False, "error": {"code": code}}


class FakeDsm(object):
    """Replaces ``open_url`` for the Synology client. Replies per (api, method): dicts are 200 JSON bodies, Reply
    objects are used as they are, callables get the call's form fields and return a body; a list is served in
    order and its last reply repeats. Every call is recorded
    with its decoded form fields and headers."""

    def __init__(self):
        self.routes = {}
        self.calls = []
        self.on("SYNO.API.Info", "query", dsm_ok(DSM_APIS))
        self.on("SYNO.API.Auth", "login", dsm_ok(dict(sid="sid-1", synotoken="token-1")))
        self.on("SYNO.API.Auth", "logout", dsm_ok())

    def on(self, api, method, *replies):
        self.routes[(api, method)] = [r if isinstance(r, Reply) or callable(r) else Reply(r) for r in replies]
        return self

    def __call__(self, url, data=None, headers=None, method=None, **kwargs):
        from urllib.parse import parse_qsl, urlsplit
        fields = dict(parse_qsl(urlsplit(url).query))
        fields.update(parse_qsl(data or ""))
        call = dict(method=method, url=url, fields=fields, headers=dict(headers or {}), kwargs=kwargs,
                    api=fields.get("api"), name=fields.get("method"))
        self.calls.append(call)
        replies = self.routes.get((call["api"], call["name"]))
        if not replies:
            raise AssertionError("unexpected call %s %s (%s)" % (call["api"], call["name"], url))
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if callable(reply):
            reply = Reply(reply(fields))
        if reply.status >= 300:
            raise HTTPError(url, reply.status, "status %d" % reply.status, reply.header_message(),
                            io.BytesIO(reply.encoded()))
        return FakeResponse(reply)

    def requests(self, api=None, name=None):
        return [c for c in self.calls if (api is None or c["api"] == api) and (name is None or c["name"] == name)]

    def writes(self):
        return [c for c in self.calls if c["name"] in ("create", "set", "delete", "change")]


@pytest.fixture
def dsm(monkeypatch):
    fake = FakeDsm()
    monkeypatch.setattr("ansible_collections.hybridops.platform.plugins.module_utils._http.open_url", fake)
    return fake
