"""The pki role's CRL refresh script (roles/pki/templates/hybridops-pki-crl-refresh.j2) against a throw-away CA.

It must re-sign only when nextUpdate is inside the refresh window, keep issuer, revoked entries (with their dates
and extensions), CRL extensions and digest, move lastUpdate/nextUpdate, install copies with the copies' owner and
mode, and refuse a CRL that the CA did not sign.
"""

import datetime
import os
import pathlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "roles" / "pki" / "templates" / "hybridops-pki-crl-refresh.j2"
PASSPHRASE = b"unit-test-ca-passphrase"
UTC = datetime.timezone.utc


def _next_update(crl):
    return getattr(crl, "next_update_utc", None) or crl.next_update.replace(tzinfo=UTC)


def _last_update(crl):
    return getattr(crl, "last_update_utc", None) or crl.last_update.replace(tzinfo=UTC)


def _ca(directory, name="Unit CA"):
    key = ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HybridOps")])
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    (directory / "crl").mkdir(parents=True, exist_ok=True)
    (directory / "ca.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE)))
    (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "ca.passphrase").write_bytes(PASSPHRASE + b"\n")
    return key, subject


def _crl(directory, key, issuer, next_update_in, revoked):
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer)
               .last_update(now - datetime.timedelta(days=20)).next_update(now + next_update_in))
    for serial_number, days_ago in revoked:
        entry = (x509.RevokedCertificateBuilder().serial_number(serial_number)
                 .revocation_date(now - datetime.timedelta(days=days_ago))
                 .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build())
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(key, hashes.SHA256())
    path = directory / "crl" / "crl.pem"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return crl


@pytest.fixture(name="script")
def fixture_script(tmp_path):
    text = "\n".join(line for line in TEMPLATE.read_text().splitlines() if "ansible_managed" not in line)
    path = tmp_path / "hybridops-pki-crl-refresh"
    path.write_text(text + "\n")
    return path


def _run(script, ca_dir, *extra, refresh_before=15):
    return subprocess.run([sys.executable, str(script), "--ca-dir", str(ca_dir), "--crl", "crl",
                           "--next-update-days", "30", "--refresh-before-days", str(refresh_before), *extra],
                          capture_output=True, text=True, check=False)


def test_fresh_crl_is_left_alone(script, tmp_path):
    ca_dir = tmp_path / "ca"
    key, issuer = _ca(ca_dir)
    _crl(ca_dir, key, issuer, datetime.timedelta(days=25), [(1234, 3)])
    before = (ca_dir / "crl" / "crl.pem").read_bytes()
    res = _run(script, ca_dir)
    assert res.returncode == 0, res.stderr
    assert "nothing to do" in res.stdout
    assert (ca_dir / "crl" / "crl.pem").read_bytes() == before


def test_due_crl_is_resigned_with_the_same_entries_and_installed(script, tmp_path):
    ca_dir = tmp_path / "ca"
    key, issuer = _ca(ca_dir)
    old = _crl(ca_dir, key, issuer, datetime.timedelta(days=10), [(1234, 3), (987654321, 40)])
    installed = tmp_path / "crl.pem"
    installed.write_bytes(b"old")
    os.chmod(installed, 0o640)
    res = _run(script, ca_dir, "--copy-to", str(installed), "--exec-after", f"touch {tmp_path}/reloaded")
    assert res.returncode == 0, res.stderr
    new = x509.load_pem_x509_crl((ca_dir / "crl" / "crl.pem").read_bytes())
    assert installed.read_bytes() == (ca_dir / "crl" / "crl.pem").read_bytes()
    assert oct(installed.stat().st_mode & 0o777) == "0o640"
    assert (tmp_path / "reloaded").exists()
    assert new.is_signature_valid(key.public_key())
    assert new.issuer == old.issuer
    assert new.signature_hash_algorithm.name == old.signature_hash_algorithm.name

    def entries(crl):
        return sorted((e.serial_number, e.revocation_date_utc if hasattr(e, "revocation_date_utc")
                       else e.revocation_date, [(x.oid, x.value) for x in e.extensions]) for e in crl)

    assert entries(new) == entries(old)
    now = datetime.datetime.now(UTC)
    assert _last_update(new) > _last_update(old)
    assert abs((_next_update(new) - now) - datetime.timedelta(days=30)) < datetime.timedelta(minutes=5)


def test_crl_of_another_ca_is_refused(script, tmp_path):
    ca_dir, other_dir = tmp_path / "ca", tmp_path / "other"
    _ca(ca_dir)
    other_key, other_issuer = _ca(other_dir, "Other CA")
    _crl(ca_dir, other_key, other_issuer, datetime.timedelta(days=1), [])
    before = (ca_dir / "crl" / "crl.pem").read_bytes()
    res = _run(script, ca_dir)
    assert res.returncode == 1
    assert "not signed by" in res.stderr
    assert (ca_dir / "crl" / "crl.pem").read_bytes() == before
