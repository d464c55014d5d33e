"""Behaviour of the monitoring stack (testinfra, run by `molecule verify`).

Every probe runs on mon1 against the real services: the Prometheus API over TLS with basic auth, promtool with the
rule files the role installed, the services' built-in endpoints (Patroni, etcd, HAProxy) with and without their
credentials, and two real faults whose alerts must reach the webhook receiver the prepare step runs on mon1:
Patroni and its PostgreSQL stopped on mon-db, and the backup target (mon-etcd's SFTP) stopped under a backup job.
Prometheus and Alertmanager run as pinned releases from the stand-in mirror. The tests run in file order; the
faults come last.
"""

import json
import shlex
import urllib.parse

from tests.testinfra_helpers import host
from tests import dashboards
from tests import testinfra_helpers as helpers

CA = "/etc/prometheus/pki/ca.crt"
CLIENT = "--cert /etc/prometheus/pki/prometheus-client.crt --key /etc/prometheus/pki/prometheus-client.key"
STATS = "admin:molecule-monitoring-stats-pw"  # molecule.yml: haproxy_stats_password
PROMETHEUS = "https://mon1:9090"
USER = "admin"
PASSWORD = "molecule-prometheus-test-password"  # molecule/monitoring/group_vars/all.yml
WEBHOOK_LOG = "/var/lib/molecule-webhook/alerts.jsonl"
BACKUP_JOB = "prometheus-config"  # molecule.yml: backup_jobs
BACKUP_UNIT = f"hybridops-backup-{BACKUP_JOB}.service"
EXPECTED_TARGETS = {
    ("prometheus", "mon1:9090"),
    ("alertmanager", "mon1:9093"),
    ("node", "mon1:9100"),
    ("node", "mon-db:9100"),
    ("node", "mon-etcd:9100"),
    ("postgres", "mon-db:9187"),
    ("patroni", "mon-db:8008"),
    ("etcd", "mon1:2379"),
    ("etcd", "mon-db:2379"),
    ("etcd", "mon-etcd:2379"),
    ("haproxy", "mon-db:7000"),
}


def mon1():
    return host("mon1")


def curl(args):
    return mon1().run("curl -sS --max-time 10 " + args)


def status(url, extra=""):
    res = curl(f"-o /dev/null -w '%{{http_code}}' {extra} {shlex.quote(url)}")
    return res.stdout.strip()


def api(path, **params):
    query = urllib.parse.urlencode(params)
    res = curl(f"--cacert {CA} -u {USER}:{PASSWORD} {shlex.quote(PROMETHEUS + path + '?' + query)}")
    assert res.rc == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["status"] == "success", body
    return body["data"]


def query(expr):
    return api("/api/v1/query", query=expr)["result"]


def wait_for(check, timeout=90, step=3):
    return helpers.wait_for(check, timeout, step)


def test_api_needs_credentials_and_tls():
    url = PROMETHEUS + "/api/v1/query?query=up"
    assert status(url, f"--cacert {CA} -u {USER}:{PASSWORD}") == "200"  # positive control
    assert status(url, f"--cacert {CA}") == "401"
    assert status(url, f"--cacert {CA} -u {USER}:wrong-password") == "401"
    # the certificate verifies only with the collection CA, and plain HTTP gets no API
    assert curl(f"-o /dev/null {shlex.quote(url)}").rc != 0
    assert status("http://mon1:9090/api/v1/query?query=up") != "200"


def test_exporters_serve_tls_only():
    for target in ("mon1:9100", "mon-db:9100", "mon-db:9187"):
        assert status(f"https://{target}/metrics", f"--cacert {CA}") == "200"
        assert status(f"http://{target}/metrics") != "200"


def _body(url, extra=""):
    res = curl(f"--cacert {CA} {extra} {shlex.quote(url)}")
    assert res.rc == 0, res.stderr
    return res.stdout


def test_patroni_serves_metrics_over_tls_only():
    assert "patroni_primary" in _body("https://mon-db:8008/metrics")  # positive control
    assert status("http://mon-db:8008/metrics") != "200"


