# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the code_server role, all run on the controller.

code_server_password_hash(password, current='', memory_cost=65536, time_cost=3, parallelism=4)
    The argon2id ``hashed-password`` of code-server's config.yaml, in the PHC string format code-server's
    ``argon2`` library verifies ($argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>, unpadded base64). A fresh hash has
    a random salt, so when ``current`` (the hash in the file now) already verifies ``password`` it is returned as it
    is and the file does not change on every run. Uses the ``cryptography`` library ansible-core depends on
    (Argon2id since cryptography 44); nothing extra to install on the controller, nothing on the host.

code_server_assistant(backends, chat_model='', autocomplete_model='', api_key='')
    The assistant's model list from the vLLM hosts of the inventory. ``backends`` is a list of
    {host, server_name, api_key, models} (``models`` = that host's ``vllm_models``). Each model is reached through
    the vllm role's TLS proxy at https://<server_name>:<proxy_port>/v1. Chat goes to the named model or the first
    DeepSeek-R1 distill (else the first model); autocomplete and edit to the named model or the first
    DeepSeek-Coder (none when there is none). Returns {chat: {...}, autocomplete: {...} or None} where each entry
    is {name, host, api_base, api_key}; None when there is no model at all.

code_server_node_satisfies(version, engines)
    Whether a Node.js version (24.21.0) satisfies a package's ``engines.node`` range: alternatives joined by ``||``,
    each a space-separated list of comparators (``24``, ``24.x``, ``^24.15.0``, ``~24.1``, ``>=20``, ``<25``, ``=24.1.0``).
    An empty range allows everything; a range it cannot read stops the play instead of guessing.

code_server_settings_merge(current, managed)
    Merges the managed VS Code user settings (a dict) over the settings file's current text (JSON with the
    comments and trailing commas VS Code allows; empty or unreadable text counts as {}), recursively for nested
    objects. Returns the merged dict; the role writes it sorted, so the same inputs give the same file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hmac
import json
import os
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.six import string_types

try:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    HAS_ARGON2 = True
except ImportError:  # cryptography < 44
    HAS_ARGON2 = False

