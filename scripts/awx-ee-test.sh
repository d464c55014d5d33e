#!/usr/bin/env bash
# The execution environment under test, as AWX uses it: build the EE (scripts/build-ee.sh), start three lab hosts
# on the podman network awx-test (etcd + Patroni on the three, HAProxy on the first: the etcd role refuses fewer
# than three members), and run playbooks/base.yml
# and playbooks/postgres_cluster.yml twice through `ansible-runner run` INSIDE the EE image (the project and the
# inventory mounted as ansible-runner's private data directory, SSH with a key the runner loads into its agent,
# become with sudo; the CA on the first host, as on a site's CA host). Then from ansible-runner's artifacts
# (status, rc, job_events): every run successful, the second round changes nothing, and both rounds used the same
# CA (the SHA-256 fingerprint the pki role reports). Prints a table; tears everything down at the end.
# Not part of `make test` (too costly for its budget): `make ee-test`. Figures in tests/output/awx-ee-test.json.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

NET=awx-test
SUBNET=10.89.22.0/24
HOSTS=(awx-db1 awx-db2 awx-db3)
LAB_IMAGE=localhost/hybridops-lab:bookworm
OUTPUT=tests/output
mkdir -p "$OUTPUT"
KEEP="${AWX_EE_TEST_KEEP:-}"   # non-empty: leave the container and the runner directory for a look

t_start=$(date +%s)
stage_start "build the EE"
ee_image=$(bash scripts/build-ee.sh | tail -n 1)
stage_end "build the EE" 0

work=$(mktemp -d "${TMPDIR:-/tmp}/hybridops-awx-ee.XXXXXX")
cleanup() {
  if [[ -n "$KEEP" ]]; then log "kept ${HOSTS[*]} and $work"; return; fi
  podman rm -f "${HOSTS[@]}" >/dev/null 2>&1 || true
  podman network rm "$NET" >/dev/null 2>&1 || true
  # the runner container wrote as root into the directory; it is ours to remove
  rm -rf "$work"
}
trap cleanup EXIT

stage_start "lab hosts"
bash scripts/pkg-cache.sh status >/dev/null 2>&1 || bash scripts/pkg-cache.sh start
podman rm -f "${HOSTS[@]}" >/dev/null 2>&1 || true
podman network exists "$NET" || podman network create --subnet "$SUBNET" "$NET" >/dev/null
# What a site's host has before AWX reaches it: sshd and an admin account with a key. The account is declared
# in common_admin_users below, so the base playbook manages it from then on.
ssh-keygen -q -t ed25519 -N '' -C awx-ee-test -f "$work/id_ed25519"
for i in "${!HOSTS[@]}"; do
  podman run -d --name "${HOSTS[$i]}" --hostname "${HOSTS[$i]}" --systemd=always \
    --network "$NET:ip=10.89.22.$((11 + i))" --tmpfs /tmp --tmpfs /run \
    --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN \
    --volume "$HYBRIDOPS_CACHE_DIR/pip:/root/.cache/pip" "$LAB_IMAGE" /lib/systemd/systemd >/dev/null
done
for host in "${HOSTS[@]}"; do
  podman exec "$host" systemctl is-system-running --wait >/dev/null 2>&1 || true
  podman cp scripts/container-apt-proxy.sh "$host:/usr/local/sbin/hybridops-apt-proxy"
  podman exec "$host" sh -c 'chmod 0755 /usr/local/sbin/hybridops-apt-proxy && echo "Acquire::http::Proxy-Auto-Detect \"/usr/local/sbin/hybridops-apt-proxy\";" > /etc/apt/apt.conf.d/00hybridops-test-proxy'
  podman cp "$work/id_ed25519.pub" "$host:/root/awx.pub"
  podman exec "$host" sh -ec '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -qq -y openssh-server >/dev/null
    useradd -m -s /bin/bash awx
    install -d -m 0700 -o awx -g awx /home/awx/.ssh
    install -m 0600 -o awx -g awx /root/awx.pub /home/awx/.ssh/authorized_keys
    echo "awx ALL=(ALL:ALL) NOPASSWD: ALL" > /etc/sudoers.d/00-awx-bootstrap && chmod 0440 /etc/sudoers.d/00-awx-bootstrap
    systemctl enable --now ssh >/dev/null 2>&1'
done
stage_end "lab hosts" 0

# ansible-runner's private data directory: project (the checkout's playbooks; the collection is the one in the EE),
# inventory, env (the SSH key the runner loads into an agent, as AWX does with a machine credential).
runner="$work/runner"
mkdir -p "$runner/project" "$runner/inventory" "$runner/env"
cp -r playbooks "$runner/project/"
cp "$work/id_ed25519" "$runner/env/ssh_key"
pub=$(cat "$work/id_ed25519.pub")
cat >"$runner/inventory/hosts.yml" <<EOF
---
all:
  hosts:
    awx-db1: {ansible_host: 10.89.22.11}
    awx-db2: {ansible_host: 10.89.22.12}
    awx-db3: {ansible_host: 10.89.22.13}
  children:
    etcd_cluster: {hosts: {awx-db1: {}, awx-db2: {}, awx-db3: {}}}
    postgres_cluster: {hosts: {awx-db1: {}, awx-db2: {}, awx-db3: {}}}
    pg_loadbalancers: {hosts: {awx-db1: {}}}
  vars:
    ansible_user: awx
    ansible_python_interpreter: /usr/bin/python3
    common_admin_users:
      - {name: awx, ssh_keys: ["$pub"], sudo_nopasswd: true}
    common_firewall_admin_networks: [$SUBNET]
    # containers: no clock, no sysctl, no NTP pools (as in the lab and Molecule)
    common_chrony_set_system_clock: false
    common_sysctl_apply: false
    common_ntp_pools: []
    # the CA on a durable host of the inventory, as under AWX (roles/pki/README.md): here the first host
    pki_ca_host: awx-db1
    pki_ca_become: true
    pki_ca_directory: /srv/hybridops/pki/hybridops
    # test credentials; a real site takes these from a Vault credential
    pki_ca_passphrase: awx-ee-test-ca-passphrase
    patroni_allowed_networks: [$SUBNET]
    etcd_client_networks: [$SUBNET]
    patroni_superuser_password: awx-ee-superuser-pw
    patroni_replication_password: awx-ee-replication-pw
    patroni_restapi_password: awx-ee-restapi-pw
    patroni_etcd_password: awx-ee-etcd-patroni-pw
    etcd_root_password: awx-ee-etcd-root-pw
    haproxy_stats_password: awx-ee-stats-pw
