"""Gitea and its runner end to end: API, git over HTTP, Actions with a locally served action, stable secrets and
registration, a refused download and an upgrade with a dump.

The tests run in file order and build on each other: a repository gets a pushed commit whose workflows run on the
runner (one uses the action the forge mirrored from the site's mirror and must succeed, one must fail); then a
converge with a wrong checksum fails and leaves 1.26.0 running; the upgrade to 1.26.1 keeps the repository, the
runner registration and the secrets; a runner deleted on the server is registered again by the next converge.
"""

import base64
import json
import os
import pathlib
import shlex
import subprocess
import time

from tests.testinfra_helpers import host
from tests import testinfra_helpers as helpers

FORGE, RUNNER = "gitea-forge", "gitea-runner"
URL = "http://10.89.20.11:3000"
ADMIN = ("gitea-admin", "molecule-gitea-admin-password")
METRICS_TOKEN = "molecule-gitea-metrics-token"
REPO = pathlib.Path(__file__).resolve().parents[3]
SECRETS = "/etc/gitea/secrets"
STATE = {}

OK_WORKFLOW = """\
name: ok
on: [push]
jobs:
  greet:
    runs-on: debian-12
    steps:
      - run: echo "running on $(hostname) as $(id -un)"
      - id: hello
        uses: actions/hello@v1
        with:
          who: molecule
      - run: echo "${{ steps.hello.outputs.greeting }}" > /var/tmp/gitea-workflow-marker
"""
FAIL_WORKFLOW = """\
name: fail
on: [push]
jobs:
  broken:
    runs-on: debian-12
    steps:
      - run: echo "this step passes"
      - run: exit 3
"""


def wait_for(check, timeout=60, step=2.0):
    return helpers.wait_for(check, timeout, step)


def api(path, method="GET", auth=ADMIN, body=None, headers=()):
    """(status, parsed JSON or text) of a call made from the runner host, over the network."""
    cmd = ["curl", "-sS", "-X", method, "-w", "\\n%{http_code}", "--max-time", "20"]
    if auth:
        cmd += ["-u", f"{auth[0]}:{auth[1]}"]
    for header in headers:
        cmd += ["-H", header]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    cmd.append(f"{URL}{path}")
    out = host(RUNNER).check_output(" ".join(shlex.quote(c) for c in cmd))
    text, _, status = out.rpartition("\n")
    try:
        return int(status), json.loads(text)
    except ValueError:
        return int(status), text


def converge(*extra):
    proc = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"]),
         str(REPO / "molecule" / "gitea" / "converge.yml"), *extra],
        capture_output=True, text=True, check=False, env=os.environ.copy())
    return proc.returncode, proc.stdout + proc.stderr


def secret_hashes():
    return host(FORGE).check_output(f"sha256sum {SECRETS}/* /etc/gitea/app.ini")


def runner_id():
    return json.loads(host(RUNNER).check_output("cat /var/lib/gitea-runner/.runner"))["id"]


def runners():
    status, data = api("/api/v1/admin/actions/runners")
    assert status == 200, data
    return data["runners"]


def runner_online(rid):
    return any(r["id"] == rid and r["status"] == "online" for r in runners())


def test_healthz_passes():
    status, data = api("/api/healthz", auth=None)
    assert status == 200 and data["status"] == "pass", data


def test_admin_authenticates_and_a_wrong_password_is_refused():
    status, user = api("/api/v1/user")
    assert status == 200 and user["login"] == ADMIN[0] and user["is_admin"], user
    status, _ = api("/api/v1/user", auth=(ADMIN[0], "not-the-password"))
    assert status == 401


def test_metrics_need_the_token():
    status, text = api("/metrics", auth=None, headers=[f"Authorization: Bearer {METRICS_TOKEN}"])
    assert status == 200 and "gitea_users" in text
    status, _ = api("/metrics", auth=None)
    assert status == 401
    status, _ = api("/metrics", auth=None, headers=["Authorization: Bearer wrong-token"])
    assert status == 401


def test_secrets_are_files_for_git_only_and_runs_as_git():
    forge = host(FORGE)
    for name in ("secret_key", "internal_token", "oauth2_jwt_secret", "lfs_jwt_secret"):
        f = forge.file(f"{SECRETS}/{name}")
        assert f.user == "root" and f.group == "git" and f.mode == 0o640, name
        assert len(f.content_string.strip()) >= 32, name
    ini = forge.file("/etc/gitea/app.ini")
    assert ini.user == "root" and ini.mode == 0o640
    assert f"SECRET_KEY_URI = file:{SECRETS}/secret_key" in ini.content_string
    # the escape hatch reached app.ini
    assert "ALLOW_LOCALNETWORKS = true" in ini.content_string
    assert forge.process.get(comm="gitea").user == "git"
    assert host(RUNNER).process.get(comm="gitea-runner").user == "gitea-runner"


def test_the_action_is_mirrored_into_the_local_actions_org():
    status, repo = api("/api/v1/repos/actions/hello")
    assert status == 200 and repo["mirror"] and not repo["private"], repo
    status, tags = api("/api/v1/repos/actions/hello/tags")
    assert status == 200 and [t["name"] for t in tags] == ["v1"], tags


