# -*- coding: utf-8 -*-
"""The scrape_targets filter: Prometheus targets from inventory groups and per-host port lists."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter.scrape import (  # noqa: E402
    FilterModule,
    scrape_targets,
)

GROUPS = {
    "all": ["udm", "db2", "db1", "gpu1", "gpu2", "nas"],
    "postgres_cluster": ["db2", "db1"],
    "gpu_hosts": ["gpu1", "gpu2"],
    "udm": ["udm"],
    "backup_nas": ["nas"],
}
HOSTVARS = {
    "gpu1": {"vllm_models": [{"name": "b", "proxy_port": 8444}, {"name": "a", "proxy_port": "8443"}]},
    "gpu2": {},
}
VLLM = {"job": "vllm", "group": "gpu_hosts", "ports_from": {"var": "vllm_models", "key": "proxy_port"}}


def test_group_hosts_sorted_with_the_port():
    job = {"job": "patroni", "group": "postgres_cluster", "port": 8008}
    assert scrape_targets(job, GROUPS, HOSTVARS) == ["db1:8008", "db2:8008"]


def test_excluded_groups_are_left_out():
    job = {"job": "node", "group": "all", "exclude_groups": ["udm", "backup_nas", "absent"], "port": 9100}
    assert scrape_targets(job, GROUPS, HOSTVARS) == ["db1:9100", "db2:9100", "gpu1:9100", "gpu2:9100"]


def test_a_missing_group_has_no_targets():
    assert scrape_targets({"job": "gitea", "group": "gitea", "port": 3000}, GROUPS, HOSTVARS) == []


def test_port_var_replaces_the_port_where_a_host_sets_it():
    hostvars = {"db1": {"gitea_http_port": "3443"}, "db2": {}}
    job = {"job": "gitea", "group": "postgres_cluster", "port": 3000, "port_var": "gitea_http_port"}
    assert scrape_targets(job, GROUPS, hostvars) == ["db1:3443", "db2:3000"]
    with pytest.raises(AnsibleFilterError, match="gitea_http_port of db1"):
        scrape_targets(job, GROUPS, {"db1": {"gitea_http_port": "not-a-port"}})


def test_ports_from_a_host_list_one_target_per_item():
    # gpu2 defines no models: no target; a port given as a string is accepted
    assert scrape_targets(VLLM, GROUPS, HOSTVARS) == ["gpu1:8443", "gpu1:8444"]


DCGM = {"job": "dcgm", "group": "gpu_hosts", "port": 9400, "port_var": "dcgm_exporter_port",
        "enabled_var": "dcgm_exporter_scrape"}


@pytest.mark.parametrize("value", [False, "false", "no", 0, "0"])
def test_enabled_var_false_leaves_the_host_out(value):
    hostvars = {"gpu1": {"dcgm_exporter_scrape": value}, "gpu2": {}}
    assert scrape_targets(DCGM, GROUPS, hostvars) == ["gpu2:9400"]


@pytest.mark.parametrize("value", [True, "true", "yes", 1, None, ""])
def test_enabled_var_true_or_unset_keeps_the_host(value):
    hostvars = {"gpu1": {"dcgm_exporter_scrape": value, "dcgm_exporter_port": 9500}, "gpu2": {}}
    # the host-level port still applies to the hosts kept
    assert scrape_targets(DCGM, GROUPS, hostvars) == ["gpu1:9500", "gpu2:9400"]


def test_enabled_var_of_every_host_false_gives_no_targets():
    hostvars = {"gpu1": {"dcgm_exporter_scrape": False}, "gpu2": {"dcgm_exporter_scrape": False}}
    assert scrape_targets(DCGM, GROUPS, hostvars) == []


def test_enabled_var_applies_only_to_the_job_that_names_it():
    # the same hostvars leave the host in a job without enabled_var (node, vllm)
    hostvars = {"gpu1": {"dcgm_exporter_scrape": False}, "gpu2": {}}
    job = {"job": "node", "group": "gpu_hosts", "port": 9100}
    assert scrape_targets(job, GROUPS, hostvars) == ["gpu1:9100", "gpu2:9100"]


def test_enabled_var_that_is_no_boolean_is_refused_with_host_and_job():
    hostvars = {"gpu1": {"dcgm_exporter_scrape": "maybe"}, "gpu2": {}}
    with pytest.raises(AnsibleFilterError, match="job dcgm: dcgm_exporter_scrape of gpu1 is 'maybe', not a boolean"):
        scrape_targets(DCGM, GROUPS, hostvars)


@pytest.mark.parametrize("job, message", [
    ({"job": "x", "group": "all"}, "needs port or ports_from"),
    ({"job": "x", "group": "postgres_cluster", "port": 70000}, "is not a port"),
    ({"job": "x", "group": "postgres_cluster", "port": True}, "is not a port"),
    ({"group": "all", "port": 1}, "needs job and group"),
    ({"job": "x", "group": "gpu_hosts", "ports_from": {"var": "vllm_models"}}, "needs var and key"),
    ({"job": "x", "group": "gpu_hosts", "ports_from": {"var": "vllm_models", "key": "port"}},
     "vllm_models[0].port of gpu1 is missing"),
])
def test_wrong_jobs_are_refused_with_the_job_named(job, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scrape_targets(job, GROUPS, HOSTVARS)


def test_a_port_list_that_is_not_a_list_is_refused():
    hostvars = {"gpu1": {"vllm_models": "nope"}, "gpu2": {}}
    with pytest.raises(AnsibleFilterError, match="not a list"):
        scrape_targets(VLLM, GROUPS, hostvars)


def test_registered_as_a_filter():
    assert FilterModule().filters()["scrape_targets"] is scrape_targets
