"""Helpers shared by every Molecule scenario's testinfra tests (molecule/<scenario>/tests/).

The verifier puts the checkout on PYTHONPATH (.config/molecule/config.yml), so a test module does
``from tests.testinfra_helpers import host, testinfra_hosts``. The instances are podman containers named like
their inventory hosts: the podman backend runs each command in the container instead of a whole Ansible task,
which keeps the verify step fast on a busy machine. Importing this module makes ``podman://`` hosts use
``PodmanBackend`` below, which enters a running container the way the harness's Ansible connection does
(tests/plugins/connection/podman.py: nsenter, no ``podman`` process per command) and leaves a paused or stopped
one to ``podman exec``, so a fault looks the same to a test.
"""

import functools
import importlib.util
import os
import pathlib
import subprocess
import time

import testinfra
import testinfra.backend
from testinfra.backend import podman as testinfra_podman
from testinfra.utils.ansible_runner import AnsibleRunner

_SPEC = importlib.util.spec_from_file_location(
    "hybridops_harness_podman", pathlib.Path(__file__).resolve().parent / "plugins" / "connection" / "podman.py"
)
CONNECTION = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(CONNECTION)


class PodmanBackend(testinfra_podman.PodmanBackend):
    """testinfra's podman backend; a running container is entered with nsenter instead of ``podman exec``."""

    def _inspect(self):
        done = subprocess.run(
            ["podman", "inspect", "--format", CONNECTION.INSPECT, self.name], capture_output=True, check=False
        )
        return done.returncode, done.stdout

    def run(self, command, *args, **kwargs):
        target = None if self.user is not None else CONNECTION.find_target(self.name, self._inspect)
        if target is None:
            return super().run(command, *args, **kwargs)
        cmd = self.get_command(command, *args)
        rc, stdout, stderr = CONNECTION.enter(target, ["/bin/sh", "-c", cmd])
        return self.result(rc, self.encode(cmd), stdout, stderr)


testinfra.backend.BACKENDS["podman"] = f"{__name__}.PodmanBackend"


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