def test_runner_is_registered_once_and_online():
    rid = runner_id()
    named = [r for r in runners() if r["name"] == RUNNER]
    # the idempotence run did not register a second runner
    assert [r["id"] for r in named] == [rid], named
    assert wait_for(lambda: runner_online(rid), timeout=60), runners()
    assert "debian-12" in [label["name"] for label in named[0]["labels"]]
    STATE["runner_id"] = rid


def test_push_a_commit_over_http():
    status, repo = api("/api/v1/user/repos", method="POST", body={"name": "demo", "default_branch": "main"})
    assert status == 201, repo
    files = {".gitea/workflows/ok.yml": OK_WORKFLOW, ".gitea/workflows/fail.yml": FAIL_WORKFLOW,
             "README.md": "pushed by molecule\n"}
    script = ["set -e", "rm -rf /tmp/demo", "git init -q -b main /tmp/demo", "cd /tmp/demo",
              "mkdir -p .gitea/workflows"]
    script += [f"echo {base64.b64encode(text.encode()).decode()} | base64 -d > {path}" for path, text in files.items()]
    script += ["git add -A", "git -c user.name=molecule -c user.email=molecule@example.invalid commit -qm 'workflows'",
               f"git push -q http://{ADMIN[0]}:{ADMIN[1]}@10.89.20.11:3000/{ADMIN[0]}/demo.git main",
               "git rev-parse HEAD"]
    sha = host(FORGE).check_output(f"bash -c {shlex.quote(chr(10).join(script))}").strip().splitlines()[-1]

    def listed():
        status, commits = api(f"/api/v1/repos/{ADMIN[0]}/demo/commits?sha=main&limit=5")
        return status == 200 and sha in [c["sha"] for c in commits]

    # the commit list lags the push by a few seconds
    assert wait_for(listed, timeout=30)
    STATE["sha"] = sha


def runs():
    status, data = api(f"/api/v1/repos/{ADMIN[0]}/demo/actions/runs")
    assert status == 200, data
    return {pathlib.PurePath(r["path"].split("@")[0]).name: r for r in data["workflow_runs"]}


def test_workflows_run_on_the_runner_with_the_local_action():
    def finished():
        found = runs()
        done = {name: r for name, r in found.items() if r["status"] == "completed"}
        return done if {"ok.yml", "fail.yml"} <= set(done) else None

    done = wait_for(finished, timeout=150, step=3)
    assert done, runs()
    assert done["ok.yml"]["conclusion"] == "success", done["ok.yml"]
    assert done["ok.yml"]["head_sha"] == STATE["sha"]
    assert done["fail.yml"]["conclusion"] == "failure", done["fail.yml"]
    # the step after `uses:` wrote the local action's output on the runner host
    marker = host(RUNNER).file("/var/tmp/gitea-workflow-marker")
    assert marker.content_string.strip() == "hello molecule from the local action"
    assert marker.user == "gitea-runner"


def test_wrong_checksum_fails_and_leaves_the_running_version():
    STATE["secrets"] = secret_hashes()
    rc, out = converge("--limit", "gitea", "-e", "gitea_version=1.26.1", "-e", "gitea_binary_checksum=sha256:" + "0" * 64)
    assert rc != 0, out
    assert "checksum" in out.lower(), out[-3000:]
    forge = host(FORGE)
    assert forge.file("/usr/local/bin/gitea").linked_to == "/usr/local/lib/gitea/gitea-1.26.0"
    assert not forge.file("/usr/local/lib/gitea/gitea-1.26.1").exists
    status, version = api("/api/v1/version")
    assert status == 200 and version["version"] == "1.26.0", version
    assert api("/api/healthz", auth=None)[0] == 200


def test_upgrade_keeps_repository_runner_and_secrets():
    # the second converge of the forge (the idempotence step converged both hosts already)
    rc, out = converge("--limit", "gitea", "-e", "gitea_version=1.26.1")
    assert rc == 0, out[-5000:]
    forge = host(FORGE)
    assert forge.file("/usr/local/bin/gitea").linked_to == "/usr/local/lib/gitea/gitea-1.26.1"
    status, version = api("/api/v1/version")
    assert status == 200 and version["version"] == "1.26.1", version
    # the dump of the upgrade, taken with 1.26.0
    dumps = forge.check_output("ls /var/backups/gitea").split()
    assert any(d.startswith("gitea-dump-gitea-1.26.0-to-1.26.1-") and d.endswith(".zip") for d in dumps), dumps
    # neither the upgrade nor the second converge regenerated a secret or re-registered the runner
    assert secret_hashes() == STATE["secrets"]
    assert runner_id() == STATE["runner_id"]
    assert wait_for(lambda: runner_online(STATE["runner_id"]), timeout=90), runners()
    status, commits = api(f"/api/v1/repos/{ADMIN[0]}/demo/commits?sha=main&limit=5")
    assert status == 200 and STATE["sha"] in [c["sha"] for c in commits]
    names = {name: r["conclusion"] for name, r in runs().items()}
    assert names == {"ok.yml": "success", "fail.yml": "failure"}, names


def test_a_runner_deleted_on_the_server_is_registered_again():
    old = STATE["runner_id"]
    status, _ = api(f"/api/v1/admin/actions/runners/{old}", method="DELETE")
    assert status == 204
    assert old not in [r["id"] for r in runners()]
    rc, out = converge("--limit", "gitea_runners")
    assert rc == 0, out[-5000:]
    new = runner_id()
    assert new != old
    assert wait_for(lambda: runner_online(new), timeout=60), runners()
