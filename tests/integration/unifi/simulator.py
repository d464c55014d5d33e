# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-process simulator of the UniFi OS (UDM Pro) HTTP API, for the integration tests of the unifi modules.

What it models (from public sources; see /work/shared/UNIFI-API-NOTES.md and docs/unifi.md):

* HTTPS only, with a throwaway CA generated at start (``cryptography``), so clients keep TLS verification on and
  trust the CA through ``ca_path``. The server certificate names 127.0.0.1 and localhost.
* Console detection: ``GET /`` answers 200 on UniFi OS; in legacy mode (``legacy=True``) a 302 to ``/manage``,
  login at ``/api/login`` and no ``/proxy/network`` prefix.
* Session login: ``POST /api/auth/login`` sets a ``TOKEN`` cookie (a JWT-shaped token whose payload holds
  ``csrfToken``) and answers ``X-CSRF-Token``. Every non-GET request on a session must carry the current token
  (403 otherwise); each accepted write rotates it and answers ``X-Updated-Csrf-Token``. Sessions expire after
  ``session_ttl`` seconds (or at once with ``expire_sessions()``), after which requests get 401.
* Login rate limiting: more than ``login_limit`` logins within ``login_window`` seconds answer 429
  ``AUTHENTICATION_FAILED_LIMIT_REACHED``.
* API keys (``X-API-KEY``) on UniFi OS, no CSRF needed; a wrong key gets 401. A read-only account (``viewer``)
  gets 403 on writes.
* The classic API ``/proxy/network/api/s/<site>/rest/<collection>[/<id>]`` for networkconf, firewallgroup,
  firewallrule, portforward, wlanconf, user and usergroup, with server-side 24-hex ``_id``s, extra server-side
  fields the client never set, and UniFi's error shape ``{"meta": {"rc": "error", "msg": "api.err.X"}, "data": []}``
  for validation failures (duplicate names, VLANs outside 2-4009 ``api.err.InvalidVlan``, VLANs in use,
  overlapping subnets, unknown ids, short passphrases, rules on a zone-based site).
* Strict bodies: a field that is not in the collection's field list (``FIELDS``, after go-unifi's generated
  structs) is refused with ``api.err.InvalidPayload`` and ``meta.validationError.field``. A PUT replaces the
  object with its body (the server keeps only ``_id``, ``site_id`` and its ``attr_*`` fields) and validates it
  like a create, so a partial PUT that drops a required field is refused; an ``_id`` in the body must match.
* Logout (``POST /api/auth/logout``, legacy ``/api/logout``) ends the session; ``live_sessions()`` counts the
  sessions still open.
* ``stat/device``, ``stat/sta`` and ``/api/self/sites`` (read-only, seeded).
* The v2 API ``/proxy/network/v2/api/site/<site>/firewall-policies[/<id>]`` (bare JSON, ``_id`` required in PUT
  bodies, DELETE answers 204 without a body), ``firewall/zone`` and ``apgroups``.
* Switchable failure modes: ``fail_next`` (answer 5xx, or 429 with ``Retry-After``, to the next matching
  requests), ``expire_sessions_after`` (the session expires after n more authenticated requests),
  ``reject_csrf_next`` (403 ``api.err.InvalidCSRFToken`` to the next writes), ``missing`` (endpoint names such as
  ``apgroups`` or ``usergroup`` answer 404, like an older controller).
* A request log so tests can assert that check mode made no write call.

What only a real UDM Pro can confirm: the exact ``api.err.*`` strings (the ones here are placeholders in the right
shape), which fields each firmware requires on create (here: the ones the terraform provider and go-unifi send),
whether an API key works on the classic ``/api/s`` paths of a given firmware, the real session lifetime and
rate-limit thresholds, whether ``rest/user`` accepts POST for unseen clients on every version (go-unifi uses
``group/user``), validation the controller does that is not modelled here, and how the v2 endpoints behave on
a site that was never migrated to zones.

Run standalone for manual poking: ``python simulator.py`` prints the URL, credentials and the CA file.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import re
import secrets
import ssl
import tempfile
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

