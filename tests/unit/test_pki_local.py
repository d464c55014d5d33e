"""The pki role end to end on the controller: CA, a list of certificates, renewal on a SAN change, CRL by name,
refusal of a host that trusts another CA and the rotation to a new CA.

The controller is CA host and target at once (local connection, everything under tmp_path), so this runs without
containers. Molecule's etcd scenario covers real targets.
"""

import json
import pathlib
import re
import subprocess
import sys

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Exercise the pki entry points on the controller
  hosts: localhost
  gather_facts: false
  vars:
    pki_ca_directory: "{{ work }}/{{ ca_name }}"
    pki_install_dependencies: false
    me: "{{ lookup('ansible.builtin.pipe', 'id -un') }}"
    my_group: "{{ lookup('ansible.builtin.pipe', 'id -gn') }}"
  tasks:
    - name: Issue two certificates in one call
      ansible.builtin.include_role:
        name: hybridops.platform.pki
        tasks_from: certificate
      vars:
        pki_certificates:
          - name: web
            common_name: web.example
            subject_alt_names: "{{ sans }}"
            usage: server_client
            directory: "{{ work }}/target"
            owner: "{{ me }}"
            group: "{{ my_group }}"
            mode: "0600"
            notify: Restart web
          - name: api
            common_name: api.example
            subject_alt_names: ["DNS:api.example"]
            usage: server
            directory: "{{ work }}/target"
            owner: "{{ me }}"
            group: "{{ my_group }}"
            mode: "0600"
            notify: [Restart api]

    - name: Sign and install a CRL
      ansible.builtin.include_role:
        name: hybridops.platform.pki
        tasks_from: crl
      vars:
        pki_crl:
          path: "{{ work }}/target/crl.pem"
          revoked: [1234]
          revoked_names: "{{ revoked_names }}"
          next_update_days: 10

    - name: Report what the caller sees
      ansible.builtin.copy:
        content: "{{ {'result': pki_certificates_result, 'crl_changed': pki_crl_changed} | to_json }}"
        dest: "{{ work }}/result.json"
        mode: "0644"

  handlers:
    - name: Restart web
      ansible.builtin.debug:
        msg: web restarted
    - name: Restart api
      ansible.builtin.debug:
        msg: api restarted
