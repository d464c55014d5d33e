"""Chaos tests for the PostgreSQL HA stack, against running podman containers (the Molecule scenario or the lab).

One client writes at a steady rate through the entry point (HAProxy's primary port, on the VIP) across EVERY
fault below, the partition included, and the acknowledged commits are counted only after the last fault:
  (a) hard kill of the primary container, N times: median and worst write outage (RTO);
  (b) planned switchover: the write gap;
  (e) the balancer that holds the VIP killed (with --balancers): where the VIP went and the write gap;
  (d) one etcd member stopped: whether the cluster keeps serving writes;
  (c) the primary cut off from the other members (not from the clients: a primary that still holds the VIP keeps
      receiving writes, the classic way to lose acknowledged commits): whether it demotes; split brain sampled on
      every node at once, repeatedly, with short timeouts; and a positive control - a write through the entry
      point must be acknowledged by another member while the partition lasts, or the probes prove nothing.
A commit whose wait for the synchronous standby was cancelled ("committed locally, but might not have been
replicated") is never counted as acknowledged.
Targets (see roles/patroni/README.md): median RTO <= 15 s, switchover gap <= 5 s, 0 lost commits, no split brain.
Exit status 1 for correctness failures (lost acknowledged commits, split brain, a primary that never demotes, a
failed positive control); the timing figures are printed for people to read.

Usage: python3 tests/chaos/pg_chaos.py --nodes pg1,pg2,pg3 --entry 10.89.12.100 [--balancers pg1,pg2 --vip 10.89.12.100]
       [--kills 10] [--report tests/output/pg-chaos.json]
"""

import argparse
import concurrent.futures
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psycopg2


def sh(*args, check=True, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)


CANCELLED_SYNC_WAIT = "canceling wait for synchronous replication"


def acknowledged(conn):
    """False when the last commit only committed locally (its synchronous-replication wait was cancelled)."""
    cancelled = any(CANCELLED_SYNC_WAIT in notice for notice in conn.notices)
    del conn.notices[:]
    return not cancelled


def replicating(member):
    """A replica that streams from the leader. Patroni 3.1+ says `streaming`; Patroni 3.0 (Debian 12) says
    `running` and reports a numeric lag only while the replica receives WAL."""
    return member["state"] == "streaming" or (member["state"] == "running" and isinstance(member.get("lag"), int))


