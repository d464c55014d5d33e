"""The pki role end to end on the controller: CA, certificate, renewal on a SAN change, CRL by name.

The controller is CA host and target at once (local connection, everything under tmp_path), so this runs without
containers. Molecule's etcd scenario covers real targets.
"""

import json
import re
import subprocess
import sys

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Exercise the pki entry points on the controller
  hosts: localhost
  gather_facts: false
  vars:
    pki_ca_directory: "{{ work }}/ca"
    pki_install_dependencies: false
  tasks:
    - name: Issue a certificate
      ansible.builtin.include_role:
        name: hybridops.platform.pki
        tasks_from: certificate
      vars:
        pki_certificate:
          name: web
          common_name: web.example
          subject_alt_names: "{{ sans }}"
          usage: server_client
          directory: "{{ work }}/target"
          owner: "{{ lookup('ansible.builtin.pipe', 'id -un') }}"
          group: "{{ lookup('ansible.builtin.pipe', 'id -gn') }}"
          mode: "0600"

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
        content: "{{ {'serial': pki_certificate_serial | string, 'crl_changed': pki_crl_changed} | to_json }}"
        dest: "{{ work }}/result.json"
        mode: "0644"
"""


def play(tmp_path, passphrase="unit-test-passphrase", sans=("DNS:web.example", "IP:10.0.0.5"), revoked_names=()):
    extra = {
        "work": str(tmp_path), "sans": list(sans), "revoked_names": list(revoked_names),
        "ansible_python_interpreter": sys.executable,
    }
    if passphrase is not None:
        extra["pki_ca_passphrase"] = passphrase
    rc, out = run_playbook(tmp_path, PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra))
    # Tasks of the role that reported a change (the test's own report task does not count).
    changed = []
    for block in out.split("\nTASK [")[1:]:
        task = block.split("]", 1)[0]
        if re.search(r"^changed:", block, re.M) and not task.startswith("Report"):
            changed.append(task)
    result = tmp_path / "result.json"
    data = json.loads(result.read_text()) if rc == 0 and result.exists() else None
    return rc, out, changed, data


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=True).stdout


def test_certificate_renewal_and_crl(tmp_path):
    rc, out, _, first = play(tmp_path)
    assert rc == 0, out
    cert = tmp_path / "target" / "web.crt"
    assert "IP Address:10.0.0.5" in openssl("x509", "-in", str(cert), "-noout", "-text")
    openssl("verify", "-CAfile", str(tmp_path / "target" / "ca.crt"), str(cert))
    assert "ENCRYPTED" in (tmp_path / "ca" / "ca.key").read_text()
    assert (tmp_path / "ca" / "issued" / "localhost" / "web" / f"{first['serial']}.crt").is_file()

    rc, out, changed, again = play(tmp_path)
    assert rc == 0, out
    assert changed == [], out
    assert again["serial"] == first["serial"]

    rc, out, _, renewed = play(tmp_path, sans=("DNS:web.example",), revoked_names=("web",))
    assert rc == 0, out
    assert renewed["serial"] != first["serial"]
    assert renewed["crl_changed"] is True
    crl = openssl("crl", "-in", str(tmp_path / "target" / "crl.pem"), "-noout", "-text").replace(":", "")
    for serial in (first["serial"], renewed["serial"]):
        assert format(int(serial), "X") in crl
    assert "04D2" in crl


def test_ca_passphrase_is_required_and_checked(tmp_path):
    rc, out, _, _ = play(tmp_path, passphrase=None)
    assert rc != 0
    assert "pki_ca_passphrase is not set" in out
    rc, out, _, _ = play(tmp_path)
    assert rc == 0, out
    key = (tmp_path / "ca" / "ca.key").read_text()
    rc, out, _, _ = play(tmp_path, passphrase="a-different-passphrase")
    assert rc != 0
    assert "does not decrypt" in out
    assert (tmp_path / "ca" / "ca.key").read_text() == key
