"""OpenVPN remote access end to end: a road warrior reaches a site host only through the tunnel; revocation.

The tests run in file order: alice and bob connect with their generated profiles, the CRL timer's script re-signs
the CRL, then the role runs again with bob revoked (bob's open session is closed and his handshakes refused, no
certificate is re-issued) and alice still connects.
"""

import json
import os
import pathlib
import re
import subprocess
import time

import pytest

from tests.testinfra_helpers import host
from tests import testinfra_helpers as helpers

SERVER, CLIENT, SITE = "vpn1", "client1", "site1"
SITE_ADDRESS, SERVER_SITE_ADDRESS = "10.89.14.31", "10.89.14.11"
ALICE_ADDRESS = "10.8.0.10"
SERVICE = "openvpn-server@server"
CRL = "/etc/openvpn/server/crl.pem"
CA_DIR = "/var/lib/hybridops/pki/openvpn"
CA_CERT = "/etc/openvpn/server/pki/ca.crt"
CLIENT_PKI = "/etc/openvpn/client-pki"
TIMER = "hybridops-pki-crl-openvpn-crl"
EPHEMERAL = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
PROFILES = EPHEMERAL / "profiles"
REPO = pathlib.Path(__file__).resolve().parents[3]
STATE = {}


def wait_for(check, timeout=30, step=1.0):
    return helpers.wait_for(check, timeout, step)


def management(command):
    """Ask the management interface (127.0.0.1) through the helper the role installs."""
    res = host(SERVER).run(f"hybridops-openvpn-mgmt {command}")
    assert res.rc in (0, 1), res.stderr
    return res.stdout


def clients():
    return re.findall(r"^CLIENT_LIST,([^,]+),", management("status"), re.MULTILINE)


def serial(path):
    return host(SERVER).check_output(f"openssl x509 -noout -serial -in {path}").split("=", 1)[1].strip().upper()


def crl_dates():
    out = host(SERVER).check_output(f"openssl crl -in {CRL} -noout -lastupdate -nextupdate")
    dates = dict(line.split("=", 1) for line in out.splitlines())
    return {k: int(host(SERVER).check_output(f"date -d '{v}' +%s")) for k, v in dates.items()}


def connect(name):
    """Start the OpenVPN client with the profile of `name` on client1 (the profile comes from the controller)."""
    client = host(CLIENT)
    subprocess.run(["podman", "cp", str(PROFILES / f"{name}.ovpn"), f"{CLIENT}:/root/{name}.ovpn"], check=True)
    client.run(f"chmod 0600 /root/{name}.ovpn; rm -f /root/{name}.log")
    res = client.run(f"openvpn --config /root/{name}.ovpn --daemon ovpn-{name} --writepid /run/ovpn-{name}.pid "
                     f"--log /root/{name}.log")
    assert res.rc == 0, res.stderr


def disconnect(name):
    """Stop `name`'s client and wait until its process and every tun device are gone: a tunnel left behind by a
    dying client keeps the site route, and the next client's tun1 would then send nothing."""
    client = host(CLIENT)
    pid = client.run(f"cat /run/ovpn-{name}.pid 2>/dev/null").stdout.strip()
    if pid:
        client.run(f"kill {pid} 2>/dev/null")
        assert wait_for(lambda: client.run(f"kill -0 {pid} 2>/dev/null").rc != 0, timeout=15)
    client.run(f"rm -f /run/ovpn-{name}.pid")
    assert wait_for(lambda: client.run("ip -o link show type tun").stdout.strip() == "", timeout=15)
    # the profile sends explicit-exit-notify: the server forgets the session at once
    assert wait_for(lambda: name not in clients(), timeout=15)


def connected(name):
    return "Initialization Sequence Completed" in host(CLIENT).run(f"cat /root/{name}.log").stdout


def site_status(timeout=20):
    """The HTTP status the site answers through the tunnel: the first 200 within `timeout` seconds, else the last
    answer ('000' = no answer). A just-completed handshake can precede the first routed packet on a loaded host."""
    def probe():
        res = host(CLIENT).run(f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 3 http://{SITE_ADDRESS}:8080/")
        probe.last = res.stdout
        return res.stdout == "200"
    probe.last = "000"
    wait_for(probe, timeout=timeout)
    return probe.last


def run_role(clients):
    """Run the collection's playbooks/openvpn.yml with another client list; returns vpn1's recap counters."""
    extra = EPHEMERAL / "openvpn-extra-vars.json"
    extra.write_text(json.dumps({"openvpn_clients": clients}))
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
         str(REPO / "playbooks" / "openvpn.yml"), "-e", f"@{extra}"],
        capture_output=True, text=True, check=False, env=os.environ.copy())
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    recap = re.search(rf"^{SERVER}\s*:\s*(.*)$", proc.stdout, re.MULTILINE)
    assert recap, proc.stdout[-3000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))}, proc.stdout


