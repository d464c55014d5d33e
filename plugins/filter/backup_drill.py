# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One line per job of a restore drill report, for playbooks/backup_restore_drill.yml.

backup_drill_summary(job) turns one entry of the ``jobs`` list that ``hybridops-backup drill`` prints (installed
by the backup role) into a line: the snapshot, RPO and RTO, how many files were compared, which differ and which
are gone from the source, or the error that stopped the drill of that job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

_EXAMPLES_SHOWN = 5


def _listing(paths):
    shown = ", ".join(paths[:_EXAMPLES_SHOWN])
    more = len(paths) - _EXAMPLES_SHOWN
    return shown + (" and %d more" % more if more > 0 else "")


def backup_drill_summary(job):
    """A one-line account of one job of a drill report."""
    if not isinstance(job, dict) or "job" not in job:
        raise AnsibleFilterError("backup_drill_summary expects one entry of a drill report's 'jobs', got %r" % (job,))
    name = job["job"]
    if job.get("error"):
        return "%s: FAILED - %s" % (name, job["error"])
    mismatched = list(job.get("mismatched") or [])
    missing = list(job.get("missing_in_source") or [])
    parts = [
        "%s: snapshot %s of %s" % (name, job.get("snapshot", "?"), job.get("snapshot_time", "?")),
        "RPO %s s" % job.get("rpo_seconds", "?"),
        "RTO %s s" % job.get("rto_seconds", "?"),
        "%d files compared" % int(job.get("files_compared", 0)),
    ]
    if mismatched:
        parts.append("%d differ (%s)" % (len(mismatched), _listing(mismatched)))
    else:
        parts.append("0 differ")
    if missing:
        parts.append("%d gone from the source (%s)" % (len(missing), _listing(missing)))
    if job.get("not_in_snapshot"):
        parts.append("%d source files not in the snapshot (new or excluded)" % int(job["not_in_snapshot"]))
    return ", ".join(parts) + ("" if job.get("ok") else " - MISMATCH")


class FilterModule(object):
    def filters(self):
        return {"backup_drill_summary": backup_drill_summary}
