"""Behaviour of the etcd cluster built by the etcd role (testinfra, run by `molecule verify`)."""

import uuid

from tests.testinfra_helpers import testinfra_hosts as _hosts

testinfra_hosts = _hosts("all")

MEMBERS = {"etcd1": "10.89.11.11", "etcd2": "10.89.11.12", "etcd3": "10.89.11.13"}
PKI = "/etc/etcd/pki"
TLS = f"--cacert {PKI}/ca.crt --cert {PKI}/etcd-client.crt --key {PKI}/etcd-client.key"
ENDPOINTS = ",".join(f"https://{ip}:2379" for ip in MEMBERS.values())


def etcdctl(host, args):
    return host.run(f"ETCDCTL_API=3 etcdctl --endpoints {ENDPOINTS} {TLS} {args}")


def test_service_enabled_and_running(host):
    service = host.service("etcd")
    assert service.is_enabled
    assert service.is_running


def test_listens_on_member_address_and_localhost(host):
    ip = MEMBERS[host.backend.name]
    assert host.socket(f"tcp://{ip}:2379").is_listening
    assert host.socket("tcp://127.0.0.1:2379").is_listening
    assert host.socket(f"tcp://{ip}:2380").is_listening


def test_all_members_listed_and_healthy(host):
    listed = etcdctl(host, "member list -w simple")
    assert listed.rc == 0, listed.stderr
    for name, ip in MEMBERS.items():
        assert f"{name}, https://{ip}:2380, https://{ip}:2379" in listed.stdout
    health = etcdctl(host, "endpoint health --cluster")
    assert health.rc == 0, health.stderr
    combined = health.stdout + health.stderr
    assert combined.count("is healthy") == 3, combined


def test_key_written_on_one_member_is_read_on_another(host):
    name = host.backend.name
    if name != "etcd1":
        return
    value = uuid.uuid4().hex
    put = host.run(f"ETCDCTL_API=3 etcdctl --endpoints https://{MEMBERS['etcd1']}:2379 {TLS} put /molecule/probe {value}")
    assert put.rc == 0, put.stderr
    for ip in (MEMBERS["etcd2"], MEMBERS["etcd3"]):
        got = host.run(
            f"ETCDCTL_API=3 etcdctl --endpoints https://{ip}:2379 {TLS} get /molecule/probe --print-value-only"
        )
        assert got.rc == 0, got.stderr
        assert got.stdout.strip() == value


def test_plain_http_is_refused(host):
    ip = MEMBERS[host.backend.name]
    res = host.run(f"curl -sS --max-time 5 http://{ip}:2379/health")
    assert '"health":"true"' not in res.stdout
    assert res.rc != 0 or "health" not in res.stdout


def test_tls_without_client_certificate_is_refused(host):
    ip = MEMBERS[host.backend.name]
    res = host.run(f"curl -sS --max-time 5 --cacert {PKI}/ca.crt https://{ip}:2379/health")
    assert res.rc != 0, res.stdout
    with_cert = host.run(
        f"curl -sS --max-time 5 --cacert {PKI}/ca.crt --cert {PKI}/etcd-client.crt --key {PKI}/etcd-client.key "
        f"https://{ip}:2379/health"
    )
    assert with_cert.rc == 0, with_cert.stderr
    assert '"health":"true"' in with_cert.stdout


def test_etcdctl_without_client_certificate_is_refused(host):
    ip = MEMBERS[host.backend.name]
    res = host.run(f"ETCDCTL_API=3 etcdctl --endpoints https://{ip}:2379 --cacert {PKI}/ca.crt --dial-timeout 3s "
                   "--command-timeout 5s endpoint health")
    assert res.rc != 0


def test_certificate_names_the_member_address(host):
    ip = MEMBERS[host.backend.name]
    text = host.check_output(f"openssl x509 -in {PKI}/etcd-server.crt -noout -text")
    assert f"IP Address:{ip}" in text
    assert "TLS Web Server Authentication" in text and "TLS Web Client Authentication" in text
    verify = host.run(f"openssl verify -CAfile {PKI}/ca.crt {PKI}/etcd-server.crt")
    assert verify.rc == 0, verify.stdout + verify.stderr


def test_private_keys_are_not_world_readable(host):
    for name in ("etcd-server.key", "etcd-client.key"):
        key = host.file(f"{PKI}/{name}")
        assert key.exists
        assert key.user == "root"
        assert key.group == "etcd"
        assert key.mode & 0o007 == 0


def test_firewall_declares_etcd_ports(host):
    rules = host.check_output("cat /etc/nftables.d/input/etcd.nft")
    assert "2379" in rules and "2380" in rules


def test_runs_as_etcd_user_with_configured_data_dir(host):
    assert host.file("/var/lib/etcd/hybridops/member").is_directory
    assert host.file("/var/lib/etcd/hybridops").user == "etcd"
    assert not host.file("/var/lib/etcd/default").exists
    proc = host.process.get(comm="etcd")
    assert proc.user == "etcd"
