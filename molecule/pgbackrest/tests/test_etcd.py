"""Behaviour of the etcd cluster built by the etcd role (testinfra, run by `molecule verify`).

The scenario's three hosts are the three members: pgbr-db1 and pgbr-restore on Debian 12 (etcd 3.4), pgbr-nas on
Debian 13 (etcd 3.5), so these tests also prove that both distributions' etcd form one cluster. Patroni on pgbr-db1
is the real client: its etcd user (the patroni role creates it through the etcd role's `users` entry point) and
its empty-subject client certificate drive the RBAC and JSON gateway tests.
"""

import base64
import json
import uuid

from tests.testinfra_helpers import host as scenario_host
from tests.testinfra_helpers import testinfra_hosts as _hosts

testinfra_hosts = _hosts("all")

MEMBERS = {"pgbr-nas": "10.89.18.10", "pgbr-db1": "10.89.18.11", "pgbr-restore": "10.89.18.12"}
PATRONI_HOST = "pgbr-db1"
PKI = "/etc/etcd/pki"
TLS = f"--cacert {PKI}/ca.crt --cert {PKI}/etcd-client.crt --key {PKI}/etcd-client.key"
ENDPOINTS = ",".join(f"https://{ip}:2379" for ip in MEMBERS.values())
ROOT_ENV = "/etc/etcd/etcdctl-root.env"
PATRONI_PKI = "/etc/patroni/pki"  # Patroni's empty-subject etcd client certificate (roles/patroni/tasks/certificates.yml)
# molecule.yml: patroni_etcd_password, etcd_root_password (test values)
PATRONI = {"name": "patroni", "password": "molecule-etcd-patroni-pw"}
ROOT_PASSWORD = "molecule-etcd-root-pw"


def etcdctl(host, args):
    """etcdctl as the root user (credentials from the role's root-only file, as the role's wrapper does)."""
    return host.run(f"sh -c '. {ROOT_ENV}; export ETCDCTL_USER; ETCDCTL_API=3 etcdctl --endpoints {ENDPOINTS} {TLS} {args}'")


def etcdctl_as(host, user, args, cert="etcd-client", endpoint="https://127.0.0.1:2379"):
    """etcdctl over gRPC with a client certificate of the CA, as `user` ("name:password") or as no user at all."""
    tls = f"--cacert {PKI}/ca.crt --cert {PKI}/{cert}.crt --key {PKI}/{cert}.key"
    env = f"ETCDCTL_USER='{user}' " if user else ""
    return host.run(f"{env}ETCDCTL_API=3 etcdctl --endpoints {endpoint} {tls} --dial-timeout 3s --command-timeout 5s {args}")


def gateway(host, path, body, cert_dir, cert, token=None, endpoint="https://127.0.0.1:2379"):
    """One POST to etcd's JSON gateway (what Patroni speaks); returns (HTTP status, body)."""
    auth = f"-H 'Authorization: {token}' " if token else ""
    res = host.run(
        f"curl -sS --max-time 5 -o /tmp/gw.out -w '%{{http_code}}' --cacert {PKI}/ca.crt --cert {cert_dir}/{cert}.crt "
        f"--key {cert_dir}/{cert}.key {auth}-X POST {endpoint}{path} -d '{json.dumps(body)}'"
    )
    return res.stdout.strip(), host.check_output("cat /tmp/gw.out")


def b64(text):
    return base64.b64encode(text.encode()).decode()


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
    value = uuid.uuid4().hex
    root = "root:" + ROOT_PASSWORD
    put = etcdctl_as(host, root, f"put /molecule/probe-{name} {value}", endpoint=f"https://{MEMBERS[name]}:2379")
    assert put.rc == 0, put.stderr
    for ip in (ip for member, ip in MEMBERS.items() if member != name):
        got = etcdctl_as(host, root, f"get /molecule/probe-{name} --print-value-only", endpoint=f"https://{ip}:2379")
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


