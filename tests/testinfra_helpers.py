"""Helpers shared by every Molecule scenario's testinfra tests (molecule/<scenario>/tests/).

The verifier puts the checkout on PYTHONPATH (.config/molecule/config.yml), so a test module does
``from tests.testinfra_helpers import host, testinfra_hosts``. The instances are podman containers named like
their inventory hosts: the podman backend runs each command with one ``podman exec`` instead of a whole Ansible
task, which keeps the verify step fast on a busy machine.
"""

import functools
import os
import time

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner


def inventory_hosts(pattern="all"):
    """The names of the scenario's inventory hosts that match ``pattern``."""
    return AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(pattern)


def testinfra_hosts(pattern="all"):
    """A module-level ``testinfra_hosts`` list: every test taking the ``host`` fixture runs once per host."""
    return [f"podman://{name}" for name in inventory_hosts(pattern)]


@functools.lru_cache(maxsize=None)
def host(name):
    """The testinfra host for the container ``name`` (one backend per container for the whole run)."""
    return testinfra.get_host(f"podman://{name}")


def wait_for(check, timeout=30, step=1.0):
    """Call ``check`` until it returns something truthy or ``timeout`` seconds pass; returns its last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(step)
