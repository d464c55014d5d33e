"""pki_check answers in_place only when every file is what the pki role's issuing tasks would make; each difference
they would act on is a finding. Certificates are made here with cryptography, as community.crypto's ownca signs
them (tests/unit/test_pki_local.py runs the module inside the role against the real issuing tasks)."""

import datetime
import grp
import os
import pwd

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.hybridops.platform.plugins.module_utils import _pki
from ansible_collections.hybridops.platform.plugins.modules import pki_check

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
FORMAT = 'metric{name="%(name)s",path="%(path)s"} %(not_after)s\n'
NOW = int(datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc).timestamp())


def make_ca(name="Test CA", key=None):
    key = key or ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2026, 1, 1))
            .not_valid_after(datetime.datetime(2036, 1, 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert, key, common_name="db1", sans=("DNS:db1", "IP:10.0.0.11"),
              eku=(ExtendedKeyUsageOID.SERVER_AUTH,), days=397, key_agreement=True):
    names = [x509.DNSName(s[4:]) if s.startswith("DNS:") else x509.IPAddress(__import__("ipaddress").ip_address(s[3:]))
             for s in sans]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else [])
    start = datetime.datetime(2026, 12, 1)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=key_agreement, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class Host:
    """One certificate request with its files in tmp_path, as the role leaves them."""

    def __init__(self, tmp_path):
        self.ca_key, self.ca = make_ca()
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.dir = tmp_path / "pki"
        self.dir.mkdir(mode=0o750)
        self.dir.chmod(0o750)
        self.textfile = tmp_path / "textfile"
        self.textfile.mkdir()
        self.req = dict(name="db", cert=str(self.dir / "db.crt"), key=str(self.dir / "db.key"),
                        ca=str(self.dir / "ca.crt"), directory=str(self.dir), owner=ME, group=MY_GROUP, mode="0640",
                        directory_mode="0750", common_name="db1", subject_alt_names=["DNS:db1", "IP:10.0.0.11"],
                        key_usage=["digitalSignature", "keyAgreement"], extended_key_usage=["serverAuth"])
        self.write_key(self.key)
        self.write_cert(make_leaf(self.ca_key, self.ca, self.key))
        self.write(self.req["ca"], pem(self.ca).strip() + "\n", 0o644)

    @staticmethod
    def write(path, text, mode):
        with open(path, "w", encoding="ascii") as handle:
            handle.write(text)
        os.chmod(path, mode)

    def write_key(self, key):
        text = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
        self.write(self.req["key"], text, 0o640)

    def write_cert(self, cert):
        self.write(self.req["cert"], pem(cert), 0o644)
        not_after = _pki.not_after(cert)
        metric = _pki.metric_file(str(self.textfile), self.req["cert"])
        self.write(metric, FORMAT % {"name": "db", "path": self.req["cert"], "not_after": not_after}, 0o644)

    def params(self, **overrides):
        params = dict(certificates=[self.req], ca_certificate=pem(self.ca), key_type="ECC", key_curve="secp256r1",
                      key_size=3072, renew_before_days=30, textfile_directory=str(self.textfile),
                      textfile_format=FORMAT)
        params.update(overrides)
        return params

    def check(self, **overrides):
        return pki_check.check(self.params(**overrides), now=NOW)


@pytest.fixture
def host(tmp_path):
    if os.getuid() != 0:
        pytest.skip("the metric files are root-owned: runs as root (as the test machines do)")
    return Host(tmp_path)


def test_files_as_the_role_leaves_them_are_in_place(host):
    in_place, reasons, held = host.check()
    assert (in_place, reasons) == (True, [])
    assert held[host.req["cert"]].startswith("-----BEGIN CERTIFICATE-----")
    assert held[host.req["ca"]] == pem(host.ca).strip() + "\n"
    # the order of the names does not matter, an IPv6 address is compared as an address
    host.req["subject_alt_names"] = ["IP:10.0.0.11", "DNS:db1"]
    assert host.check()[0] is True


def test_nothing_of_the_key_is_returned(host):
    _in_place, _reasons, held = host.check()
    key_text = open(host.req["key"], encoding="ascii").read()
    assert host.req["key"] not in held
    assert all("PRIVATE KEY" not in text and key_text not in text for text in held.values())