def test_etcd_metrics_need_the_client_certificate():
    assert "etcd_server_has_leader 1" in _body("https://mon-etcd:2379/metrics", CLIENT)  # positive control
    # etcd asks every client for a certificate of the collection CA (client-cert-auth)
    assert curl(f"-o /dev/null --cacert {CA} https://mon-etcd:2379/metrics").rc != 0


def test_haproxy_exporter_needs_the_stats_credentials():
    url = "https://mon-db:7000/metrics"
    body = _body(url, f"-u {STATS}")  # positive control
    assert 'haproxy_backend_active_servers{proxy="postgres_primary"} 1' in body
    assert status(url, f"--cacert {CA}") == "401"
    assert status(url, f"--cacert {CA} -u admin:wrong-password") == "401"
    # the stats page itself still asks for them too
    assert status("https://mon-db:7000/", f"--cacert {CA}") == "401"
    assert status("https://mon-db:7000/", f"--cacert {CA} -u {STATS}") == "200"


def test_every_target_is_up_over_tls():
    def all_up():
        targets = api("/api/v1/targets", state="active")["activeTargets"]
        seen = {(t["labels"]["job"], t["labels"]["instance"]): t for t in targets}
        if set(seen) != EXPECTED_TARGETS or any(t["health"] != "up" for t in seen.values()):
            return None
        return seen

    seen = wait_for(all_up)
    assert seen, api("/api/v1/targets", state="active")["activeTargets"]
    for target in seen.values():
        assert target["scrapeUrl"].startswith("https://"), target
    up = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in query("up")}
    assert up == {t: "1" for t in EXPECTED_TARGETS}


def test_rule_files_are_loaded():
    groups = api("/api/v1/rules")["groups"]
    names = {g["name"] for g in groups}
    assert {"slo-postgres-availability", "slo-postgres-write-availability", "slo-postgres-replication-lag",
            "slo-vllm-time-to-first-token", "slo-vpn-availability", "slo-backup-freshness", "slo-certificate-expiry",
            "hybridops-targets", "hybridops-postgres", "hybridops-node", "hybridops-pki", "hybridops-openvpn", "hybridops-keepalived",
            "hybridops-backup"} <= names
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups


def test_the_platform_console_renders_real_data():
    url = PROMETHEUS + "/consoles/hybridops.html"
    assert status(url, f"--cacert {CA}") == "401"
    page = wait_for(lambda: (lambda p: p if "postgres-availability" in p else None)(
        curl(f"--cacert {CA} -u {USER}:{PASSWORD} {shlex.quote(url)}").stdout))
    assert page, "the console never listed the SLOs"
    assert "error executing template" not in page and "<h1>HybridOps platform</h1>" in page
    up = int(float(query("count(up == 1)")[0]["value"][1]))
    assert f"Targets up: {up}" in page or f"Targets up: {up - 1}" in page or f"Targets up: {up + 1}" in page
    for slo in ("postgres-availability", "postgres-write-availability", "certificate-expiry"):
        assert f"<td>{slo}</td>" in page, slo


def _slo_alerts():
    rules = mon1().file("/etc/prometheus/rules/slo.yml").content_string
    import yaml  # pylint: disable=import-outside-toplevel

    return {(r["alert"], r["labels"]["severity"]) for g in yaml.safe_load(rules)["groups"] for r in g["rules"]
            if "alert" in r}


def test_promtool_proves_every_slo_alert():
    import yaml  # pylint: disable=import-outside-toplevel

    tests = yaml.safe_load(mon1().file("/etc/prometheus/tests/slo.yml").content_string)
    assert tests["rule_files"] == ["/etc/prometheus/rules/slo.yml"]
    # every alert of the installed rule file fires in a 14.4x case, and every SLO has a silent 0.5x case
    fired = {(c["alertname"], a["exp_labels"]["severity"]) for t in tests["tests"] if "14.4x: page" in t["name"]
             for c in t["alert_rule_test"] for a in c["exp_alerts"]}
    assert fired == _slo_alerts()
    silent = [t for t in tests["tests"] if "0.5x" in t["name"]]
    assert len(silent) == len({a for a, _ in _slo_alerts()})
    assert all(c["exp_alerts"] == [] for t in silent for c in t["alert_rule_test"])
    res = mon1().run("promtool test rules /etc/prometheus/tests/slo.yml")
    assert res.rc == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


