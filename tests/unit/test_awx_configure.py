"""playbooks/awx_configure.yml and the playbooks' behaviour under AWX.

- every playbook of playbooks/ has exactly one job template in playbooks/vars/awx.yml (a new playbook without one
  fails here), every workflow step runs a playbook that has one, surveys pass hybridops.platform.awx_survey;
- awx_configure.yml passes ansible-playbook --syntax-check and refuses to start without its inputs;
- no playbook or role asks a question at run time (vars_prompt, a pause with a prompt or without a duration):
  an AWX job has no terminal.
"""

import pathlib

import pytest
import yaml

from ansible_collections.hybridops.platform.plugins.filter.awx import awx_survey, awx_workflow_nodes

from .playbooks import ROOT, run_playbook_file

PLAYBOOKS = ROOT / "playbooks"


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe YAML plus Ansible's ``!unsafe`` tag, read as the plain value."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
AWX = yaml.safe_load((PLAYBOOKS / "vars" / "awx.yml").read_text())


def _site_playbooks():
    return sorted(p.name for p in PLAYBOOKS.glob("*.yml") if p.name != "awx_configure.yml")


def test_every_playbook_has_one_job_template():
    templated = [t["playbook"] for t in AWX["awx_job_templates"]]
    assert sorted(set(templated)) == sorted(templated), "a playbook has two job templates"
    missing = sorted(set(_site_playbooks()) - set(templated))
    assert not missing, f"playbooks without a job template in playbooks/vars/awx.yml: {missing}"
    stale = sorted(set(templated) - set(_site_playbooks()))
    assert not stale, f"job templates for playbooks that do not exist: {stale}"


def test_the_check_sees_a_new_playbook(tmp_path, monkeypatch):
    """Positive control: a playbook added without a template is reported."""
    monkeypatch.setattr(pathlib.Path, "glob", lambda self, pattern: [self / "base.yml", self / "new_thing.yml"])
    with pytest.raises(AssertionError, match="new_thing.yml"):
        test_every_playbook_has_one_job_template()


def test_templates_are_complete_and_surveys_valid():
    names = [t["name"] for t in AWX["awx_job_templates"]]
    assert len(set(names)) == len(names), "two job templates share a name"
    for template in AWX["awx_job_templates"]:
        assert template["description"], template["name"]
        assert set(template["credentials"]) <= set(AWX["awx_credential_names"]), template["name"]
        survey = awx_survey(template.get("survey", []), template["name"])
        for question in survey["spec"]:
            if question["type"] == "multiplechoice":
                assert question["required"], f"{template['name']}: a choice without an answer would be ''"


def test_per_run_choices_have_surveys():
    asked = {q["variable"] for t in AWX["awx_job_templates"] for q in t.get("survey", [])}
    assert {"patroni_switchover_candidate", "pg_new_node", "pg_remove_node", "pgbackrest_drill_target_time"} <= asked


def test_workflows_run_templated_playbooks():
    names = {w["name"] for w in AWX["awx_workflows"]}
    assert {"Site", "Rolling update"} <= names
    for workflow in AWX["awx_workflows"]:
        nodes = awx_workflow_nodes(workflow["playbooks"], AWX["awx_job_templates"], AWX["awx_organization"])
        assert len(nodes) == len(workflow["playbooks"])


def test_the_site_workflow_follows_site_yml():
    site = yaml.safe_load((PLAYBOOKS / "site.yml").read_text())
    imported = [play["ansible.builtin.import_playbook"] for play in site if "ansible.builtin.import_playbook" in play]
    (workflow,) = [w for w in AWX["awx_workflows"] if w["name"] == "Site"]
    assert workflow["playbooks"] == imported


def test_syntax_check(tmp_path):
    rc, out = run_playbook_file(tmp_path, PLAYBOOKS / "awx_configure.yml", "--syntax-check")
    assert rc == 0, out


def test_refuses_to_start_without_its_inputs(tmp_path):
    """No AWX answers here: the input check must stop the run before the first API call."""
    rc, out = run_playbook_file(tmp_path, PLAYBOOKS / "awx_configure.yml", "-e", "awx_controller_host=https://awx.invalid")
    assert rc != 0
    assert "Check the inputs before any AWX object changes" in out
    assert "Organisation" not in out.split("Check the inputs before any AWX object changes", 1)[1]


# ---- no questions at run time ----

def _yaml_files():
    for base in ("playbooks", "roles"):
        for path in sorted((ROOT / base).rglob("*.yml")):
            if "molecule" in path.parts or "meta" in path.parts:
                continue
            yield path


def _tasks(node):
    """Every dict in a parsed YAML document (plays, tasks, blocks, handlers)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _tasks(value)
    elif isinstance(node, list):
        for item in node:
            yield from _tasks(item)


def _prompts(path, root=ROOT):
    found = []
    for doc in yaml.load_all(path.read_text(), Loader=_Loader):  # noqa: S506 (a SafeLoader subclass)
        for node in _tasks(doc):
            if "vars_prompt" in node:
                found.append(f"{path.relative_to(root)}: vars_prompt in {node.get('name')!r}")
            for key in ("ansible.builtin.pause", "pause", "ansible.legacy.pause"):
                if key in node:
                    args = node[key] if isinstance(node[key], dict) else {}
                    if "prompt" in args or not ({"seconds", "minutes"} & set(args)):
                        found.append(f"{path.relative_to(root)}: {key} waits for a keypress in {node.get('name')!r}")
    return found


def test_no_playbook_or_role_prompts():
    found = [f for path in _yaml_files() for f in _prompts(path)]
    assert not found, found


def test_the_prompt_scan_finds_prompts(tmp_path):
    """Positive control: each kind of prompt is found."""
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([
        {"name": "p", "hosts": "all", "vars_prompt": [{"name": "x", "prompt": "x?"}], "tasks": [
            {"name": "a", "ansible.builtin.pause": {"prompt": "continue?"}},
            {"name": "b", "block": [{"name": "c", "pause": None}]},
            {"name": "d", "ansible.builtin.pause": {"seconds": 3}},
        ]}]))
    found = [f.split(": ", 1)[1] for f in _prompts(path, tmp_path)]
    assert found == ["vars_prompt in 'p'", "ansible.builtin.pause waits for a keypress in 'a'",
                     "pause waits for a keypress in 'c'"]
