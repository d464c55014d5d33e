"""A site run checks every role's inputs in its first play: a bad value stops it before any host (or the UniFi
API) is touched, with the error alone - not the role's whole argument specification - and a good site passes."""

import sys

import pytest
import yaml

from .playbooks import ROOT, run_playbook_file

GOOD = {
    "patroni_superuser_password": "unit-superuser-pw",
    "patroni_replication_password": "unit-replication-pw",
    "patroni_restapi_password": "unit-restapi-pw",
    "patroni_etcd_password": "unit-etcd-patroni-pw",
    "etcd_root_password": "unit-etcd-root-pw",
    "keepalived_vip": "10.0.0.100",
    "keepalived_auth_password": "vrrp-pw",
}


def run_site(tmp_path, overrides, playbook="site.yml"):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    hosts = {f"db{i}": dict(local) for i in (1, 2, 3)}
    inventory = {"all": {
        "vars": {k: v for k, v in {**GOOD, **overrides}.items() if v is not None},
        "children": {
            "etcd_cluster": {"hosts": hosts},
            "postgres_cluster": {"hosts": {h: {} for h in hosts}},
            "pg_loadbalancers": {"hosts": {"db1": {}, "db2": {}}},
        },
    }}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    # Only the validation play: its tasks are tagged always, the capability plays are limited away by --tags.
    return run_playbook_file(tmp_path, ROOT / "playbooks" / playbook, "-i", str(tmp_path / "hosts.yml"), "--check",
                             "--tags", "never_any_real_tag", "--skip-tags", "never", timeout=300)


@pytest.mark.parametrize("playbook", ["site.yml", "postgres_cluster.yml"])
def test_bad_choice_stops_the_first_play_with_the_error_alone(tmp_path, playbook):
    rc, out = run_site(tmp_path, {"patroni_synchronous_mode": "maybe"}, playbook)
    assert rc != 0, out
    assert "patroni: value of patroni_synchronous_mode must be one of" in out, out
    assert "maybe" in out
    # the error alone: no dump of the specification, and no play after the first one started
    assert "argument_spec_data" not in out and "patroni_ttl" not in out, out
    assert "PLAY [Run etcd]" not in out and "PLAY [Network edge" not in out, out


def test_good_site_passes_the_check(tmp_path):
    rc, out = run_site(tmp_path, {})
    assert rc == 0, out
    assert "failed=0" in out and "failed=1" not in out, out


def test_missing_password_is_reported_without_its_neighbours(tmp_path):
    rc, out = run_site(tmp_path, {"patroni_restapi_password": None})  # None: left out of the inventory
    assert rc != 0, out
    assert "patroni: missing required arguments: patroni_restapi_password" in out, out
    assert "unit-superuser-pw" not in out and "vrrp-pw" not in out, out
