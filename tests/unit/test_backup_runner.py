"""The backup role's runner (roles/backup/files/hybridops-backup) against a fake restic.

The fake restic is a shell script that records its arguments, prints a `backup --json` summary, fails when
FAKE_RESTIC_FAIL names the subcommand, lists one snapshot, and "restores" by copying a source tree under the
target the way restic does (absolute paths below --target) from the copy its last `backup` made.
"""

import datetime
import importlib.machinery
import importlib.util
import json
import os
import pathlib
import stat

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNNER = ROOT / "roles" / "backup" / "files" / "hybridops-backup"

FAKE_RESTIC = r"""#!/bin/sh
echo "$*" >> "$FAKE_RESTIC_LOG"
while [ "$1" = "--cache-dir" ] || [ "$1" = "-o" ]; do shift 2; done
cmd="$1"
if [ "$FAKE_RESTIC_FAIL" = "$cmd" ]; then echo "Fatal: $cmd failed" >&2; exit 1; fi
case "$cmd" in
  backup)
    rm -rf "$FAKE_SNAPSHOT"; cp -a "$FAKE_SOURCE" "$FAKE_SNAPSHOT"
    echo '{"message_type":"status","percent_done":1}'
    echo '{"message_type":"summary","total_files_processed":3,"total_bytes_processed":1234,"snapshot_id":"abcd1234"}'
    ;;
  snapshots)
    echo '[{"time":"2026-12-05T10:00:00.123456789Z","paths":["'"$FAKE_SOURCE"'"],"id":"abcd1234ffff","short_id":"abcd1234"}]'
    ;;
  restore)
    target="$4"
    mkdir -p "$target$FAKE_SOURCE"
    cp -a "$FAKE_SNAPSHOT/." "$target$FAKE_SOURCE/"
    echo "restoring to $target"
    ;;
esac
exit 0
"""


@pytest.fixture(scope="module")
def runner():
    loader = importlib.machinery.SourceFileLoader("hybridops_backup_runner", str(RUNNER))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture()
def setup(tmp_path, monkeypatch, runner):
    """A config dir with one job, a fake restic and a source tree; returns (config, paths)."""
    conf = tmp_path / "etc"
    (conf / "jobs").mkdir(parents=True)
    restic = tmp_path / "restic"
    restic.write_text(FAKE_RESTIC)
    restic.chmod(0o755)
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha\n")
    (source / "sub" / "b.bin").write_bytes(os.urandom(4096))
    os.symlink("../a.txt", source / "sub" / "link")
    config = {
        "repository": "sftp:backup@nas:/backup/restic/h1", "password_file": str(tmp_path / "pw"),
        "sftp_command": "ssh -i key backup@nas -s sftp", "restic": str(restic), "extra_args": [],
        "cache_dir": str(tmp_path / "cache"), "state_dir": str(tmp_path / "state"),
        "lock_file": str(tmp_path / "run" / "lock"), "hostname": "h1", "textfile_dir": str(tmp_path / "prom"),
        "notify_command": 'echo "$1 $2 $BACKUP_HOST" >> ' + str(tmp_path / "notified"),
        "check_read_data_subset": "", "drill_scratch_dir": str(tmp_path / "scratch"),
    }
    (conf / "backup.json").write_text(json.dumps(config))
    job = {"name": "docs", "paths": [str(source)], "excludes": ["*.tmp"], "keep_daily": 7, "keep_weekly": 0,
           "keep_monthly": 2, "pre_hooks": [f"echo pre >> {tmp_path / 'hooks'}"],
           "post_hooks": [f'echo "post $BACKUP_STATUS" >> {tmp_path / "hooks"}']}
    (conf / "jobs" / "docs.json").write_text(json.dumps(job))
    monkeypatch.setattr(runner, "CONFIG_DIR", str(conf))
    monkeypatch.setenv("FAKE_RESTIC_LOG", str(tmp_path / "restic.log"))
    monkeypatch.setenv("FAKE_SOURCE", str(source))
    monkeypatch.setenv("FAKE_SNAPSHOT", str(tmp_path / "snapshot"))
    monkeypatch.delenv("FAKE_RESTIC_FAIL", raising=False)
    return config, tmp_path


def calls(tmp_path):
    return (tmp_path / "restic.log").read_text().splitlines()


def metrics(tmp_path, job="docs"):
    text = (tmp_path / "prom" / f"hybridops_backup_{job}.prom").read_text()
    return {line.split("{")[0]: float(line.split()[-1]) for line in text.splitlines() if not line.startswith("#")}


def test_forget_policy_skips_zero_and_missing(runner):
    assert runner.forget_args({"keep_last": 2, "keep_daily": 0, "keep_monthly": 6}) == \
        ["--keep-last", "2", "--keep-monthly", "6"]
    assert runner.forget_args({"keep_daily": 0}) == []


def test_backup_summary_is_the_last_summary_line(runner):
    out = 'noise\n{"message_type":"status"}\n{"message_type":"summary","snapshot_id":"x1"}\n{broken\n'
    assert runner.backup_summary(out) == {"message_type": "summary", "snapshot_id": "x1"}
    assert runner.backup_summary("Fatal: no repository\n") == {}


def test_restic_times_with_nanoseconds(runner):
    epoch = datetime.datetime(2026, 12, 5, 10, tzinfo=datetime.timezone.utc).timestamp()
    assert runner.parse_time("2026-12-05T10:00:00.123456789Z") == pytest.approx(epoch + 0.123456, abs=1e-6)
    assert runner.parse_time("2026-12-05T11:00:00+01:00") == runner.parse_time("2026-12-05T10:00:00Z")


def test_unit_to_job(runner):
    assert runner.unit_job("hybridops-backup-docs.service") == "docs"
    assert runner.unit_job("hybridops-restic-check.service") == "_check"