EOF
cat >"$runner/env/envvars" <<'EOF'
---
ANSIBLE_HOST_KEY_CHECKING: "False"
ANSIBLE_PIPELINING: "True"
ANSIBLE_FORCE_COLOR: "False"
EOF
# The EE runs as its own user (ansible-builder's images: uid 1000), as under AWX: the directory must be its own.
ee_user=$(podman image inspect --format '{{ .Config.User }}' "$ee_image")
if [[ $(id -u) -eq 0 && "${ee_user:-0}" =~ ^[0-9]+$ ]]; then
  chown -R "$ee_user" "$runner"
else
  chmod -R a+rwX "$runner"
fi

run_job() {  # ident playbook
  local rc=0
  podman run --rm --network "$NET" --volume "$runner:/runner:Z" "$ee_image" \
    ansible-runner run /runner --ident "$1" --playbook "$2" >"$work/$1.log" 2>&1 || rc=$?
  cp "$work/$1.log" "$OUTPUT/awx-ee-$1.log"
  log "$1: $2 rc=$rc"
  return 0
}

for round in 1 2; do
  stage_start "round $round"
  run_job "base-$round" playbooks/base.yml
  run_job "postgres-$round" playbooks/postgres_cluster.yml
  stage_end "round $round" 0
done

rc=0
python3 - "$runner/artifacts" "$OUTPUT/awx-ee-test.json" "$(($(date +%s) - t_start))" <<'PY' || rc=$?
"""Read ansible-runner's artifacts of the four jobs and check them; print a table."""
import json
import pathlib
import sys

artifacts, out, seconds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])


def fingerprints(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ca_fingerprint" and isinstance(value, str):
                found.add(value)
            else:
                fingerprints(value, found)
    elif isinstance(node, list):
        for value in node:
            fingerprints(value, found)
    return found


jobs = {}
for ident in ("base-1", "postgres-1", "base-2", "postgres-2"):
    d = artifacts / ident
    job = {"status": (d / "status").read_text().strip() if (d / "status").exists() else "missing",
           "rc": int((d / "rc").read_text()) if (d / "rc").exists() else None,
           "events": 0, "changed_tasks": [], "failed": 0, "ok": 0, "changed": 0, "ca": set()}
    for path in sorted((d / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-")[0])):
        event = json.loads(path.read_text())
        job["events"] += 1
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_ok" and data.get("res", {}).get("changed"):
            job["changed_tasks"].append(data.get("task"))
        if event.get("event") == "playbook_on_stats":
            job["ok"] = sum(data.get("ok", {}).values())
            job["changed"] = sum(data.get("changed", {}).values())
            job["failed"] = sum(data.get("failures", {}).values()) + sum(data.get("dark", {}).values())
        fingerprints(data.get("res", {}), job["ca"])
    jobs[ident] = job

print(f"\n{'job':<12} {'status':<11} {'rc':>3} {'events':>7} {'ok':>5} {'changed':>8} {'failed':>7}  CA SHA-256")
for ident, job in jobs.items():
    ca = ", ".join(sorted(job["ca"]))[:40] or "-"
    print(f"{ident:<12} {job['status']:<11} {job['rc']!s:>3} {job['events']:>7} {job['ok']:>5} {job['changed']:>8} "
          f"{job['failed']:>7}  {ca}")

problems = []
for ident, job in jobs.items():
    if job["status"] != "successful" or job["rc"] != 0 or job["failed"]:
        problems.append(f"{ident}: status {job['status']}, rc {job['rc']}, {job['failed']} failed/unreachable")
    if job["events"] == 0:
        problems.append(f"{ident}: no job events")
# positive control: the first round did change the fresh host (the count is read from the same events)
if not (jobs["base-1"]["changed"] and jobs["postgres-1"]["changed"]):
    problems.append("the first round changed nothing on a fresh host: the changed count is not read right")
for ident in ("base-2", "postgres-2"):
    if jobs[ident]["changed"]:
        problems.append(f"{ident}: the second run changed {jobs[ident]['changed']} task(s): {jobs[ident]['changed_tasks']}")
ca1, ca2 = jobs["postgres-1"]["ca"], jobs["postgres-2"]["ca"]
if len(ca1) != 1 or ca1 != ca2:
    problems.append(f"the CA differs between the rounds or was not reported: {sorted(ca1)} / {sorted(ca2)}")

summary = {ident: dict(job, ca=sorted(job["ca"])) for ident, job in jobs.items()}
out.write_text(json.dumps({"seconds": seconds, "jobs": summary, "problems": problems}, indent=2) + "\n")
print(f"\ntotal {seconds} s; figures in {out}")
if problems:
    print("FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok: 4 jobs successful, the second round changed nothing, one CA in both rounds")
PY
stage_summary
exit "$rc"
