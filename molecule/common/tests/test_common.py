"""Behaviour of the common role, each host probing its peer over the scenario network."""


import pytest

from tests.testinfra_helpers import host as _host

PEERS = {"common-deb12": "common-deb13", "common-deb13": "common-deb12"}
ADDRESSES = {"common-deb12": "10.89.10.11", "common-deb13": "10.89.10.12"}


@pytest.fixture(params=sorted(PEERS), ids=lambda n: n)
def pair(request):
    name = request.param
    return name, _host(name), PEERS[name], _host(PEERS[name])


def _ssh(client, target, *opts, command="true"):
    base = "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"
    return client.run(f"{base} {' '.join(opts)} {target} {command}")


def test_sshd_refuses_passwords_and_root(pair):
    name, host, _, peer = pair
    # A client that only tries passwords is told the server offers publickey alone.
    res = _ssh(peer, f"ops@{ADDRESSES[name]}", "-o PreferredAuthentications=password,keyboard-interactive",
               "-o PubkeyAuthentication=no")
    assert res.rc != 0
    assert "Permission denied (publickey)" in res.stderr
    effective = host.run("sshd -T").stdout.lower()
    assert "passwordauthentication no" in effective
    assert "permitrootlogin no" in effective
    # root cannot log in even with the admin's valid key
    res = _ssh(peer, f"root@{ADDRESSES[name]}", "-i /root/id_ops")
    assert res.rc != 0


def test_admin_logs_in_with_key_and_has_sudo(pair):
    name, _, _, peer = pair
    res = _ssh(peer, f"ops@{ADDRESSES[name]}", "-i /root/id_ops", command="sudo -n id -u")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == "0"


def test_sudoers_is_valid_and_absent_user_is_gone(pair):
    _, host, _, _ = pair
    assert host.run("visudo -c").rc == 0
    assert not host.user("olduser").exists
    assert "hybridops-admins" in host.user("ops").groups


def _listen(host, port):
    host.run(f"systemctl stop fwtest-{port} 2>/dev/null; systemctl reset-failed fwtest-{port} 2>/dev/null")
    res = host.run(f"systemd-run --unit=fwtest-{port} python3 -m http.server {port} --bind 0.0.0.0")
    assert res.rc == 0, res.stderr
    assert host.run(f"for i in $(seq 50); do ss -ltn | grep -q ':{port} ' && exit 0; sleep 0.1; done; exit 1").rc == 0


def _answers_from_peer(pair, ports):
    """Port -> whether a listener on the host answers the peer (listeners started for the probe, then stopped)."""
    name, host, _, peer = pair
    for port in ports:
        _listen(host, port)
    try:
        return {port: peer.run(f"nc -z -w 3 {ADDRESSES[name]} {port}").rc == 0 for port in ports}
    finally:
        host.run(" ; ".join(f"systemctl stop fwtest-{port}" for port in ports))


def test_firewall_accepts_declared_port_and_drops_undeclared(pair):
    host = pair[1]
    assert _answers_from_peer(pair, (8080, 9090)) == {8080: True, 9090: False}
    # ...while the same undeclared port answers locally: it is the firewall that drops it.
    _listen(host, 9090)
    try:
        assert host.run("nc -z -w 3 127.0.0.1 9090").rc == 0
    finally:
        host.run("systemctl stop fwtest-9090")
    ruleset = host.run("nft list table inet hybridops").stdout
    assert "policy drop" in ruleset
    assert "site: test service declared by the scenario" in ruleset


def test_firewall_service_drop_in_opens_and_withdrawn_one_closes(pair):
    host = pair[1]
    # positive control: the port a service declared through firewall_service answers from the peer; the port of
    # the drop-in the prepare step left, withdrawn by converge (state: absent), does not
    assert _answers_from_peer(pair, (8081, 8082)) == {8081: True, 8082: False}
    assert host.file("/etc/nftables.d/fwtest-open.nft").exists
    assert not host.file("/etc/nftables.d/fwtest-gone.nft").exists
    ruleset = host.run("nft list table inet hybridops").stdout
    assert "fwtest-open: declared by a service" in ruleset
    assert "fwtest-gone" not in ruleset


def test_chrony_runs_and_answers(pair):
    _, host, _, _ = pair
    assert host.service("chrony").is_running
    assert host.service("chrony").is_enabled
    res = host.run("chronyc -n sources")
    assert res.rc == 0
    assert "10.89.10.1" in res.stdout


def test_hosts_and_journal(pair):
    name, host, peer_name, _ = pair
    assert host.run(f"getent hosts {peer_name}").stdout.split()[0] == ADDRESSES[peer_name]
    assert host.file("/var/log/journal").is_directory
    assert host.run("journalctl --header -q | grep -q '/var/log/journal'").rc == 0