@pytest.fixture(scope="module", autouse=True)
def site_listener():
    site = host(SITE)
    site.run("systemctl stop sitetest 2>/dev/null; systemctl reset-failed sitetest 2>/dev/null")
    res = site.run("systemd-run --unit=sitetest python3 -m http.server 8080 --bind 0.0.0.0")
    assert res.rc == 0, res.stderr
    assert wait_for(lambda: site.run("ss -ltnH | grep -q ':8080 '").rc == 0, timeout=10, step=0.2)
    yield
    site.run("systemctl stop sitetest")
    for name in ("alice", "bob"):
        host(CLIENT).run(f"kill $(cat /run/ovpn-{name}.pid) 2>/dev/null")


def test_server_runs_hardened():
    server = host(SERVER)
    assert server.service(SERVICE).is_running
    assert server.service(SERVICE).is_enabled
    conf = server.file("/etc/openvpn/server/server.conf").content_string
    for line in ("proto udp", "data-ciphers AES-256-GCM", "tls-version-min 1.2", "verify-client-cert require",
                 "remote-cert-tls client", f"crl-verify {CRL}", "allow-compression no",
                 'push "route 10.89.14.0 255.255.255.0"', 'push "dhcp-option DNS 10.89.14.31"',
                 "management 127.0.0.1 7505"):
        assert line in conf, line
    assert not re.search(r"^\s*(comp-lzo|compress)\b", conf, re.MULTILINE)
    assert "redirect-gateway" not in conf  # split tunnel in this scenario
    key = server.file("/etc/openvpn/server/pki/tls-crypt.key")
    assert key.mode == 0o600 and "OpenVPN Static key V1" in key.content_string
    listening = server.check_output("ss -lnH")
    assert re.search(r"^udp\s.*:1194\s", listening, re.MULTILINE), listening
    assert "127.0.0.1:7505" in listening and "0.0.0.0:7505" not in listening
    status = management("status")
    assert "CLIENT_LIST" in status and status.rstrip().endswith("END"), status
    # plain netcat works too, as long as the session is not closed before the answer
    assert "CLIENT_LIST" in server.check_output("echo status | timeout 5 nc -q 2 127.0.0.1 7505")
    # forwarding and NAT come from the common role's drop-ins
    ruleset = server.check_output("nft list table inet hybridops")
    assert re.search(r'iifname "tun0" ip saddr 10\.8\.0\.0/24 ip daddr 10\.89\.14\.0/24 accept', ruleset), ruleset
    assert re.search(r'ip saddr 10\.8\.0\.0/24 oifname "eth\d" masquerade', ruleset), ruleset
    assert server.file("/proc/sys/net/ipv4/ip_forward").content_string.strip() == "1"
    assert "net.ipv4.ip_forward=1" in server.file("/etc/sysctl.d/60-openvpn.conf").content_string.replace(" ", "")


def test_profiles_are_inline_and_private():
    for name in ("alice", "bob"):
        profile = PROFILES / f"{name}.ovpn"
        assert oct(profile.stat().st_mode & 0o777) == "0o600"
        text = profile.read_text()
        for block in ("ca", "cert", "key", "tls-crypt"):
            assert f"<{block}>" in text and f"</{block}>" in text, block
        assert "remote 10.89.13.11 1194" in text
        assert "verify-x509-name vpn1 name" in text
    assert oct(PROFILES.stat().st_mode & 0o777) == "0o700"
    STATE["serials"] = {p: serial(p) for p in (f"{CLIENT_PKI}/client-alice.crt", f"{CLIENT_PKI}/client-bob.crt",
                                               "/etc/openvpn/server/pki/openvpn-server.crt")}


def test_crl_is_current_and_refreshed_by_a_timer():
    server = host(SERVER)
    dates = crl_dates()
    now = int(time.time())
    assert dates["nextUpdate"] > now + 25 * 86400
    assert "verify OK" in server.run(f"openssl crl -in {CRL} -CAfile {CA_CERT} -noout").stderr
    timer = server.service(f"{TIMER}.timer")
    assert timer.is_enabled and timer.is_running
    assert server.file(f"{CA_DIR}/ca.passphrase").mode == 0o600
    # The timer's run while the CRL is fresh: nothing to do, and it succeeds.
    assert server.run(f"systemctl start {TIMER}.service").rc == 0
    assert server.check_output(f"systemctl show -p Result --value {TIMER}.service") == "success"
    assert crl_dates() == dates