def test_runs_as_etcd_user_with_configured_data_dir(host):
    assert host.file("/var/lib/etcd/hybridops/member").is_directory
    assert host.file("/var/lib/etcd/hybridops").user == "etcd"
    assert not host.file("/var/lib/etcd/default").exists
    proc = host.process.get(comm="etcd")
    assert proc.user == "etcd"


def test_root_credentials_file_is_root_only_and_wrapper_works(host):
    env = host.file(ROOT_ENV)
    assert env.user == "root" and env.mode == 0o600
    listed = host.run("/usr/local/sbin/hybridops-etcdctl member list")
    assert listed.rc == 0, listed.stderr
    assert listed.stdout.count("started") == 3
    health = host.run("/usr/local/sbin/hybridops-etcdctl endpoint health")
    assert health.rc == 0, health.stderr


def test_certificates_without_a_user_are_refused_under_the_patroni_namespace(host):
    """A client certificate of the collection CA (a member's own, the admin one) alone no longer reads or writes."""
    for cert in ("etcd-server", "etcd-client"):
        put = etcdctl_as(host, None, "put /hybridops/molecule/intruder x", cert=cert)
        assert put.rc != 0, f"{cert}: {put.stdout}"
        got = etcdctl_as(host, None, "get /hybridops/ --prefix --keys-only", cert=cert)
        assert got.rc != 0, f"{cert}: {got.stdout}"
        assert "permission denied" in got.stderr or "user name not found" in got.stderr, got.stderr


def test_patroni_user_reads_and_writes_its_namespace_only(host):
    user = f"patroni:{PATRONI['password']}"
    value = uuid.uuid4().hex
    put = etcdctl_as(host, user, f"put /hybridops/molecule/{host.backend.name} {value}")
    assert put.rc == 0, put.stderr
    got = etcdctl_as(host, user, f"get /hybridops/molecule/{host.backend.name} --print-value-only")
    assert got.rc == 0 and got.stdout.strip() == value, got.stderr
    outside = etcdctl_as(host, user, "put /outside-namespace x")
    assert outside.rc != 0 and "permission denied" in outside.stderr, outside.stdout + outside.stderr
    admin = etcdctl_as(host, user, "user list")
    assert admin.rc != 0, admin.stdout


def test_wrong_password_is_refused(host):
    res = etcdctl_as(host, "patroni:not-the-password", "get /hybridops/ --prefix --keys-only")
    assert res.rc != 0
    assert "authentication failed" in res.stderr, res.stderr
    root = etcdctl_as(host, "root:not-the-password", "member list")
    assert root.rc != 0 and "authentication failed" in root.stderr, root.stderr


def test_gateway_like_patroni(host):
    """Patroni's path, from Patroni's host to this member: the JSON gateway, Patroni's own certificate (empty
    subject), a token from its user and password."""
    member = f"https://{MEMBERS[host.backend.name]}:2379"
    client = scenario_host(PATRONI_HOST)

    def post(path, body, cert_dir=PATRONI_PKI, cert="etcd-client", token=None):
        return gateway(client, path, body, cert_dir, cert, token, endpoint=member)

    status, body = post("/v3/auth/authenticate", {"name": PATRONI["name"], "password": PATRONI["password"]})
    assert status == "200", body
    token = json.loads(body)["token"]
    key = f"/hybridops/molecule/gw-{host.backend.name}"
    status, body = post("/v3/kv/put", {"key": b64(key), "value": b64("v")}, token=token)
    assert status == "200", body
    status, body = post("/v3/kv/range", {"key": b64(key)}, token=token)
    assert status == "200" and json.loads(body)["kvs"][0]["value"] == b64("v"), body
    # no token: refused; a wrong password: refused; a certificate with a common name: refused whatever the token
    status, body = post("/v3/kv/range", {"key": b64(key)})
    assert status != "200", body
    status, body = post("/v3/auth/authenticate", {"name": PATRONI["name"], "password": "wrong"})
    assert status != "200" and "authentication failed" in body, body
    status, body = post("/v3/kv/range", {"key": b64(key)}, cert_dir=PKI, cert="etcd-server", token=token)
    assert status == "400" and "CommonName" in body, body
