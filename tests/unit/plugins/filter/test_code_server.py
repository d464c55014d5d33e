# -*- coding: utf-8 -*-
"""The code_server filters: argon2id password hash, assistant endpoints from the vLLM hosts, settings merge."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter.code_server import (  # noqa: E402
    FilterModule,
    code_server_assistant,
    code_server_node_satisfies,
    code_server_password_hash,
    code_server_settings_merge,
)

# Small costs keep the tests fast; the format and the verification are the same as with the defaults.
FAST = {"memory_cost": 64, "time_cost": 1, "parallelism": 1}


def _independent_verify(password, phc):
    """Verify with cryptography's own PHC parser (a second implementation, not the filter's)."""
    Argon2id.verify_phc_encoded(password.encode(), phc)


def test_hash_is_a_phc_argon2id_string_another_implementation_verifies():
    phc = code_server_password_hash("correct horse battery", **FAST)
    head, salt, digest = phc.rsplit("$", 2)
    assert head == "$argon2id$v=19$m=64,t=1,p=1"
    assert len(base64.b64decode(salt + "==")) == 16 and "=" not in salt
    assert len(base64.b64decode(digest + "=")) == 32 and "=" not in digest
    _independent_verify("correct horse battery", phc)          # positive control
    with pytest.raises(Exception):                              # wrong password refused by the same verifier
        _independent_verify("wrong horse battery", phc)


def test_default_costs_follow_the_argon2_library_defaults():
    phc = code_server_password_hash("pw")
    assert phc.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    _independent_verify("pw", phc)


def test_hash_made_elsewhere_is_kept_when_it_verifies():
    elsewhere = Argon2id(salt=b"0123456789abcdef", length=32, iterations=1, lanes=1,
                         memory_cost=64).derive_phc_encoded(b"s3cret-pass")
    assert code_server_password_hash("s3cret-pass", current=elsewhere, **FAST) == elsewhere


def test_current_hash_kept_only_while_the_password_matches():
    first = code_server_password_hash("first-password", **FAST)
    assert code_server_password_hash("first-password", current=first, **FAST) == first
    assert code_server_password_hash("first-password", current=first + "\n", **FAST) == first
    changed = code_server_password_hash("second-password", current=first, **FAST)
    assert changed != first
    _independent_verify("second-password", changed)


def test_new_hashes_get_new_salts():
    assert code_server_password_hash("same", **FAST) != code_server_password_hash("same", **FAST)


@pytest.mark.parametrize("current", ["", "not-a-hash", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                                     "$argon2id$v=19$m=64,t=1,p=1$!!!$???", "$2b$10$bcrypthashbcrypthash"])
def test_anything_else_in_the_file_is_replaced(current):
    phc = code_server_password_hash("pw", current=current, **FAST)
    assert phc != current
    _independent_verify("pw", phc)


@pytest.mark.parametrize("password", ["", None, 123])
def test_empty_or_non_string_password_refused(password):
    with pytest.raises(AnsibleFilterError, match="non-empty string"):
        code_server_password_hash(password)


@pytest.mark.parametrize("kwargs", [{"time_cost": 0}, {"parallelism": 0}, {"memory_cost": 4, "parallelism": 1},
                                    {"time_cost": True}])
def test_bad_costs_refused(kwargs):
    with pytest.raises(AnsibleFilterError):
        code_server_password_hash("pw", **kwargs)


GPU = {
    "host": "gpu1",
    "server_name": "gpu1.dc1.example.internal",
    "api_key": "key-from-vault-0123456789",
    "models": [
        {"name": "r1-qwen-7b", "model": "deepseek-r1-distill-qwen-7b", "port": 8001, "proxy_port": 8443},
        {"name": "coder", "model": "deepseek-ai/deepseek-coder-6.7b-instruct", "port": 8002, "proxy_port": 8444},
    ],
}


def test_assistant_picks_r1_for_chat_and_coder_for_autocomplete():
    got = code_server_assistant([GPU])
    assert got["chat"] == {"name": "r1-qwen-7b", "host": "gpu1", "api_key": "key-from-vault-0123456789",
                           "api_base": "https://gpu1.dc1.example.internal:8443/v1"}
    assert got["autocomplete"]["name"] == "coder"
    assert got["autocomplete"]["api_base"] == "https://gpu1.dc1.example.internal:8444/v1"


def test_assistant_server_name_defaults_to_the_host_and_key_override_wins():
    backend = dict(GPU, server_name="", api_key="")
    got = code_server_assistant([backend], api_key="override-key-0123456789")
    assert got["chat"]["api_base"] == "https://gpu1:8443/v1"
    assert got["chat"]["api_key"] == got["autocomplete"]["api_key"] == "override-key-0123456789"


def test_assistant_models_across_hosts_and_named_choice():
    other = {"host": "gpu2", "api_key": "k2-0123456789abcdef",
             "models": [{"name": "coder-v2", "model": "deepseek-coder-v2-lite-instruct", "proxy_port": 9443}]}
    got = code_server_assistant([GPU, other], autocomplete_model="coder-v2", chat_model="coder")
    assert got["autocomplete"] == {"name": "coder-v2", "host": "gpu2", "api_key": "k2-0123456789abcdef",
                                   "api_base": "https://gpu2:9443/v1"}
    assert got["chat"]["name"] == "coder"


def test_assistant_without_a_coder_has_no_autocomplete_and_chat_falls_back():
    only = dict(GPU, models=[{"name": "llama", "model": {"hf_id": "meta/llama", "params_b": 8}, "proxy_port": 8443}])
    got = code_server_assistant([only])
    assert got["chat"]["name"] == "llama"
    assert got["autocomplete"] is None


def test_assistant_without_models_is_none():
    assert code_server_assistant([]) is None
    assert code_server_assistant([dict(GPU, models=[])]) is None


@pytest.mark.parametrize("backends, kwargs, message", [
    ([GPU], {"chat_model": "missing"}, "no vLLM model named 'missing' for chat"),
    ([dict(GPU, api_key="")], {}, "no API key for gpu1"),
    ([dict(GPU, models=[{"name": "x"}])], {}, "without name or proxy_port"),
    ([{"models": []}], {}, "needs a host"),
    ("gpu1", {}, "expects a list"),
])
def test_assistant_refuses_what_it_cannot_use(backends, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        code_server_assistant(backends, **kwargs)


def test_settings_merge_keeps_user_keys_and_overrides_managed_ones():
    current = """{
      // the user's own choice, with a comment and a trailing comma
      "editor.fontSize": 15,
      "telemetry.telemetryLevel": "all",
      "a": {"b": 1, "c": "x // not a comment", },
      /* block */ "url": "https://example.org/*x*/",
    }"""
    got = code_server_settings_merge(current, {"telemetry.telemetryLevel": "off", "a": {"d": 2}})
    assert got == {"editor.fontSize": 15, "telemetry.telemetryLevel": "off",
                   "a": {"b": 1, "c": "x // not a comment", "d": 2}, "url": "https://example.org/*x*/"}


@pytest.mark.parametrize("current", ["", None, "   ", "not json", "[1, 2]"])
def test_settings_merge_from_nothing_or_garbage(current):
    assert code_server_settings_merge(current, {"k": True}) == {"k": True}


def test_settings_merge_refuses_non_dict():
    with pytest.raises(AnsibleFilterError):
        code_server_settings_merge("{}", ["k"])


@pytest.mark.parametrize("version, engines, expected", [
    ("24.21.0", "24", True),               # code-server 4.139.1's own range
    ("20.19.2", "24", False),              # Debian 13's nodejs
    ("18.19.0", "24", False),              # Debian 12's nodejs
    ("24.21.0", "24.x", True),
    ("24.21.0", ">=22.9.0", True),
    ("22.8.0", ">=22.9.0", False),
    ("24.21.0", "^20.17.0 || >=22.9.0", True),
    ("20.17.0", "^20.17.0 || >=22.9.0", True),
    ("21.0.0", "^20.17.0 || >=22.9.0", False),
    ("24.21.0", "^22.22.2 || ^24.15.0 || >=26.0.0", True),
    ("24.14.9", "^22.22.2 || ^24.15.0 || >=26.0.0", False),
    ("25.0.0", "^22.22.2 || ^24.15.0 || >=26.0.0", False),
    ("24.1.5", "~24.1.0", True),
    ("24.2.0", "~24.1.0", False),
    ("24.0.0", ">=20 <25", True),
    ("25.0.0", ">=20 <25", False),
    ("24.21.0", "", True),
    ("24.21.0", "*", True),
    ("v24.21.0", "=24.21.0", True),
])
def test_node_satisfies_engines(version, engines, expected):
    assert code_server_node_satisfies(version, engines) is expected


@pytest.mark.parametrize("version, engines", [("twenty", "24"), ("24.21.0", ">=banana"), ("24", "24")])
def test_node_satisfies_refuses_what_it_cannot_read(version, engines):
    with pytest.raises(AnsibleFilterError):
        code_server_node_satisfies(version, engines)


def test_filters_registered():
    assert set(FilterModule().filters()) == {"code_server_password_hash", "code_server_assistant",
                                             "code_server_settings_merge", "code_server_node_satisfies"}