USERS = {"admin": ("admin-password", "admin"), "viewer": ("viewer-password", "readonly")}
API_KEY = "sim-api-key-0123456789"
PREFIX = "/proxy/network"
COLLECTIONS = ("networkconf", "firewallgroup", "firewallrule", "portforward", "wlanconf", "user", "usergroup")
_COMMON = {"_id", "site_id", "attr_no_delete", "attr_hidden_id", "attr_hidden", "attr_no_edit"}
# Field lists after go-unifi's generated structs (the controller's own field files), trimmed to what matters here.
FIELDS = dict(
    networkconf=_COMMON | {
        "name", "purpose", "networkgroup", "enabled", "vlan_enabled", "vlan", "ip_subnet", "dhcpd_enabled",
        "dhcpd_start", "dhcpd_stop", "dhcpd_leasetime", "dhcpd_dns_enabled", "dhcpd_dns_1", "dhcpd_dns_2",
        "dhcpd_dns_3", "dhcpd_dns_4", "dhcpd_gateway_enabled", "dhcpd_gateway", "domain_name", "igmp_snooping",
        "internet_access_enabled", "network_isolation_enabled", "firewall_zone_id", "ipv6_interface_type", "is_nat",
        "dhcp_relay_enabled", "mdns_enabled", "auto_scale_enabled", "lte_lan_enabled", "setting_preference",
        "wan_type", "wan_username", "x_wan_password", "wan_networkgroup", "upnp_lan_enabled"},
    firewallgroup=_COMMON | {"name", "group_type", "group_members"},
    firewallrule=_COMMON | {
        "name", "ruleset", "rule_index", "action", "enabled", "protocol", "protocol_v6", "protocol_match_excepted",
        "logging", "src_firewallgroup_ids", "dst_firewallgroup_ids", "src_mac_address", "src_networkconf_id",
        "src_networkconf_type", "dst_networkconf_id", "dst_networkconf_type", "src_address", "dst_address",
        "src_port", "dst_port", "icmp_typename", "icmpv6_typename", "ipsec", "setting_preference",
        "state_established", "state_related", "state_new", "state_invalid"},
    portforward=_COMMON | {
        "name", "enabled", "proto", "src", "dst_port", "fwd", "fwd_port", "pfwd_interface", "destination_ip",
        "destination_ips", "log", "src_limiting_enabled", "src_limiting_type", "src_firewall_group_id"},
    wlanconf=_COMMON | {
        "name", "enabled", "security", "wpa_mode", "wpa_enc", "wpa3_support", "wpa3_transition", "x_passphrase",
        "networkconf_id", "usergroup_id", "ap_group_ids", "ap_group_mode", "wlan_band", "wlan_bands", "hide_ssid",
        "is_guest", "pmf_mode", "minrate_setting_preference", "mac_filter_enabled", "schedule_enabled"},
    user=_COMMON | {
        "mac", "name", "note", "noted", "use_fixedip", "fixed_ip", "network_id", "usergroup_id", "oui",
        "first_seen", "last_seen", "is_wired", "is_guest", "blocked", "hostname"},
    usergroup=_COMMON | {"name", "qos_rate_max_down", "qos_rate_max_up"},
)
POLICY_FIELDS = {
    "_id", "name", "description", "action", "enabled", "protocol", "ip_version", "logging", "connection_state_type",
    "connection_states", "create_allow_respond", "match_ip_sec", "match_opposite_protocol", "icmp_typename",
    "icmp_v6_typename", "schedule", "source", "destination", "index", "predefined"}
RULESETS = {"WAN_IN", "WAN_OUT", "WAN_LOCAL", "LAN_IN", "LAN_OUT", "LAN_LOCAL", "GUEST_IN", "GUEST_OUT",
            "GUEST_LOCAL"}


def new_id():
    return secrets.token_hex(12)


# ---------------------------------------------------------------------------------------------------------------------
# TLS material
# ---------------------------------------------------------------------------------------------------------------------
def make_tls(directory):
    """A CA and a server certificate for 127.0.0.1/localhost. Returns (ca_path, cert_path, key_path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "UniFi simulator test CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unifi-simulator")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")]
    with open(paths[0], "wb") as fh:
        fh.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return tuple(paths)


# ---------------------------------------------------------------------------------------------------------------------
# controller state
# ---------------------------------------------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status, msg, v2=False, field=None):
        super(ApiError, self).__init__(msg)
        self.status = status
        self.msg = msg
        self.v2 = v2
        self.field = field


def _strict(allowed, body, v2=False):
    """Refuse fields the controller does not know, as the controller does (one field named per reply)."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, "api.err.InvalidPayload", v2=v2, field=unknown[0])


def _subnet(value):
    try:
        return ipaddress.ip_interface(value)
    except ValueError:
        return None