@pytest.mark.parametrize("change, finding", [
    (lambda h: os.chmod(h.req["key"], 0o644), "has mode 0644, wanted 0640"),
    (lambda h: os.chmod(h.req["directory"], 0o755), "has mode 0755, wanted 0750"),
    (lambda h: os.chmod(h.req["cert"], 0o600), "has mode 0600, wanted 0644"),
    (lambda h: h.req.update(owner="nobody"), "wanted nobody:"),
    (lambda h: h.req.update(subject_alt_names=["DNS:db1"]), "other subject alternative names"),
    (lambda h: h.req.update(common_name="db2"), "another subject"),
    (lambda h: h.req.update(extended_key_usage=["serverAuth", "clientAuth"]), "another extended key usage"),
    (lambda h: h.req.update(key_usage=["digitalSignature", "keyEncipherment"]), "another key usage"),
    (lambda h: os.unlink(h.req["cert"]), "does not exist"),
    (lambda h: h.write(h.req["cert"], "not a certificate\n", 0o644), "holds no PEM certificate"),
    (lambda h: h.write_key(ec.generate_private_key(ec.SECP256R1())), "is not the certificate of key"),
    (lambda h: h.write_key(ec.generate_private_key(ec.SECP384R1())), "is not an ECC key on secp256r1"),
    (lambda h: h.write(h.req["ca"], pem(make_ca("Other CA")[1]), 0o644), "is not the bundle of this run's CA"),
    (lambda h: h.write(h.pki_metric(), "stale\n", 0o644), "does not hold the end of validity"),
])
def test_each_difference_is_a_finding(host, change, finding):
    host.pki_metric = lambda: _pki.metric_file(str(host.textfile), host.req["cert"])
    change(host)
    in_place, reasons, _held = host.check()
    assert in_place is False
    assert len(reasons) == 1 and reasons[0].startswith("db: ") and finding in reasons[0], reasons


def test_another_ca_a_due_renewal_and_an_rsa_key_type_are_findings(host):
    other_key, other_ca = make_ca("Other CA")
    assert "not signed by this run's CA" in host.check(ca_certificate=pem(other_ca))[1][0]
    # same subject, another key: a CA of the same name that did not sign it
    same_name = make_ca("Test CA")[1]
    assert "not signed by this run's CA" in host.check(ca_certificate=pem(same_name))[1][0]
    due = host.check(renew_before_days=400)[1]
    assert "ends within 400 days" in due[0]
    assert "not an RSA key of 3072 bits" in host.check(key_type="RSA")[1][0]
    assert other_key  # the other CA's key signs nothing here


def test_an_rsa_ca_and_a_bundle_with_an_older_ca_are_in_place(host):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_key, ca = make_ca("RSA CA", rsa_key)
    host.write_cert(make_leaf(ca_key, ca, host.key))
    old = pem(host.ca).strip()
    # during and after a rotation the bundle holds the new CA first, then the one the host trusted before
    host.write(host.req["ca"], pem(ca).strip() + "\n" + old + "\n", 0o644)
    assert host.check(ca_certificate=pem(ca))[:2] == (True, [])
    # the old CA first is not the bundle the role would write
    host.write(host.req["ca"], old + "\n" + pem(ca).strip() + "\n", 0o644)
    assert host.check(ca_certificate=pem(ca))[0] is False


def test_empty_subject_and_textfile_off(host):
    host.req["common_name"] = ""
    host.write_cert(make_leaf(host.ca_key, host.ca, host.key, common_name=""))
    assert host.check(textfile_directory="", textfile_format="")[:2] == (True, [])
    # positive control: the same certificate against a request with a common name
    host.req["common_name"] = "db1"
    assert "another subject" in host.check(textfile_directory="")[1][0]


def test_textfile_name_is_the_roles():
    # roles/pki/tasks/textfile.yml: regex_replace('[^A-Za-z0-9]+', '_') | trim('_')
    assert _pki.metric_file("/var/lib/ne/", "/etc/patroni/pki/server.crt") == \
        "/var/lib/ne/hybridops_pki_etc_patroni_pki_server_crt.prom"


def test_the_ca_must_be_one_certificate(host):
    in_place, reasons, _held = host.check(ca_certificate="")
    assert in_place is False and "exactly one PEM certificate" in reasons[0]
