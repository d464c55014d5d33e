# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The queries of the Grafana dashboards the collection ships, for the tests that run each one against a real
Prometheus: the monitoring scenario (molecule/monitoring) and `make lab-check` (tests/lab/check.py).

A panel with no data is a failing test. A query is left out only where the metrics it reads come from something
that place does not run, and the callers name it: the scenario has no vLLM and no pgBackRest (the lab has both),
and no GPU anywhere runs the DCGM exporter.
"""

import json
import pathlib

DIRECTORY = pathlib.Path(__file__).resolve().parents[1] / "roles" / "prometheus" / "files" / "dashboards"

# what each source of metrics looks like in a query
VLLM = ("vllm:", 'job="vllm"', 'service="vllm"')
PGBACKREST = ("pgbackrest_",)
DCGM = ("DCGM_",)


def queries(without=()):
    """Yield (dashboard file, panel title, expression) of every panel target, except those reading `without`."""
    for path in sorted(DIRECTORY.glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr and not any(marker in expr for marker in without):
                    yield path.name, panel["title"], expr
