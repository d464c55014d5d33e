# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scrape targets of the prometheus role's jobs, derived from inventory groups (never a hand-kept list).

scrape_targets(job, groups, hostvars) returns the sorted targets (``<inventory name>:<port>``) of one job:
the hosts of ``job.group`` minus those of ``job.exclude_groups``, each with ``job.port``, or, where the port is
per host and per item (one vLLM proxy port per model), with every ``item[key]`` of the host variable
``job.ports_from = {var: <host variable holding a list of dicts>, key: <the port's key>}``. ``job.port_var`` names
a host variable that, where a host sets it, replaces ``job.port`` for that host (``gitea_http_port``).
``job.enabled_var`` names a host variable that leaves a host out when it is false (``dcgm_exporter_scrape: false``
on a GPU-group host without a GPU, where the DCGM exporter stands down); a host without it is scraped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.six import string_types


def _port(value, where):
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if isinstance(value, bool) or not 0 < port < 65536:
        raise AnsibleFilterError("scrape_targets: %s: %r is not a port" % (where, value))
    return port


def _host_ports(job, host, hostvars):
    port_var = job.get("port_var")
    if port_var and host in hostvars and hostvars[host].get(port_var) not in (None, ""):
        return [_port(hostvars[host][port_var], "job %s: %s of %s" % (job["job"], port_var, host))]
    ports_from = job.get("ports_from")
    if not ports_from:
        return [_port(job.get("port"), "job %s" % job["job"])]
    if not isinstance(ports_from, dict) or not ports_from.get("var") or not ports_from.get("key"):
        raise AnsibleFilterError("scrape_targets: job %s: ports_from needs var and key" % job["job"])
    items = hostvars[host].get(ports_from["var"]) if host in hostvars else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise AnsibleFilterError("scrape_targets: job %s: %s of %s is not a list"
                                 % (job["job"], ports_from["var"], host))
    ports = []
    for index, item in enumerate(items):
        where = "job %s: %s[%d].%s of %s" % (job["job"], ports_from["var"], index, ports_from["key"], host)
        if not isinstance(item, dict) or ports_from["key"] not in item:
            raise AnsibleFilterError("scrape_targets: %s is missing" % where)
        ports.append(_port(item[ports_from["key"]], where))
    return sorted(set(ports))


def _enabled(job, host, hostvars):
    enabled_var = job.get("enabled_var")
    if not enabled_var or host not in hostvars:
        return True
    value = hostvars[host].get(enabled_var)
    if value is None or value == "":
        return True
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise AnsibleFilterError("scrape_targets: job %s: %s of %s is %r, not a boolean"
                                 % (job["job"], enabled_var, host, value))


def scrape_targets(job, groups, hostvars):
    """The targets of one scrape job (see the module docstring)."""
    if not isinstance(job, dict) or not isinstance(job.get("job"), string_types) or not job.get("group"):
        raise AnsibleFilterError("scrape_targets: a job needs job and group, got %r" % (job,))
    if not job.get("port") and not job.get("ports_from"):
        raise AnsibleFilterError("scrape_targets: job %s needs port or ports_from" % job["job"])
    excluded = set()
    for group in job.get("exclude_groups") or []:
        excluded.update(groups.get(group, []))
    hosts = [host for host in sorted(set(groups.get(job["group"], [])) - excluded) if _enabled(job, host, hostvars)]
    return ["%s:%d" % (host, port) for host in hosts for port in _host_ports(job, host, hostvars)]


class FilterModule(object):
    """Scrape targets from inventory groups."""

    def filters(self):
        return {"scrape_targets": scrape_targets}
