# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX objects from the compact data of playbooks/vars/awx.yml, for playbooks/awx_configure.yml.

awx_survey(questions, name) turns a list of questions into the survey_spec of an AWX job template, and refuses
what an operator's per-run choice should not be: nested or multi-select answers (surveys stay flat and scalar), a
secret asked in clear text, a default for a secret, a choice list without its default.
awx_workflow_nodes(playbooks, templates, organization) turns a workflow (an ordered list of playbooks) into the
nodes of an AWX workflow job template, each running the job template of its playbook after the previous one
succeeded.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

_TYPES = ("text", "textarea", "password", "integer", "float", "multiplechoice")
_VARIABLE = re.compile(r"^[a-z_][a-z0-9_]*$")
# Names that hold a secret: their answer must be a `password` question (AWX masks and encrypts it).
_SECRET = re.compile(r"(password|passphrase|secret|token|api_key|private_key)")
_KEYS = ("variable", "question", "description", "type", "required", "default", "choices", "min", "max")


def _fail(where, msg):
    raise AnsibleFilterError("awx_survey: %s: %s" % (where, msg))


def _question(q, where):
    if not isinstance(q, dict):
        _fail(where, "a question is a dict, got %r" % (q,))
    unknown = sorted(set(q) - set(_KEYS))
    if unknown:
        _fail(where, "unknown keys %s (allowed: %s)" % (unknown, ", ".join(_KEYS)))
    variable = q.get("variable")
    if not isinstance(variable, str) or not _VARIABLE.match(variable):
        _fail(where, "variable must be a lower-case identifier, got %r" % (variable,))
    where = "%s (%s)" % (where, variable)
    if not q.get("question"):
        _fail(where, "question (the text the operator reads) is required")
    qtype = q.get("type", "text")
    if qtype not in _TYPES:
        _fail(where, "type %r is not one of %s (surveys stay flat and scalar)" % (qtype, ", ".join(_TYPES)))
    if _SECRET.search(variable) and qtype != "password":
        _fail(where, "a secret is asked with type password, not %s" % qtype)
    default = q.get("default", "")
    if qtype == "password" and default not in ("", None):
        _fail(where, "a secret has no default")
    if isinstance(default, (dict, list)):
        _fail(where, "the default must be a scalar")
    spec = {
        "variable": variable,
        "question_name": q["question"],
        "question_description": q.get("description", ""),
        "type": qtype,
        "required": bool(q.get("required", False)),
        "default": "" if default is None else default,
    }
    if qtype == "multiplechoice":
        choices = q.get("choices")
        if not isinstance(choices, list) or not choices or any(isinstance(c, (dict, list)) for c in choices):
            _fail(where, "a multiplechoice question needs a list of scalar choices")
        choices = [str(c) for c in choices]
        spec["choices"] = choices
        spec["default"] = str(spec["default"]) if spec["default"] != "" else ""
        if spec["default"] and spec["default"] not in choices:
            _fail(where, "the default %r is not one of the choices %s" % (spec["default"], choices))
    elif "choices" in q:
        _fail(where, "choices belong to multiplechoice questions only")
    for bound in ("min", "max"):
        if bound in q:
            spec[bound] = int(q[bound])
    return spec


def awx_survey(questions, name=""):
    """The survey_spec of a job template from a list of questions (see the module docstring)."""
    if questions is None:
        questions = []
    if not isinstance(questions, list):
        raise AnsibleFilterError("awx_survey expects a list of questions, got %r" % (questions,))
    specs = [_question(q, "%s question %d" % (name or "survey", i + 1)) for i, q in enumerate(questions)]
    seen = set()
    for spec in specs:
        if spec["variable"] in seen:
            _fail(name or "survey", "variable %s is asked twice" % spec["variable"])
        seen.add(spec["variable"])
    return {"name": name, "description": "", "spec": specs}


def awx_workflow_nodes(playbooks, templates, organization):
    """Workflow nodes running the job templates of `playbooks` one after the other, each on the success of the last."""
    if not isinstance(playbooks, list) or not playbooks:
        raise AnsibleFilterError("awx_workflow_nodes expects a non-empty list of playbooks, got %r" % (playbooks,))
    by_playbook = {}
    for template in templates or []:
        by_playbook[template["playbook"]] = template["name"]
    missing = [p for p in playbooks if p not in by_playbook]
    if missing:
        raise AnsibleFilterError("awx_workflow_nodes: no job template runs %s" % ", ".join(missing))
    if len(set(playbooks)) != len(playbooks):
        raise AnsibleFilterError("awx_workflow_nodes: a playbook appears twice in %s" % (playbooks,))
    nodes = []
    for i, playbook in enumerate(playbooks):
        identifier = re.sub(r"\.ya?ml$", "", playbook)
        node = {
            "identifier": identifier,
            "unified_job_template": {
                "name": by_playbook[playbook],
                "type": "job_template",
                "organization": {"name": organization},
            },
            "related": {"success_nodes": []},
        }
        if i + 1 < len(playbooks):
            node["related"]["success_nodes"] = [{"identifier": re.sub(r"\.ya?ml$", "", playbooks[i + 1])}]
        nodes.append(node)
    return nodes


class FilterModule(object):
    def filters(self):
        return {"awx_survey": awx_survey, "awx_workflow_nodes": awx_workflow_nodes}
