"""The etcd role refuses a member count without quorum tolerance before it changes anything.

Runs the real role with ansible-playbook against a generated inventory of local-connection hosts. The play
must stop in the preflight with a message naming the count, and the recap must show no change on any host.
The run uses --check as a second safety net, since the hosts are the controller itself.
"""

import re
import sys

import pytest

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Apply the etcd role to the generated group
  hosts: etcd_cluster
  gather_facts: false
  roles:
    - role: hybridops.platform.etcd
"""


def run_role(tmp_path, members, extra=""):
    hosts = "".join(
        f"        member{i}:\n          ansible_connection: local\n"
        f"          ansible_python_interpreter: {sys.executable}\n"
        for i in range(1, members + 1)
    )
    (tmp_path / "hosts.yml").write_text(f"all:\n  children:\n    etcd_cluster:\n      hosts:\n{hosts}{extra}")
    return run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "--check", timeout=300)


def assert_nothing_changed(output):
    recap = re.findall(r"^member\d+\s+:.*$", output, re.M)
    assert recap, output
    for line in recap:
        assert "changed=0" in line, line
        assert "failed=1" in line, line


@pytest.mark.parametrize("members", [1, 2, 4])
def test_refuses_member_count_without_quorum_tolerance(tmp_path, members):
    rc, output = run_role(tmp_path, members)
    assert rc != 0, output
    assert f"has {members} member(s)" in output, output
    assert "odd number of members, at least 3" in output, output
    if members % 2 == 0:
        assert f"an even count ({members})" in output, output
    assert_nothing_changed(output)


def test_removed_members_do_not_count(tmp_path):
    extra = "      vars:\n        etcd_remove_members: [member3]\n"
    rc, output = run_role(tmp_path, 3, extra)
    assert rc != 0, output
    assert "has 2 member(s) after etcd_remove_members" in output, output
    assert_nothing_changed(output)


def test_refuses_rbac_without_root_password(tmp_path):
    extra = "      vars:\n        etcd_address: 127.0.0.1\n"
    rc, output = run_role(tmp_path, 3, extra)
    assert rc != 0, output
    assert "etcd_root_password is empty or contains whitespace" in output, output
    assert_nothing_changed(output)


def test_refuses_client_user_with_unusable_password_and_never_prints_it(tmp_path):
    extra = (
        "      vars:\n        etcd_address: 127.0.0.1\n        etcd_root_password: unit-root-pw\n"
        "        etcd_users:\n"
        "          - {name: patroni, password: 'two words-secret', prefix: /hybridops/}\n"
        "          - {name: other, password: fine-secret, prefix: /no-trailing-slash}\n"
    )
    rc, output = run_role(tmp_path, 3, extra)
    assert rc != 0, output
    assert "etcd_users: patroni, other - each user needs" in output, output
    assert "two words-secret" not in output and "fine-secret" not in output
    assert_nothing_changed(output)
