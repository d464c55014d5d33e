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
