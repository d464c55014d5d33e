"""The CUDA toolkit and the container toolkit of playbooks/gpu.yml, from the STAND-IN repositories.

nvidia-mirror serves stand-ins of NVIDIA's repositories (tests/standins/nvidia_repos.py); every package in them
says STAND-IN. What is tested is what the roles did with them: the CUDA repository source and its pin, the pinned
versions, the toolkit on PATH, the distribution's driver kept, and the host without a GPU left alone.
"""

import json
import os
import pathlib
import re

import pytest

from tests.testinfra_helpers import host as _host

CUDA_SOURCE = "/etc/apt/sources.list.d/nvidia-cuda.sources"
CUDA_KEY = "/etc/apt/keyrings/nvidia-cuda.asc"
CUDA_PIN = "/etc/apt/preferences.d/nvidia-cuda"
CTK_SOURCE = "/etc/apt/sources.list.d/nvidia-container-toolkit.sources"
CTK_KEY = "/etc/apt/keyrings/nvidia-container-toolkit.asc"
MIRROR = "http://10.89.15.13"
CTK_VERSION = "1.17.8-1"
CTK_PACKAGES = ["nvidia-container-toolkit", "nvidia-container-toolkit-base", "libnvidia-container-tools",
                "libnvidia-container1"]
# apt with the pin file left out: what the host would do without it (the positive control of every pin test)
NO_PIN = "-o Dir::Etc::preferencesparts=/nonexistent -o Dir::Etc::preferences=/nonexistent"


@pytest.fixture(scope="module")
def forced():
    return _host("nvidia-deb12")


@pytest.fixture(scope="module")
def nogpu():
    return _host("nvidia-nogpu")


@pytest.fixture(scope="module")
def keys():
    path = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "nvidia-standin" / "keys.json"
    return json.loads(path.read_text())


def deb822(host, path):
    return dict(line.split(": ", 1) for line in host.file(path).content_string.splitlines()
                if ": " in line and not line.startswith("#"))


def fingerprints(host, path):
    out = host.check_output(f"gpg --batch --show-keys --with-colons {path}")
    return re.findall(r"^fpr:+([0-9A-F]{40}):", out, re.M)


def policy(host, package, options=""):
    """(candidate, installed) from apt-cache policy."""
    out = host.check_output(f"apt-cache {options} policy {package}")
    return (re.search(r"Candidate: (\S+)", out).group(1), re.search(r"Installed: (\S+)", out).group(1))


def test_cuda_repository_source_signed_by_the_pinned_key(forced, keys):
    source = deb822(forced, CUDA_SOURCE)
    assert source["URIs"] == f"{MIRROR}/cuda/repos/debian12/x86_64/"
    assert source["Suites"] == "/"
    assert source["Signed-By"] == CUDA_KEY
    assert fingerprints(forced, CUDA_KEY) == [keys["cuda"]["fingerprint"]]
    # the other repository's key is a different one: a mix-up of the two would show here
    assert keys["cuda"]["fingerprint"] != keys["container_toolkit"]["fingerprint"]
    # apt verified the stand-in's InRelease with that key
    lists = forced.check_output("ls /var/lib/apt/lists/")
    assert "10.89.15.13_cuda_repos_debian12_x86%5f64_InRelease" in lists, lists


def test_pin_keeps_every_driver_package_of_the_cuda_repository_away(forced):
    pin = forced.file(CUDA_PIN)
    assert pin.mode == 0o644
    text = pin.content_string
    assert "Pin: release o=NVIDIA,l=NVIDIA CUDA" in text
    assert "Pin-Priority: -1" in text
    assert "Pin-Priority: 600" not in text  # the cuda_repo form, which would prefer NVIDIA's driver
    assert re.search(r"^Package: .*\bnvidia-\*.*\bcuda-drivers\*", text, re.M), text


def test_distribution_driver_stays_the_candidate(forced):
    # positive control: without the pin, the stand-in CUDA repository's newer driver would win
    assert policy(forced, "nvidia-driver", NO_PIN)[0].startswith("570.")
    candidate, installed = policy(forced, "nvidia-driver")
    assert installed.startswith("535.") and candidate == installed
    origin = forced.check_output("apt-cache show --no-all-versions nvidia-driver")
    assert "Filename: pool/non-free/n/nvidia-graphics-drivers/" in origin
    # NVIDIA's own driver metapackage cannot be installed from it either
    assert policy(forced, "cuda-drivers-570", NO_PIN)[0] == "570.172.08-1"
    assert policy(forced, "cuda-drivers-570")[0] == "(none)"


