"""Every Synology module's DOCUMENTATION parses (as ansible-doc and validate-modules parse it) and agrees with its
argument spec: the same options, types, choices, defaults, required flags and list elements."""

import importlib
import pathlib

import pytest
import yaml

from ansible_collections.hybridops.platform.plugins.doc_fragments._synology import ModuleDocFragment
from ansible_collections.hybridops.platform.plugins.module_utils._synology import SynologyModule, synology_argument_spec

MODULES = ["synology_group", "synology_info", "synology_service", "synology_share", "synology_share_permission",
           "synology_user"]
FRAGMENTS = {
    "hybridops.platform._synology": ModuleDocFragment.DOCUMENTATION,
    "hybridops.platform._synology.STATE": ModuleDocFragment.STATE,
}


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)
    options = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(yaml.safe_load(FRAGMENTS[fragment]).get("options") or {})
    options.update(doc.get("options") or {})
    return doc, options


def module_class(module):
    found = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, SynologyModule) and value.__module__ == module.__name__]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_the_argument_spec(name):
    module = importlib.import_module("ansible_collections.hybridops.platform.plugins.modules." + name)
    doc, options = documented_options(module)
    assert doc["module"] == name
    spec = synology_argument_spec()
    spec.update(module_class(module).argument_spec)
    assert sorted(options) == sorted(spec)
    for option, arg in spec.items():
        documented = options[option]
        assert documented.get("type", "str") == arg.get("type", "str"), option
        assert sorted(documented.get("choices") or []) == sorted(arg.get("choices") or []), option
        assert documented.get("default") == arg.get("default"), option
        assert bool(documented.get("required")) == bool(arg.get("required")), option
        assert documented.get("elements") == arg.get("elements"), option


def test_every_module_is_in_the_action_group():
    runtime = yaml.safe_load((pathlib.Path(__file__).resolve().parents[4] / "meta" / "runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["synology"]) == sorted(MODULES)
