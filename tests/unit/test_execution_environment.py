"""The execution environment's definition agrees with the checkout: the files it names exist, it pins the `ansible`
and ansible-core the tests run with, and every third-party package the controller side of the collection imports
(filters run in the EE) is in meta/ee-requirements.txt."""

import ast
import re
import sys

import yaml

from .playbooks import ROOT

# Controller-side plugin directories (modules and module_utils run on the managed hosts).
CONTROLLER_PLUGINS = ("filter", "lookup", "action", "callback", "inventory", "test")
# distribution name in a requirements file -> the module it provides
DISTRIBUTIONS = {"cryptography": "cryptography", "netaddr": "netaddr", "jmespath": "jmespath"}


def _requirements(path):
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~\[ ;]", line, maxsplit=1)[0].lower())
    return names


def _pins(path):
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.M))


def third_party_imports(source):
    """Top-level names of the modules `source` imports that are neither stdlib nor Ansible."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    own = ("ansible", "ansible_collections", "__future__")
    return {n for n in found if n not in sys.stdlib_module_names and n not in own}


def test_the_definition_names_existing_files():
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    for key in ("galaxy", "python", "system"):
        assert (ROOT / ee["dependencies"][key]).is_file(), key
    assert (ROOT / "ee" / "Containerfile.base").is_file() and (ROOT / "ee" / "ee-pkgmgr").is_file()
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    for key in ("python", "system"):
        assert (ROOT / meta["dependencies"][key]).is_file(), key


def test_the_ee_pins_what_the_tests_run_with():
    dev, ee = _pins(ROOT / "requirements-dev.txt"), _pins(ROOT / "ee" / "requirements.txt")
    assert ee["ansible"] == dev["ansible"] and ee["ansible-core"] == dev["ansible-core"]


def test_controller_side_imports_are_ee_requirements():
    wanted = _requirements(ROOT / "meta" / "ee-requirements.txt")
    provided = {DISTRIBUTIONS.get(name, name) for name in wanted}
    missing = {}
    for kind in CONTROLLER_PLUGINS:
        for path in sorted((ROOT / "plugins" / kind).glob("*.py")):
            for name in third_party_imports(path.read_text()) - provided:
                missing.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"add to meta/ee-requirements.txt: {missing}"
    assert "cryptography" in provided  # the pki filters


def test_the_import_scan_sees_third_party_packages():
    """Positive control for the scan above."""
    source = "import json\nimport yaml.constructor\nfrom ansible.errors import X\nfrom bcrypt import hashpw\n"
    assert third_party_imports(source) == {"yaml", "bcrypt"}
