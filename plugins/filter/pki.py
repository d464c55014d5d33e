# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which CA a host trusts, and the ca.crt it should hold, for the pki role's `certificate` entry point.

pki_trust(held, ca, rotate=False, finish=False, cert='') compares the CA bundle a host holds (the text of an existing
ca.crt, '' when there is none) with the CA certificate the role would use, by SHA-256 fingerprint:

  foreign   the host holds a ca.crt and the role's CA is not in it: its certificates come from another CA.
            The role refuses to go on unless a rotation was asked for (rotate).
  bundle    the ca.crt to install: the role's CA first, then the other CAs the host trusts, kept during a
            rotation and in the steady state after it; `finish` drops them (the last step of a rotation).
  others    fingerprints of the other CAs in the bundle.
  signed    whether `cert` (the text of the host's current certificate; '' when none) was signed by the role's
            CA (None without a certificate): a certificate of another CA is re-issued.

pki_trust_map(requests, held, ca, rotate, finish) applies pki_trust to every request (name -> trust).

pki_requests(certificates, default_sans, common_name) fills in the defaults of each request of pki_certificates
and adds the paths: cert (<directory>/<name>.crt), key (<name>.key) and ca (<directory>/ca.crt).

pki_check_requests(requests, key_usage, extended_key_usage) turns the requests into the certificates option of the
pki_check module: the fields it compares, with the key usage names and the extended key usage names of each
request's usage (`extended_key_usage` maps a usage to its names).

pki_result(requests, held, issued, changed) builds pki_certificates_result: for each name, changed (bool),
serial (int, None when the host has no certificate yet, e.g. in check mode), certificate, key and ca (paths).
`held` maps paths to the PEM text the host held, `issued` names to the PEM just installed.

Fingerprints are upper-case hex pairs separated by colons, as `openssl x509 -fingerprint -sha256` prints them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.hybridops.platform.plugins.module_utils import _pki

try:
    import cryptography  # pylint: disable=unused-import  # noqa: F401 - the shared helpers need it

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - reported when the filter is used
    HAS_CRYPTOGRAPHY = False


def _fingerprint(pem):
    try:
        return _pki.fingerprint(to_text(pem))
    except ValueError as exc:
        raise AnsibleFilterError("pki_trust: not a PEM certificate: %s" % exc)


def pki_trust(held, ca, rotate=False, finish=False, cert=""):
    """Compare the bundle a host holds with the role's CA; see the module docstring for what it returns."""
    if not HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("pki_trust needs the Python cryptography library on the controller")
    ca_pems = _pki.pem_blocks(to_text(ca or ""))
    if len(ca_pems) != 1:
        raise AnsibleFilterError("pki_trust: the CA must be exactly one PEM certificate, got %d" % len(ca_pems))
    ca_pem = ca_pems[0]
    ca_fp = _fingerprint(ca_pem)
    held_pems = _pki.pem_blocks(to_text(held or ""))
    held_fps = [_fingerprint(pem) for pem in held_pems]
    foreign = bool(held_pems) and ca_fp not in held_fps
    other_pems, others = ([], []) if finish else _pki.other_cas(ca_pem, to_text(held or ""))
    cert_pems = _pki.pem_blocks(to_text(cert or ""))
    signed = _pki.signed_by(_pki.load(cert_pems[0]), _pki.load(ca_pem)) if cert_pems else None
    bundle = _pki.ca_bundle(ca_pem, other_pems)
    return {
        "foreign": foreign,
        "rotating": bool(rotate) and foreign,
        "ca_fingerprint": ca_fp,
        "held": held_fps,
        "others": others,
        "bundle": bundle,
        "signed": signed,
    }


def pki_trust_map(requests, held, ca, rotate=False, finish=False):
    """pki_trust for every request (name -> trust), from `held` (path -> PEM text the host holds)."""
    held = held or {}
    return dict(
        (req["name"], pki_trust(held.get(req["ca"], ""), ca, rotate, finish, held.get(req["cert"], "")))
        for req in requests
    )


_DEFAULTS = (
    ("usage", "server"),
    ("directory_mode", "0750"),
    ("owner", "root"),
    ("group", "root"),
    ("mode", "0640"),
)


def pki_requests(certificates, default_sans, common_name):
    """pki_certificates with the defaults filled in and the paths of the files added."""
    requests = []
    names = set()
    for cert in certificates or []:
        if not isinstance(cert, dict) or not cert.get("name") or not cert.get("directory"):
            raise AnsibleFilterError("pki_requests: every certificate needs a name and a directory, got %r" % (cert,))
        if cert["name"] in names:
            raise AnsibleFilterError("pki_requests: the name %s is given twice" % cert["name"])
        names.add(cert["name"])
        req = dict(cert)
        for key, default in _DEFAULTS:
            req[key] = cert.get(key) or default
        # empty_subject: no common name at all (etcd's JSON gateway refuses a client certificate with one once
        # etcd RBAC is on); the SANs identify the certificate
        req["common_name"] = "" if cert.get("empty_subject") else (cert.get("common_name") or common_name)
        req["subject_alt_names"] = list(cert.get("subject_alt_names") or default_sans)
        notify = cert.get("notify") or []
        req["notify"] = [notify] if isinstance(notify, str) else list(notify)
        directory = str(cert["directory"]).rstrip("/") or "/"
        req["cert"] = "%s/%s.crt" % (directory, cert["name"])
        req["key"] = "%s/%s.key" % (directory, cert["name"])
        req["ca"] = "%s/ca.crt" % directory
        requests.append(req)
    return requests


_CHECK_FIELDS = ("name", "cert", "key", "ca", "directory", "owner", "group", "mode", "directory_mode", "common_name",
                 "subject_alt_names")


def pki_check_requests(requests, key_usage, extended_key_usage):
    """The requests as the pki_check module takes them: the compared fields and the usages by name."""
    checks = []
    for req in requests or []:
        if req.get("usage") not in (extended_key_usage or {}):
            raise AnsibleFilterError("pki_check_requests: %s has an unknown usage %r" % (req.get("name"), req.get("usage")))
        check = dict((field, req[field]) for field in _CHECK_FIELDS)
        check["key_usage"] = list(key_usage)
        check["extended_key_usage"] = list(extended_key_usage[req["usage"]])
        checks.append(check)
    return checks


def pki_result(requests, held, issued, changed):
    """pki_certificates_result: name -> changed, serial, not_after, certificate, key, ca."""
    result = {}
    for req in requests:
        pem = (issued or {}).get(req["name"]) or (held or {}).get(req["cert"]) or ""
        pems = _pki.pem_blocks(to_text(pem))
        cert = _pki.load(pems[0]) if pems else None
        result[req["name"]] = {
            "changed": req["name"] in (changed or []),
            "serial": cert.serial_number if cert is not None else None,
            "not_after": _pki.not_after(cert) if cert is not None else None,
            "certificate": req["cert"],
            "key": req["key"],
            "ca": req["ca"],
        }
    return result


class FilterModule(object):
    """CA trust of the pki role."""

    def filters(self):
        return {"pki_trust": pki_trust, "pki_trust_map": pki_trust_map, "pki_requests": pki_requests,
                "pki_check_requests": pki_check_requests, "pki_result": pki_result}