class Cluster:
    def __init__(self, nodes, restapi_port=8008, restapi_auth=None):
        self.nodes = nodes
        self.port = restapi_port
        self.auth = restapi_auth

    def _curl(self, via, path, method="GET", body=None):
        cmd = ["podman", "exec", via, "curl", "-s", "-m", "5", "--cacert", "/etc/patroni/pki/ca.crt",
               "-X", method, f"https://{via}:{self.port}{path}"]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        if self.auth:
            cmd += ["-u", self.auth]
        res = sh(*cmd, check=False, timeout=20)
        return res.stdout

    def running(self):
        out = sh("podman", "ps", "--format", "{{.Names}}").stdout.split()
        return [n for n in self.nodes if n in out]

    def view(self):
        for node in self.running():
            try:
                return json.loads(self._curl(node, "/cluster"))["members"]
            except (ValueError, KeyError):
                continue
        return []

    def leader(self):
        leaders = [m["name"] for m in self.view() if m["role"] == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def addresses(self):
        """Member name -> the address Patroni advertises for it."""
        return {m["name"]: m["host"] for m in self.view()}

    def wait(self, predicate, timeout=180, interval=1.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            members = self.view()
            if members and predicate(members):
                return members
            time.sleep(interval)
        raise TimeoutError("cluster did not reach the expected state")

    def wait_healthy(self, count=None, timeout=240):
        count = count or len(self.nodes)
        return self.wait(lambda ms: sum(m["role"] == "leader" for m in ms) == 1 and sum(
            m["state"] in ("streaming", "running") for m in ms) == count and all(
            m["role"] == "leader" or replicating(m) for m in ms), timeout)

    def local_write(self, node):
        """Try a short write on one node locally; True when the commit was acknowledged."""
        sql = "SET statement_timeout = 1500; INSERT INTO chaos_probe(node) VALUES (current_setting('cluster_name'))"
        try:
            res = sh("podman", "exec", "-u", "postgres", node, "psql", "-X", "-q", "-d", "postgres", "-c", sql,
                     check=False, timeout=8)
        except subprocess.TimeoutExpired:
            return False
        # A commit whose wait for the synchronous standby was cancelled is local only, never acknowledged.
        return res.returncode == 0 and CANCELLED_SYNC_WAIT not in res.stderr

    def writable_now(self, nodes):
        """The nodes that accept a local write, all probed at the same moment."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            results = list(pool.map(self.local_write, nodes))
        return [n for n, ok in zip(nodes, results) if ok]


class Writer(threading.Thread):
    """Writes one row every `interval` seconds through the entry point; records every acknowledged commit."""

    def __init__(self, dsn, interval=0.05):
        super().__init__(daemon=True)
        self.dsn, self.interval = dsn, interval
        self.acked, self.ack_times = [], []
        self.stop_event = threading.Event()
        self.seq = 0

    def run(self):
        conn = None
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    # A statement timeout, so a commit hanging on a cut-off primary ends (unacknowledged).
                    conn = psycopg2.connect(self.dsn, connect_timeout=2, options="-c statement_timeout=5000")
                    conn.autocommit = True
                self.seq += 1
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO chaos_writes(seq) VALUES (%s)", (self.seq,))
                if acknowledged(conn):
                    self.acked.append(self.seq)
                    self.ack_times.append(time.monotonic())
            except psycopg2.Error:
                try:
                    conn and conn.close()
                except psycopg2.Error:
                    pass
                conn = None
                time.sleep(0.1)
                continue
            time.sleep(self.interval)
        if conn is not None:
            conn.close()

    def gap_around(self, t0, t1):
        """Longest gap between acknowledged commits that overlaps [t0, t1]."""
        times = list(self.ack_times)
        worst = 0.0
        for a, b in zip(times, times[1:]):
            if b >= t0 and a <= t1:
                worst = max(worst, b - a)
        return worst

    def stop(self):
        self.stop_event.set()
        self.join(timeout=10)


def setup(dsn):
    with psycopg2.connect(dsn, connect_timeout=5) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS chaos_writes (seq bigint PRIMARY KEY, at timestamptz DEFAULT now())")
        cur.execute("TRUNCATE chaos_writes")
        cur.execute("CREATE TABLE IF NOT EXISTS chaos_probe (id bigserial PRIMARY KEY, node text,"
                    " at timestamptz DEFAULT now())")
        cur.execute("GRANT INSERT, SELECT ON chaos_probe TO PUBLIC")
        cur.execute("GRANT USAGE ON SEQUENCE chaos_probe_id_seq TO PUBLIC")


def connect_entry(dsn, timeout=90):
    """A connection through the entry point, retried for `timeout` seconds; (connection, seconds it took)."""
    t0, last = time.monotonic(), None
    while time.monotonic() - t0 < timeout:
        try:
            return psycopg2.connect(dsn, connect_timeout=3), time.monotonic() - t0
        except psycopg2.OperationalError as exc:
            last = exc
            time.sleep(1)
    raise last


def missing(dsn, acked):
    """The acknowledged commits that are not in the table, and how long the entry point took to answer."""
    conn, waited = connect_entry(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT seq FROM chaos_writes")
        stored = {row[0] for row in cur.fetchall()}
    conn.close()
    return sorted(set(acked) - stored), waited


def wait_writes_resume(writer, since, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if writer.ack_times and writer.ack_times[-1] > since:
            return writer.ack_times[-1]
        time.sleep(0.05)
    raise TimeoutError("writes did not resume")


def scenario_kill(cluster, writer, kills):
    outages = []
    for i in range(kills):
        cluster.wait_healthy()
        time.sleep(2)
        victim = cluster.leader()
        last_ok = writer.ack_times[-1]
        t_kill = time.monotonic()
        sh("podman", "kill", victim)
        new = cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] != victim for m in ms))
        new_leader = [m["name"] for m in new if m["role"] == "leader"][0]
        # The outage is the longest gap between acknowledged commits from just before the kill until writes
        # flow again through the new leader (a commit the old primary acknowledged while podman was still
        # killing it counts as before).
        resumed = wait_writes_resume(writer, time.monotonic())
        outage = writer.gap_around(min(last_ok, t_kill), resumed)
        outages.append(outage)
        print(f"  kill {i + 1}/{kills}: {victim} killed, {new_leader} leads, write outage {outage:.1f} s", flush=True)
        sh("podman", "start", victim)
        sh("podman", "exec", victim, "systemctl", "is-system-running", "--wait", check=False, timeout=120)
    cluster.wait_healthy()
    return outages


def scenario_switchover(cluster, writer):
    cluster.wait_healthy()
    time.sleep(2)
    leader = cluster.leader()
    via = [n for n in cluster.running() if n != leader][0]
    t0 = time.monotonic()
    out = cluster._curl(via, "/switchover", "POST", {"leader": leader})
    cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] != leader for m in ms))
    t1 = wait_writes_resume(writer, time.monotonic())
    cluster.wait_healthy()
    gap = writer.gap_around(t0, t1)
    print(f"  switchover from {leader}: {out.strip()[:80]!r}; write gap {gap:.1f} s", flush=True)
    return gap


def probe_entry(dsn):
    """One write through the entry point; the address of the member that acknowledged it, or None."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=2, options="-c statement_timeout=2000")
    except psycopg2.Error:
        return None
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("INSERT INTO chaos_probe(node) VALUES (host(inet_server_addr())) RETURNING node")
            node = cur.fetchone()[0]
        return node if acknowledged(conn) else None
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def scenario_partition(cluster, dsn, duration):
    cluster.wait_healthy()
    leader = cluster.leader()
    addresses = cluster.addresses()
    peers = sorted(addr for name, addr in addresses.items() if name != leader)
    # Cut the primary off from the other members only (etcd, Patroni, replication, VRRP): the clients still
    # reach it, and if it holds the VIP its HAProxy still sends it their writes.
    peer_set = ", ".join(peers)
    rules = ("table inet chaos {\n"
             f"  chain in {{ type filter hook input priority -10; policy accept; ip saddr {{ {peer_set} }} drop; }}\n"
             f"  chain out {{ type filter hook output priority -10; policy accept; ip daddr {{ {peer_set} }} drop; }}\n"
             "}\n")
    # stdin, not `podman cp`: /run in the containers is a tmpfs that podman cp does not write into
    subprocess.run(["podman", "exec", "-i", leader, "nft", "-f", "-"], input=rules, text=True, check=True,
                   capture_output=True, timeout=30)
    t0 = time.monotonic()
    both, samples, demoted_after, control = 0, 0, None, None
    try:
        while time.monotonic() - t0 < duration:
            accepted = cluster.writable_now(cluster.nodes)
            samples += 1
            if len(accepted) > 1:
                both += 1
                print(f"  SPLIT BRAIN sample: {accepted} accepted writes at the same moment", flush=True)
            if demoted_after is None and leader not in accepted:
                # Patroni demotes an isolated primary "offline" (PostgreSQL stopped) or into recovery: either way
                # it no longer serves as a primary.
                res = sh("podman", "exec", "-u", "postgres", leader, "psql", "-XAtc", "SELECT pg_is_in_recovery()",
                         check=False, timeout=20)
                if res.returncode != 0 or res.stdout.strip() == "t":
                    demoted_after = time.monotonic() - t0
            if control is None:
                node = probe_entry(dsn)
                if node and node != addresses[leader]:
                    control = {"member": next((n for n, a in addresses.items() if a == node), node),
                               "after_s": round(time.monotonic() - t0, 1)}
    finally:
        sh("podman", "exec", leader, "nft", "delete", "table", "inet", "chaos", check=False)
    cluster.wait_healthy()
    print(f"  partition of {leader} from {peers}: demoted after "
          f"{demoted_after if demoted_after is None else round(demoted_after, 1)} s; positive control: "
          + (f"{control['member']} acknowledged a write through the entry point after {control['after_s']} s"
             if control else "NO other member acknowledged a write through the entry point (FAILED)")
          + f"; {both} of {samples} samples with two writable members", flush=True)
    return {"old_leader": leader, "new_leader": control["member"] if control else None,
            "demoted_after_s": None if demoted_after is None else round(demoted_after, 1), "positive_control": control,
            "split_brain_samples": both, "samples": samples}


def vip_holder(nodes, vip):
    for node in nodes:
        out = sh("podman", "exec", node, "ip", "-4", "-o", "addr", "show", check=False, timeout=20).stdout
        if f" {vip}/" in out:
            return node
    return None


def scenario_vip_holder(cluster, writer, balancers, vip):
    cluster.wait_healthy()
    time.sleep(2)
    holder = vip_holder(balancers, vip)
    if holder is None:
        raise RuntimeError(f"no balancer of {balancers} holds the VIP {vip}")
    last_ok = writer.ack_times[-1]
    t_kill = time.monotonic()
    sh("podman", "kill", holder)
    others = [b for b in balancers if b != holder]
    new_holder, deadline = None, time.monotonic() + 60
    while new_holder is None and time.monotonic() < deadline:
        new_holder = vip_holder([b for b in others if b in cluster.running()], vip)
        time.sleep(0.2)
    moved_after = round(time.monotonic() - t_kill, 1) if new_holder else None
    resumed = wait_writes_resume(writer, time.monotonic())
    gap = writer.gap_around(min(last_ok, t_kill), resumed)
    print(f"  VIP holder {holder} killed: VIP on {new_holder} after {moved_after} s, write gap {gap:.1f} s",
          flush=True)
    sh("podman", "start", holder)
    sh("podman", "exec", holder, "systemctl", "is-system-running", "--wait", check=False, timeout=120)
    cluster.wait_healthy()
    return {"killed": holder, "new_holder": new_holder, "vip_moved_after_s": moved_after,
            "write_gap_s": round(gap, 2)}


def scenario_etcd_member(cluster, writer, duration):
    cluster.wait_healthy()
    victim = [n for n in cluster.nodes if n != cluster.leader()][0]
    sh("podman", "exec", victim, "systemctl", "stop", "etcd")
    t0 = time.monotonic()
    time.sleep(duration)
    gap = writer.gap_around(t0, time.monotonic())
    sh("podman", "exec", victim, "systemctl", "start", "etcd")
    cluster.wait_healthy()
    print(f"  etcd on {victim} stopped for {duration} s: longest write gap {gap:.1f} s", flush=True)
    return gap


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", required=True, help="comma-separated container names (= Patroni member names)")
    p.add_argument("--entry", required=True, help="HAProxy address (or VIP) for writes")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--user", default="postgres")
    p.add_argument("--password", required=True)
    p.add_argument("--restapi-auth", default=None, help="user:password for the REST API's unsafe endpoints")
    p.add_argument("--balancers", default="", help="comma-separated balancer containers (HAProxy + keepalived)")
    p.add_argument("--vip", default="", help="the keepalived VIP the balancers share")
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--partition-seconds", type=int, default=40)
    p.add_argument("--report", default=None)
    args = p.parse_args()

    cluster = Cluster(args.nodes.split(","), restapi_auth=args.restapi_auth)
    ca = tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False)
    ca.write(sh("podman", "exec", cluster.nodes[0], "cat", "/etc/patroni/pki/ca.crt").stdout)
    ca.close()
    dsn = (f"host={args.entry} port={args.port} user={args.user} password={args.password} dbname=postgres "
           f"sslmode=verify-ca sslrootcert={ca.name}")
    cluster.wait_healthy()
    setup(dsn)
    writer = Writer(dsn)
    writer.start()
    time.sleep(2)
    report = {}
    try:
        print(f"(a) hard-killing the primary {args.kills} times", flush=True)
        outages = scenario_kill(cluster, writer, args.kills)
        report["kill"] = {"outages_s": [round(o, 2) for o in outages], "median_rto_s": round(statistics.median(outages), 2),
                          "worst_rto_s": round(max(outages), 2)}
        print("(b) planned switchover", flush=True)
        report["switchover_gap_s"] = round(scenario_switchover(cluster, writer), 2)
        if args.balancers and args.vip:
            print("(e) the balancer holding the VIP killed", flush=True)
            report["vip_holder_killed"] = scenario_vip_holder(cluster, writer, args.balancers.split(","), args.vip)
        print("(d) one etcd member stopped", flush=True)
        report["etcd_member_stopped_gap_s"] = round(scenario_etcd_member(cluster, writer, 15), 2)
        print("(c) primary cut off from the other members (clients still reach it)", flush=True)
        report["partition"] = scenario_partition(cluster, dsn, args.partition_seconds)
        time.sleep(2)
    finally:
        writer.stop()
    # after the last fault: every commit the writer saw acknowledged must be there
    lost, waited = missing(dsn, writer.acked)
    report["acknowledged_commits"] = len(writer.acked)
    report["lost_commits"] = len(lost)
    # after the last fault the entry point must answer at once; a wait here is a VIP that clients cannot find
    report["entry_point_wait_after_faults_s"] = round(waited, 1)

    print("\n==== PostgreSQL HA chaos figures ====")
    print(f"failover RTO (primary hard-killed x{args.kills}): median {report['kill']['median_rto_s']} s, "
          f"worst {report['kill']['worst_rto_s']} s   (target: median <= 15 s)")
    print(f"planned switchover write gap: {report['switchover_gap_s']} s   (target: <= 5 s)")
    print(f"one etcd member stopped: longest write gap {report['etcd_member_stopped_gap_s']} s")
    print(f"acknowledged commits: {report['acknowledged_commits']}, missing afterwards: {report['lost_commits']}"
          "   (target: 0)")
    print(f"entry point answered {report['entry_point_wait_after_faults_s']} s after the last fault healed"
          "   (target: 0)")
    part = report["partition"]
    print(f"partitioned primary demoted after: {part['demoted_after_s']} s; samples with two writers: "
          f"{part['split_brain_samples']} of {part['samples']}   (target: 0)")
    control = part["positive_control"]
    print("positive control (a write through the entry point acknowledged by another member during the partition): "
          + (f"{control['member']} after {control['after_s']} s" if control else "FAILED"))
    if "vip_holder_killed" in report:
        vip = report["vip_holder_killed"]
        print(f"VIP holder {vip['killed']} killed: VIP on {vip['new_holder']} after {vip['vip_moved_after_s']} s, "
              f"write gap {vip['write_gap_s']} s")
    if args.report:
        with open(args.report, "w") as fh:
            json.dump(report, fh, indent=2)
    ok = (report["lost_commits"] == 0 and part["split_brain_samples"] == 0 and part["demoted_after_s"] is not None
          and control is not None
          and ("vip_holder_killed" not in report or report["vip_holder_killed"]["new_holder"] is not None))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