def test_upgrade_moves_neither_the_driver_nor_the_container_toolkit(forced):
    upgrade = forced.check_output("apt-get -s -o Debug::NoLocking=1 dist-upgrade")
    assert not re.search(r"^Inst (nvidia|libnvidia|cuda|libcuda)", upgrade, re.M), upgrade
    # positive control: without the two pins the stand-ins' newer driver and toolkit would be installed
    unpinned = forced.check_output(f"apt-get -s -o Debug::NoLocking=1 {NO_PIN} dist-upgrade")
    assert re.search(r"^Inst nvidia-driver \[535\.", unpinned, re.M), unpinned
    assert re.search(r"^Inst nvidia-container-toolkit \[1\.17\.8-1\] \(1\.18\.0-1 ", unpinned, re.M), unpinned


def test_cuda_toolkit_installed_from_the_cuda_repository(forced):
    pkg = forced.package("cuda-toolkit-12-2")
    assert pkg.is_installed and pkg.version == "12.2.2-1"
    show = forced.check_output("dpkg-query -W -f '${Description}' cuda-toolkit-12-2")
    assert "STAND-IN" in show
    candidate, installed = policy(forced, "cuda-toolkit-12-2")
    assert installed == candidate == "12.2.2-1"


def test_nvcc_on_path_for_login_shells(forced):
    profile = forced.file("/etc/profile.d/hybridops-cuda.sh")
    assert profile.mode == 0o644
    login = forced.run("bash -lc 'command -v nvcc; nvcc --version; echo CUDA_HOME=$CUDA_HOME; echo $LD_LIBRARY_PATH'")
    assert login.rc == 0, login.stderr
    lines = login.stdout.splitlines()
    assert lines[0] == "/usr/local/cuda-12.2/bin/nvcc"
    assert "release 12.2" in login.stdout
    assert "CUDA_HOME=/usr/local/cuda-12.2" in lines
    assert lines[-1].split(":")[0] == "/usr/local/cuda-12.2/lib64"
    # positive control: a shell that does not read the profile has no nvcc
    assert forced.run("env -i /bin/sh -c 'command -v nvcc'").rc != 0


def test_container_toolkit_repository_signed_by_its_own_key(forced, keys):
    source = deb822(forced, CTK_SOURCE)
    assert source["URIs"] == f"{MIRROR}/libnvidia-container/stable/deb/$(ARCH)/"
    assert source["Signed-By"] == CTK_KEY
    assert fingerprints(forced, CTK_KEY) == [keys["container_toolkit"]["fingerprint"]]


@pytest.mark.parametrize("package", CTK_PACKAGES)
def test_container_toolkit_at_the_pinned_version(forced, package):
    assert policy(forced, package) == (CTK_VERSION, CTK_VERSION)
    # positive control: the repository offers a newer release, which only the role's version pin keeps out
    assert policy(forced, package, NO_PIN)[0] == "1.18.0-1"
    # the CUDA pin (nvidia-* names at -1) does not touch this repository, whose Origin is another
    assert not re.search(r"^ +1\.1[78]\.\d+-1 -1$", forced.check_output(f"apt-cache policy {package}"), re.M)


def test_container_toolkit_pin_file(forced):
    pin = forced.file("/etc/apt/preferences.d/nvidia-container-toolkit")
    assert pin.mode == 0o644
    assert "Pin: version 1.17.8-*" in pin.content_string
    assert f"Package: {' '.join(CTK_PACKAGES)}" in pin.content_string


def test_cdi_directory_ready_without_a_specification(forced):
    # no GPU and no loaded driver here: nvidia-ctk cdi generate would fail (the stand-in fails like the real one),
    # so the role creates the directory and leaves the specification to a run on a host with a GPU
    cdi = forced.file("/etc/cdi")
    assert cdi.is_directory and cdi.mode == 0o755
    assert not forced.file("/etc/cdi/nvidia.yaml").exists
    assert not forced.file("/proc/driver/nvidia/version").exists
    assert forced.run("nvidia-ctk cdi generate --output=/tmp/cdi-probe.yaml").rc != 0
    # no docker or containerd here: no runtime configuration was written
    for path in ("/etc/docker/daemon.json", "/etc/containerd/config.toml"):
        assert not forced.file(path).exists


def test_host_without_gpu_has_no_nvidia_repository_or_package(nogpu):
    for path in (CUDA_SOURCE, CUDA_KEY, CUDA_PIN, CTK_SOURCE, CTK_KEY, "/etc/apt/preferences.d/nvidia-container-toolkit",
                 "/etc/profile.d/hybridops-cuda.sh",
                 "/etc/cdi", "/usr/local/cuda-12.2"):
        assert not nogpu.file(path).exists, path
    listed = nogpu.check_output("dpkg-query -W -f '${Package}\\n'")
    assert not re.search(r"^(cuda|nvidia|libnvidia)", listed, re.M), listed
    assert "10.89.15.13" not in nogpu.check_output("apt-get indextargets --format '$(URI)'")
