# Copyright (c) 2026, HybridOps platform engineering
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make lab-check`: the lab checked the way its users see it, from outside the hosts.

From the developer's laptop on the lab's "internet" (lab-laptop, tests/lab/standins.yml) and from this machine:
every check has a negative or positive control beside it (the database is NOT reachable before the VPN is up; the
LLM endpoint refuses a request without the key; a backup adds a restorable point). Prints a table of
check -> result -> seconds and exits non-zero when a check fails.

    python3 -m tests.lab.check            # what `make lab-check` runs, after `make lab`
"""

from __future__ import annotations

import base64
import http.client
import http.cookiejar
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

from tests import dashboards
from tests.testinfra_helpers import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.environ.get("HYBRIDOPS_LAB_STATE_DIR", os.path.join(ROOT, ".cache", "lab"))
LAB_CA = os.path.join(ROOT, ".cache", "lab-pki", "ca.crt")
GROUP_VARS = os.path.join(ROOT, "inventories", "lab", "group_vars")
LAPTOP = "lab-laptop"
VIP = "10.89.1.100"
GPU = "10.89.1.21"
OPS = "10.89.1.31"
DEV = "10.89.1.41"


def group_vars(group, name):
    with open(os.path.join(GROUP_VARS, group, name), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


SECRETS = group_vars("all", "lab-secrets.yml")


class CheckFailed(Exception):
    pass


def podman(container, *argv, input_text=None, timeout=120):
    """Run a command in a lab container; returns (rc, stdout+stderr)."""
    cmd = ["podman", "exec"] + (["-i"] if input_text is not None else []) + [container] + list(argv)
    res = subprocess.run(cmd, input=input_text, capture_output=True, text=True, timeout=timeout, check=False)
    return res.returncode, (res.stdout + res.stderr).strip()


def must(condition, message):
    if not condition:
        raise CheckFailed(message)


def first_json(text, opener="{"):
    """The first JSON document in a command's output (runners print logs around it)."""
    return json.JSONDecoder().raw_decode(text[text.index(opener):])[0]


class NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with the certificate verified for a host name (what DNS would give a user)."""

    def __init__(self, address, port, name, context):
        super().__init__(address, port, timeout=15, context=context)
        self.verify_name = name
        self.tls_context = context

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.verify_name)


def https_by_name(address, name, port, path, ca, headers=None, method="GET", body=None, full=False):
    """(status, body) - or (status, headers, body) with full=True - of one request; redirects are not followed."""
    conn = NamedHTTPSConnection(address, port, name, ssl.create_default_context(cafile=ca))
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
        return (resp.status, resp.headers, text) if full else (resp.status, text)
    finally:
        conn.close()


def https(url, ca, headers=None, body=None, opener=None):
    context = ssl.create_default_context(cafile=ca)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=dict(headers or {}, **({"Content-Type": "application/json"}
                                                                                if data else {})))
    open_ = opener.open if opener else urllib.request.urlopen
    kwargs = {} if opener else {"context": context}
    try:
        with open_(req, timeout=15, **kwargs) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def psql(sql, port, host=VIP):
    """psql from the laptop, as the superuser, TLS required (through the tunnel once it is up)."""
    conn = "host=%s port=%d dbname=postgres user=postgres sslmode=require connect_timeout=5" % (host, port)
    return podman(LAPTOP, "env", "PGPASSWORD=" + SECRETS["patroni_superuser_password"], "psql", conn, "-XAtqc", sql)


# --- the checks ------------------------------------------------------------------------------------------------

def check_vpn():
    rc, _out = psql("select 1", 5000)
    must(rc != 0, "the database VIP answered the laptop WITHOUT the VPN (the control failed)")
    profile = os.path.join(STATE, "openvpn-profiles", "lab-laptop.ovpn")
    must(os.path.exists(profile), "no client profile at %s" % profile)
    subprocess.run(["podman", "cp", profile, LAPTOP + ":/root/lab-laptop.ovpn"], check=True)
    podman(LAPTOP, "sh", "-c", "pkill -x openvpn; sleep 1; openvpn --config /root/lab-laptop.ovpn --daemon lab-vpn "
           "--writepid /run/lab-vpn.pid --log /var/log/lab-vpn.log")
    up = wait_for(lambda: podman(LAPTOP, "grep", "-q", "Initialization Sequence Completed", "/var/log/lab-vpn.log")[0] == 0,
                  30)
    must(up, "the tunnel did not come up: " + podman(LAPTOP, "tail", "-5", "/var/log/lab-vpn.log")[1])
    answered = wait_for(lambda: psql("select 1", 5000)[1] == "1", 20)
    must(answered, "through the tunnel, the VIP did not answer: %s" % psql("select 1", 5000)[1])
    return "tunnel up; VIP %s:5000 answers through it (refused without it)" % VIP


def check_replicated_write():
    token = "lab-check-%d" % time.time_ns()
    rc, out = psql("set client_min_messages = warning; create table if not exists lab_check (token text primary key, at timestamptz default now()); "
                   "insert into lab_check (token) values ('%s') returning token" % token, 5000)
    must(rc == 0 and token in out.splitlines(), "write through HAProxy's primary port failed: %s" % out)
    rc, out = psql("select pg_is_in_recovery()", 5001)
    must(out == "t", "HAProxy's replica port did not reach a replica: %s" % out)
    seen = wait_for(lambda: psql("select token from lab_check where token = '%s'" % token, 5001)[1] == token, 15, 0.5)
    must(seen, "the row written through the primary port was not read back from a replica")
    return "row written via :5000, read back from a replica via :5001"


def check_llm():
    ca = "/root/lab-ca.crt"
    subprocess.run(["podman", "cp", LAB_CA, LAPTOP + ":" + ca], check=True)
    base = "https://%s:8443" % GPU

    def curl(path, key=None, body=None):
        argv = ["curl", "-sS", "--cacert", ca, "-o", "/dev/stdout", "-w", "\n%{http_code}", base + path]
        if key:
            argv += ["-H", "Authorization: Bearer " + key]
        if body:
            argv += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        rc, out = podman(LAPTOP, *argv)
        must(rc == 0, "curl %s failed: %s" % (path, out))
        text, _sep, code = out.rpartition("\n")
        return int(code), text

    code, _body = curl("/v1/models")
    must(code == 401, "without the key the LLM endpoint answered %d, not 401" % code)
    code, _body = curl("/v1/models", key="wrong-key-0123456789abcdef")
    must(code == 401, "with a wrong key the LLM endpoint answered %d, not 401" % code)
    code, text = curl("/v1/chat/completions", key=SECRETS["vllm_api_key"],
                      body={"model": "deepseek-r1-7b", "messages": [{"role": "user", "content": "hello"}]})
    must(code == 200, "with the key the LLM endpoint answered %d: %s" % (code, text[:200]))
    answer = json.loads(text)["choices"][0]["message"]["content"]
    return "401 without/with a wrong key; 200 with it (%s)" % answer


def check_unifi():
    site = group_vars("udm", "network.yml")
    wanted = sorted(n["name"] for n in site["unifi_site_networks"])
    ca = os.path.join(STATE, "unifi", "ca.pem")
    context = ssl.create_default_context(cafile=ca)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         urllib.request.HTTPCookieProcessor(jar))
    base = "https://127.0.0.1:18443"
    code, _body = https(base + "/api/auth/login", ca, body={"username": "admin", "password": "wrong"}, opener=opener)
    must(code in (400, 401, 403), "the console accepted a wrong password (%d)" % code)
    code, _body = https(base + "/api/auth/login", ca, opener=opener,
                        body={"username": "admin", "password": SECRETS["unifi_password"]})
    must(code == 200, "login to the console failed (%d)" % code)
    code, text = https(base + "/proxy/network/api/s/default/rest/networkconf", ca, opener=opener)
    must(code == 200, "reading the networks failed (%d)" % code)
    present = sorted(n["name"] for n in json.loads(text)["data"])
    missing = sorted(set(wanted) - set(present))
    must(not missing, "networks missing on the console: %s" % missing)
    code, text = https(base + "/proxy/network/api/s/default/rest/portforward", ca, opener=opener)
    forwards = [f["name"] for f in json.loads(text)["data"]]
    must("openvpn" in forwards, "the OpenVPN port forward is missing: %s" % forwards)
    return "networks %s and the openvpn port forward exist" % ", ".join(wanted)


def latest_snapshot():
    rc, out = podman("lab-ops", "/usr/local/sbin/hybridops-backup", "restic", "snapshots", "--latest", "1", "--json",
                     timeout=120)
    must(rc == 0, "cannot list the snapshots: %s" % out[-300:])
    snapshots = first_json(out, "[")
    return snapshots[-1]["short_id"] if snapshots else None


def check_file_backup():
    # retention keeps one snapshot a day, so the count may not grow: the newest snapshot's id must change
    before = latest_snapshot()
    rc, out = podman("lab-ops", "systemctl", "start", "hybridops-backup-etc.service", timeout=600)
    must(rc == 0, "the backup job failed: %s" % out[-300:])
    after = latest_snapshot()
    must(after and after != before, "the backup did not add a snapshot (newest %s -> %s)" % (before, after))
    rc, out = podman("lab-ops", "/usr/local/sbin/hybridops-backup", "drill", "etc", timeout=600)
    must(rc == 0, "the restore drill failed: %s" % out[-400:])
    report = first_json(out)
    must(report["files_compared"] > 0 and report["files_mismatched"] == 0,
         "the drill compared %s files, %s differ" % (report["files_compared"], report["files_mismatched"]))
    return "new snapshot %s (was %s); drill: %d files identical, RTO %s s" % (
        after, before, report["files_compared"], report["rto_seconds"])


def pgbackrest_backups():
    rc, out = podman("lab-pg1", "sudo", "-u", "postgres", "pgbackrest", "--stanza=lab-main", "info", "--output=json")
    must(rc == 0, "pgbackrest info failed: %s" % out[-300:])
    return len(first_json(out, "[")[0]["backup"])


def check_pgbackrest():
    before = pgbackrest_backups()
    # the unit runs on every member and backs up on the leader only (Patroni's /primary)
    for host in ("lab-pg1", "lab-pg2", "lab-pg3"):
        rc, out = podman(host, "systemctl", "start", "pgbackrest-backup@incr.service", timeout=900)
        must(rc == 0, "pgbackrest-backup@incr failed on %s: %s" % (host, out[-300:]))
    after = pgbackrest_backups()
    must(after == before + 1, "one backup expected from the three members, got %d -> %d" % (before, after))
    return "backups in the repository %d -> %d (leader only)" % (before, after)


def check_prometheus():
    auth = "Basic " + base64.b64encode(("admin:" + SECRETS["prometheus_web_password"]).encode()).decode()

    def get(path, headers=None):
        return https_by_name(OPS, "lab-ops", 9090, path, LAB_CA, headers)

    code, _body = get("/api/v1/targets")
    must(code == 401, "Prometheus answered %d without credentials" % code)

    def scraped_targets():
        code, text = get("/api/v1/targets", headers={"Authorization": auth})
        must(code == 200, "Prometheus targets: %d" % code)
        found = json.loads(text)["data"]["activeTargets"]
        # right after a (re)start a target is "unknown" until its first scrape (one scrape interval)
        return found if found and all(t["health"] != "unknown" for t in found) else None

    targets = wait_for(scraped_targets, 90, 5)
    must(targets, "Prometheus has no targets, or some were never scraped in 90 s")
    down = ["%s %s (%s)" % (t["labels"]["job"], t["labels"].get("instance"), t.get("lastError"))
            for t in targets if t["health"] != "up"]
    must(not down, "targets not up: %s" % "; ".join(down))
    code, text = get("/api/v1/alerts", headers={"Authorization": auth})
    firing = sorted({a["labels"]["alertname"] for a in json.loads(text)["data"]["alerts"] if a["state"] == "firing"})
    must(not firing, "alerts firing: %s" % firing)
    return "%d targets up over TLS, %d jobs; no alert firing" % (len(targets), len({t["labels"]["job"] for t in targets}))


def check_dashboards():
    auth = "Basic " + base64.b64encode(("admin:" + SECRETS["prometheus_web_password"]).encode()).decode()

    def has_data(expr):
        path = "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        code, text = https_by_name(OPS, "lab-ops", 9090, path, LAB_CA, {"Authorization": auth})
        must(code == 200, "Prometheus answered %d to %s" % (code, expr))
        return json.loads(text)["data"]["result"]

    # the lab runs every source of the dashboards' metrics but the DCGM exporter (no GPU)
    checked = list(dashboards.queries(dashboards.DCGM))
    empty = ["%s / %s" % (board, title) for board, title, expr in checked
             if not wait_for(lambda expr=expr: has_data(expr), 30, 3)]
    must(not empty, "dashboard panels without data: %s" % "; ".join(empty))
    boards = sorted({board for board, _title, _expr in checked})
    return "%d queries of %d dashboards return data (DCGM panels left out: no GPU)" % (len(checked), len(boards))


GITEA_WORKFLOW = """\
on: push
jobs:
  hello:
    runs-on: debian-12
    steps:
      - id: hi
        uses: actions/hello@v1
        with:
          who: lab
      - run: test "${{ steps.hi.outputs.greeting }}" = "hello lab from the local action"
"""


def check_gitea():
    admin = ("gitea-admin", SECRETS["gitea_admin_password"])

    def api(path, auth=admin, method="GET", body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
        status, text = https_by_name(DEV, "lab-dev", 3000, path, LAB_CA, headers, method,
                                     None if body is None else json.dumps(body))
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    must(api("/api/v1/user", auth=(admin[0], "not-the-password"))[0] == 401, "Gitea accepted a wrong password")
    repo = "lab-check-%d" % time.time()
    status, data = api("/api/v1/user/repos", method="POST", body={"name": repo, "default_branch": "main"})
    must(status == 201, "creating a repository failed (%d): %s" % (status, data))
    work = os.path.join(STATE, "gitea-check")
    subprocess.run(["rm", "-rf", work], check=True)
    os.makedirs(os.path.join(work, ".gitea", "workflows"))
    with open(os.path.join(work, ".gitea", "workflows", "hello.yml"), "w", encoding="utf-8") as fh:
        fh.write(GITEA_WORKFLOW)
    url = "https://%s:%s@lab-dev:3000/%s/%s.git" % (admin[0], admin[1], admin[0], repo)
    env = dict(os.environ, GIT_SSL_CAINFO=LAB_CA, GIT_TERMINAL_PROMPT="0")
    git = ["git", "-c", "user.name=lab-check", "-c", "user.email=lab-check@example.invalid",
           "-c", "http.curloptResolve=lab-dev:3000:%s" % DEV]
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "a workflow"], ["push", "-q", url, "main"]):
        res = subprocess.run(git + argv, cwd=work, env=env, capture_output=True, text=True, check=False)
        must(res.returncode == 0, "git %s failed: %s" % (argv[0], (res.stderr or res.stdout).replace(admin[1], "***")))

    def finished():
        status, data = api("/api/v1/repos/%s/%s/actions/runs" % (admin[0], repo))
        done = [r for r in (data.get("workflow_runs") or []) if r["status"] == "completed"] if status == 200 else []
        return done[0] if done else None

    run = wait_for(finished, 180, 3)
    must(run, "no Actions run finished within 180 s")
    must(run["conclusion"] == "success", "the Actions run ended %s" % run["conclusion"])
    return "push -> Actions run %s on the runner, with the locally served action (wrong password: 401)" % run["conclusion"]


def check_code_server():
    port = 8443
    password = SECRETS["lab_code_server_password"]

    def call(path, method="GET", body=None, cookie=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if cookie:
            headers["Cookie"] = cookie
        return https_by_name(DEV, "lab-dev", port, path, LAB_CA, headers, method, body, full=True)

    status, headers, _body = call("/")
    must(status == 302 and "login" in (headers.get("Location") or ""), "/ did not redirect to the login page (%d)" % status)
    status, headers, _body = call("/login", "POST", "password=not-the-password")
    must("code-server-session" not in (headers.get("Set-Cookie") or ""), "a wrong password got a session cookie")
    status, headers, _body = call("/login", "POST", "password=" + urllib.parse.quote(password))
    cookie = (headers.get("Set-Cookie") or "").split(";")[0]
    must(status == 302 and cookie.startswith("code-server-session="), "login failed (%d)" % status)
    status, _headers, body = call("/", cookie=cookie)
    must(status == 200 and "workbench" in body.lower(), "no workbench after login (%d)" % status)
    return "TLS login: redirect to /login, wrong password refused, session cookie, workbench 200"


CHECKS = [
    ("VPN: laptop reaches the database VIP through the tunnel", check_vpn),
    ("Postgres: write via HAProxy, read from a replica", check_replicated_write),
    ("LLM endpoint: key required, answers with it", check_llm),
    ("UniFi: the site's networks exist on the console", check_unifi),
    ("Backup: restic job, then a restore drill", check_file_backup),
    ("Backup: pgBackRest takes a backup on the leader", check_pgbackrest),
    ("Gitea: a push runs an Actions workflow that succeeds", check_gitea),
    ("code-server: login through TLS", check_code_server),
    ("Monitoring: every target up, no alert firing", check_prometheus),
    ("Dashboards: every panel's query returns data", check_dashboards),
]


def main(argv=None):
    names = set(argv or [])
    rows, failed = [], 0
    for title, check in CHECKS:
        if names and check.__name__[len("check_"):] not in names:
            continue
        start = time.monotonic()
        try:
            detail, ok = check(), True
        except (CheckFailed, subprocess.SubprocessError, OSError, ValueError, KeyError, IndexError) as exc:
            detail, ok = "%s: %s" % (type(exc).__name__, exc) if not isinstance(exc, CheckFailed) else str(exc), False
            failed += 1
        rows.append((title, "ok" if ok else "FAILED", time.monotonic() - start, detail))
        print("%-6s %-55s %6.1fs  %s" % (rows[-1][1], title, rows[-1][2], detail), flush=True)
    podman(LAPTOP, "sh", "-c", "pkill -x openvpn || true")
    width = max(len(r[0]) for r in rows) if rows else 10
    print("\n%-*s  %-6s  %7s" % (width, "check", "result", "time"))
    for title, result, seconds, _detail in rows:
        print("%-*s  %-6s  %6.1fs" % (width, title, result, seconds))
    print("\n%d of %d checks passed" % (len(rows) - failed, len(rows)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
