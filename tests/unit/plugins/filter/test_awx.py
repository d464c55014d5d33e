import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hybridops.platform.plugins.filter.awx import FilterModule, awx_survey, awx_workflow_nodes


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["awx_survey"] is awx_survey
    assert filters["awx_workflow_nodes"] is awx_workflow_nodes


def test_a_survey_in_awx_form():
    spec = awx_survey([
        {"variable": "pg_new_node", "question": "Node to add", "required": True},
        {"variable": "wipe", "question": "Wipe", "type": "multiplechoice", "choices": [False, True], "default": False},
        {"variable": "admin_password", "question": "Password", "type": "password"},
        {"variable": "count", "question": "How many", "type": "integer", "min": 1, "max": 5, "default": 2},
    ], "Add node")
    assert spec["name"] == "Add node"
    first, choice, secret, count = spec["spec"]
    assert first == {"variable": "pg_new_node", "question_name": "Node to add", "question_description": "",
                     "type": "text", "required": True, "default": ""}
    # choices arrive as strings in AWX: the playbook reads them with | bool
    assert choice["choices"] == ["False", "True"] and choice["default"] == "False" and choice["required"] is False
    assert secret["type"] == "password" and secret["default"] == ""
    assert (count["min"], count["max"], count["default"]) == (1, 5, 2)


def test_no_questions_is_an_empty_survey():
    assert awx_survey(None, "x") == {"name": "x", "description": "", "spec": []}


@pytest.mark.parametrize("question, message", [
    ({"variable": "db_password", "question": "Q"}, "type password"),
    ({"variable": "api_token", "question": "Q", "type": "textarea"}, "type password"),
    ({"variable": "ca_passphrase", "question": "Q", "type": "password", "default": "x"}, "no default"),
    ({"variable": "hosts", "question": "Q", "type": "multiselect", "choices": ["a"]}, "flat and scalar"),
    ({"variable": "x", "question": "Q", "type": "multiplechoice", "choices": ["a", "b"], "default": "c"},
     "not one of the choices"),
    ({"variable": "x", "question": "Q", "type": "multiplechoice", "choices": [["a"]]}, "scalar choices"),
    ({"variable": "x", "question": "Q", "type": "multiplechoice"}, "scalar choices"),
    ({"variable": "x", "question": "Q", "choices": ["a"]}, "multiplechoice questions only"),
    ({"variable": "x", "question": "Q", "default": {"a": 1}}, "scalar"),
    ({"variable": "Bad-Name", "question": "Q"}, "lower-case identifier"),
    ({"variable": "x"}, "question"),
    ({"variable": "x", "question": "Q", "answer": 1}, "unknown keys"),
    ("x", "a dict"),
])
def test_refused_questions(question, message):
    with pytest.raises(AnsibleFilterError, match=message):
        awx_survey([question], "t")


def test_a_variable_asked_twice_is_refused():
    with pytest.raises(AnsibleFilterError, match="asked twice"):
        awx_survey([{"variable": "x", "question": "Q"}, {"variable": "x", "question": "R"}])


def test_a_survey_is_a_list():
    with pytest.raises(AnsibleFilterError, match="list of questions"):
        awx_survey({"variable": "x"})


TEMPLATES = [{"playbook": "base.yml", "name": "Base"}, {"playbook": "pg_update.yml", "name": "PG update"},
             {"playbook": "monitoring.yml", "name": "Monitoring"}]


def test_workflow_nodes_chain_on_success():
    nodes = awx_workflow_nodes(["base.yml", "pg_update.yml", "monitoring.yml"], TEMPLATES, "Org")
    assert [n["identifier"] for n in nodes] == ["base", "pg_update", "monitoring"]
    assert nodes[0]["unified_job_template"] == {"name": "Base", "type": "job_template", "organization": {"name": "Org"}}
    assert nodes[0]["related"]["success_nodes"] == [{"identifier": "pg_update"}]
    assert nodes[1]["related"]["success_nodes"] == [{"identifier": "monitoring"}]
    assert nodes[2]["related"]["success_nodes"] == []
    assert all(set(n["related"]) == {"success_nodes"} for n in nodes)


@pytest.mark.parametrize("playbooks, message", [
    (["base.yml", "gone.yml"], "no job template runs gone.yml"),
    (["base.yml", "base.yml"], "appears twice"),
    ([], "non-empty list"),
])
def test_refused_workflows(playbooks, message):
    with pytest.raises(AnsibleFilterError, match=message):
        awx_workflow_nodes(playbooks, TEMPLATES, "Org")
