# -*- coding: utf-8 -*-
# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate facts the pki role decides on, shared by its filters (controller) and the pki_check module
(target): PEM blocks of a text, a certificate's end of validity, whether a CA signed it, the CA bundle the role
installs. Works with the cryptography of Debian 12 (38) and later; the callers import cryptography themselves and
say what is missing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
except ImportError:  # the callers report the missing library
    pass

PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)


def pem_blocks(text):
    """The PEM certificates in ``text``, in order."""
    return PEM.findall(text or "")


def load(pem):
    return x509.load_pem_x509_certificate(pem.encode("ascii") if not isinstance(pem, bytes) else pem)


def fingerprint(pem):
    """SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it. Raises ValueError on a bad PEM."""
    return ":".join("%02X" % b for b in bytearray(load(pem).fingerprint(hashes.SHA256())))


def not_after(cert):
    """The end of a certificate's validity in seconds since the epoch (UTC)."""
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42: a naive datetime in UTC
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return int(value.timestamp())


def signed_by(cert, ca):
    """Whether ``ca`` issued and signed ``cert`` (cryptography 38 has no verify_directly_issued_by)."""
    if cert.issuer != ca.subject:
        return False
    public = ca.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                          cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def other_cas(ca_pem, held_text):
    """The CAs of ``held_text`` other than ``ca_pem`` (by fingerprint), each once, in order: (pems, fingerprints)."""
    ca_fp = fingerprint(ca_pem)
    pems, fps = [], []
    for pem in pem_blocks(held_text):
        fp = fingerprint(pem)
        if fp != ca_fp and fp not in fps:
            pems.append(pem)
            fps.append(fp)
    return pems, fps


def ca_bundle(ca_pem, other_pems):
    """The ca.crt the role installs: its CA first, then the other CAs kept."""
    return "\n".join([ca_pem] + list(other_pems)) + "\n"


def metric_file(directory, cert_path):
    """The end-of-validity metric file of a certificate, named after its path (roles/pki/tasks/textfile.yml)."""
    return "%s/hybridops_pki_%s.prom" % (directory.rstrip("/"), re.sub(r"[^A-Za-z0-9]+", "_", cert_path).strip("_"))
