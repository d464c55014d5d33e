"""The patroni role refuses bad input with a clear message before it changes anything.

Like test_etcd_preflight.py: the real role runs with ansible-playbook (in --check, as a second safety net) against
three local-connection hosts; every case must stop with its message and no host may report a change.
"""

import re
import sys

import pytest
import yaml

from .playbooks import run_playbook

PLAYBOOK = """\
- name: Apply the patroni role to the generated group
  hosts: postgres_cluster
  gather_facts: true
  roles:
    - role: hybridops.platform.patroni
"""

GOOD = {
    "patroni_superuser_password": "unit-superuser-pw",
    "patroni_replication_password": "unit-replication-pw",
    "patroni_restapi_password": "unit-restapi-pw",
    "patroni_etcd_password": "unit-etcd-patroni-pw",
    "patroni_users": [{"name": "app", "password": "unit-app-pw"}],
    "patroni_databases": [{"name": "appdb", "owner": "app"}],
}


def run_role(tmp_path, overrides):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    members = {f"member{i}": dict(local) for i in (1, 2, 3)}
    inventory = {"all": {
        "vars": {**GOOD, **overrides},
        "children": {"postgres_cluster": {"hosts": members}, "etcd_cluster": {"hosts": {m: {} for m in members}}},
    }}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    return run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "--check", timeout=300)


CASES = {
    "invalid timing": ({"patroni_ttl": 10, "patroni_loop_wait": 4, "patroni_retry_timeout": 4},
                       r"loop_wait \+ 2 \* retry_timeout must be <= ttl, but 4 \+ 2 \* 4 = 12 > ttl 10"),
    "unknown sync mode": ({"patroni_synchronous_mode": "sometimes"},
                          r"patroni_synchronous_mode.*(one of|choices)"),
    "undeclared owner": ({"patroni_databases": [{"name": "billing", "owner": "billing_owner"}]},
                         r"database 'billing' is owned by 'billing_owner', which is\s+not declared in patroni_users"),
    "missing password": ({"patroni_replication_password": ""},
                         r"must all be set.*Empty: patroni_replication_password"),
    "PGDG mirror without a key checksum": ({"patroni_postgresql_repo_url": "https://apt.postgresql.org/pub/repos/apt",
                                            "patroni_postgresql_repo_key_url": "https://www.postgresql.org/media/keys/ACCC4CF8.asc"},
                                           r"hybridops-postgresql.*key.checksum must pin the key"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(tmp_path, case):
    overrides, message = CASES[case]
    rc, output = run_role(tmp_path, overrides)
    assert rc != 0, output
    assert re.search(message, output, re.S), output[-3000:]
    recap = re.findall(r"^member\d+\s+:.*$", output, re.M)
    assert len(recap) == 3, output[-3000:]
    for line in recap:
        assert "changed=0" in line, line
        assert "failed=1" in line, line


def test_ttl_below_the_minimum_of_the_installed_patroni_is_refused(tmp_path):
    """Every Patroni since 3.2 refuses ttl < 20: the wheel (Debian 12's default, as on this controller) and Debian 13's
    package. The role says so first."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    members = {f"member{i}": dict(local) for i in (1, 2, 3)}
    inventory = {"all": {"vars": {**GOOD, "patroni_ttl": 10},
                         "children": {"postgres_cluster": {"hosts": members},
                                      "etcd_cluster": {"hosts": {m: {} for m in members}}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    rc, output = run_playbook(tmp_path, PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "--check", timeout=300)
    assert rc != 0
    assert re.search(r"patroni_ttl 10 is below 20, the minimum of the Patroni this host gets\s+\(the wheel, Patroni "
                     r"4\.0\.7:", output), output[-3000:]