def test_promtool_tests_catch_a_wrong_threshold():
    # control: the same tests against rules whose 1x ticket threshold was lowered below 0.5x must fail
    script = (
        "set -e; d=$(mktemp -d); sed 's/>= 0.001\\b/>= 0.0004/g' /etc/prometheus/rules/slo.yml > $d/slo.yml; "
        "sed \"s#/etc/prometheus/rules/slo.yml#$d/slo.yml#\" /etc/prometheus/tests/slo.yml > $d/tests.yml; "
        "test $(grep -o '>= 0.0004' $d/slo.yml | wc -l) -ge 2; "
        "set +e; promtool test rules $d/tests.yml; rc=$?; rm -rf $d; exit $rc"
    )
    res = mon1().run(f"bash -c {shlex.quote(script)}")
    assert res.rc == 1, res.stdout + res.stderr
    assert "FAILED" in res.stdout + res.stderr


def test_slo_recordings_have_data_from_the_real_exporter():
    result = wait_for(lambda: query('slo:sli_error:ratio_rate5m{slo="postgres-availability"}'))
    assert result and float(result[0]["value"][1]) == 0.0
    assert query('slo:error_budget_remaining:ratio{slo="postgres-availability"}')


def test_write_availability_slo_has_data_from_haproxy():
    result = wait_for(lambda: query('slo:sli_error:ratio_rate5m{slo="postgres-write-availability"}'))
    assert result and float(result[0]["value"][1]) == 0.0
    assert query('haproxy_backend_active_servers{proxy="postgres_primary"} == 1')


def test_certificate_expiry_of_every_pki_certificate_reaches_prometheus():
    # the pki role's textfile on mon-db holds the end of validity of Patroni's server certificate, and Prometheus
    # has the same value from the node exporter; it must equal what openssl reads from the certificate itself
    db = host("mon-db")
    cert = "/etc/patroni/pki/server.crt"
    enddate = db.run(f"date -d \"$(openssl x509 -noout -enddate -in {cert} | cut -d= -f2)\" +%s")
    assert enddate.rc == 0, enddate.stderr
    prom = db.file("/var/lib/prometheus/node-exporter/hybridops_pki_etc_patroni_pki_server_crt.prom")
    assert f'path="{cert}"}} {enddate.stdout.strip()}' in prom.content_string
    series = wait_for(lambda: query(f'hybridops_pki_certificate_not_after_seconds{{path="{cert}"}}'))
    assert series and series[0]["metric"]["instance"] == "mon-db:9100", series
    assert series[0]["value"][1] == enddate.stdout.strip()
    # every host's certificates are there: Prometheus's own, etcd's on the three members, Patroni's, HAProxy's
    paths = {(r["metric"]["instance"], r["metric"]["path"]) for r in query("hybridops_pki_certificate_not_after_seconds")}
    assert {("mon1:9100", "/etc/prometheus/pki/prometheus-client.crt"), ("mon-db:9100", "/etc/haproxy/pki/haproxy.crt"),
            } <= paths, paths
    assert {i for i, _ in paths} == {"mon1:9100", "mon-db:9100", "mon-etcd:9100"}
    # the alert expression: nothing expires within 21 days; control: all expire within 398 days (397-day validity)
    assert query("hybridops_pki_certificate_not_after_seconds - time() < 21 * 86400") == []
    assert len(query("hybridops_pki_certificate_not_after_seconds - time() < 398 * 86400")) == len(paths)


def test_a_backup_reaches_prometheus_through_the_textfile_collector():
    assert mon1().run(f"systemctl start {BACKUP_UNIT}").rc == 0
    assert wait_for(lambda: query(f'hybridops_backup_last_run_success{{exported_job="{BACKUP_JOB}"}} == 1'))
    assert query('hybridops_backup_last_snapshot_bytes{exported_job="%s"} > 0' % BACKUP_JOB)


