# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped Grafana dashboards are importable and every panel has a query (the queries themselves run against
a real Prometheus in molecule/monitoring and `make lab-check`)."""

import json

import pytest

from tests import dashboards

BOARDS = sorted(dashboards.DIRECTORY.glob("*.json"))


def test_the_four_dashboards_ship():
    assert [p.stem for p in BOARDS] == ["backups", "llm-serving", "platform-overview", "postgres"]


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.stem)
def test_dashboard_is_importable_and_every_panel_queries_the_datasource_variable(path):
    board = json.loads(path.read_text(encoding="utf-8"))
    assert board["uid"].startswith("hybridops-") and board["title"].startswith("HybridOps ")
    assert {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"} in \
        board["templating"]["list"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def test_exclusions_leave_out_only_the_named_sources():
    every = list(dashboards.queries())
    kept = list(dashboards.queries(dashboards.VLLM + dashboards.PGBACKREST + dashboards.DCGM))
    left_out = {q[2] for q in every} - {q[2] for q in kept}
    assert left_out and all(any(m in e for m in dashboards.VLLM + dashboards.PGBACKREST + dashboards.DCGM)
                            for e in left_out)
    # every dashboard but the LLM one keeps queries the monitoring scenario can answer
    assert {q[0] for q in kept} == {"backups.json", "platform-overview.json", "postgres.json"}