class Controller(object):
    """State of one console, one site (``default``). Thread-safe through one lock."""

    def __init__(self, legacy=False, session_ttl=3600.0, login_limit=30, login_window=10.0, zone_based=False):
        self.legacy = legacy
        self.session_ttl = session_ttl
        self.login_limit = login_limit
        self.login_window = login_window
        self.zone_based = zone_based
        self.lock = threading.RLock()
        self.reset()

    # -- state -------------------------------------------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.log = []
            self.sessions = {}
            self.logins = []
            self.failures = []
            self.expire_after = None
            self.csrf_rejects = 0
            self.missing = set()
            self.site_id = new_id()
            self.sites = [dict(_id=self.site_id, name="default", desc="Default", role="admin")]
            self.data = dict((name, {}) for name in COLLECTIONS)
            self.policies = {}
            self.zones = {}
            self.apgroups = {}
            self._seed()

    def _add(self, collection, obj):
        obj = dict(obj, _id=new_id(), site_id=self.site_id)
        self.data[collection][obj["_id"]] = obj
        return obj

    def _seed(self):
        self._add("networkconf", dict(name="Default", purpose="corporate", networkgroup="LAN", enabled=True,
                                      ip_subnet="192.168.1.1/24", vlan_enabled=False, dhcpd_enabled=True,
                                      dhcpd_start="192.168.1.6", dhcpd_stop="192.168.1.254",
                                      dhcpd_leasetime=86400, attr_no_delete=True, attr_hidden_id="LAN"))
        self._add("networkconf", dict(name="Primary (WAN1)", purpose="wan", wan_type="pppoe", wan_username="isp",
                                      x_wan_password="pppoe-secret", attr_no_delete=True, attr_hidden_id="WAN"))
        self._add("usergroup", dict(name="Default", attr_no_delete=True, qos_rate_max_down=-1, qos_rate_max_up=-1))
        for mac, name, ip in (("aa:bb:cc:00:00:01", "laptop", "192.168.1.20"),
                              ("aa:bb:cc:00:00:02", "printer", "192.168.1.21")):
            self._add("user", dict(mac=mac, name=name, oui="Sim", first_seen=1700000000, is_wired=True))
        group = dict(_id=new_id(), name="All APs", attr_no_delete=True, device_macs=[])
        self.apgroups[group["_id"]] = group
        for name in ("Internal", "External", "Gateway", "Vpn", "Hotspot", "Dmz"):
            zone = dict(_id=new_id(), name=name, zone_key=name.lower(), default_zone=True, network_ids=[])
            self.zones[zone["_id"]] = zone
        internal = self.zone_by_name("Internal")
        predefined = dict(_id=new_id(), name="Allow Return Traffic", action="ALLOW", predefined=True, enabled=True,
                          index=30000, protocol="all", ip_version="BOTH",
                          source=dict(zone_id=internal, matching_target="ANY"),
                          destination=dict(zone_id=internal, matching_target="ANY"))
        self.policies[predefined["_id"]] = predefined
        self.devices = [
            dict(_id=new_id(), mac="f4:e2:c6:00:00:01", model="UDMPRO", type="udm", name="udm-pro", state=1,
                 ip="192.168.1.1", version="4.1.13", adopted=True),
            dict(_id=new_id(), mac="f4:e2:c6:00:00:02", model="USW24P", type="usw", name="switch-rack", state=1,
                 ip="192.168.1.2", version="7.1.26", adopted=True),
        ]
        self.stations = [
            dict(_id=new_id(), mac="aa:bb:cc:00:00:01", hostname="laptop", ip="192.168.1.20", is_wired=True,
                 network="Default"),
        ]

    def zone_by_name(self, name):
        for zone in self.zones.values():
            if zone["name"] == name:
                return zone["_id"]
        return None

    # -- test helpers ------------------------------------------------------------------------------------------
    def expire_sessions(self):
        with self.lock:
            for session in self.sessions.values():
                session["expires"] = 0

    def fail_next(self, method, path_contains, status=503, count=1, retry_after=None):
        """The next ``count`` requests matching method and path answer ``status`` (429 or 5xx), with a
        ``Retry-After`` header when given."""
        with self.lock:
            self.failures.append(dict(method=method, path=path_contains, status=status, count=count,
                                      retry_after=retry_after))

    def expire_sessions_after(self, requests):
        """Every open session expires after ``requests`` more authenticated session requests (then 401)."""
        with self.lock:
            self.expire_after = requests

    def reject_csrf_next(self, count=1):
        """The next ``count`` writes on a session answer 403 api.err.InvalidCSRFToken, whatever token they carry."""
        with self.lock:
            self.csrf_rejects = count

    def live_sessions(self):
        now = time.monotonic()
        with self.lock:
            return [s for s in self.sessions.values() if s["expires"] >= now]

    def writes(self):
        """Non-GET requests that reached the network application (logins are not writes)."""
        return [entry for entry in self.log if entry["method"] != "GET" and "/api/auth/" not in entry["path"]
                and entry["path"] not in ("/api/login", "/api/logout")]

    def requests(self, method=None, contains=""):
        return [e for e in self.log if (method is None or e["method"] == method) and contains in e["path"]]

    def objects(self, collection):
        with self.lock:
            if collection == "firewall-policies":
                return [dict(p) for p in self.policies.values()]
            return [dict(o) for o in self.data[collection].values()]

    def find(self, collection, **match):
        found = [o for o in self.objects(collection) if all(o.get(k) == v for k, v in match.items())]
        return found[0] if found else None

    # -- auth ----------------------------------------------------------------------------------------------------
    def _token(self, csrf):
        def b64(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
        return "%s.%s.%s" % (b64({"alg": "HS256", "typ": "JWT"}), b64({"csrfToken": csrf, "jti": new_id()}),
                             secrets.token_urlsafe(16))

    def login(self, body):
        now = time.monotonic()
        self.logins = [t for t in self.logins if now - t < self.login_window]
        self.logins.append(now)
        if len(self.logins) > self.login_limit:
            return 429, {"code": "AUTHENTICATION_FAILED_LIMIT_REACHED", "message": "Too many login attempts"}, {}
        user = USERS.get((body or {}).get("username"))
        if user is None or user[0] != (body or {}).get("password"):
            if self.legacy:
                return 400, {"meta": {"rc": "error", "msg": "api.err.Invalid"}, "data": []}, {}
            return 401, {"code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS", "message": "Invalid username or password"}, {}
        csrf = secrets.token_hex(16)
        token = self._token(csrf)
        self.sessions[token] = dict(user=body["username"], role=user[1], csrf=csrf,
                                    expires=now + self.session_ttl)
        if self.legacy:
            cookies = ["unifises=%s; Path=/; Secure; HttpOnly" % token, "csrf_token=%s; Path=/; Secure" % csrf]
            reply = {"meta": {"rc": "ok"}, "data": []}
        else:
            cookies = ["TOKEN=%s; Path=/; Secure; HttpOnly; SameSite=Strict" % token]
            reply = {"username": body["username"], "isOwner": False}
        return 200, reply, {"Set-Cookie": cookies, "X-CSRF-Token": csrf}

    def logout(self, headers, cookies):
        token = cookies.get("unifises" if self.legacy else "TOKEN")
        session = self.sessions.get(token) if token else None
        if session is not None and headers.get("X-CSRF-Token") != session["csrf"]:
            return 403, {"meta": {"rc": "error", "msg": "api.err.InvalidCSRFToken"}, "data": []}, {}
        self.sessions.pop(token, None)
        name = "unifises" if self.legacy else "TOKEN"
        return 200, ({"meta": {"rc": "ok"}, "data": []} if self.legacy else {}), {
            "Set-Cookie": "%s=; Path=/; Max-Age=0" % name}

    def authenticate(self, method, headers, cookies):
        """(role, session or None, error tuple or None)."""
        key = headers.get("X-API-KEY")
        if key is not None and not self.legacy:
            if key == API_KEY:
                return "admin", None, None
            return None, None, (401, {"error": {"code": 401, "message": "Unauthorized"}})
        token = cookies.get("unifises" if self.legacy else "TOKEN")
        session = self.sessions.get(token) if token else None
        if session is not None and self.expire_after is not None:
            if self.expire_after <= 0:
                self.expire_after = None
                self.expire_sessions()
            else:
                self.expire_after -= 1
        if session is None or session["expires"] < time.monotonic():
            self.sessions.pop(token, None)
            return None, None, (401, {"meta": {"rc": "error", "msg": "api.err.LoginRequired"}, "data": []})
        if method != "GET" and self.csrf_rejects > 0:
            self.csrf_rejects -= 1
            return None, None, (403, {"meta": {"rc": "error", "msg": "api.err.InvalidCSRFToken"}, "data": []})
        if method != "GET" and headers.get("X-CSRF-Token") != session["csrf"]:
            return None, None, (403, {"meta": {"rc": "error", "msg": "api.err.InvalidCSRFToken"}, "data": []})
        return session["role"], session, None

    # -- dispatch ------------------------------------------------------------------------------------------------
    def handle(self, method, path, headers, cookies, body):
        """Returns (status, json body or None, extra headers)."""
        with self.lock:
            for failure in self.failures:
                if failure["count"] > 0 and failure["method"] == method and failure["path"] in path:
                    failure["count"] -= 1
                    extra = {}
                    if failure.get("retry_after") is not None:
                        extra["Retry-After"] = str(failure["retry_after"])
                    msg = "api.err.TooManyRequests" if failure["status"] == 429 else "api.err.ServerBusy"
                    return failure["status"], {"meta": {"rc": "error", "msg": msg}, "data": []}, extra
            if path == "/" and method == "GET":
                if self.legacy:
                    return 302, None, {"Location": "/manage"}
                return 200, None, {"Content-Type": "text/html"}
            login_path = "/api/login" if self.legacy else "/api/auth/login"
            if path == login_path and method == "POST":
                return self.login(body)
            logout_path = "/api/logout" if self.legacy else "/api/auth/logout"
            if path == logout_path and method == "POST":
                return self.logout(headers, cookies)
            prefix = "" if self.legacy else PREFIX
            if not path.startswith(prefix + "/api/") and not path.startswith(prefix + "/v2/api/"):
                return 404, {"meta": {"rc": "error", "msg": "api.err.NotFound"}, "data": []}, {}
            role, session, error = self.authenticate(method, headers, cookies)
            if error:
                return error[0], error[1], {}
            extra = {}
            if method != "GET" and role == "readonly":
                return 403, {"meta": {"rc": "error", "msg": "api.err.NoPermission"}, "data": []}, {}
            try:
                status, reply = self.route(method, path[len(prefix):], body)
            except ApiError as e:
                if e.v2:
                    reply = {"code": e.msg, "message": e.msg, "errorCode": e.status}
                    if e.field:
                        reply["message"] = "%s: unknown field %s" % (e.msg, e.field)
                    return e.status, reply, {}
                meta = {"rc": "error", "msg": e.msg}
                if e.field:
                    meta["validationError"] = {"field": e.field}
                return e.status, {"meta": meta, "data": []}, {}
            if session is not None and method != "GET":
                session["csrf"] = secrets.token_hex(16)
                extra["X-Updated-Csrf-Token"] = session["csrf"]
            return status, reply, extra

    def route(self, method, path, body):
        if path == "/api/self/sites" and method == "GET":
            return 200, ok(self.sites)
        m = re.match(r"^/api/s/([^/]+)/(rest|stat)/([a-z]+)(?:/([0-9a-f]+))?$", path)
        if m:
            self._site(m.group(1))
            kind, name, oid = m.group(2), m.group(3), m.group(4)
            if kind == "stat":
                if method != "GET" or name not in ("device", "sta"):
                    raise ApiError(404, "api.err.NotFound")
                return 200, ok(self.devices if name == "device" else self.stations)
            if name in self.missing:
                raise ApiError(404, "api.err.NotFound")
            if name not in COLLECTIONS:
                raise ApiError(400, "api.err.InvalidObject")
            return self.rest(method, name, oid, body)
        m = re.match(r"^/v2/api/site/([^/]+)/(firewall-policies|firewall/zone|apgroups)(?:/([0-9a-f]+))?$", path)
        if m:
            self._site(m.group(1), v2=True)
            name, oid = m.group(2), m.group(3)
            if name == "firewall/zone" and method == "GET" and oid is None:
                return 200, list(self.zones.values())
            if name in self.missing:
                raise ApiError(404, "api.err.NotFound", v2=True)
            if name == "apgroups" and method == "GET" and oid is None:
                return 200, list(self.apgroups.values())
            if name == "firewall-policies":
                return self.policy(method, oid, body)
            raise ApiError(405, "api.err.MethodNotAllowed", v2=True)
        raise ApiError(404, "api.err.NotFound")

    def _site(self, name, v2=False):
        if name not in [s["name"] for s in self.sites]:
            raise ApiError(400 if not v2 else 404, "api.err.NoSiteContext", v2=v2)

    # -- classic REST ----------------------------------------------------------------------------------------------
    def rest(self, method, name, oid, body):
        store = self.data[name]
        if method == "GET":
            if oid is None:
                return 200, ok(list(store.values()))
            if oid not in store:
                raise ApiError(400, "api.err.IdInvalid")
            return 200, ok([store[oid]])
        if method == "POST" and oid is None:
            if not isinstance(body, dict):
                raise ApiError(400, "api.err.InvalidPayload")
            _strict(FIELDS[name], body)
            obj = dict(body)
            obj.pop("_id", None)
            obj = self.validate(name, obj, None)
            obj = dict(obj, _id=new_id(), site_id=self.site_id)
            store[obj["_id"]] = obj
            return 200, ok([obj])
        if method == "PUT" and oid is not None:
            if oid not in store:
                raise ApiError(400, "api.err.IdInvalid")
            if not isinstance(body, dict):
                raise ApiError(400, "api.err.InvalidPayload")
            _strict(FIELDS[name], body)
            if body.get("_id") not in (None, oid):
                raise ApiError(400, "api.err.IdInvalid")
            # PUT replaces: what the body leaves out is gone; only server-owned fields survive.
            kept = dict((k, v) for k, v in store[oid].items() if k in ("_id", "site_id") or k.startswith("attr_"))
            replaced = dict((k, v) for k, v in body.items() if k not in ("_id", "site_id") and not k.startswith("attr_"))
            replaced.update(kept)
            replaced = self.validate(name, replaced, oid)
            store[oid] = replaced
            return 200, ok([replaced])
        if method == "DELETE" and oid is not None:
            if oid not in store:
                raise ApiError(400, "api.err.IdInvalid")
            if store[oid].get("attr_no_delete"):
                raise ApiError(400, "api.err.NoDelete")
            del store[oid]
            return 200, ok([])
        raise ApiError(405, "api.err.MethodNotAllowed")

    def _unique(self, name, obj, oid, field="name", msg="api.err.NameExisted"):
        for other in self.data[name].values():
            if other["_id"] != oid and other.get(field) == obj.get(field):
                raise ApiError(400, msg)

    def _ref(self, collection, value, msg):
        if value not in ("", None) and value not in self.data[collection]:
            raise ApiError(400, msg)

    def validate(self, name, obj, oid):
        getattr(self, "validate_" + name)(obj, oid)
        return obj

    def validate_networkconf(self, obj, oid):
        if not obj.get("name") or not obj.get("purpose"):
            raise ApiError(400, "api.err.InvalidPayload")
        self._unique("networkconf", obj, oid)
        if obj["purpose"] == "wan":
            return
        obj.setdefault("ipv6_interface_type", "none")
        obj.setdefault("dhcpd_leasetime", 86400)
        obj.setdefault("is_nat", True)
        if obj.get("vlan_enabled"):
            try:
                vlan = int(obj.get("vlan"))
            except (TypeError, ValueError):
                raise ApiError(400, "api.err.InvalidVlan")
            if not 2 <= vlan <= 4009:  # go-unifi's pattern for networkconf.vlan
                raise ApiError(400, "api.err.InvalidVlan")
            for other in self.data["networkconf"].values():
                if other["_id"] != oid and other.get("vlan_enabled") and str(other.get("vlan")) == str(vlan):
                    raise ApiError(400, "api.err.VlanUsed")
        if obj["purpose"] != "vlan-only":
            iface = _subnet(obj.get("ip_subnet") or "")
            if iface is None or iface.ip == iface.network.network_address:
                raise ApiError(400, "api.err.InvalidIpSubnet")
            for other in self.data["networkconf"].values():
                theirs = _subnet(other.get("ip_subnet") or "")
                if other["_id"] != oid and theirs is not None and theirs.network.overlaps(iface.network):
                    raise ApiError(400, "api.err.IpSubnetOverlapped")
            for field in ("dhcpd_start", "dhcpd_stop"):
                if obj.get("dhcpd_enabled") and obj.get(field):
                    try:
                        inside = ipaddress.ip_address(obj[field]) in iface.network
                    except ValueError:
                        inside = False
                    if not inside:
                        raise ApiError(400, "api.err.DhcpRangeNotInSubnet")

    def validate_firewallgroup(self, obj, oid):
        if obj.get("group_type") not in ("address-group", "ipv6-address-group", "port-group") or not obj.get("name"):
            raise ApiError(400, "api.err.InvalidPayload")
        self._unique("firewallgroup", obj, oid)
        if not isinstance(obj.get("group_members", []), list):
            raise ApiError(400, "api.err.InvalidPayload")
        for member in obj.get("group_members", []):
            if obj["group_type"] == "port-group":
                if not re.match(r"^\d+(-\d+)?$", str(member)):
                    raise ApiError(400, "api.err.InvalidPort")
            else:
                try:
                    ipaddress.ip_network(member, strict=False)
                except ValueError:
                    raise ApiError(400, "api.err.InvalidIp")

    def validate_firewallrule(self, obj, oid):
        if self.zone_based:
            raise ApiError(400, "api.err.FirewallRuleIndexOutOfRange")
        if obj.get("ruleset") not in RULESETS or obj.get("action") not in ("accept", "drop", "reject"):
            raise ApiError(400, "api.err.InvalidPayload")
        try:
            index = int(obj.get("rule_index"))
        except (TypeError, ValueError):
            raise ApiError(400, "api.err.FirewallRuleIndexOutOfRange")
        if not (2000 <= index <= 2999 or 4000 <= index <= 4999):
            raise ApiError(400, "api.err.FirewallRuleIndexOutOfRange")
        for other in self.data["firewallrule"].values():
            if other["_id"] != oid and other.get("ruleset") == obj["ruleset"] and int(other["rule_index"]) == index:
                raise ApiError(400, "api.err.FirewallRuleIndexExisted")
        for side in ("src", "dst"):
            self._ref("networkconf", obj.get("%s_networkconf_id" % side), "api.err.InvalidNetworkconfId")
            for gid in obj.get("%s_firewallgroup_ids" % side) or []:
                self._ref("firewallgroup", gid, "api.err.InvalidFirewallGroupId")

    def validate_portforward(self, obj, oid):
        if not obj.get("name") or not obj.get("dst_port") or not obj.get("fwd_port"):
            raise ApiError(400, "api.err.InvalidPayload")
        self._unique("portforward", obj, oid)
        try:
            ipaddress.ip_address(obj.get("fwd") or "")
        except ValueError:
            raise ApiError(400, "api.err.InvalidFwdIp")
        if obj.get("src_limiting_type") == "firewall_group":
            self._ref("firewallgroup", obj.get("src_firewall_group_id"), "api.err.InvalidFirewallGroupId")

    def validate_wlanconf(self, obj, oid):
        if not obj.get("name"):
            raise ApiError(400, "api.err.InvalidPayload")
        self._unique("wlanconf", obj, oid, msg="api.err.DuplicateSsid")
        if obj.get("security") == "wpapsk" and not 8 <= len(obj.get("x_passphrase") or "") <= 63:
            raise ApiError(400, "api.err.InvalidPassphrase")
        if obj.get("networkconf_id") not in self.data["networkconf"]:
            raise ApiError(400, "api.err.InvalidNetworkconfId")
        if obj.get("usergroup_id") not in self.data["usergroup"]:
            raise ApiError(400, "api.err.InvalidUsergroupId")
        if "apgroups" in self.missing:  # an older controller: no AP groups, none required
            if obj.get("ap_group_ids"):
                raise ApiError(400, "api.err.InvalidPayload", field="ap_group_ids")
        elif not obj.get("ap_group_ids") or any(g not in self.apgroups for g in obj["ap_group_ids"]):
            raise ApiError(400, "api.err.ApGroupMissing")

    def validate_user(self, obj, oid):
        mac = (obj.get("mac") or "").lower()
        if not re.match(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", mac):
            raise ApiError(400, "api.err.InvalidMac")
        obj["mac"] = mac
        self._unique("user", obj, oid, field="mac", msg="api.err.MacUsed")
        if obj.get("use_fixedip"):
            network = self.data["networkconf"].get(obj.get("network_id"))
            if network is None:
                raise ApiError(400, "api.err.InvalidNetworkconfId")
            iface = _subnet(network.get("ip_subnet") or "")
            try:
                inside = iface is not None and ipaddress.ip_address(obj.get("fixed_ip") or "") in iface.network
            except ValueError:
                inside = False
            if not inside:
                raise ApiError(400, "api.err.FixedIpNotInSubnet")
            for other in self.data["user"].values():
                if other["_id"] != oid and other.get("use_fixedip") and other.get("fixed_ip") == obj["fixed_ip"]:
                    raise ApiError(400, "api.err.FixedIpUsed")

    def validate_usergroup(self, obj, oid):
        self._unique("usergroup", obj, oid)

    # -- v2 firewall policies ------------------------------------------------------------------------------------
    def policy(self, method, oid, body):
        if method == "GET" and oid is None:
            return 200, list(self.policies.values())
        if method in ("POST", "PUT") and not self.zone_based:
            raise ApiError(400, "api.err.ZoneBasedFirewallNotEnabled", v2=True)
        if method == "POST" and oid is None:
            obj = self.validate_policy(dict(body or {}), None)
            obj["_id"] = new_id()
            obj["index"] = 10000 + len(self.policies)
            obj.setdefault("predefined", False)
            self.policies[obj["_id"]] = obj
            return 200, obj
        if oid is None or oid not in self.policies:
            raise ApiError(404, "api.err.ObjectNotFound", v2=True)
        if method == "PUT":
            if (body or {}).get("_id") != oid:
                raise ApiError(400, "api.err.IdMismatch", v2=True)
            obj = self.validate_policy(dict(body), oid)
            obj["index"] = self.policies[oid].get("index")
            self.policies[oid] = obj
            return 200, obj
        if method == "DELETE":
            if self.policies[oid].get("predefined"):
                raise ApiError(400, "api.err.PredefinedPolicy", v2=True)
            del self.policies[oid]
            return 204, None
        raise ApiError(405, "api.err.MethodNotAllowed", v2=True)

    def validate_policy(self, obj, oid):
        _strict(POLICY_FIELDS, obj, v2=True)
        if not obj.get("name") or obj.get("action") not in ("ALLOW", "BLOCK", "REJECT"):
            raise ApiError(400, "api.err.InvalidPayload", v2=True)
        for other in self.policies.values():
            if other["_id"] != oid and other.get("name") == obj["name"]:
                raise ApiError(400, "api.err.NameExisted", v2=True)
        for side in ("source", "destination"):
            endpoint = obj.get(side)
            if not isinstance(endpoint, dict) or endpoint.get("zone_id") not in self.zones:
                raise ApiError(400, "api.err.InvalidZoneId", v2=True)
            for nid in endpoint.get("network_ids") or []:
                if nid not in self.data["networkconf"]:
                    raise ApiError(400, "api.err.InvalidNetworkId", v2=True)
        if not isinstance(obj.get("schedule"), dict):
            raise ApiError(400, "api.err.InvalidSchedule", v2=True)
        return obj


def ok(data):
    return {"meta": {"rc": "ok"}, "data": data}


# ---------------------------------------------------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "UniFiSimulator/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _cookies(self):
        out = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                key, value = part.strip().split("=", 1)
                out[key] = value
        return out

    def _serve(self):
        controller = self.server.controller
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                self._reply(400, {"meta": {"rc": "error", "msg": "api.err.InvalidJson"}, "data": []}, {})
                return
        status, reply, headers = controller.handle(self.command, path, self.headers, self._cookies(), body)
        with controller.lock:
            controller.log.append(dict(method=self.command, path=path, status=status, body=body, time=time.monotonic(),
                                       api_key="X-API-KEY" in self.headers, csrf=self.headers.get("X-CSRF-Token")))
        self._reply(status, reply, headers)

    def _reply(self, status, reply, headers):
        payload = b"" if reply is None else json.dumps(reply).encode()
        if status == 200 and reply is None:
            payload = b"<html><body>UniFi OS</body></html>"
        self.send_response(status)
        content_type = "application/json" if reply is not None else "text/html"
        for key, value in headers.items():
            if key == "Content-Type":
                content_type = value
                continue
            for item in value if isinstance(value, list) else [value]:
                self.send_header(key, item)
        if payload:
            self.send_header("Content-Type", content_type + ("; charset=utf-8" if "json" in content_type else ""))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class Simulator(object):
    """Start with ``start()``; ``url``, ``ca_path`` and ``controller`` for the tests; ``stop()`` at the end."""

    def __init__(self, directory=None, port=0, **controller_options):
        self.directory = directory or tempfile.mkdtemp(prefix="unifi-sim-")
        self.requested_port = port
        self.ca_path, self.cert_path, self.key_path = make_tls(self.directory)
        self.controller = Controller(**controller_options)
        self.httpd = None
        self.thread = None

    def start(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.requested_port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.controller = self.controller
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="unifi-simulator", daemon=True)
        self.thread.start()
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

    parser = argparse.ArgumentParser(description="UniFi OS (UDM Pro) API simulator (HTTPS, test CA)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--directory", help="where the CA and server certificate are written (ca.pem)")
    args = parser.parse_args()
    if args.directory:
        os.makedirs(args.directory, exist_ok=True)
    sim = Simulator(directory=args.directory, port=args.port).start()
    print("UniFi simulator at %s (CA %s); users %s; API key %s" % (sim.url, sim.ca_path, sorted(USERS), API_KEY),
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()
