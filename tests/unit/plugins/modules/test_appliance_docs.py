"""Every appliance API module (UniFi, Synology DSM: a subclass of _api_module.ApiModule) documents itself: its
DOCUMENTATION, EXAMPLES and RETURN parse (as ansible-doc and validate-modules parse them), the documented options
agree with the argument spec (the appliance's connection options plus the module's own: the same names, types,
choices, defaults, required flags and list elements), and the module is in its appliance's action group."""

import importlib
import pathlib

import pytest
import yaml

from ansible_collections.hybridops.platform.plugins.doc_fragments import _synology, _unifi
from ansible_collections.hybridops.platform.plugins.module_utils._api_module import ApiModule

ROOT = pathlib.Path(__file__).resolve().parents[4]
FRAGMENTS = {
    "hybridops.platform._unifi": _unifi.ModuleDocFragment.DOCUMENTATION,
    "hybridops.platform._unifi.STATE": _unifi.ModuleDocFragment.STATE,
    "hybridops.platform._synology": _synology.ModuleDocFragment.DOCUMENTATION,
    "hybridops.platform._synology.STATE": _synology.ModuleDocFragment.STATE,
}


def load(name):
    return importlib.import_module("ansible_collections.hybridops.platform.plugins.modules." + name)


def module_class(module):
    """The module's own ApiModule subclass, or None for a module that is not an appliance API module."""
    found = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, ApiModule) and value.__module__ == module.__name__]
    assert len(found) <= 1, module.__name__
    return found[0] if found else None


MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if module_class(load(p.stem)))


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)
    options = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(yaml.safe_load(FRAGMENTS[fragment]).get("options") or {})
    options.update(doc.get("options") or {})
    return doc, options


def test_both_appliances_are_found():
    assert {name.split("_")[0] for name in MODULES} == {"unifi", "synology"}


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_the_argument_spec(name):
    module = load(name)
    doc, options = documented_options(module)
    assert doc["module"] == name
    cls = module_class(module)
    spec = cls.connection_argument_spec(None)
    spec.update(cls.argument_spec)
    assert sorted(options) == sorted(spec)
    for option, arg in spec.items():
        documented = options[option]
        assert documented.get("type", "str") == arg.get("type", "str"), option
        assert sorted(documented.get("choices") or []) == sorted(arg.get("choices") or []), option
        assert documented.get("default") == arg.get("default"), option
        assert bool(documented.get("required")) == bool(arg.get("required")), option
        assert documented.get("elements") == arg.get("elements"), option


def test_every_module_is_in_its_action_group():
    groups = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]
    for appliance in ("unifi", "synology"):
        assert sorted(groups[appliance]) == sorted(n for n in MODULES if n.startswith(appliance + "_")), appliance
