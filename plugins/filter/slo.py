# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Service level objectives as data, turned into Prometheus rules (the prometheus role's rule file).

slo_rules(slos, alert_for=None) returns a Prometheus rule file ({'groups': [...]}), one group per SLO:

  recording rules  slo:sli_error:ratio_rate<w> for every window the alerts use (5m 30m 1h 2h 6h 1d 3d), from the
                   SLI queries with `$window` replaced by the window; slo:sli_error:ratio_rate<window> over the
                   whole SLO window (the average of the 5m ratio), slo:objective:ratio, slo:error_budget:ratio and
                   slo:error_budget_remaining:ratio. Every series carries the labels slo, service and the SLO's own.
  alerts           one rule per severity (page, ticket) named after the SLO, multi-window and multi-burn-rate as in
                   the Google SRE workbook: an alert fires when the error ratio over a long window AND over its
                   short window both reach burn factor x error budget. The burn factor of a tier is the share of
                   the budget it may consume in its long window: page 2 % in 1h (short 5m) or 5 % in 6h (30m),
                   ticket 10 % in 1d (2h) or 10 % in 3d (6h); for a 30d window that is 14.4x, 6x, 3x and 1x.

slo_rule_tests(slos, rule_files, alert_for=None) returns a `promtool test rules` file that proves, for every
SLO, that its alerts fire and stay silent as the scheme says: a series burning at 14.4x fires page and ticket,
3x fires only the ticket, 0.5x fires nothing, and 14.4x over the long windows with a clean short window
(a burn that already stopped) fires nothing. The synthetic series are the slo:sli_error recording series.

An SLO:
  name         lower-case identifier ([a-z][a-z0-9_-]*), unique; the `slo` label.
  service      the `service` label.
  objective    percentage of good events, 0 < objective < 100 (99.9).
  window       the SLO window, a duration of at least 7d (30d).
  sli          exactly one of
                 ratio:   {errors: <PromQL>, total: <PromQL>} or {good: <PromQL>, total: <PromQL>}; each query
                          contains the placeholder $window where the rate window goes (rate(x[$window])).
                 latency: {metric: <histogram name>, threshold: <bucket bound, as in the `le` label>,
                           selector: <label matchers, optional>}: the share of events slower than threshold.
  description  optional text, in the alerts' description.
  labels       optional extra labels ({team: dba}).
  alert        optional {name: <alert name>, page: true, ticket: true, labels: {}, annotations: {}}.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from decimal import Decimal, InvalidOperation

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

