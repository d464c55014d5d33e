"""The collection is ready for Galaxy: changelog fragments lint and release, every plugin documents itself, and the
built tarball carries only what a user needs."""

import json
import re
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent


def _filters():
    """Every filter each plugins/filter/*.py exports (read from its FilterModule), so a new one cannot be missed."""
    found = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        text = path.read_text()
        match = re.search(r"def filters\(self\):\s*return\s*(\{.*?\})", text, re.S)
        assert match, f"{path.name} has no FilterModule.filters()"
        found[path.name] = sorted(re.findall(r"[\"']([a-z0-9_]+)[\"']\s*:", match.group(1)))
    return found


FILTERS = _filters()
DEV_MATERIAL = {"tests", "scripts", "molecule", "Makefile", "ansible.cfg", ".config", ".ci", ".cache", ".venv",
                "requirements-dev.txt"}


def _run(argv, cwd, **env):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          env=dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", **env))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A copy of the tracked (and new, not ignored) files as ansible_collections/hybridops/platform."""
    root = tmp_path_factory.mktemp("release")
    dest = root / "ansible_collections" / "hybridops" / "platform"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return root, dest


def test_changelog_fragments_lint(scratch):
    dest = scratch[1]
    proc = _run([str(BIN / "antsibull-changelog"), "lint"], dest)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_changelog_release_lists_new_roles_and_filters(scratch):
    root, dest = scratch
    # The plugins are new in the version galaxy.yml names (their version_added), the roles through fragments.
    version = yaml.safe_load((dest / "galaxy.yml").read_text())["version"]
    proc = _run([str(BIN / "antsibull-changelog"), "release", "--version", version, "--date", "2026-12-01"], dest,
                ANSIBLE_COLLECTIONS_PATH=str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (dest / "CHANGELOG.rst").read_text()
    assert "New Roles" in text and "hybridops.platform.patroni" in text
    for names in FILTERS.values():
        for name in names:
            assert f"hybridops.platform.{name}" in text, name


@pytest.mark.parametrize("name", [n for names in FILTERS.values() for n in names])
def test_every_filter_is_documented(scratch, name):
    root = scratch[0]
    proc = _run([str(BIN / "ansible-doc"), "-t", "filter", "--json", f"hybridops.platform.{name}"], root,
                ANSIBLE_COLLECTIONS_PATH=str(root))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)[f"hybridops.platform.{name}"]
    assert doc["doc"]["short_description"] and doc["examples"] and doc["return"]


def test_every_filter_in_a_module_has_a_doc_file():
    for module, names in FILTERS.items():
        assert (ROOT / "plugins" / "filter" / module).is_file()
        for name in names:
            assert (ROOT / "plugins" / "filter" / f"{name}.yml").is_file(), name


def test_tarball_has_no_development_material(scratch, tmp_path):
    dest = scratch[1]
    (dest / "tests" / "output").mkdir(parents=True, exist_ok=True)
    (dest / "tests" / "output" / "stray.log").write_text("a dirty tree")
    proc = _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(dest)], dest)
    assert proc.returncode == 0, proc.stderr
    (tarball,) = tmp_path.glob("hybridops-platform-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    top = {name.split("/")[0] for name in names}
    assert not top & DEV_MATERIAL, sorted(top & DEV_MATERIAL)
    assert not [n for n in names if n.startswith("inventories/lab")]
    assert {"LICENSE", "README.md", "roles", "plugins", "playbooks", "meta"} <= top


def test_dependencies_are_bounded_and_runtime_only():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert "containers.podman" not in galaxy["dependencies"]
    for name, spec in galaxy["dependencies"].items():
        assert ">=" in spec and "<" in spec.replace("<=", ""), f"{name}: {spec} needs a lower and an upper bound"
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    assert "<" in runtime["requires_ansible"]
    assert "example.invalid" not in (ROOT / "galaxy.yml").read_text()