def test_the_pinned_releases_run():
    for unit, binary, link in (("prometheus", "prometheus", "/opt/prometheus/2.42.0/prometheus"),
                               ("alertmanager", "alertmanager", "/opt/alertmanager/0.35.0/alertmanager")):
        assert mon1().service(unit).is_running, unit
        assert mon1().file(f"/usr/local/bin/{binary}").linked_to == link
        # the service runs the linked command (/proc/<pid>/exe needs ptrace rights the container does not have)
        pid = mon1().check_output(f"systemctl show -p MainPID --value {unit}")
        assert mon1().check_output(f"ps -o args= -p {pid}").split()[0] == f"/usr/local/bin/{binary}"
    # the Debian packages are not there: the release is what answers
    assert not mon1().package("prometheus").is_installed
    assert not mon1().package("prometheus-alertmanager").is_installed
    assert api("/api/v1/status/buildinfo")["version"].startswith("2.42.0")
    assert "version 0.35.0" in mon1().check_output("/usr/local/bin/alertmanager --version 2>&1")


def test_every_dashboard_query_returns_data():
    # no vLLM and no pgBackRest here, no GPU anywhere: `make lab-check` runs those panels against the lab
    empty = []
    checked = 0
    for board, title, expr in dashboards.queries(dashboards.VLLM + dashboards.PGBACKREST + dashboards.DCGM):
        checked += 1
        if not wait_for(lambda expr=expr: query(expr), timeout=60):
            empty.append(f"{board} / {title}: {expr}")
    assert checked >= 20
    assert not empty, "panels without data: " + "; ".join(empty)


def _received(alertname):
    content = mon1().run(f"cat {WEBHOOK_LOG} 2>/dev/null").stdout
    alerts = [a for line in content.splitlines() if line.strip() for a in json.loads(line)["alerts"]]
    return [a for a in alerts if alertname is None or a["labels"]["alertname"] == alertname]


def test_stopping_postgresql_fires_postgres_down_at_the_webhook():
    db = host("mon-db")
    # positive control: before the fault nothing was received, and the receiver answers
    assert _received(None) == []
    assert mon1().run("curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:8099/ -d '{\"alerts\": []}'"
                      ).stdout == "200"
    # PostgreSQL runs under Patroni here: stopping Patroni stops the server (Patroni would restart a killed one)
    assert db.run("systemctl stop patroni").rc == 0
    try:
        alerts = wait_for(lambda: _received("PostgresDown"), timeout=120)
    finally:
        db.run("systemctl start patroni")
    assert alerts, _received(None)
    assert alerts[0]["status"] == "firing"
    assert alerts[0]["labels"]["instance"] == "mon-db:9187"
    assert alerts[0]["labels"]["severity"] == "page"


def test_stopping_the_backup_target_fires_backup_failed_at_the_webhook():
    nas = host("mon-etcd")
    # positive control: the job succeeded against the running target, and no BackupFailed came before the fault
    assert query(f'hybridops_backup_last_run_success{{exported_job="{BACKUP_JOB}"}} == 1')
    assert _received("BackupFailed") == []
    nas.check_output("systemctl stop ssh.service")
    try:
        assert mon1().run(f"systemctl start {BACKUP_UNIT}").rc != 0
        alerts = wait_for(lambda: _received("BackupFailed"), timeout=120)
    finally:
        nas.check_output("systemctl start ssh.service")
    assert alerts, _received(None)
    assert alerts[0]["status"] == "firing"
    assert alerts[0]["labels"]["exported_job"] == BACKUP_JOB
    assert alerts[0]["labels"]["instance"] == "mon1:9100"
    assert alerts[0]["labels"]["severity"] == "ticket"
    # the target is back: the next run succeeds and Prometheus sees it
    assert mon1().run(f"systemctl start {BACKUP_UNIT}").rc == 0
    assert wait_for(lambda: query(f'hybridops_backup_last_run_success{{exported_job="{BACKUP_JOB}"}} == 1'))
