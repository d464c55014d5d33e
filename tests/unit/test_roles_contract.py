"""Every role keeps its contract: argument specs for every public variable, a README generated from them."""

import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


class AnsibleYamlLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe YAML plus Ansible's ``!unsafe`` tag (a value Ansible never templates, such as a Prometheus alert text
    with ``{{ $labels.x }}``), read as the plain value."""


AnsibleYamlLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(path.read_text(), Loader=AnsibleYamlLoader)  # noqa: S506 (a SafeLoader subclass)


@pytest.mark.parametrize("role", ROLES)
def test_role_has_argument_specs_for_every_default(role):
    specs_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert specs_file.is_file(), f"{role}: meta/argument_specs.yml is missing"
    specs = load(specs_file)["argument_specs"]
    assert "main" in specs
    documented = set()
    for entry in specs.values():
        documented |= set((entry.get("options") or {}).keys())
    defaults_file = ROOT / "roles" / role / "defaults" / "main.yml"
    defaults = load(defaults_file) or {} if defaults_file.exists() else {}
    undocumented = sorted(set(defaults) - documented)
    assert not undocumented, f"{role}: defaults without argument specs: {undocumented}"
    wrong_prefix = sorted(v for v in defaults if not v.startswith(f"{role}_"))
    assert not wrong_prefix, f"{role}: public variables must start with '{role}_': {wrong_prefix}"


def test_role_readmes_match_their_specs():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "role-docs.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


# Package tasks that install without asking the baseline's package list first, and why: (role, task file) to the
# one task's name, or to None for every package task of that file.
PACKAGE_TASKS_WITHOUT_THE_LIST = {
    # runs only where gpg is missing already (a stat of the binary)
    ("common", "apt_repository.yml"): "Install gpg to read the key's fingerprint",
    # the CA host may be the controller, where the baseline never runs (no list to read)
    ("pki", "ca.yml"): "Install the Python cryptography library on the CA host",
    # a drill host is built from scratch for one run: the list of the run's start is the list without them
    ("pgbackrest", "drill_install.yml"): None,
    # the GPU roles read a skipped install as "not installed yet" (their check-mode paths), and pin versions
    ("nvidia_driver", "install.yml"): None,
    ("nvidia_driver", "fabricmanager.yml"): None,
    ("nvidia_driver", "preflight.yml"): None,
    ("cuda_toolkit", "install.yml"): None,
    ("nvidia_container_toolkit", "install.yml"): None,
    ("dcgm_exporter", "dcgm.yml"): None,
    ("dcgm_exporter", "install.yml"): None,
}


def _tasks(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _conditions(task):
    when = task.get("when", [])
    return " ".join(when if isinstance(when, list) else [str(when)])


@pytest.mark.parametrize("role", ROLES)
def test_package_tasks_skip_what_the_baseline_found_installed(role):
    """A package task that installs (state present) asks common_installed_packages first: a no-op run then opens
    no APT cache (about 0.5 CPU-s a task). Exceptions are listed above with the reason."""
    unguarded = []
    for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
        exception = PACKAGE_TASKS_WITHOUT_THE_LIST.get((role, path.name), "")
        for task in _tasks(load(path)):
            module = next((k for k in ("ansible.builtin.package", "ansible.builtin.apt") if k in task), None)
            if module is None or not isinstance(task[module], dict) or "name" not in task[module]:
                continue
            if task[module].get("state", "present") != "present":
                continue
            if exception is None or exception == task.get("name"):
                continue
            if "hybridops.platform.packages_installed(common_installed_packages" not in _conditions(task):
                unguarded.append(f"{path.name}: {task.get('name')}")
    assert not unguarded, f"{role}: package tasks without the packages_installed test: {unguarded}"