"""


def play(tmp_path, passphrase="unit-test-passphrase", sans=("DNS:web.example", "IP:10.0.0.5"), revoked_names=(),
         ca_name="ca", args=(), **extra_vars):
    extra = {
        "work": str(tmp_path), "sans": list(sans), "revoked_names": list(revoked_names), "ca_name": ca_name,
        "ansible_python_interpreter": sys.executable,
    }
    extra.update(extra_vars)
    if passphrase is not None:
        extra["pki_ca_passphrase"] = passphrase
    result = tmp_path / "result.json"
    if result.exists():
        result.unlink()
    rc, out = run_playbook(tmp_path, PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), *args)
    # Tasks of the role that reported a change (the test's own report task and the handlers do not count).
    changed = []
    for block in out.split("\nTASK [")[1:]:
        task = block.split("]", 1)[0]
        if re.search(r"^changed:", block, re.M) and not task.startswith("Report"):
            changed.append(task)
    data = json.loads(result.read_text()) if rc == 0 and result.exists() else None
    handlers = re.findall(r"^RUNNING HANDLER \[([^]]+)\]", out, re.M)
    return rc, out, changed, data, handlers


ISSUING_TASK = "Create the private keys on the target"


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=True).stdout


def fingerprint(path):
    out = openssl("x509", "-in", str(path), "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


def ca_bundle(path):
    """SHA-256 fingerprints of the certificates in a PEM bundle, in order."""
    text = pathlib.Path(path).read_text()
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", text, re.S)
    fps = []
    for pem in pems:
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem,
                             capture_output=True, text=True, check=True).stdout
        fps.append(out.strip().split("=", 1)[1])
    return fps


def test_certificate_list_renewal_and_crl(tmp_path):
    rc, out, _changed, first, handlers = play(tmp_path)
    assert rc == 0, out
    result = first["result"]
    assert set(result) == {"web", "api"}
    assert all(r["changed"] for r in result.values()), result
    assert sorted(handlers) == ["Restart api", "Restart web"], out
    target = tmp_path / "target"
    assert result["web"]["certificate"] == str(target / "web.crt")
    assert result["web"]["key"] == str(target / "web.key")
    assert result["web"]["ca"] == str(target / "ca.crt")
    cert = target / "web.crt"
    assert "IP Address:10.0.0.5" in openssl("x509", "-in", str(cert), "-noout", "-text")
    for name in ("web", "api"):
        openssl("verify", "-CAfile", str(target / "ca.crt"), str(target / f"{name}.crt"))
        serial = result[name]["serial"]
        assert (tmp_path / "ca" / "issued" / "localhost" / name / f"{serial}.crt").is_file()
    assert not list(target.glob("*.csr")), "no CSR file is written"
    assert "ENCRYPTED" in (tmp_path / "ca" / "ca.key").read_text()

    rc, out, changed, again, handlers = play(tmp_path)
    assert rc == 0, out
    assert changed == [], out
    assert handlers == [], out
    # the steady state is one pki_check run: none of the issuing tasks ran
    assert ISSUING_TASK not in out and "Check whether every certificate is already in place" in out, out
    assert not any(r["changed"] for r in again["result"].values())
    assert {n: r["serial"] for n, r in again["result"].items()} == {n: r["serial"] for n, r in result.items()}

    # pki_check's positive control inside the role (each finding has its own test in
    # tests/unit/plugins/modules/test_pki_check.py): three differences are repaired through the issuing tasks
    (target / "web.key").chmod(0o644)
    (target / "ca.crt").write_text("garbage\n")
    (target / "api.crt").unlink()
    rc, out, changed, repaired, handlers = play(tmp_path)
    assert rc == 0, out
    assert ISSUING_TASK in out, out
    for task in ("Create the private keys on the target", "Install the CA bundle as ca.crt in each certificate directory",
                 "Install the certificates"):
        assert any(task in c for c in changed), (task, changed)
    assert oct((target / "web.key").stat().st_mode & 0o777) == "0o600"
    assert repaired["result"]["web"]["serial"] == result["web"]["serial"]
    assert repaired["result"]["api"]["serial"] != result["api"]["serial"]
    assert sorted(handlers) == ["Restart api", "Restart web"], out

    rc, out, _changed, renewed, handlers = play(tmp_path, sans=("DNS:web.example",), revoked_names=("web",))
    assert rc == 0, out
    assert renewed["result"]["web"]["changed"] is True
    assert renewed["result"]["api"]["changed"] is False
    assert renewed["result"]["web"]["serial"] != result["web"]["serial"]
    assert renewed["result"]["api"]["serial"] == repaired["result"]["api"]["serial"]
    assert handlers == ["Restart web"], out
    assert renewed["crl_changed"] is True
    crl = openssl("crl", "-in", str(target / "crl.pem"), "-noout", "-text").replace(":", "")
    for serial in (result["web"]["serial"], renewed["result"]["web"]["serial"]):
        assert format(int(serial), "X") in crl
    assert format(int(result["api"]["serial"]), "X") not in crl
    assert "04D2" in crl


def test_check_mode_on_a_fresh_host(tmp_path):
    rc, out, _changed, _result, _handlers = play(tmp_path, args=("--check",))
    assert rc == 0, out
    assert not (tmp_path / "target" / "web.crt").exists()


def snapshot(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_another_ca_is_refused_then_rotated(tmp_path):
    rc, out, _changed, first, _handlers = play(tmp_path, ca_name="ca-old")
    assert rc == 0, out
    target = tmp_path / "target"
    old_fp = fingerprint(tmp_path / "ca-old" / "ca.crt")
    before = snapshot(target)

    # A new CA (a fresh controller home, another directory): hosts holding the old one are refused
    rc, out, _changed, _result, handlers = play(tmp_path, ca_name="ca-new")
    assert rc != 0, out
    new_fp = fingerprint(tmp_path / "ca-new" / "ca.crt")
    assert old_fp != new_fp
    flat = " ".join(out.split())
    assert old_fp in flat and new_fp in flat, out
    assert "pki_ca_rotate" in flat
    assert snapshot(target) == before, "a refused run changes nothing on the host"
    assert handlers == []

    # Step 1: rotate - both CAs trusted, every certificate re-issued by the new CA
    rc, out, _changed, rotated, handlers = play(tmp_path, ca_name="ca-new", pki_ca_rotate=True)
    assert rc == 0, out
    assert ca_bundle(target / "ca.crt") == [new_fp, old_fp]
    assert all(r["changed"] for r in rotated["result"].values())
    assert sorted(handlers) == ["Restart api", "Restart web"], out
    for name in ("web", "api"):
        openssl("verify", "-CAfile", str(tmp_path / "ca-new" / "ca.crt"), str(target / f"{name}.crt"))
        assert rotated["result"][name]["serial"] != first["result"][name]["serial"]

    # Step 2: runs without the switch keep both CAs trusted and change nothing
    rc, out, changed, _result, _handlers = play(tmp_path, ca_name="ca-new")
    assert rc == 0, out
    assert changed == [], out
    assert ca_bundle(target / "ca.crt") == [new_fp, old_fp]

    # Step 3: finish - the old CA is dropped, the certificates stay
    rc, out, _changed, finished, handlers = play(tmp_path, ca_name="ca-new", pki_ca_rotate_finish=True)
    assert rc == 0, out
    assert ca_bundle(target / "ca.crt") == [new_fp]
    assert {n: r["serial"] for n, r in finished["result"].items()} == {
        n: r["serial"] for n, r in rotated["result"].items()}
    assert sorted(handlers) == ["Restart api", "Restart web"], out

    # The old CA is now foreign again: going back needs the switch too
    rc, out, _changed, _result, _handlers = play(tmp_path, ca_name="ca-old")
    assert rc != 0


def test_ca_passphrase_is_required_and_checked(tmp_path):
    rc, out, _changed, _result, _handlers = play(tmp_path, passphrase=None)
    assert rc != 0
    assert "pki_ca_passphrase is not set" in out
    rc, out, _changed, _result, _handlers = play(tmp_path)
    assert rc == 0, out
    key = (tmp_path / "ca" / "ca.key").read_text()
    rc, out, _changed, _result, _handlers = play(tmp_path, passphrase="a-different-passphrase")
    assert rc != 0
    assert "does not decrypt" in out
    assert (tmp_path / "ca" / "ca.key").read_text() == key
