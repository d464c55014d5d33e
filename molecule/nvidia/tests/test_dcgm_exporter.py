"""The dcgm_exporter role of playbooks/gpu.yml on the host without a GPU: it stands down, as the rest of the stack.

The forced host passes the gate and the preflight; the role's phases after it are skipped by tag in molecule.yml:
DCGM is not in the stand-in CUDA repository and the exporter image cannot be pulled here (roles/dcgm_exporter/README.md
says what is exercised where). Check mode on the fresh hosts and idempotence are the scenario's own steps.
"""

import re

import pytest

from tests.testinfra_helpers import host as _host


@pytest.fixture(scope="module")
def nogpu():
    return _host("nvidia-nogpu")


def test_host_without_gpu_has_no_dcgm_or_exporter(nogpu):
    for path in ("/etc/dcgm-exporter", "/etc/systemd/system/dcgm-exporter.service",
                 "/etc/nftables.d/dcgm-exporter.nft", "/usr/bin/podman", "/usr/bin/nv-hostengine"):
        assert not nogpu.file(path).exists, path
    listed = nogpu.check_output("dpkg-query -W -f '${Package}\\n'")
    assert not re.search(r"^(datacenter-gpu-manager|podman|python3-bcrypt)", listed, re.M), listed


def test_host_without_gpu_runs_no_exporter(nogpu):
    assert nogpu.run("systemctl cat dcgm-exporter.service").rc != 0
    assert nogpu.run("systemctl cat nvidia-dcgm.service").rc != 0
    assert not nogpu.socket("tcp://0.0.0.0:9400").is_listening
