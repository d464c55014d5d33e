"""The code_server role refuses unsafe or incomplete input before it changes anything.

Runs the real role with ansible-playbook, in --check, against a local-connection host: the play must stop in the
preflight with a message naming the users or the variable, and change nothing. A complete input passes the same
checks (positive control). The passwords never appear in the output.
"""

import json
import re
import sys

import pytest

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Apply the code_server role
  hosts: ide
  gather_facts: true
  tasks:
    - name: Only the role's checks
      ansible.builtin.include_role:
        name: hybridops.platform.code_server
        tasks_from: preflight
"""

GOOD = [{"name": "alice", "port": 8081, "proxy_port": 8443, "password": "alice-secret-pass"}]


def run_checks(tmp_path, users, **extra):
    lines = [f"ide:\n  hosts:\n    ide1:\n      ansible_connection: local\n"
             f"      ansible_python_interpreter: {sys.executable}\n  vars:\n"]
    lines.append(f"    code_server_users: {json.dumps(users)}\n")
    for key, value in extra.items():
        lines.append(f"    {key}: {json.dumps(value)}\n")
    (tmp_path / "hosts.yml").write_text("".join(lines))
    return run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "--check", timeout=300)


def assert_refused(rc, output, *needles):
    assert rc != 0, output
    for needle in needles:
        assert needle in output, output
    recap = re.findall(r"^ide1\s+:.*$", output, re.M)
    assert recap and "changed=0" in recap[0] and "failed=1" in recap[0], output


def test_complete_input_passes(tmp_path):
    rc, output = run_checks(tmp_path, GOOD)
    assert rc == 0, output


def test_auth_none_without_an_authenticating_proxy_is_refused(tmp_path):
    users = GOOD + [{"name": "bob", "port": 8082, "proxy_port": 8444, "auth": "none"}]
    rc, output = run_checks(tmp_path, users)
    assert_refused(rc, output, "auth=none for bob but no authenticating proxy")
    # with the proxy declared, the same users pass
    rc, output = run_checks(tmp_path, users, code_server_auth_request_url="http://127.0.0.1:4180/oauth2/auth")
    assert rc == 0, output


@pytest.mark.parametrize("user", [
    {"name": "bob", "port": 8082, "proxy_port": 8444},
    {"name": "bob", "port": 8082, "proxy_port": 8444, "password": "short"},
])
def test_password_auth_without_a_real_password_is_refused(tmp_path, user):
    rc, output = run_checks(tmp_path, GOOD + [user])
    assert_refused(rc, output, "without a password of at least 8 characters: bob")
    assert "alice-secret-pass" not in output


def test_ports_and_names_must_be_unique_and_valid(tmp_path):
    users = GOOD + [{"name": "Bob!", "port": 8443, "proxy_port": 8445, "password": "bob-secret-pass"}]
    rc, output = run_checks(tmp_path, users)
    assert_refused(rc, output, "invalid names Bob!", "a port used twice")
    assert "bob-secret-pass" not in output and "alice-secret-pass" not in output


def test_release_needs_a_checksum_and_files_need_both_files(tmp_path):
    rc, output = run_checks(tmp_path, GOOD, code_server_install_method="release")
    assert_refused(rc, output, "needs code_server_release_checksum")
    rc, output = run_checks(tmp_path, GOOD, code_server_tls_source="files", code_server_tls_certificate_file="/x.crt")
    assert_refused(rc, output, "code_server_tls_source=files needs")


def test_extensions_need_a_checksum_unless_given_as_files(tmp_path):
    rc, output = run_checks(tmp_path, GOOD, code_server_extensions=[{"id": "Continue.continue", "version": "1.2.3"}])
    assert_refused(rc, output, "Every extension needs", "Continue.continue")
    rc, output = run_checks(tmp_path, GOOD, code_server_extensions=[
        {"id": "Continue.continue", "version": "1.2.3", "src": "/srv/continue.vsix"}])
    assert rc == 0, output
