# -*- coding: utf-8 -*-
"""The slo filters: SLO specs to recording rules, multi-window multi-burn-rate alerts and promtool tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter.slo import (  # noqa: E402
    FilterModule,
    slo_rule_tests,
    slo_rules,
)

RATIO = {
    "name": "pg-availability",
    "service": "postgresql",
    "objective": 99.9,
    "window": "30d",
    "labels": {"team": "dba"},
    "sli": {"ratio": {"errors": "sum(sum_over_time((pg_up == bool 0)[$window:]))",
                      "total": "sum(count_over_time(pg_up[$window:]))"}},
}
LATENCY = {
    "name": "vllm-ttft",
    "service": "vllm",
    "objective": 99,
    "window": "28d",
    "sli": {"latency": {"metric": "vllm:time_to_first_token_seconds", "threshold": "2.5", "selector": 'job="vllm"'}},
}


def _rules(group):
    return dict(((r.get("record"), r.get("alert"), r.get("labels", {}).get("severity")), r) for r in group["rules"])


def _alert(group, severity):
    return [r for r in group["rules"] if r.get("alert") and r["labels"]["severity"] == severity][0]


def test_filters_are_exported():
    assert set(FilterModule().filters()) == {"slo_rules", "slo_rule_tests"}


def test_one_group_per_slo_with_recordings_for_every_alert_window():
    out = slo_rules([RATIO, LATENCY])
    assert [g["name"] for g in out["groups"]] == ["slo-pg-availability", "slo-vllm-ttft"]
    records = [r["record"] for r in out["groups"][0]["rules"] if "record" in r]
    assert records == [
        "slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h",
        "slo:sli_error:ratio_rate2h", "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d",
        "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d", "slo:objective:ratio",
        "slo:error_budget:ratio", "slo:error_budget_remaining:ratio",
    ]


def test_ratio_query_gets_each_window_and_the_slo_labels():
    group = slo_rules([RATIO])["groups"][0]
    rule = group["rules"][2]
    assert rule["record"] == "slo:sli_error:ratio_rate1h"
    assert rule["expr"] == ("(sum(sum_over_time((pg_up == bool 0)[1h:]))) / (sum(count_over_time(pg_up[1h:])))")
    assert rule["labels"] == {"slo": "pg-availability", "service": "postgresql", "team": "dba"}
    assert "$window" not in str(group)


def test_good_over_total_becomes_an_error_ratio():
    slo = dict(RATIO, sli={"ratio": {"good": "sum(rate(ok_total[$window]))", "total": "sum(rate(all_total[$window]))"}})
    rule = slo_rules([slo])["groups"][0]["rules"][0]
    assert rule["expr"] == "1 - ((sum(rate(ok_total[5m]))) / (sum(rate(all_total[5m]))))"


def test_latency_sli_counts_events_above_the_bucket_bound():
    rule = slo_rules([LATENCY])["groups"][0]["rules"][0]
    assert rule["expr"] == (
        '(sum(rate(vllm:time_to_first_token_seconds_count{job="vllm"}[5m]))'
        ' - sum(rate(vllm:time_to_first_token_seconds_bucket{job="vllm", le="2.5"}[5m])))'
        ' / sum(rate(vllm:time_to_first_token_seconds_count{job="vllm"}[5m]))'
    )


def test_latency_without_selector():
    slo = copy.deepcopy(LATENCY)
    del slo["sli"]["latency"]["selector"]
    rule = slo_rules([slo])["groups"][0]["rules"][0]
    assert 'vllm:time_to_first_token_seconds_bucket{le="2.5"}' in rule["expr"]
    assert "vllm:time_to_first_token_seconds_count{}" in rule["expr"]


def test_budget_metadata_and_window_average():
    rules = _rules(slo_rules([RATIO])["groups"][0])
    assert rules[("slo:objective:ratio", None, None)]["expr"] == "vector(0.999)"
    assert rules[("slo:error_budget:ratio", None, None)]["expr"] == "vector(0.001)"
    assert rules[("slo:sli_error:ratio_rate30d", None, None)]["expr"] == (
        'avg_over_time(slo:sli_error:ratio_rate5m{slo="pg-availability"}[30d])')
    assert rules[("slo:error_budget_remaining:ratio", None, None)]["expr"] == (
        '1 - slo:sli_error:ratio_rate30d{slo="pg-availability"} / 0.001')


def test_workbook_burn_rates_for_a_30_day_window():
    group = slo_rules([RATIO])["groups"][0]
    page = _alert(group, "page")
    ticket = _alert(group, "ticket")
    sel = '{slo="pg-availability"}'
    # 14.4x and 6x of a 0.1 % budget, both windows of a tier must reach the threshold
    assert page["expr"] == (
        "(slo:sli_error:ratio_rate1h%s >= 0.0144 and slo:sli_error:ratio_rate5m%s >= 0.0144)"
        " or (slo:sli_error:ratio_rate6h%s >= 0.006 and slo:sli_error:ratio_rate30m%s >= 0.006)" % (sel, sel, sel, sel)
    )
    assert ticket["expr"] == (
        "(slo:sli_error:ratio_rate1d%s >= 0.003 and slo:sli_error:ratio_rate2h%s >= 0.003)"
        " or (slo:sli_error:ratio_rate3d%s >= 0.001 and slo:sli_error:ratio_rate6h%s >= 0.001)" % (sel, sel, sel, sel)
    )
    assert page["alert"] == ticket["alert"] == "PgAvailabilityErrorBudgetBurn"
    assert page["labels"] == {"severity": "page"}
    assert "for" not in page
    assert "14.4x over 1h and 5m, 6x over 6h and 30m" in page["annotations"]["description"]
    assert "3x over 1d and 2h, 1x over 3d and 6h" in ticket["annotations"]["description"]


def test_burn_rates_scale_with_the_window():
    # 28 days: 2 % of the budget in 1h is 13.44x, of a 1 % budget
    page = _alert(slo_rules([LATENCY])["groups"][0], "page")
    assert "slo:sli_error:ratio_rate1h{slo=\"vllm-ttft\"} >= 0.1344 " in page["expr"]
    assert "13.44x over 1h and 5m" in page["annotations"]["description"]


def test_alert_for_labels_annotations_and_severity_switches():
    slo = dict(RATIO, description="Writes reach the primary.",
               alert={"name": "PostgresWritesBurn", "ticket": False, "labels": {"team_channel": "db"},
                      "annotations": {"runbook_url": "https://wiki/pg"}})
    group = slo_rules([slo], alert_for={"page": "2m"})["groups"][0]
    alerts = [r for r in group["rules"] if "alert" in r]
    assert len(alerts) == 1
    assert alerts[0]["alert"] == "PostgresWritesBurn"
    assert alerts[0]["for"] == "2m"
    assert alerts[0]["labels"] == {"severity": "page", "team_channel": "db"}
    assert alerts[0]["annotations"]["runbook_url"] == "https://wiki/pg"
    assert alerts[0]["annotations"]["description"].startswith("Writes reach the primary. Objective 99.9% over 30d")


@pytest.mark.parametrize("change, message", [
    ({"name": "Bad Name"}, "name must match"),
    ({"service": ""}, "service must be a non-empty string"),
    ({"objective": 100}, "between 0 and 100"),
    ({"objective": "high"}, "objective must be a percentage"),
    ({"objective": True}, "objective must be a percentage"),
    ({"window": "30 days"}, "window must be a duration"),
    ({"window": "3d"}, "shorter than 7d"),
    ({"labels": {"slo": "x"}}, "reserved"),
    ({"labels": {"bad-label": "x"}}, "not a valid Prometheus label name"),
    ({"sli": {}}, "exactly one of ratio or latency (got: nothing)"),
    ({"sli": {"ratio": {"total": "x[$window]"}, "latency": {}}}, "exactly one of ratio or latency"),
    ({"sli": {"ratio": {"total": "sum(rate(a[$window]))"}}}, "exactly one of errors and good"),
    ({"sli": {"ratio": {"errors": "sum(rate(a[5m]))", "total": "sum(rate(b[$window]))"}}}, "no $window placeholder"),
    ({"sli": {"ratio": {"errors": "a[$window]", "total": "b[$window]", "bad": 1}}}, "unknown keys bad"),
    ({"sli": {"latency": {"metric": "bad metric", "threshold": 1}}}, "histogram's metric name"),
    ({"sli": {"latency": {"metric": "m", "threshold": "fast"}}}, "not a positive number"),
    ({"sli": {"latency": {"metric": "m", "threshold": 1, "selector": "{job=\"x\"}"}}}, "without braces"),
    ({"alert": {"name": "bad-name"}}, "not a valid alert name"),
    ({"alert": {"page": "yes"}}, "alert.page must be true or false"),
    ({"alert": {"labels": {"team": "x"}}}, "already set"),
    ({"alert": {"severity": "x"}}, "unknown keys severity"),
    ({"objectve": 99}, "unknown keys objectve"),
])
def test_invalid_specs_are_refused_with_a_clear_message(change, message):
    slo = dict(RATIO, **change)
    with pytest.raises(AnsibleFilterError) as err:
        slo_rules([slo])
    assert message in str(err.value)
    assert "slo:" in str(err.value)


def test_input_and_duplicates_and_alert_for_are_checked():
    with pytest.raises(AnsibleFilterError, match="list of SLOs"):
        slo_rules({"name": "x"})
    with pytest.raises(AnsibleFilterError, match="used twice"):
        slo_rules([RATIO, RATIO])
    with pytest.raises(AnsibleFilterError, match="unknown severity"):
        slo_rules([RATIO], alert_for={"warning": "1m"})
    with pytest.raises(AnsibleFilterError, match="duration"):
        slo_rules([RATIO], alert_for={"page": "soon"})
    with pytest.raises(AnsibleFilterError, match="SLO #2"):
        slo_rules([RATIO, "not a mapping"])


def test_empty_list_gives_an_empty_rule_file():
    assert slo_rules([]) == {"groups": []}


def test_promtool_tests_cover_every_slo_and_expected_alert():
    out = slo_rule_tests([RATIO, LATENCY], "slo.rules.yml", alert_for={"page": "2m", "ticket": "10m"})
    assert out["rule_files"] == ["slo.rules.yml"]
    assert out["evaluation_interval"] == "5m"
    # a `for` that is not a multiple of the evaluation interval: the check waits for the next step past it
    assert slo_rule_tests([RATIO], ["a.yml"], alert_for={"page": "2m", "ticket": "7m"})["tests"][0][
        "alert_rule_test"][0]["eval_time"] == "15m"
    assert len(out["tests"]) == 8
    by_name = dict((t["name"], t) for t in out["tests"])
    fast = by_name["pg-availability burns at 14.4x: page and ticket fire"]
    # the longest `for` plus 5 minutes, and series long enough to reach it
    check = fast["alert_rule_test"][0]
    assert check["eval_time"] == "15m"
    assert check["alertname"] == "PgAvailabilityErrorBudgetBurn"
    assert [a["exp_labels"]["severity"] for a in check["exp_alerts"]] == ["page", "ticket"]
    assert check["exp_alerts"][0]["exp_labels"] == {
        "slo": "pg-availability", "service": "postgresql", "team": "dba", "severity": "page"}
    series = dict((s["series"], s["values"]) for s in fast["input_series"])
    assert series['slo:sli_error:ratio_rate1h{service="postgresql", slo="pg-availability", team="dba"}'] == "0.0144+0x20"
    slow = by_name["pg-availability burns at 0.5x: nothing fires"]
    assert slow["alert_rule_test"][0]["exp_alerts"] == []
    assert dict((s["series"], s["values"]) for s in slow["input_series"])[
        'slo:sli_error:ratio_rate5m{service="postgresql", slo="pg-availability", team="dba"}'] == "0.0005+0x20"
    ticket = by_name["vllm-ttft burns at 3x: only the ticket fires"]["alert_rule_test"][0]["exp_alerts"]
    assert [a["exp_labels"]["severity"] for a in ticket] == ["ticket"]
    stopped = by_name["vllm-ttft burned at 14.4x but stopped (short windows clean): nothing fires"]
    values = dict((s["series"].split("{")[0], s["values"]) for s in stopped["input_series"])
    assert values["slo:sli_error:ratio_rate5m"] == "0+0x20"
    assert values["slo:sli_error:ratio_rate3d"] == "0.144+0x20"


def test_promtool_tests_follow_disabled_severities_and_need_rule_files():
    slo = dict(RATIO, alert={"ticket": False})
    out = slo_rule_tests([slo], ["a.yml"])
    fast = out["tests"][0]["alert_rule_test"][0]
    assert fast["eval_time"] == "5m"
    assert [a["exp_labels"]["severity"] for a in fast["exp_alerts"]] == ["page"]
    with pytest.raises(AnsibleFilterError, match="rule_files"):
        slo_rule_tests([RATIO], [])