PLACEHOLDER = "$window"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_ALERT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^([0-9]+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RESERVED = ("slo", "service", "severity", "alertname", "le")
_KEYS = ("name", "service", "objective", "window", "sli", "description", "labels", "alert")
_ALERT_KEYS = ("name", "page", "ticket", "labels", "annotations")
MIN_WINDOW = "7d"

# (severity, share of the error budget consumed in the long window, long window, short window)
TIERS = (
    ("page", Decimal("0.02"), "1h", "5m"),
    ("page", Decimal("0.05"), "6h", "30m"),
    ("ticket", Decimal("0.10"), "1d", "2h"),
    ("ticket", Decimal("0.10"), "3d", "6h"),
)
SEVERITIES = ("page", "ticket")


def _seconds(duration):
    match = _DURATION.match(duration) if isinstance(duration, string_types) else None
    if not match:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


def _windows():
    """The recording windows the alerts need, shortest first."""
    windows = set()
    for tier in TIERS:
        windows.update(tier[2:])
    return sorted(windows, key=_seconds)


def _number(value):
    """A Decimal printed without exponent or trailing zeros (0.0144, 14.4, 1)."""
    text = format(value.normalize(), "f")
    return text


def _fail(where, message):
    raise AnsibleFilterError("slo: %s: %s" % (where, message))


def _check_labels(where, labels, what):
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        _fail(where, "%s must be a mapping of label names to values" % what)
    for key, value in labels.items():
        if not isinstance(key, string_types) or not _LABEL.match(key):
            _fail(where, "%s: %r is not a valid Prometheus label name" % (what, key))
        if key in _RESERVED and what == "labels":
            _fail(where, "labels: %r is set by the SLO itself (reserved: %s)" % (key, ", ".join(_RESERVED)))
        if not isinstance(value, (string_types, int, float)) or isinstance(value, bool):
            _fail(where, "%s: the value of %r must be a string" % (what, key))
    return dict((k, str(v)) for k, v in labels.items())


def _check_query(where, sli, key):
    query = sli.get(key)
    if not isinstance(query, string_types) or not query.strip():
        _fail(where, "sli.ratio.%s must be a PromQL query" % key)
    if PLACEHOLDER not in query:
        _fail(where, "sli.ratio.%s has no %s placeholder for the rate window: %s" % (key, PLACEHOLDER, query))
    return query.strip()


def _error_query(where, sli):
    """The SLI as a PromQL error ratio with the $window placeholder."""
    if not isinstance(sli, dict):
        _fail(where, "sli must be a mapping with one of ratio or latency")
    kinds = [k for k in ("ratio", "latency") if k in sli]
    unknown = sorted(set(sli) - set(("ratio", "latency")))
    if unknown or len(kinds) != 1:
        _fail(where, "sli must have exactly one of ratio or latency (got: %s)" % (", ".join(sorted(sli)) or "nothing"))
    kind = kinds[0]
    spec = sli[kind]
    if not isinstance(spec, dict):
        _fail(where, "sli.%s must be a mapping" % kind)
    if kind == "ratio":
        unknown = sorted(set(spec) - set(("errors", "good", "total")))
        if unknown:
            _fail(where, "sli.ratio: unknown keys %s (errors or good, and total)" % ", ".join(unknown))
        if ("errors" in spec) == ("good" in spec):
            _fail(where, "sli.ratio needs exactly one of errors and good, besides total")
        total = _check_query(where, spec, "total")
        if "errors" in spec:
            return "(%s) / (%s)" % (_check_query(where, spec, "errors"), total)
        return "1 - ((%s) / (%s))" % (_check_query(where, spec, "good"), total)
    unknown = sorted(set(spec) - set(("metric", "threshold", "selector")))
    if unknown:
        _fail(where, "sli.latency: unknown keys %s (metric, threshold, selector)" % ", ".join(unknown))
    metric = spec.get("metric")
    if not isinstance(metric, string_types) or not _METRIC.match(metric):
        _fail(where, "sli.latency.metric must be a histogram's metric name (without _bucket), got %r" % (metric,))
    threshold = spec.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (string_types, int, float)):
        _fail(where, "sli.latency.threshold must be the bucket bound as the le label shows it, e.g. '2.5'")
    threshold = str(threshold)
    try:
        if Decimal(threshold) <= 0:
            raise InvalidOperation()
    except InvalidOperation:
        _fail(where, "sli.latency.threshold %r is not a positive number" % threshold)
    selector = spec.get("selector", "")
    if not isinstance(selector, string_types) or "{" in selector or "}" in selector:
        _fail(where, "sli.latency.selector must be label matchers without braces, e.g. job=\"vllm\"")
    selector = selector.strip()
    count = "%s_count{%s}" % (metric, selector)
    bucket = "%s_bucket{%s}" % (metric, ", ".join(m for m in (selector, 'le="%s"' % threshold) if m))
    return "(sum(rate(%s[$window])) - sum(rate(%s[$window]))) / sum(rate(%s[$window]))" % (
        count, bucket, count)


