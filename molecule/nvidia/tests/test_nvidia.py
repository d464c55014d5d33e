"""The nvidia_driver role on a forced host (Debian 12 distribution packages) and on a host without a GPU."""

import pytest

from tests.testinfra_helpers import host as _host

BRANCH = "535"


@pytest.fixture(scope="module")
def forced():
    return _host("nvidia-deb12")


@pytest.fixture(scope="module")
def nogpu():
    return _host("nvidia-nogpu")


def test_gpu_gate_found_no_gpu_here(forced, nogpu):
    for host in (forced, nogpu):
        assert host.run("lspci -D -n -d 10de:").stdout.strip() == ""


@pytest.mark.parametrize("package", ["nvidia-driver", "nvidia-kernel-dkms", "nvidia-smi", "nvidia-persistenced"])
def test_driver_packages_on_the_pinned_branch(forced, package):
    pkg = forced.package(package)
    assert pkg.is_installed
    assert pkg.version.startswith(BRANCH + "."), pkg.version


def test_dkms_registers_the_module(forced):
    assert forced.package("dkms").is_installed
    assert forced.package("initramfs-tools").is_installed
    # registered with DKMS at the pinned branch (built on a real host, where the running kernel's headers exist)
    status = forced.check_output("dkms status")
    assert "nvidia-current/" + BRANCH + "." in status, status


def test_nouveau_blacklisted(forced):
    conf = forced.file("/etc/modprobe.d/hybridops-blacklist-nouveau.conf")
    assert conf.is_file and conf.mode == 0o644
    assert "blacklist nouveau" in conf.content_string
    assert "options nouveau modeset=0" in conf.content_string
    # modprobe's effective configuration, which initramfs-tools copies into the initramfs
    effective = forced.check_output("modprobe --showconfig")
    assert "blacklist nouveau" in effective
    assert "options nouveau modeset=0" in effective


def test_initramfs_rebuild_works(forced):
    # The handler's command, run again: it must succeed on this host (no kernel image in a container: a no-op).
    assert forced.run("update-initramfs -u -k all").rc == 0


def test_persistenced_enabled_not_started_without_module(forced):
    svc = forced.service("nvidia-persistenced")
    assert svc.is_enabled
    # No module is loaded in a container, so the role only enables it for the next boot.
    assert not forced.file("/proc/driver/nvidia/version").exists


def test_nvidia_smi_installed_but_no_driver(forced):
    res = forced.run("nvidia-smi")
    assert res.rc != 0  # no GPU and no module here


def test_host_without_gpu_is_left_alone(nogpu):
    assert not nogpu.package("nvidia-driver").is_installed
    assert not nogpu.package("dkms").is_installed
    assert not nogpu.file("/etc/modprobe.d/hybridops-blacklist-nouveau.conf").exists
    assert nogpu.package("pciutils").is_installed