def test_site_is_not_reachable_without_the_tunnel():
    client = host(CLIENT)
    assert client.run("ip link show tun0").rc != 0
    assert client.run(f"curl -s --max-time 4 http://{SITE_ADDRESS}:8080/").rc != 0


def test_alice_reaches_the_site_through_the_tunnel():
    client = host(CLIENT)
    connect("alice")
    try:
        assert wait_for(lambda: connected("alice"), timeout=40), client.run("cat /root/alice.log").stdout
        assert f"inet {ALICE_ADDRESS}/24" in client.check_output("ip -4 addr show tun0")  # static address
        assert "dev tun0" in client.check_output(f"ip route get {SITE_ADDRESS}")
        assert site_status() == "200", client.run("ip route; cat /root/alice.log").stdout
        # the site saw the VPN server's site address: masquerade, no route back needed
        log = host(SITE).check_output("journalctl -u sitetest --no-pager -o cat")
        assert SERVER_SITE_ADDRESS in log
        assert "alice" in clients()
    finally:
        disconnect("alice")


def test_bob_connects_from_the_dynamic_pool():
    client = host(CLIENT)
    connect("bob")
    assert wait_for(lambda: connected("bob"), timeout=40), client.run("cat /root/bob.log").stdout
    address = re.search(r"inet (10\.8\.0\.(\d+))/24", client.check_output("ip -4 addr show tun0"))
    assert address and int(address.group(2)) >= 128, address
    assert "bob" in clients()  # stays connected for the revocation test


def test_timer_script_resigns_the_crl_with_the_same_entries():
    server = host(SERVER)
    before = crl_dates()
    time.sleep(1.1)
    res = server.run(f"/usr/local/sbin/hybridops-pki-crl-refresh --ca-dir {CA_DIR} --crl crl --next-update-days 30 "
                     f"--refresh-before-days 36500 --copy-to {CRL}")
    assert res.rc == 0, res.stderr
    after = crl_dates()
    assert after["lastUpdate"] > before["lastUpdate"] and after["nextUpdate"] > before["nextUpdate"]
    assert server.check_output(f"cmp {CRL} {CA_DIR}/crl/crl.pem && echo same") == "same"
    assert "verify OK" in server.run(f"openssl crl -in {CRL} -CAfile {CA_CERT} -noout").stderr
    assert "No Revoked Certificates" in server.check_output(f"openssl crl -in {CRL} -noout -text")


def test_revoking_bob_closes_his_session_and_refuses_him():
    server = host(SERVER)
    since = server.check_output("date '+%Y-%m-%d %H:%M:%S'")
    counters, _ = run_role([{"name": "alice", "static_ip": ALICE_ADDRESS}, {"name": "bob", "state": "revoked"}])
    assert counters["failed"] == 0
    bob_serial = STATE["serials"][f"{CLIENT_PKI}/client-bob.crt"]
    crl_text = server.check_output(f"openssl crl -in {CRL} -noout -text")
    assert f"SERIAL NUMBER: {bob_serial}" in crl_text.upper(), crl_text
    assert crl_dates()["nextUpdate"] > time.time() + 25 * 86400
    # the open session is closed, and the client's reconnects are refused by the CRL
    assert wait_for(lambda: "bob" not in clients(), timeout=20)
    refused = wait_for(lambda: "certificate revoked" in server.run(
        f"journalctl -u {SERVICE} --since '{since}' --no-pager -o cat").stdout, timeout=60, step=2)
    assert refused, server.run(f"journalctl -u {SERVICE} --since '{since}' --no-pager -o cat").stdout[-3000:]
    assert "bob" not in clients()
    # the role closed his session itself, through the management interface
    assert "CMD 'kill bob'" in server.run(f"journalctl -u {SERVICE} --since '{since}' --no-pager -o cat").stdout
    disconnect("bob")
    # bob's profile and key are gone; the revocation is recorded on the server
    assert not (PROFILES / "bob.ovpn").exists()
    assert not server.file(f"{CLIENT_PKI}/client-bob.key").exists
    assert server.file("/var/lib/hybridops/openvpn/revoked/bob").exists


def test_no_certificate_was_reissued():
    # the revocation run was a second converge: alice's and the server's certificates are the same ones
    for path, before in STATE["serials"].items():
        if "client-bob" not in path:
            assert serial(path) == before, path


def test_alice_still_connects_after_the_revocation():
    connect("alice")
    try:
        assert wait_for(lambda: connected("alice"), timeout=40), host(CLIENT).run("cat /root/alice.log").stdout
        assert "dev tun0" in host(CLIENT).check_output(f"ip route get {SITE_ADDRESS}")
        assert site_status() == "200", host(CLIENT).run("ip route; cat /root/alice.log").stdout
    finally:
        disconnect("alice")