def _normalize(slo, index, seen):
    where = "SLO #%d" % (index + 1)
    if not isinstance(slo, dict):
        _fail(where, "must be a mapping (name, service, objective, window, sli, ...)")
    name = slo.get("name")
    if not isinstance(name, string_types) or not _NAME.match(name):
        _fail(where, "name must match [a-z][a-z0-9_-]*, got %r" % (name,))
    where = "SLO %s" % name
    if name in seen:
        _fail(where, "the name is used twice")
    seen.add(name)
    unknown = sorted(set(slo) - set(_KEYS))
    if unknown:
        _fail(where, "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(_KEYS)))
    service = slo.get("service")
    if not isinstance(service, string_types) or not service:
        _fail(where, "service must be a non-empty string")
    objective = slo.get("objective")
    try:
        if isinstance(objective, bool):
            raise InvalidOperation()
        objective = Decimal(str(objective))
    except InvalidOperation:
        _fail(where, "objective must be a percentage such as 99.9, got %r" % (objective,))
    if not Decimal(0) < objective < Decimal(100):
        _fail(where, "objective must lie between 0 and 100 (exclusive), got %s" % objective)
    window = slo.get("window", "30d")
    window_s = _seconds(window)
    if window_s is None:
        _fail(where, "window must be a duration such as 30d, got %r" % (window,))
    if window_s < _seconds(MIN_WINDOW):
        _fail(where, "window %s is shorter than %s; the burn-rate tiers reach back 3d" % (window, MIN_WINDOW))
    description = slo.get("description", "")
    if not isinstance(description, string_types):
        _fail(where, "description must be a string")
    labels = _check_labels(where, slo.get("labels"), "labels")
    alert = slo.get("alert") or {}
    if not isinstance(alert, dict):
        _fail(where, "alert must be a mapping")
    unknown = sorted(set(alert) - set(_ALERT_KEYS))
    if unknown:
        _fail(where, "alert: unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(_ALERT_KEYS)))
    default_name = "".join(p.capitalize() for p in re.split(r"[-_]", name)) + "ErrorBudgetBurn"
    alert_name = alert.get("name", default_name)
    if not isinstance(alert_name, string_types) or not _ALERT.match(alert_name):
        _fail(where, "alert.name %r is not a valid alert name" % (alert_name,))
    for severity in SEVERITIES:
        if not isinstance(alert.get(severity, True), bool):
            _fail(where, "alert.%s must be true or false" % severity)
    alert_labels = _check_labels(where, alert.get("labels"), "alert.labels")
    for key in alert_labels:
        if key in _RESERVED or key in labels:
            _fail(where, "alert.labels: %r is already set on the SLO's series" % key)
    annotations = _check_labels(where, alert.get("annotations"), "alert.annotations")
    budget = (Decimal(100) - objective) / Decimal(100)
    return {
        "name": name,
        "service": service,
        "objective": objective,
        "budget": budget,
        "window": window,
        "window_s": window_s,
        "description": description,
        "labels": labels,
        "query": _error_query(where, slo.get("sli")),
        "alert_name": alert_name,
        "severities": [s for s in SEVERITIES if alert.get(s, True)],
        "alert_labels": alert_labels,
        "annotations": annotations,
    }


def _normalize_all(slos):
    if not isinstance(slos, list):
        raise AnsibleFilterError("slo: the input must be a list of SLOs, got %s" % type(slos).__name__)
    seen = set()
    return [_normalize(slo, i, seen) for i, slo in enumerate(slos)]


def _check_alert_for(alert_for):
    alert_for = alert_for or {}
    if not isinstance(alert_for, dict):
        raise AnsibleFilterError("slo: alert_for must map page/ticket to a duration, e.g. {page: 2m}")
    for key, value in alert_for.items():
        if key not in SEVERITIES:
            raise AnsibleFilterError("slo: alert_for: unknown severity %r (page, ticket)" % (key,))
        if _seconds(value) is None:
            raise AnsibleFilterError("slo: alert_for.%s must be a duration such as 2m, got %r" % (key, value))
    return alert_for


def _factor(slo, share, long_window):
    """Burn factor of a tier: the budget share it may use in the long window, scaled to the SLO window."""
    return (share * Decimal(slo["window_s"]) / Decimal(_seconds(long_window))).quantize(Decimal("0.0001"))


def _selector(slo):
    return '{slo="%s"}' % slo["name"]


def _series_labels(slo):
    labels = {"slo": slo["name"], "service": slo["service"]}
    labels.update(slo["labels"])
    return labels


def _tiers(slo, severity):
    return [t for t in TIERS if t[0] == severity]


def _alert_annotations(slo, severity):
    factors = ", ".join(
        "%sx over %s and %s" % (_number(_factor(slo, tier[1], tier[2])), tier[2], tier[3])
        for tier in _tiers(slo, severity)
    )
    annotations = {
        "summary": "SLO %s of %s burns its error budget too fast (%s)" % (slo["name"], slo["service"], severity),
        "description": (
            "%sObjective %s%% over %s (error budget %s). The error ratio reached %s of the budget rate. "
            "Runbook: docs/monitoring.md, an SLO burn alert fired."
            % ((slo["description"].strip() + " ") if slo["description"].strip() else "",
               _number(slo["objective"]), slo["window"], _number(slo["budget"]), factors)
        ),
    }
    annotations.update(slo["annotations"])
    return annotations


def _alert_labels(slo, severity):
    labels = {"severity": severity}
    labels.update(slo["alert_labels"])
    return labels


def _group(slo, alert_for):
    labels = _series_labels(slo)
    sel = _selector(slo)
    rules = []
    for window in _windows():
        rules.append({
            "record": "slo:sli_error:ratio_rate%s" % window,
            "expr": slo["query"].replace(PLACEHOLDER, window),
            "labels": dict(labels),
        })
    rules.append({
        "record": "slo:sli_error:ratio_rate%s" % slo["window"],
        "expr": "avg_over_time(slo:sli_error:ratio_rate5m%s[%s])" % (sel, slo["window"]),
        "labels": dict(labels),
    })
    rules.append({"record": "slo:objective:ratio", "expr": "vector(%s)" % _number(slo["objective"] / 100),
                  "labels": dict(labels)})
    rules.append({"record": "slo:error_budget:ratio", "expr": "vector(%s)" % _number(slo["budget"]),
                  "labels": dict(labels)})
    rules.append({
        "record": "slo:error_budget_remaining:ratio",
        "expr": "1 - slo:sli_error:ratio_rate%s%s / %s" % (slo["window"], sel, _number(slo["budget"])),
        "labels": dict(labels),
    })
    for severity in slo["severities"]:
        conditions = []
        for _severity, share, long_window, short_window in _tiers(slo, severity):
            threshold = _number(_factor(slo, share, long_window) * slo["budget"])
            conditions.append(
                "(slo:sli_error:ratio_rate%s%s >= %s and slo:sli_error:ratio_rate%s%s >= %s)"
                % (long_window, sel, threshold, short_window, sel, threshold)
            )
        rule = {"alert": slo["alert_name"], "expr": " or ".join(conditions)}
        if severity in alert_for:
            rule["for"] = alert_for[severity]
        rule["labels"] = _alert_labels(slo, severity)
        rule["annotations"] = _alert_annotations(slo, severity)
        rules.append(rule)
    return {"name": "slo-%s" % slo["name"], "rules": rules}


def slo_rules(slos, alert_for=None):
    """The Prometheus rule file for a list of SLOs (see the module docstring)."""
    alert_for = _check_alert_for(alert_for)
    return {"groups": [_group(slo, alert_for) for slo in _normalize_all(slos)]}


TEST_EVALUATION_MINUTES = 5


def _series_text(name, labels):
    return "%s{%s}" % (name, ", ".join('%s="%s"' % (k, labels[k]) for k in sorted(labels)))


def slo_rule_tests(slos, rule_files, alert_for=None):
    """A promtool unit-test file proving every SLO's alerts (see the module docstring)."""
    alert_for = _check_alert_for(alert_for)
    if isinstance(rule_files, string_types):
        rule_files = [rule_files]
    if not isinstance(rule_files, list) or not rule_files:
        raise AnsibleFilterError("slo_rule_tests: rule_files must name the rule file(s) to test")
    longest_for = max([_seconds(v) for v in alert_for.values()] + [0])
    # The rules are evaluated every TEST_EVALUATION_MINUTES (the series are constant, so a finer step proves
    # nothing more: an alert pending from the first evaluation fires at the first step past its `for`); the check
    # runs at the longest `for` plus 5 minutes, rounded up to a step. Every rule group of the file is evaluated at
    # every step of every test, so the step sets the cost: with 1m, promtool spent about 50 CPU-s on the default
    # SLOs, with 5m about 7.
    step = TEST_EVALUATION_MINUTES
    eval_minutes = -(-(longest_for // 60 + 5) // step) * step
    windows = _windows()
    short_windows = set(t[3] for t in TIERS)
    tests = []
    for slo in _normalize_all(slos):
        labels = _series_labels(slo)

        def ratio(factor, slo=slo):
            return factor * slo["budget"]

        cases = (
            ("burns at 14.4x: page and ticket fire", dict((w, ratio(Decimal("14.4"))) for w in windows),
             ["page", "ticket"]),
            ("burns at 3x: only the ticket fires", dict((w, ratio(Decimal(3))) for w in windows), ["ticket"]),
            ("burns at 0.5x: nothing fires", dict((w, ratio(Decimal("0.5"))) for w in windows), []),
            ("burned at 14.4x but stopped (short windows clean): nothing fires",
             dict((w, Decimal(0) if w in short_windows else ratio(Decimal("14.4"))) for w in windows), []),
        )
        for title, values, expected in cases:
            series = [
                {"series": _series_text("slo:sli_error:ratio_rate%s" % w, labels),
                 "values": "%s+0x%d" % (_number(values[w]), eval_minutes + 5)}
                for w in windows
            ]
            exp_alerts = []
            for severity in expected:
                if severity not in slo["severities"]:
                    continue
                exp_labels = dict(labels)
                exp_labels.update(_alert_labels(slo, severity))
                exp_alerts.append({"exp_labels": exp_labels,
                                   "exp_annotations": _alert_annotations(slo, severity)})
            tests.append({
                "name": "%s %s" % (slo["name"], title),
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [{"eval_time": "%dm" % eval_minutes, "alertname": slo["alert_name"],
                                     "exp_alerts": exp_alerts}],
            })
    return {"rule_files": list(rule_files), "evaluation_interval": "%dm" % step, "tests": tests}


class FilterModule(object):
    """SLOs to Prometheus recording rules, burn-rate alerts and their promtool tests."""

    def filters(self):
        return {"slo_rules": slo_rules, "slo_rule_tests": slo_rule_tests}
