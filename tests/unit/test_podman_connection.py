"""The harness's podman connection (tests/plugins/connection/podman.py): how it reads a container's cgroups.

The way in itself (nsenter into a running container, the stock podman path for a paused or stopped one) runs in
every Molecule scenario and in the lab; these tests pin the parsing it depends on, with cgroup trees in a
temporary directory laid out like this project's machines (cgroup v1 hybrid) and like cgroup v2 hosts.
"""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("harness_podman", ROOT / "tests/plugins/connection/podman.py")
podman = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(podman)

CID = "777e752fa3346c4f34b4990bc2e97a2ae9dabe68953f902c5e1edddbefe26e94"
HYBRID = f"""9:name=systemd:/libpod_parent/libpod-{CID}/init.scope
8:pids:/libpod_parent/libpod-{CID}
6:freezer:/libpod_parent/libpod-{CID}
2:cpu,cpuacct:/libpod_parent/libpod-{CID}
0::/libpod_parent/libpod-{CID}
"""
V2 = f"0::/machine.slice/libpod-{CID}.scope/container/init.scope\n"


def tree(root, rows, files):
    """Directories for each hierarchy of rows under root, with the given files (name -> content) in each."""
    for row in rows:
        hierarchy, controllers = row[0], row[1]
        name = "unified" if hierarchy == "0" and not controllers else controllers.replace("name=", "")
        directory = root / name / "libpod_parent" / f"libpod-{CID}"
        directory.mkdir(parents=True, exist_ok=True)
        for file, content in files.get(name, {"cgroup.procs": ""}).items():
            (directory / file).write_text(content)


def test_container_cgroup_is_cut_after_the_libpod_element():
    rows = podman.cgroups_of(HYBRID)
    assert rows[0] == ("9", "name=systemd", f"/libpod_parent/libpod-{CID}/init.scope")
    assert podman.container_cgroup(rows, CID) == f"/libpod_parent/libpod-{CID}"
    assert podman.container_cgroup(podman.cgroups_of(V2), CID) == f"/machine.slice/libpod-{CID}.scope"


def test_a_process_of_another_container_or_the_host_is_not_taken_for_it():
    assert podman.container_cgroup(podman.cgroups_of(HYBRID), "0" * 64) is None
    assert podman.container_cgroup(podman.cgroups_of("0::/user.slice/session-1.scope\n"), CID) is None


def test_every_mounted_hierarchy_is_joined(tmp_path):
    rows = podman.cgroups_of(HYBRID)
    tree(tmp_path, rows, {})
    base = podman.container_cgroup(rows, CID)
    files = podman.cgroup_procs_files(rows, base, root=str(tmp_path))
    names = sorted(pathlib.Path(f).parent.parent.parent.name for f in files)
    assert names == ["cpu,cpuacct", "freezer", "pids", "systemd", "unified"]
    # The container's own cgroup, not the init.scope below it (podman exec joins the same one).
    assert all(pathlib.Path(f).parent.name == f"libpod-{CID}" for f in files)


def test_a_hierarchy_the_host_does_not_mount_is_left_out(tmp_path):
    rows = podman.cgroups_of(HYBRID)
    tree(tmp_path, rows[:2], {})
    files = podman.cgroup_procs_files(rows, podman.container_cgroup(rows, CID), root=str(tmp_path))
    assert len(files) == 2


@pytest.mark.parametrize("state, expected", [("THAWED\n", False), ("FROZEN\n", True), ("FREEZING\n", True)])
def test_v1_freezer_state_tells_a_paused_container(tmp_path, state, expected):
    rows = podman.cgroups_of(HYBRID)
    tree(tmp_path, rows, {"freezer": {"freezer.state": state}})
    assert podman.frozen(rows, podman.container_cgroup(rows, CID), root=str(tmp_path)) is expected


@pytest.mark.parametrize("state, expected", [("0\n", False), ("1\n", True)])
def test_v2_cgroup_freeze_tells_a_paused_container(tmp_path, state, expected):
    rows = podman.cgroups_of(f"0::/libpod_parent/libpod-{CID}\n")
    directory = tmp_path / "libpod_parent" / f"libpod-{CID}"
    directory.mkdir(parents=True)
    (directory / "cgroup.freeze").write_text(state)
    assert podman.frozen(rows, podman.container_cgroup(rows, CID), root=str(tmp_path)) is expected


def test_environment_is_the_inits_less_podmans_uuid():
    raw = b"container=podman\0PATH=/usr/sbin:/usr/bin\0TERM=xterm\0HOME=/root\0container_uuid=777e\0EMPTY=\0"
    assert podman.environment_of(raw) == {
        b"container": b"podman",
        b"PATH": b"/usr/sbin:/usr/bin",
        b"TERM": b"xterm",
        b"HOME": b"/root",
        b"EMPTY": b"",
    }


def test_testinfra_podman_hosts_take_the_same_way_in():
    import testinfra.backend  # pylint: disable=import-outside-toplevel

    from tests import testinfra_helpers  # pylint: disable=import-outside-toplevel

    assert testinfra.backend.get_backend_class("podman") is testinfra_helpers.PodmanBackend
    # the helper loads this very plugin file: one way in for Ansible tasks and verify steps
    assert pathlib.Path(testinfra_helpers.CONNECTION.__file__) == pathlib.Path(podman.__file__)