def test_successful_run(runner, setup):
    config, tmp = setup
    assert runner.run_job(config, "docs") == 0
    backup, forget = calls(tmp)
    assert "backup --json --tag hybridops-job-docs --host h1 --exclude *.tmp --" in backup
    assert "-o sftp.command=ssh -i key backup@nas -s sftp" in backup
    assert forget.endswith("forget --prune --tag hybridops-job-docs --host h1 --group-by host,tags "
                           "--keep-daily 7 --keep-monthly 2")
    assert (tmp / "hooks").read_text() == "pre\npost success\n"
    m = metrics(tmp)
    assert m["hybridops_backup_last_run_success"] == 1
    assert m["hybridops_backup_last_snapshot_files"] == 3
    assert m["hybridops_backup_last_snapshot_bytes"] == 1234
    assert m["hybridops_backup_last_success_timestamp_seconds"] == m["hybridops_backup_last_run_timestamp_seconds"]
    # written atomically: no temporary file left beside the metric
    assert sorted(p.name for p in (tmp / "prom").iterdir()) == ["hybridops_backup_docs.prom"]
    assert stat.S_IMODE((tmp / "state" / "docs.json").stat().st_mode) == 0o600


def test_failed_backup_keeps_the_last_success_and_skips_forget(runner, setup, monkeypatch):
    config, tmp = setup
    assert runner.run_job(config, "docs") == 0
    first = metrics(tmp)
    monkeypatch.setenv("FAKE_RESTIC_FAIL", "backup")
    assert runner.run_job(config, "docs") == 1
    after = metrics(tmp)
    assert after["hybridops_backup_last_run_success"] == 0
    assert after["hybridops_backup_last_success_timestamp_seconds"] == \
        first["hybridops_backup_last_success_timestamp_seconds"]
    assert after["hybridops_backup_last_snapshot_files"] == 3
    assert [c for c in calls(tmp) if "forget" in c] == [calls(tmp)[1]]  # only the first run's
    assert (tmp / "hooks").read_text().splitlines()[-1] == "post failure"


def test_failing_pre_hook_means_no_backup(runner, setup):
    config, tmp = setup
    job = json.loads((pathlib.Path(runner.CONFIG_DIR) / "jobs" / "docs.json").read_text())
    job["pre_hooks"] = ["exit 3"]
    (pathlib.Path(runner.CONFIG_DIR) / "jobs" / "docs.json").write_text(json.dumps(job))
    assert runner.run_job(config, "docs") == 1
    assert not (tmp / "restic.log").exists()
    assert metrics(tmp)["hybridops_backup_last_success_timestamp_seconds"] == 0


def test_failing_forget_fails_the_run(runner, setup, monkeypatch):
    config, tmp = setup
    monkeypatch.setenv("FAKE_RESTIC_FAIL", "forget")
    assert runner.run_job(config, "docs") == 1
    assert metrics(tmp)["hybridops_backup_last_run_success"] == 0


def test_notify_passes_job_and_unit(runner, setup):
    config, tmp = setup
    assert runner.run_notify(config, "hybridops-backup-docs.service") == 0
    assert (tmp / "notified").read_text() == "docs hybridops-backup-docs.service h1\n"


def test_compare_tree(runner, tmp_path):
    source = tmp_path / "src"
    restored = tmp_path / "restored"
    for root in (source, restored / str(source).lstrip("/")):
        (root / "d").mkdir(parents=True)
        (root / "same.txt").write_text("same")
        (root / "d" / "changed.txt").write_text("v1")
        os.symlink("same.txt", root / "ln")
    (source / "d" / "changed.txt").write_text("v2")
    (restored / str(source).lstrip("/") / "gone.txt").write_text("deleted since")
    (source / "new.txt").write_text("created since")
    report = runner.compare_tree(str(restored), "/", [str(source)])
    assert report["files_compared"] == 4
    assert report["mismatched"] == [f"{source}/d/changed.txt"]
    assert report["missing_in_source"] == [f"{source}/gone.txt"]
    assert report["not_in_snapshot"] == 1 and report["not_in_snapshot_examples"] == [f"{source}/new.txt"]
    # a changed link target is a difference too
    os.unlink(source / "ln")
    os.symlink("d/changed.txt", source / "ln")
    assert f"{source}/ln" in runner.compare_tree(str(restored), "/", [str(source)])["mismatched"]


def test_drill_identical_then_changed(runner, setup, capsys):
    config, tmp = setup
    assert runner.run_job(config, "docs") == 0
    assert runner.run_drill(config, []) == 0
    report = json.loads(capsys.readouterr().out)
    job = report["jobs"][0]
    assert report["ok"] and job["ok"] and job["files_compared"] == 3 and job["snapshot"] == "abcd1234"
    assert job["rpo_seconds"] > 0
    assert list((tmp / "scratch").iterdir()) == []
    (tmp / "src" / "a.txt").write_text("tampered\n")
    assert runner.run_drill(config, ["docs"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files_mismatched"] == 1 and report["jobs"][0]["mismatched"] == [f"{tmp}/src/a.txt"]
    assert list((tmp / "scratch").iterdir()) == []


def test_drill_of_an_unknown_job_or_a_failed_restore(runner, setup, capsys, monkeypatch):
    config = setup[0]
    assert runner.run_job(config, "docs") == 0
    assert runner.run_drill(config, ["nope"]) == 2
    assert "unknown jobs: nope" in json.loads(capsys.readouterr().out)["error"]
    monkeypatch.setenv("FAKE_RESTIC_FAIL", "restore")
    assert runner.run_drill(config, ["docs"]) == 2
    job = json.loads(capsys.readouterr().out)["jobs"][0]
    assert not job["ok"] and "restore failed" in job["error"]
