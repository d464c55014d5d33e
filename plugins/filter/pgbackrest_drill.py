# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report of a pgBackRest restore drill: row counts of the restored tables against the expected ones, RPO, RTO.

The drill (roles/pgbackrest/tasks/restore_drill.yml) counts rows with one psql call per database, which prints
``schema.table|count`` lines; these filters turn that output into the drill's report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types
from ansible.module_utils.six.moves.collections_abc import Mapping


def _qualified(table):
    """``schema.table`` for a table name given with or without its schema (``public`` when absent)."""
    return table if "." in table else "public." + table


def _parse_counts(lines):
    counts = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        name, sep, count = line.rpartition("|")
        if not sep or not count.isdigit():
            raise AnsibleFilterError("pgbackrest_drill_rows: unexpected psql output line %r" % line)
        counts[name] = int(count)
    return counts


def pgbackrest_drill_rows(counted, tables):
    """Compare counted rows with the drill's tables.

    ``counted``: a dict database -> list of ``schema.table|count`` lines (or the registered loop results of the
    counting task, each with ``item`` = database and ``stdout_lines``). ``tables``: the drill's table list (dicts
    with ``database``, ``table`` and optional ``expected_rows``); empty means every counted table, with no
    expectation. Returns a list of dicts ``database``, ``table``, ``rows`` (None when the table is missing in the
    restore), ``expected_rows`` (None when none was given) and ``ok``.
    """
    if not isinstance(counted, Mapping):
        try:
            counted = dict((r["__pgbackrest_db"], r["stdout_lines"]) for r in counted)
        except (KeyError, TypeError):
            raise AnsibleFilterError("pgbackrest_drill_rows: expected a dict database -> psql lines, or the loop "
                                     "results of the counting task")
    by_db = dict((db, _parse_counts(lines)) for db, lines in counted.items())
    rows = []
    if not tables:
        for db in sorted(by_db):
            for name in sorted(by_db[db]):
                rows.append({"database": db, "table": name, "rows": by_db[db][name], "expected_rows": None,
                             "ok": True})
        return rows
    for item in tables:
        if not isinstance(item, Mapping) or not isinstance(item.get("table"), string_types):
            raise AnsibleFilterError("pgbackrest_drill_rows: each table needs 'database' and 'table': %r" % (item,))
        db = item.get("database", "postgres")
        name = _qualified(item["table"])
        found = by_db.get(db, {}).get(name)
        expected = item.get("expected_rows")
        expected = None if expected is None else int(expected)
        ok = found is not None and (expected is None or found == expected)
        rows.append({"database": db, "table": name, "rows": found, "expected_rows": expected, "ok": ok})
    return rows


def pgbackrest_drill_tables(tables):
    """The ``schema.table`` names of the drill's tables, per database (for the counting query's filter)."""
    result = {}
    for item in tables or []:
        result.setdefault(item.get("database", "postgres"), []).append(_qualified(item["table"]))
    return result


class FilterModule(object):
    """pgBackRest restore drill filters."""

    def filters(self):
        return {
            "pgbackrest_drill_rows": pgbackrest_drill_rows,
            "pgbackrest_drill_tables": pgbackrest_drill_tables,
        }
