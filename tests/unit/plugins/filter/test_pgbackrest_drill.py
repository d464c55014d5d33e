# -*- coding: utf-8 -*-
"""The pgBackRest restore drill filters: psql count lines against the expected rows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter.pgbackrest_drill import (  # noqa: E402
    pgbackrest_drill_rows,
    pgbackrest_drill_tables,
)

COUNTED = {"appdb": ["public.orders|42", "sales.items|7", ""], "postgres": ["public.drill|0"]}


def test_expected_rows_match_and_mismatch():
    rows = pgbackrest_drill_rows(COUNTED, [
        {"database": "appdb", "table": "orders", "expected_rows": 42},
        {"database": "appdb", "table": "sales.items", "expected_rows": 8},
    ])
    assert rows == [
        {"database": "appdb", "table": "public.orders", "rows": 42, "expected_rows": 42, "ok": True},
        {"database": "appdb", "table": "sales.items", "rows": 7, "expected_rows": 8, "ok": False},
    ]


def test_missing_table_is_not_ok_and_table_without_expectation_is_ok():
    rows = pgbackrest_drill_rows(COUNTED, [
        {"database": "appdb", "table": "gone"},
        {"database": "postgres", "table": "drill"},
    ])
    assert [(r["table"], r["rows"], r["ok"]) for r in rows] == [("public.gone", None, False), ("public.drill", 0, True)]


def test_no_tables_means_every_counted_table():
    rows = pgbackrest_drill_rows(COUNTED, [])
    assert [(r["database"], r["table"], r["rows"]) for r in rows] == [
        ("appdb", "public.orders", 42), ("appdb", "sales.items", 7), ("postgres", "public.drill", 0)]
    assert all(r["ok"] and r["expected_rows"] is None for r in rows)


def test_loop_results_are_accepted():
    results = [{"__pgbackrest_db": "appdb", "stdout_lines": ["public.orders|3"]}]
    assert pgbackrest_drill_rows(results, [{"database": "appdb", "table": "orders", "expected_rows": "3"}])[0]["ok"]


def test_garbage_output_is_refused():
    with pytest.raises(AnsibleFilterError, match="unexpected psql output"):
        pgbackrest_drill_rows({"appdb": ["ERROR: relation does not exist"]}, [])


def test_tables_grouped_by_database():
    assert pgbackrest_drill_tables([
        {"database": "appdb", "table": "orders"}, {"table": "x.y"}, {"database": "appdb", "table": "s.t"},
    ]) == {"appdb": ["public.orders", "s.t"], "postgres": ["x.y"]}
