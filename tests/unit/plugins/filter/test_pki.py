# -*- coding: utf-8 -*-
"""The pki filters: requests with defaults, CA trust by SHA-256 fingerprint (refusal, rotation, finish), result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import pathlib
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter.pki import (  # noqa: E402
    pki_check_requests,
    pki_requests,
    pki_result,
    pki_trust,
    pki_trust_map,
)


def _cert(name, issuer_key=None, issuer_name=None, serial=1):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2026, 1, 1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(issuer_key or key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    fp = ":".join("%02X" % b for b in cert.fingerprint(hashes.SHA256()))
    return key, subject, pem, fp


@pytest.fixture(scope="module")
def cas():
    old_key, old_name, old_pem, old_fp = _cert("old CA")
    new_key, new_name, new_pem, new_fp = _cert("new CA")
    leaf_old = _cert("web", old_key, old_name, serial=77)[2]
    leaf_new = _cert("web", new_key, new_name, serial=88)[2]
    return {"old": (old_pem, old_fp), "new": (new_pem, new_fp), "leaf_old": leaf_old, "leaf_new": leaf_new}


def test_fresh_host_trusts_only_the_ca(cas):
    pem, fp = cas["new"]
    trust = pki_trust("", pem)
    assert trust["foreign"] is False
    assert trust["ca_fingerprint"] == fp
    assert trust["bundle"] == pem
    assert trust["signed"] is None


def test_same_ca_is_idempotent(cas):
    pem = cas["new"][0]
    trust = pki_trust(pem, pem, cert=cas["leaf_new"])
    assert trust["foreign"] is False
    assert trust["bundle"] == pem
    assert trust["signed"] is True


def test_another_ca_is_foreign_and_names_both(cas):
    new_pem, new_fp = cas["new"]
    old_pem, old_fp = cas["old"]
    trust = pki_trust(old_pem, new_pem, cert=cas["leaf_old"])
    assert trust["foreign"] is True
    assert trust["held"] == [old_fp]
    assert trust["ca_fingerprint"] == new_fp
    assert trust["signed"] is False


def test_rotation_trusts_both_then_finish_drops_the_old(cas):
    new_pem, new_fp = cas["new"]
    old_pem, old_fp = cas["old"]
    rotating = pki_trust(old_pem, new_pem, rotate=True)
    assert rotating["rotating"] is True
    assert rotating["bundle"] == new_pem + old_pem
    assert rotating["others"] == [old_fp]
    steady = pki_trust(rotating["bundle"], new_pem)
    assert steady["foreign"] is False
    assert steady["bundle"] == rotating["bundle"]
    finished = pki_trust(rotating["bundle"], new_pem, finish=True)
    assert finished["bundle"] == new_pem
    assert finished["others"] == []


def test_ca_must_be_one_certificate(cas):
    with pytest.raises(AnsibleFilterError):
        pki_trust("", cas["new"][0] + cas["old"][0])
    with pytest.raises(AnsibleFilterError):
        pki_trust("", "")


def test_requests_defaults_and_paths():
    wanted = [{"name": "a", "directory": "/etc/x/"},
              {"name": "b", "directory": "/etc/y", "usage": "client", "notify": "Restart y"}]
    reqs = pki_requests(wanted, ["DNS:h"], "h")
    assert reqs[0]["cert"] == "/etc/x/a.crt" and reqs[0]["key"] == "/etc/x/a.key" and reqs[0]["ca"] == "/etc/x/ca.crt"
    assert reqs[0]["subject_alt_names"] == ["DNS:h"] and reqs[0]["common_name"] == "h"
    assert reqs[0]["usage"] == "server" and reqs[0]["mode"] == "0640" and reqs[0]["notify"] == []
    assert reqs[1]["usage"] == "client" and reqs[1]["notify"] == ["Restart y"]


def test_requests_refuse_duplicates_and_missing_keys():
    with pytest.raises(AnsibleFilterError, match="twice"):
        pki_requests([{"name": "a", "directory": "/x"}, {"name": "a", "directory": "/y"}], [], "h")
    with pytest.raises(AnsibleFilterError, match="name and a directory"):
        pki_requests([{"name": "a"}], [], "h")


def test_result_keyed_by_name(cas):
    reqs = pki_requests([{"name": "web", "directory": "/d"}, {"name": "api", "directory": "/d"}], [], "h")
    res = pki_result(reqs, {"/d/web.crt": cas["leaf_old"]}, {"web": cas["leaf_new"]}, ["web"])
    # _cert: valid until 2026-01-01 + 3650 days, 2035-12-30T00:00:00Z
    assert res["web"] == {"changed": True, "serial": 88, "not_after": 2082585600, "certificate": "/d/web.crt",
                          "key": "/d/web.key", "ca": "/d/ca.crt"}
    assert res["api"]["changed"] is False and res["api"]["serial"] is None and res["api"]["not_after"] is None


def test_trust_map_per_request(cas):
    reqs = pki_requests([{"name": "web", "directory": "/d"}], [], "h")
    trust = pki_trust_map(reqs, {"/d/ca.crt": cas["old"][0]}, cas["new"][0])
    assert trust["web"]["foreign"] is True


def test_check_requests_keep_the_compared_fields_and_name_the_usages():
    requests = pki_requests([
        {"name": "web", "directory": "/etc/web/pki", "usage": "server_client", "notify": "Restart web"},
        {"name": "gw", "directory": "/etc/gw", "usage": "client", "empty_subject": True,
         "subject_alt_names": ["DNS:gw"]},
    ], ["DNS:db1", "IP:10.0.0.11"], "db1")
    eku = {"server": ["serverAuth"], "client": ["clientAuth"], "server_client": ["serverAuth", "clientAuth"]}
    checks = pki_check_requests(requests, ["digitalSignature", "keyAgreement"], eku)
    assert checks[0] == {
        "name": "web", "cert": "/etc/web/pki/web.crt", "key": "/etc/web/pki/web.key", "ca": "/etc/web/pki/ca.crt",
        "directory": "/etc/web/pki", "owner": "root", "group": "root", "mode": "0640", "directory_mode": "0750",
        "common_name": "db1", "subject_alt_names": ["DNS:db1", "IP:10.0.0.11"],
        "key_usage": ["digitalSignature", "keyAgreement"], "extended_key_usage": ["serverAuth", "clientAuth"]}
    assert checks[1]["common_name"] == "" and checks[1]["extended_key_usage"] == ["clientAuth"]
    with pytest.raises(AnsibleFilterError, match="unknown usage"):
        pki_check_requests([dict(requests[0], usage="email")], [], eku)