SALT_BYTES = 16
HASH_BYTES = 32
_PHC = re.compile(
    r"^\$argon2id\$v=19\$m=(?P<m>[0-9]+),t=(?P<t>[0-9]+),p=(?P<p>[0-9]+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)


def _b64(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _argon2id(password, salt, memory_cost, time_cost, parallelism, length):
    if not HAS_ARGON2:
        raise AnsibleFilterError(
            "code_server_password_hash needs the Python 'cryptography' library 44 or newer on the controller "
            "(Argon2id); upgrade it in the environment that runs ansible-playbook"
        )
    kdf = Argon2id(salt=salt, length=length, iterations=time_cost, lanes=parallelism, memory_cost=memory_cost)
    return kdf.derive(password)


def _verifies(password, current):
    match = _PHC.match(current)
    if not match:
        return False
    try:
        salt = _unb64(match.group("salt"))
        expected = _unb64(match.group("hash"))
        got = _argon2id(password, salt, int(match.group("m")), int(match.group("t")), int(match.group("p")),
                        len(expected))
    except (ValueError, TypeError):  # bad base64, parameters the KDF refuses
        return False
    return hmac.compare_digest(got, expected)


def code_server_password_hash(password, current="", memory_cost=65536, time_cost=3, parallelism=4):
    """argon2id PHC hash of ``password``; ``current`` when it already verifies."""
    if not isinstance(password, string_types) or not password:
        raise AnsibleFilterError("code_server_password_hash: the password must be a non-empty string")
    for name, value, low in (("memory_cost", memory_cost, 8 * parallelism), ("time_cost", time_cost, 1),
                             ("parallelism", parallelism, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise AnsibleFilterError(f"code_server_password_hash: {name} must be an integer >= {low}")
    secret = to_bytes(password, errors="surrogate_or_strict")
    current = to_text(current or "").strip()
    if current and _verifies(secret, current):
        return current
    salt = os.urandom(SALT_BYTES)
    digest = _argon2id(secret, salt, memory_cost, time_cost, parallelism, HASH_BYTES)
    return f"$argon2id$v=19$m={memory_cost},t={time_cost},p={parallelism}${_b64(salt)}${_b64(digest)}"


def _model_text(model):
    spec = model.get("model", "")
    if isinstance(spec, dict):
        spec = spec.get("hf_id", "") or spec.get("name", "")
    return f"{model.get('name', '')} {spec}".lower()


def _is_r1(model):
    return "r1" in _model_text(model)


def _is_coder(model):
    return "coder" in _model_text(model)


def code_server_assistant(backends, chat_model="", autocomplete_model="", api_key=""):
    """Chat and autocomplete endpoints of the vLLM proxy from the inventory's vLLM hosts."""
    if not isinstance(backends, list):
        raise AnsibleFilterError("code_server_assistant: expects a list of {host, server_name, api_key, models}")
    candidates = []
    for backend in backends:
        if not isinstance(backend, dict) or "host" not in backend:
            raise AnsibleFilterError(f"code_server_assistant: a backend needs a host: {backend!r}")
        for model in backend.get("models") or []:
            if not isinstance(model, dict) or "name" not in model or "proxy_port" not in model:
                raise AnsibleFilterError(
                    f"code_server_assistant: vllm_models of {backend['host']} has an entry without name or proxy_port"
                )
            key = api_key or backend.get("api_key") or ""
            if not key:
                raise AnsibleFilterError(
                    f"code_server_assistant: no API key for {backend['host']} (set vllm_api_key for it, or "
                    "code_server_assistant_api_key)"
                )
            server = backend.get("server_name") or backend["host"]
            candidates.append((model, {
                "name": model["name"],
                "host": backend["host"],
                "api_base": f"https://{server}:{int(model['proxy_port'])}/v1",
                "api_key": key,
            }))
    if not candidates:
        return None

    def pick(wanted, role, looks_right, fallback):
        if wanted:
            for model, entry in candidates:
                if model["name"] == wanted:
                    return entry
            names = ", ".join(sorted(candidate[0]["name"] for candidate in candidates))
            raise AnsibleFilterError(f"code_server_assistant: no vLLM model named {wanted!r} for {role} ({names})")
        for model, entry in candidates:
            if looks_right(model):
                return entry
        return candidates[0][1] if fallback else None

    return {
        "chat": pick(chat_model, "chat", _is_r1, True),
        "autocomplete": pick(autocomplete_model, "autocomplete", _is_coder, False),
    }


_SEMVER = re.compile(r"^v?([0-9]+)(?:\.([0-9]+|[xX*]))?(?:\.([0-9]+|[xX*]))?$")
_COMPARATOR = re.compile(r"^(\^|~|>=|<=|>|<|=)?\s*(v?[0-9][0-9A-Za-z.*]*|\*)$")


def _version(text):
    match = _SEMVER.match(text)
    if not match:
        return None
    parts = [int(p) if p is not None and p.isdigit() else None for p in match.groups()]
    return parts


def _satisfies_one(have, op, want):
    if want is None:  # "*"
        return True
    known = [p for p in want if p is not None]
    padded = known + [0] * (3 - len(known))
    if op in ("", "="):
        return have[:len(known)] == known
    if op == ">=":
        return have >= padded
    if op == ">":
        return have[:len(known)] > known
    if op == "<=":
        return have[:len(known)] <= known
    if op == "<":
        return have < padded
    if op == "~":
        fixed = known[:2] if len(known) >= 2 else known
        return have >= padded and have[:len(fixed)] == fixed
    # "^": the left-most non-zero part stays
    lead = next((i for i, p in enumerate(padded) if p != 0), len(known) - 1)
    return have >= padded and have[:lead + 1] == padded[:lead + 1]


def code_server_node_satisfies(version, engines):
    """Whether Node.js ``version`` satisfies the ``engines.node`` range ``engines``."""
    have = _version(to_text(version).strip())
    if have is None or None in have:
        raise AnsibleFilterError(f"code_server_node_satisfies: not a Node.js version: {version!r}")
    text = to_text(engines or "").strip()
    if not text:
        return True
    for alternative in text.split("||"):
        tokens = re.findall(r"(?:\^|~|>=|<=|>|<|=)?\s*[^\s^~<>=]+", alternative.strip())
        if not tokens:
            raise AnsibleFilterError(f"code_server_node_satisfies: cannot read the engines range {text!r}")
        ok = True
        for token in tokens:
            match = _COMPARATOR.match(token.strip())
            want = _version(match.group(2)) if match and match.group(2) != "*" else None
            if not match or (want is None and match.group(2) != "*"):
                raise AnsibleFilterError(f"code_server_node_satisfies: cannot read the engines range {text!r}")
            ok = ok and _satisfies_one(have, match.group(1) or "", want)
        if ok:
            return True
    return False


_JSONC_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)


def _parse_jsonc(text):
    cleaned = _JSONC_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    if not cleaned.strip():
        return {}
    try:
        value = json.loads(cleaned)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def code_server_settings_merge(current, managed):
    """The settings file's current JSON(C) text with ``managed`` merged over it."""
    if not isinstance(managed, dict):
        raise AnsibleFilterError("code_server_settings_merge: the managed settings must be a dict")
    return _merge(_parse_jsonc(to_text(current or "")), managed)


class FilterModule(object):
    """code-server: password hash, assistant endpoints, settings merge, Node.js engines check."""

    def filters(self):
        return {
            "code_server_password_hash": code_server_password_hash,
            "code_server_assistant": code_server_assistant,
            "code_server_settings_merge": code_server_settings_merge,
            "code_server_node_satisfies": code_server_node_satisfies,
        }
