#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pki_check
short_description: Whether a host's certificates, keys and CA bundles already match their requests, in one pass
version_added: 0.1.0
author:
  - HybridOps platform engineering (@hybridops)
description:
  - The steady-state check of the P(hybridops.platform.pki#role) role's C(certificate) entry point. It reads every
    requested certificate, private key, CA bundle and textfile metric in one module run and says whether all of
    them are in place, so a run that has nothing to change skips the per-certificate tasks (about seven module runs
    per certificate) that would find nothing to do.
  - In place means, for every request, everything the issuing tasks would otherwise make or change; the directory,
    key, certificate and C(ca.crt) with their owner, group and mode; a private key of the requested type and size or
    curve; a certificate of that key, signed by O(ca_certificate), valid for longer than O(renew_before_days), with
    exactly the requested subject, subject alternative names, key usage and extended key usage; the CA bundle the
    role would install (the CA first, then the other CAs the host already trusts); and, with O(textfile_directory),
    the end-of-validity metric of each certificate.
  - Any difference, a missing file, a file that cannot be parsed or a missing C(cryptography) library answers
    RV(in_place=false) with the reasons; the role then runs its full issuing tasks, which make the decisions (and the
    refusals, such as certificates of another CA). This module never changes anything and never returns key
    material.
options:
  certificates:
    description:
      - The requests, as the role's C(pki_requests) filter completes them.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the certificate (names the metric).
        type: str
        required: true
      cert:
        description: Path of the certificate.
        type: path
        required: true
      key:
        description: Path of the private key.
        type: path
        required: true
      ca:
        description: Path of the CA bundle.
        type: path
        required: true
      directory:
        description: The directory of the three files.
        type: path
        required: true
      owner:
        description: Owner of the directory, key, certificate and CA bundle.
        type: str
        required: true
      group:
        description: Group of the directory, key, certificate and CA bundle.
        type: str
        required: true
      mode:
        description: Mode of the private key (octal string).
        type: str
        required: true
      directory_mode:
        description: Mode of the directory (octal string).
        type: str
        required: true
      common_name:
        description: The subject's common name; empty for a certificate with an empty subject.
        type: str
        default: ""
      subject_alt_names:
        description: Subject alternative names as C(DNS:name), C(IP:address), C(URI:uri) or C(email:address).
        type: list
        elements: str
        required: true
      key_usage:
        description: Key usage names as OpenSSL writes them (C(digitalSignature), C(keyAgreement), ...).
        type: list
        elements: str
        required: true
      extended_key_usage:
        description: Extended key usage names (C(serverAuth), C(clientAuth)).
        type: list
        elements: str
        required: true
  ca_certificate:
    description: The CA certificate (PEM) the certificates must be signed by.
    type: str
    required: true
  key_type:
    description: Type of the private keys.
    type: str
    choices: [ECC, RSA]
    required: true
  key_curve:
    description: Curve of an ECC key (C(secp256r1), C(secp384r1), C(secp521r1)).
    type: str
    default: secp256r1
  key_size:
    description: Size of an RSA key in bits.
    type: int
    default: 3072
  renew_before_days:
    description: A certificate that ends within this many days is not in place (it is due for renewal).
    type: int
    required: true
  textfile_directory:
    description:
      - The node exporter's textfile directory holding one end-of-validity metric per certificate; empty for none.
    type: path
    default: ""
  textfile_format:
    description:
      - The text of one metric file, with Python %-style placeholders named C(name), C(path) and C(not_after); the
        role writes its metric files from the same text.
    type: str
    default: ""
requirements:
  - cryptography (Python library on the target; without it the answer is RV(in_place=false))
extends_documentation_fragment:
  - hybridops.platform._read_only
"""

EXAMPLES = r"""
- name: Check whether the certificates of etcd are in place
  hybridops.platform.pki_check:
    certificates:
      - name: etcd-server
        cert: /etc/etcd/pki/etcd-server.crt
        key: /etc/etcd/pki/etcd-server.key
        ca: /etc/etcd/pki/ca.crt
        directory: /etc/etcd/pki
        owner: root
        group: etcd
        mode: "0640"
        directory_mode: "0750"
        common_name: node1
        subject_alt_names: ["DNS:node1", "IP:10.0.0.5"]
        key_usage: [digitalSignature, keyAgreement]
        extended_key_usage: [serverAuth]
    ca_certificate: "{{ ca_pem }}"
    key_type: ECC
    renew_before_days: 30
  register: pki_state
"""

RETURN = r"""
in_place:
  description: Whether every request is in place (nothing for the issuing tasks to do).
  type: bool
  returned: always
reasons:
  description: What is not in place, one line per finding (empty when RV(in_place) is true).
  type: list
  elements: str
  returned: always
held:
  description: Path to the PEM text of every certificate and CA bundle that could be read.
  type: dict
  returned: always
"""

import grp
import ipaddress
import os
import pwd
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hybridops.platform.plugins.module_utils import _pki

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # answered with in_place=false: the role installs the library in its issuing path
    HAS_CRYPTOGRAPHY = False

# cryptography's KeyUsage attributes, named as OpenSSL (and community.crypto) name them
KEY_USAGES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)
EKU_NAMES = {
    "serverAuth": "1.3.6.1.5.5.7.3.1",
    "TLS Web Server Authentication": "1.3.6.1.5.5.7.3.1",
    "clientAuth": "1.3.6.1.5.5.7.3.2",
    "TLS Web Client Authentication": "1.3.6.1.5.5.7.3.2",
}


class NotInPlace(Exception):
    """One finding: the request is not in place."""


def _owned(path, st, owner, group, mode, what):
    """Raise NotInPlace unless ``st`` has ``owner``, ``group`` and ``mode`` (an octal string)."""
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        gname = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        gname = str(st.st_gid)
    if user != owner or gname != group:
        raise NotInPlace("%s %s is %s:%s, wanted %s:%s" % (what, path, user, gname, owner, group))
    if stat.S_IMODE(st.st_mode) != int(str(mode), 8):
        raise NotInPlace("%s %s has mode %04o, wanted %s" % (what, path, stat.S_IMODE(st.st_mode), mode))


def _regular(path, what):
    try:
        st = os.lstat(path)
    except OSError:
        raise NotInPlace("%s %s does not exist" % (what, path))
    if not stat.S_ISREG(st.st_mode):
        raise NotInPlace("%s %s is not a regular file" % (what, path))
    return st


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _public_der(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _san_text(name):
    if isinstance(name, x509.DNSName):
        return "DNS:" + name.value
    if isinstance(name, x509.IPAddress):
        return "IP:" + str(name.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI:" + name.value
    if isinstance(name, x509.RFC822Name):
        return "email:" + name.value
    return "other:" + repr(name)


def _normal_san(text):
    kind, sep, value = text.partition(":")
    if not sep:
        return text
    if kind.upper() == "IP":
        try:
            return "IP:" + str(ipaddress.ip_address(value))
        except ValueError:
            return text
    return {"DNS": "DNS", "URI": "URI", "EMAIL": "email"}.get(kind.upper(), kind) + ":" + value


def _extension(cert, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def check_key(req, params):
    """The private key: owner, group, mode, type and size or curve. Returns its public key."""
    st = _regular(req["key"], "key")
    _owned(req["key"], st, req["owner"], req["group"], req["mode"], "key")
    try:
        key = serialization.load_pem_private_key(_read(req["key"]), password=None)
    except (ValueError, TypeError) as exc:
        raise NotInPlace("key %s cannot be read: %s" % (req["key"], exc))
    if params["key_type"] == "ECC":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != params["key_curve"]:
            raise NotInPlace("key %s is not an ECC key on %s" % (req["key"], params["key_curve"]))
    elif not isinstance(key, rsa.RSAPrivateKey) or key.key_size != params["key_size"]:
        raise NotInPlace("key %s is not an RSA key of %d bits" % (req["key"], params["key_size"]))
    return key.public_key()


def check_certificate(req, params, ca, public, now):
    """The certificate: owner, group, mode, issuer, validity, key and every requested name and usage."""
    st = _regular(req["cert"], "certificate")
    _owned(req["cert"], st, req["owner"], req["group"], "0644", "certificate")
    text = _read(req["cert"]).decode("utf-8", "replace")
    pems = _pki.pem_blocks(text)
    if not pems:
        raise NotInPlace("certificate %s holds no PEM certificate" % req["cert"])
    try:
        cert = _pki.load(pems[0])
    except ValueError as exc:
        raise NotInPlace("certificate %s cannot be read: %s" % (req["cert"], exc))
    if not _pki.signed_by(cert, ca):
        raise NotInPlace("certificate %s is not signed by this run's CA" % req["cert"])
    not_after = _pki.not_after(cert)
    if not_after < now + params["renew_before_days"] * 86400:
        raise NotInPlace("certificate %s ends within %d days" % (req["cert"], params["renew_before_days"]))
    if _public_der(cert.public_key()) != _public_der(public):
        raise NotInPlace("certificate %s is not the certificate of key %s" % (req["cert"], req["key"]))
    cns = [attr.value for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    wanted_cn = [req["common_name"]] if req["common_name"] else []
    if cns != wanted_cn or len(cert.subject) != len(wanted_cn):
        raise NotInPlace("certificate %s has another subject than %r" % (req["cert"], req["common_name"]))
    san = _extension(cert, x509.SubjectAlternativeName)
    held_sans = sorted(_san_text(name) for name in san) if san is not None else []
    if held_sans != sorted(_normal_san(text) for text in req["subject_alt_names"]):
        raise NotInPlace("certificate %s has other subject alternative names" % req["cert"])
    usage = _extension(cert, x509.KeyUsage)
    held_usage = set()
    if usage is not None:
        held_usage = set(name for attr, name in KEY_USAGES if getattr(usage, attr))
    if held_usage != set(req["key_usage"]):
        raise NotInPlace("certificate %s has another key usage" % req["cert"])
    eku = _extension(cert, x509.ExtendedKeyUsage)
    held_eku = set(oid.dotted_string for oid in eku) if eku is not None else set()
    if held_eku != set(EKU_NAMES.get(name, name) for name in req["extended_key_usage"]):
        raise NotInPlace("certificate %s has another extended key usage" % req["cert"])
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is None or constraints.ca:
        raise NotInPlace("certificate %s is not marked as a non-CA certificate" % req["cert"])
    return text, not_after


def check_bundle(req, ca_pem):
    st = _regular(req["ca"], "CA bundle")
    _owned(req["ca"], st, req["owner"], req["group"], "0644", "CA bundle")
    text = _read(req["ca"]).decode("utf-8", "replace")
    try:
        wanted = _pki.ca_bundle(ca_pem, _pki.other_cas(ca_pem, text)[0])
    except ValueError:  # a PEM block that is no certificate
        wanted = None
    if text != wanted:
        raise NotInPlace("CA bundle %s is not the bundle of this run's CA" % req["ca"])
    return text


def check_textfile(req, params, not_after):
    path = _pki.metric_file(params["textfile_directory"], req["cert"])
    st = _regular(path, "metric file")
    _owned(path, st, "root", "root", "0644", "metric file")
    wanted = params["textfile_format"] % {"name": req["name"], "path": req["cert"], "not_after": not_after}
    if _read(path).decode("utf-8", "replace") != wanted:
        raise NotInPlace("metric file %s does not hold the end of validity of %s" % (path, req["cert"]))


def check(params, now=None):
    """(in_place, reasons, held) for the module's parameters."""
    now = int(time.time()) if now is None else now
    held = {}
    reasons = []
    ca_pems = _pki.pem_blocks(params["ca_certificate"])
    if len(ca_pems) != 1:
        return False, ["ca_certificate must be exactly one PEM certificate, got %d" % len(ca_pems)], held
    ca = _pki.load(ca_pems[0])
    for req in params["certificates"]:
        try:
            try:
                st = os.stat(req["directory"])
            except OSError:
                raise NotInPlace("directory %s does not exist" % req["directory"])
            if not stat.S_ISDIR(st.st_mode):
                raise NotInPlace("%s is not a directory" % req["directory"])
            _owned(req["directory"], st, req["owner"], req["group"], req["directory_mode"], "directory")
            public = check_key(req, params)
            held[req["cert"]], not_after = check_certificate(req, params, ca, public, now)
            held[req["ca"]] = check_bundle(req, ca_pems[0])
            if params["textfile_directory"]:
                check_textfile(req, params, not_after)
        except NotInPlace as exc:
            reasons.append("%s: %s" % (req["name"], exc))
        except (OSError, UnicodeError) as exc:
            reasons.append("%s: %s" % (req["name"], exc))
    return not reasons, reasons, held


def main():
    request = dict(
        name=dict(type="str", required=True),
        cert=dict(type="path", required=True),
        key=dict(type="path", required=True, no_log=False),
        ca=dict(type="path", required=True),
        directory=dict(type="path", required=True),
        owner=dict(type="str", required=True),
        group=dict(type="str", required=True),
        mode=dict(type="str", required=True),
        directory_mode=dict(type="str", required=True),
        common_name=dict(type="str", default=""),
        subject_alt_names=dict(type="list", elements="str", required=True),
        key_usage=dict(type="list", elements="str", required=True),
        extended_key_usage=dict(type="list", elements="str", required=True),
    )
    module = AnsibleModule(
        argument_spec=dict(
            certificates=dict(type="list", elements="dict", required=True, options=request),
            ca_certificate=dict(type="str", required=True),
            key_type=dict(type="str", required=True, choices=["ECC", "RSA"]),
            key_curve=dict(type="str", default="secp256r1", no_log=False),
            key_size=dict(type="int", default=3072),
            renew_before_days=dict(type="int", required=True),
            textfile_directory=dict(type="path", default=""),
            textfile_format=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    if module.params["textfile_directory"] and not module.params["textfile_format"]:
        module.fail_json(msg="textfile_format is required with textfile_directory")
    if not HAS_CRYPTOGRAPHY:
        module.exit_json(changed=False, in_place=False, held={},
                         reasons=["the Python cryptography library is not installed on the host"])
    in_place, reasons, held = check(module.params)
    module.exit_json(changed=False, in_place=in_place, reasons=reasons, held=held)


if __name__ == "__main__":
    main()
