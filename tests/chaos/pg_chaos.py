"""Chaos tests for the PostgreSQL HA stack, against running podman containers (the Molecule scenario or the lab).

One client writes at a steady rate through the entry point (HAProxy's primary port, on the VIP) across EVERY
fault below, the partition included, and the acknowledged commits are counted only after the last fault:
  (a) hard kill of the primary container, N times: median and worst write outage (RTO);
  (r) back-to-back kills: the primary killed, then the new primary killed while the first victim is rewinding
      or replaying; every member must stream again within --rejoin-bound seconds (the patroni role's rejoin guard
      repairs a member that cannot), and the time it took is printed;
  (b) planned switchover: the write gap;
  (e) the balancer that holds the VIP killed (with --balancers): where the VIP went and the write gap;
  (h) a hung primary (`podman pause`, then unpause): another member takes over, the woken primary demotes
      without acknowledging a write, split brain sampled from the moment it wakes;
  (d) one etcd member stopped: whether the cluster keeps serving writes;
  (q) etcd losing quorum (two of three members stopped): no split brain; with failsafe mode (the role's default)
      the primary keeps serving while it reaches every member (positive control: a write through the entry point
      acknowledged during the outage), without it writes stop; and writes resume once etcd is back;
  (c) the primary cut off from the other members (not from the clients: a primary that still holds the VIP keeps
      receiving writes, the classic way to lose acknowledged commits): whether it demotes; split brain sampled on
      every node at once, repeatedly, with short timeouts; and a positive control - a write through the entry
      point must be acknowledged by another member while the partition lasts, or the probes prove nothing. The
      partition lasts --partition-seconds, and on until both were seen (at most --partition-bound): where the
      partitioned primary's node is a balancer, both balancers hold the VIP and a client reaches either.
When a control fails, the Patroni events of the members in that window are printed (the routine loop lines left out).
A commit whose wait for the synchronous standby was cancelled ("committed locally, but might not have been
replicated") is never counted as acknowledged.
Targets (see roles/patroni/README.md): median RTO <= 10 s and worst <= 12 s (printed, not reachable while ttl >= 20),
switchover gap <= 5 s, 0 lost commits, no split brain.
Exit status 1 for correctness failures (lost acknowledged commits, split brain, a primary that never demotes, a
failed positive control, a member that does not stream again within the bound); the timing figures are printed
for people to read, with a table of every fault at the end.

Usage: python3 tests/chaos/pg_chaos.py --nodes pg1,pg2,pg3 --entry 10.89.12.100 [--balancers pg1,pg2 --vip 10.89.12.100]
       [--etcd pg1,pg2,pg3] [--kills 10] [--rejoin-bound 420] [--no-failsafe] [--report tests/output/pg-chaos.json]
"""

import argparse
import concurrent.futures
import json
import re
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
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 2, "keepalives_interval": 1, "keepalives_count": 3,
              "tcp_user_timeout": 6000}


def acknowledged(conn):
    """False when the last commit only committed locally (its synchronous-replication wait was cancelled)."""
    cancelled = any(CANCELLED_SYNC_WAIT in notice for notice in conn.notices)
    del conn.notices[:]
    return not cancelled


def replicating(member):
    """A replica that streams from the leader. Patroni 3.1+ says `streaming`; Patroni 3.0 (Debian 12) says
    `running` and reports a numeric lag only while the replica receives WAL."""
    return member["state"] == "streaming" or (member["state"] == "running" and isinstance(member.get("lag"), int))


def all_healthy(members, count):
    """One leader, `count` members, every other member replicating on the leader's timeline. A former primary can
    stream for a moment on its old timeline before Patroni sees the divergence and rewinds it (restarting
    PostgreSQL): without the timeline it passed for healthy (seen on Patroni 4 after the partition)."""
    leaders = [m for m in members if m["role"] == "leader"]
    if len(leaders) != 1 or len(members) != count or leaders[0]["state"] != "running":
        return False
    timeline = leaders[0].get("timeline")
    return all(m is leaders[0] or (replicating(m) and (timeline is None or m.get("timeline", timeline) == timeline))
               for m in members)


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

    def dcs_config(self):
        """The cluster-wide settings in the DCS (GET /config), from the first running member that answers."""
        for node in self.running():
            try:
                return json.loads(self._curl(node, "/config"))
            except ValueError:
                continue
        return {}

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

    def synchronous(self):
        """Whether the cluster runs Patroni's synchronous mode (on or quorum), read from the DCS configuration."""
        return self.dcs_config().get("synchronous_mode") not in (None, False, "off")

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

    def wait_candidate(self, synchronous):
        """Healthy, and in synchronous mode with a synchronous standby named. Only a synchronous standby may be
        promoted there, so a leader that has not named one yet (shortly after its own promotion) has no failover
        candidate, by design: a kill then stops writes until the killed member returns (seen at the 4th of 10 kills
        on 3 members), and a switchover is refused (seen right after the back-to-back kills on 3 members)."""
        self.wait_healthy()
        if synchronous:
            self.wait(lambda ms: any(m["role"] in ("sync_standby", "quorum_standby") for m in ms))

    def wait_healthy(self, count=None, timeout=240):
        count = count or len(self.nodes)
        return self.wait(lambda ms: all_healthy(ms, count), timeout)

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


class SplitBrain:
    """Samples every given member at once, repeatedly: how many samples saw two members accept a write."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.samples = 0
        self.both = 0

    def sample(self, nodes=None):
        """One sample; returns the members that accepted a local write."""
        accepted = self.cluster.writable_now(nodes or self.cluster.nodes)
        self.samples += 1
        if len(accepted) > 1:
            self.both += 1
            print(f"  SPLIT BRAIN sample: {accepted} accepted writes at the same moment", flush=True)
        return accepted


def etcd_leader(etcd_nodes):
    """The node whose etcd member leads the etcd cluster (asked through the etcd role's root wrapper), or None."""
    for node in etcd_nodes:
        members = sh("podman", "exec", node, "hybridops-etcdctl", "member", "list", "-w", "json", check=False)
        status = sh("podman", "exec", node, "hybridops-etcdctl", "endpoint", "status", "-w", "json", check=False)
        try:
            names = {m["ID"]: m["name"] for m in json.loads(members.stdout)["members"]}
            return names.get(json.loads(status.stdout)[0]["Status"]["leader"])
        except (ValueError, KeyError, IndexError):
            continue
    return None


def move_etcd_leader(etcd_nodes, to_node):
    """Hand etcd's raft leadership to to_node's member (`etcdctl move-leader`, sent to the current leader)."""
    current = etcd_leader(etcd_nodes)
    if current is None or current == to_node:
        return current
    members = json.loads(sh("podman", "exec", current, "hybridops-etcdctl", "member", "list", "-w", "json").stdout)
    target = next(m["ID"] for m in members["members"] if m["name"] == to_node)
    sh("podman", "exec", current, "hybridops-etcdctl", "move-leader", format(target, "x"))
    deadline = time.monotonic() + 30
    while etcd_leader(etcd_nodes) != to_node and time.monotonic() < deadline:
        time.sleep(0.5)
    return etcd_leader(etcd_nodes)


def no_longer_primary(node):
    """Patroni demotes a primary "offline" (PostgreSQL stopped) or into recovery: either way not a primary."""
    res = sh("podman", "exec", "-u", "postgres", node, "psql", "-XAtc", "SELECT pg_is_in_recovery()",
             check=False, timeout=20)
    return res.returncode != 0 or res.stdout.strip() == "t"


class Writer(threading.Thread):
    """Writes one row every `interval` seconds through the entry point; records every acknowledged commit."""

    def __init__(self, dsn, interval=0.05):
        super().__init__(daemon=True)
        self.dsn, self.interval = dsn, interval
        self.acked, self.ack_times = [], []
        self.servers = {}  # seq -> address of the PostgreSQL server that acknowledged it
        self.stop_event = threading.Event()
        self.seq = 0

    def run(self):
        conn = None
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    # A statement timeout, so a commit hanging on a cut-off primary ends (unacknowledged).
                    # TCP keepalives: a connection whose server froze (a paused balancer or primary) is noticed
                    # within seconds instead of waiting for an answer that never comes.
                    conn = psycopg2.connect(self.dsn, connect_timeout=2, options="-c statement_timeout=5000",
                                            **KEEPALIVES)
                    conn.autocommit = True
                self.seq += 1
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO chaos_writes(seq) VALUES (%s) RETURNING host(inet_server_addr())",
                                (self.seq,))
                    server = cur.fetchone()[0]
                if acknowledged(conn):
                    self.acked.append(self.seq)
                    self.ack_times.append(time.monotonic())
                    self.servers[self.seq] = server
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

    def acked_between(self, t0, t1):
        return sum(1 for t in list(self.ack_times) if t0 <= t <= t1)

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


def scenario_kill(cluster, writer, kills, details=None, etcd_nodes=(), etcd_placement="as-found"):
    """Hard-kill the primary `kills` times. With etcd_nodes, record whether the victim's node also held etcd's raft
    leadership; etcd_placement moves that leadership first: onto the primary's node ("with-primary"), away from it
    ("away"), or each in turn starting with the primary's node ("alternate")."""
    outages = []
    details = [] if details is None else details
    synchronous = cluster.synchronous()
    for i in range(kills):
        cluster.wait_candidate(synchronous)
        time.sleep(2)
        victim = cluster.leader()
        if etcd_nodes and etcd_placement != "as-found":
            together = etcd_placement == "with-primary" or (etcd_placement == "alternate" and i % 2 == 0)
            if victim in etcd_nodes and together:
                move_etcd_leader(etcd_nodes, victim)
            elif not together:
                move_etcd_leader(etcd_nodes, next(n for n in etcd_nodes if n != victim))
            time.sleep(2 * 2)  # a few of Patroni's loops (loop_wait 2) on the new etcd leader before the kill
        etcd_leader_killed = bool(etcd_nodes) and etcd_leader(etcd_nodes) == victim
        last_ok = writer.ack_times[-1]
        t_kill, epoch_kill = time.monotonic(), int(time.time())
        sh("podman", "kill", victim)
        new = cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] != victim for m in ms))
        new_leader = [m["name"] for m in new if m["role"] == "leader"][0]
        t_leader = time.monotonic()
        # The outage is the longest gap between acknowledged commits from just before the kill until writes
        # flow again through the new leader (a commit the old primary acknowledged while podman was still
        # killing it counts as before).
        resumed = wait_writes_resume(writer, time.monotonic())
        outage = writer.gap_around(min(last_ok, t_kill), resumed)
        # Where the time goes: until a new leader is seen, and whether the new leader asked the dead member's REST
        # API before it promoted (Patroni 3.0 waits up to 2 s for that answer; the suspected slow mode).
        journal = sh("podman", "exec", new_leader, "journalctl", "-u", "patroni", "--since", f"@{epoch_kill - 1}",
                     "--no-pager", "-o", "cat", check=False).stdout
        asked_dead = f"Request failed to {victim}" in journal
        outages.append(outage)
        details.append({"victim": victim, "new_leader": new_leader, "outage_s": round(outage, 2),
                        "leader_seen_after_s": round(t_leader - t_kill, 1), "asked_dead_member": asked_dead,
                        "etcd_leader_killed": etcd_leader_killed})
        print(f"  kill {i + 1}/{kills}: {victim} killed{' with the etcd leader' if etcd_leader_killed else ''}, "
              f"{new_leader} leads ({t_leader - t_kill:.1f} s after the kill;"
              f" it {'waited on' if asked_dead else 'did not ask'} {victim}'s REST API), write outage {outage:.1f} s",
              flush=True)
        sh("podman", "start", victim)
        sh("podman", "exec", victim, "systemctl", "is-system-running", "--wait", check=False, timeout=120)
    cluster.wait_healthy()
    return outages


def scenario_switchover(cluster, writer):
    cluster.wait_candidate(cluster.synchronous())
    time.sleep(2)
    leader = cluster.leader()
    via = [n for n in cluster.running() if n != leader][0]
    t0 = time.monotonic()
    out = cluster._curl(via, "/switchover", "POST", {"leader": leader})
    try:
        cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] != leader for m in ms))
    except TimeoutError as exc:
        raise TimeoutError(f"no switchover away from {leader}; Patroni answered {out.strip()[:200]!r}") from exc
    t1 = wait_writes_resume(writer, time.monotonic())
    cluster.wait_healthy()
    gap = writer.gap_around(t0, t1)
    print(f"  switchover from {leader}: {out.strip()[:80]!r}; write gap {gap:.1f} s", flush=True)
    return gap


def probe_entry(dsn):
    """One write through the entry point; the address of the member that acknowledged it, or None."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=2, options="-c statement_timeout=2000", **KEEPALIVES)
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


class EntryProbe(threading.Thread):
    """The positive control of a fault: one write through the entry point every `interval` seconds, from its own
    thread (a split-brain sample can take seconds), until a member other than `excluded` acknowledges one."""

    def __init__(self, dsn, addresses, excluded, interval=0.5):
        super().__init__(daemon=True)
        self.dsn, self.addresses, self.excluded, self.interval = dsn, addresses, excluded, interval
        self.t0 = time.monotonic()
        self.result, self.tries = None, 0
        self.stop_event = threading.Event()

    def run(self):
        while self.result is None and not self.stop_event.is_set():
            self.tries += 1
            node = probe_entry(self.dsn)
            if node and node != self.addresses[self.excluded]:
                self.result = {"member": next((n for n, a in self.addresses.items() if a == node), node),
                               "after_s": round(time.monotonic() - self.t0, 1)}
                return
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=15)


def scenario_partition(cluster, dsn, duration, bound, balancers=(), vip=""):
    """Cut the primary off from the other members for at least `duration` seconds, and on until it has demoted and
    another member acknowledged a write through the entry point (at most `bound` seconds): the positive control's
    time depends on which balancer a client reaches (see the VIP figures), not only on Patroni's lease."""
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
    t0, wall0 = time.monotonic(), time.time()
    probe = EntryProbe(dsn, addresses, leader)
    probe.start()
    split, demoted_after = SplitBrain(cluster), None
    # Which balancers hold the VIP while the partition lasts: a balancer cut off from the other one hears no
    # adverts and stays VRRP master while the other takes over, so clients reach either (by their ARP cache).
    vip_samples, vip_both = 0, 0
    try:
        while True:
            elapsed = time.monotonic() - t0
            if elapsed >= bound or (elapsed >= duration and demoted_after is not None and probe.result is not None):
                break
            accepted = split.sample()
            if demoted_after is None and leader not in accepted and no_longer_primary(leader):
                demoted_after = time.monotonic() - t0
            if balancers and vip:
                vip_samples += 1
                vip_both += len(vip_holders(balancers, vip)) > 1
    finally:
        held = time.monotonic() - t0
        probe.stop()
        sh("podman", "exec", leader, "nft", "delete", "table", "inet", "chaos", check=False)
    control = probe.result
    cluster.wait_healthy()
    vip_note = f"; VIP on two balancers in {vip_both} of {vip_samples} samples" if vip_samples else ""
    print(f"  partition of {leader} from {peers} for {held:.0f} s (at least {duration}, at most {bound}): "
          f"demoted after {demoted_after if demoted_after is None else round(demoted_after, 1)} s; positive control: "
          + (f"{control['member']} acknowledged a write through the entry point after {control['after_s']} s"
             if control else f"NO other member acknowledged a write through the entry point in {probe.tries} tries "
                             "(FAILED)")
          + f"; {split.both} of {split.samples} samples with two writable members{vip_note}", flush=True)
    events = []
    if control is None or demoted_after is None:
        events = window_events(cluster, wall0, balancers)
    return {"old_leader": leader, "new_leader": control["member"] if control else None, "held_s": round(held, 1),
            "demoted_after_s": None if demoted_after is None else round(demoted_after, 1), "positive_control": control,
            "probes": probe.tries, "split_brain_samples": split.both, "samples": split.samples,
            "vip_on_two_balancers_samples": vip_both, "vip_samples": vip_samples, "events": events}


def vip_holders(nodes, vip):
    """The nodes that have the VIP on an interface."""
    return [node for node in nodes
            if f" {vip}/" in sh("podman", "exec", node, "ip", "-4", "-o", "addr", "show", check=False,
                                timeout=20).stdout]


def vip_holder(nodes, vip):
    holders = vip_holders(nodes, vip)
    return holders[0] if holders else None


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


def restart(node):
    sh("podman", "start", node)
    sh("podman", "exec", node, "systemctl", "is-system-running", "--wait", check=False, timeout=120)


def scenario_back_to_back(cluster, writer, bound):
    """Kill the primary; once writes flow through the new one, start the first victim (it rewinds against the new
    primary) and kill the new primary at once. Every member must stream again within `bound` seconds."""
    cluster.wait_healthy()
    time.sleep(2)
    first = cluster.leader()
    t0 = time.monotonic()
    sh("podman", "kill", first)
    cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] != first for m in ms))
    second = cluster.leader()
    wait_writes_resume(writer, time.monotonic())
    # In synchronous mode only a synchronous standby may take over: wait until the new primary has one (writes
    # flow again by then), not until the other replicas or the killed member have rejoined.
    cluster.wait(lambda ms: any(m["role"] in ("sync_standby", "quorum_standby") for m in ms))
    sh("podman", "start", first)
    time.sleep(1)
    t_second = time.monotonic()
    sh("podman", "kill", second)
    cluster.wait(lambda ms: any(m["role"] == "leader" and m["name"] not in (first, second) for m in ms),
                 timeout=bound)
    third = cluster.leader()
    resumed = wait_writes_resume(writer, time.monotonic(), timeout=bound)
    outage = writer.gap_around(t_second, resumed)
    restart(second)
    restart(first)
    t_restarted = time.monotonic()
    healthy, states = True, None
    try:
        cluster.wait_healthy(timeout=bound)
    except TimeoutError:
        healthy = False
        states = {m["name"]: m["state"] for m in cluster.view()}
    rejoined_after = round(time.monotonic() - t_restarted, 1)
    print(f"  back-to-back: {first} killed, then {second} (while {first} rejoined); {third} leads, write outage "
          f"after the second kill {outage:.1f} s; every member streaming "
          + (f"{rejoined_after} s after both restarted" if healthy else f"NOT within {bound} s: {states}"),
          flush=True)
    return {"killed": [first, second], "new_leader": third, "write_outage_s": round(outage, 2),
            "all_streaming_after_s": rejoined_after if healthy else None, "bound_s": bound,
            "acked": writer.acked_between(t0, time.monotonic())}


def scenario_hung_primary(cluster, writer, dsn, hold):
    """`podman pause` the primary (a hung host: no crash, no closed sockets), hold it until another member leads
    plus `hold` seconds, then unpause it and sample split brain on every member at once while it wakes."""
    cluster.wait_healthy()
    time.sleep(2)
    leader = cluster.leader()
    others = [n for n in cluster.running() if n != leader]
    last_ok = writer.ack_times[-1]
    t0 = time.monotonic()
    sh("podman", "pause", leader)
    split = SplitBrain(cluster)
    try:
        Cluster(others, cluster.port, cluster.auth).wait(
            lambda ms: any(m["role"] == "leader" and m["name"] != leader for m in ms))
        new_leader = Cluster(others, cluster.port, cluster.auth).leader()
        resumed = wait_writes_resume(writer, time.monotonic())
        outage = writer.gap_around(min(last_ok, t0), resumed)
        end = time.monotonic() + hold
        while time.monotonic() < end:
            split.sample(others)
    finally:
        sh("podman", "unpause", leader)
    t_wake = time.monotonic()
    demoted_after = None
    while time.monotonic() - t_wake < 30:
        accepted = split.sample()
        if demoted_after is None and leader not in accepted and no_longer_primary(leader):
            demoted_after = round(time.monotonic() - t_wake, 1)
        if demoted_after is not None and time.monotonic() - t_wake > 10:
            break
    control = probe_entry(dsn)
    cluster.wait_healthy()
    print(f"  {leader} paused: {new_leader} leads, write outage {outage:.1f} s; after unpausing, {leader} demoted "
          f"after {demoted_after} s; {split.both} of {split.samples} samples with two writable members; a write through the "
          f"entry point afterwards: {'acknowledged' if control else 'REFUSED'}", flush=True)
    return {"paused": leader, "new_leader": new_leader, "write_outage_s": round(outage, 2),
            "demoted_after_unpause_s": demoted_after, "split_brain_samples": split.both, "samples": split.samples,
            "positive_control": bool(control), "acked": writer.acked_between(t0, time.monotonic())}


JOURNAL_LINE = re.compile(r"^\w{3} +\d+ (\d\d:\d\d:\d\d\.\d{3})\d* \S+ [^:]+: (?:\d{4}-\d\d-\d\d [\d:]+,\d{3} )?(.*)$")


def unit_events(node, unit, since_wall, limit, keep, routine=()):
    """The last `limit` lines a unit on `node` logged since `since_wall` (epoch seconds) that match `keep`
    (a regular expression) and contain none of `routine`, as "time message"."""
    res = sh("podman", "exec", node, "journalctl", "-u", unit, "--no-pager", "-o", "short-precise",
             "--since", f"@{int(since_wall) - 1}", check=False, timeout=30)
    lines = []
    for line in res.stdout.splitlines():
        m = JOURNAL_LINE.match(line)
        if m and re.search(keep, m[2]) and not any(r in m[2] for r in routine):
            lines.append(f"{m[1]} {m[2][:200]}")
    return lines[-limit:]


def window_events(cluster, since_wall, balancers=()):
    """The evidence printed when a control fails (the suite keeps no container journals): what Patroni itself
    logged on each member beyond its routine loop lines (not PostgreSQL's lines), and which servers the balancers'
    HAProxy saw go down or up."""
    routine = ("no action.", "Lock owner:", "establishing a new patroni", "following a different leader")
    events = []
    for node in cluster.running():
        events += [f"{node} patroni {line}" for line in
                   unit_events(node, "patroni", since_wall, 6, r"^(INFO|WARNING|ERROR|CRITICAL): ", routine)]
        if node in balancers:
            events += [f"{node} haproxy {line}" for line in
                       unit_events(node, "haproxy", since_wall, 4, r"^Server \S+ is (DOWN|UP)")]
    for line in events:
        print(f"    {line}", flush=True)
    return events


def scenario_etcd_quorum(cluster, writer, dsn, etcd_nodes, duration, failsafe, balancers=()):
    """Stop etcd on two of three members. With failsafe mode the primary keeps serving while it reaches every
    member's REST API; without it, the primary demotes when its leader lock expires. Never two writers, and
    writes through the entry point resume once etcd is back."""
    cluster.wait_healthy()
    leader = cluster.leader()
    stopped = [n for n in etcd_nodes if n != leader][:2]
    t0, wall0 = time.monotonic(), time.time()
    for node in stopped:
        sh("podman", "exec", node, "systemctl", "stop", "etcd")
    split = SplitBrain(cluster)
    control_during = None
    try:
        while time.monotonic() - t0 < duration:
            split.sample()
            # after the leader lock's TTL has certainly expired: does the entry point still take writes?
            if time.monotonic() - t0 > duration / 2:
                control_during = probe_entry(dsn) is not None if control_during is None else control_during
    finally:
        for node in stopped:
            sh("podman", "exec", node, "systemctl", "start", "etcd", check=False)
    t1 = time.monotonic()
    acked_during = writer.acked_between(t0, t1)
    gap = writer.gap_around(t0, t1)
    resumed = wait_writes_resume(writer, time.monotonic())
    cluster.wait_healthy()
    control_after = probe_entry(dsn) is not None
    expected = "kept serving" if failsafe else "stopped writes"
    behaved = bool(control_during) if failsafe else not control_during
    print(f"  etcd stopped on {stopped} for {duration} s (quorum lost): writes acknowledged during it "
          f"{acked_during}, a write through the entry point after the lease expired "
          f"{'acknowledged' if control_during else 'refused'} (expected with failsafe mode "
          f"{'on' if failsafe else 'off'}: {expected}) - {'OK' if behaved else 'UNEXPECTED'}; {split.both} of {split.samples} "
          f"samples with two writable members; longest write gap {gap:.1f} s; writes resumed {resumed - t1:.1f} s "
          f"after etcd came back; a write afterwards: {'acknowledged' if control_after else 'REFUSED'}", flush=True)
    events = [] if behaved and control_after else window_events(cluster, wall0, balancers)
    return {"etcd_stopped": stopped, "duration_s": duration, "failsafe_mode": failsafe, "leader": leader,
            "acked_during": acked_during, "longest_write_gap_s": round(gap, 2),
            "write_during_outage": bool(control_during), "behaved": behaved, "events": events,
            "split_brain_samples": split.both, "samples": split.samples, "positive_control": control_after,
            "acked": writer.acked_between(t0, time.monotonic())}


def print_kill_modes(kills):
    """The kills split by what the slow mode could come from: the new leader asking the dead member's REST API
    first (up to 2 s), and the victim's node also holding etcd's raft leadership (a new etcd leader renews every
    lease, the dead primary's leader key included, by its ttl plus an election timeout)."""
    for label, key in (("the new leader asked the dead member's REST API first", "asked_dead_member"),
                       ("the victim held etcd's leadership", "etcd_leader_killed")):
        yes = [k["outage_s"] for k in kills if k.get(key)]
        no = [k["outage_s"] for k in kills if not k.get(key)]
        print(f"failover outages when {label}: {yes}" + (f" (median {statistics.median(yes)})" if yes else "")
              + f"; otherwise: {no}" + (f" (median {statistics.median(no)})" if no else ""))
    print(f"new leader seen after {[k['leader_seen_after_s'] for k in kills]} s")


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
    p.add_argument("--partition-seconds", type=int, default=40, help="the partition lasts at least this long")
    p.add_argument("--partition-bound", type=int, default=120, help="and on until the partitioned primary has "
                   "demoted and another member acknowledged a write through the entry point, at most this long")
    p.add_argument("--etcd", default="", help="comma-separated etcd member containers (three: quorum loss)")
    p.add_argument("--quorum-seconds", type=int, default=30)
    p.add_argument("--hung-seconds", type=int, default=8, help="how long the paused primary stays paused after "
                   "another member leads")
    p.add_argument("--rejoin-bound", type=int, default=420, help="seconds every member has to stream again after "
                   "the back-to-back kills (the rejoin guard's bound plus a rebuild)")
    p.add_argument("--etcd-leader", default="as-found", choices=("as-found", "with-primary", "away", "alternate"),
                   help="before each kill, move etcd's raft leadership onto the primary's node, away from it, or "
                        "each in turn (needs --etcd); every kill records whether the victim held it")
    p.add_argument("--kills-only", action="store_true", help="run the kills alone (a timing measurement), then "
                   "the loss check")
    p.add_argument("--no-failsafe", action="store_true", help="the cluster runs without Patroni's failsafe mode")
    p.add_argument("--no-hung-primary", action="store_true", help="leave out the hung primary (Patroni 3.0.x loses "
                   "acknowledged commits there: its etcd3 client retakes the leader key without compare-and-set when "
                   "a paused primary resumes; see roles/patroni/README.md)")
    p.add_argument("--report", default=None)
    args = p.parse_args()

    cluster = Cluster(args.nodes.split(","), restapi_auth=args.restapi_auth)
    balancers = tuple(filter(None, args.balancers.split(",")))
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
    report = {"dcs_timing": {k: cluster.dcs_config().get(k) for k in ("ttl", "loop_wait", "retry_timeout")}}
    windows = []  # (fault, start, end) on the monotonic clock, to place a lost commit
    mark = [time.monotonic()]

    def window(name):
        now = time.monotonic()
        windows.append((name, mark[0], now))
        mark[0] = now

    try:
        print(f"(a) hard-killing the primary {args.kills} times", flush=True)
        t0 = time.monotonic()
        details = []
        outages = scenario_kill(cluster, writer, args.kills, details, tuple(filter(None, args.etcd.split(","))),
                                args.etcd_leader)
        report["kill"] = {"outages_s": [round(o, 2) for o in outages], "median_rto_s": round(statistics.median(outages), 2),
                          "worst_rto_s": round(max(outages), 2), "acked": writer.acked_between(t0, time.monotonic()),
                          "kills": details}
        window("primary hard-killed")
        if not args.kills_only:
            print("(r) back-to-back kills: the new primary killed while the old one rejoins", flush=True)
            report["back_to_back"] = scenario_back_to_back(cluster, writer, args.rejoin_bound)
            window("back-to-back kills")
            print("(b) planned switchover", flush=True)
            t0 = time.monotonic()
            report["switchover_gap_s"] = round(scenario_switchover(cluster, writer), 2)
            report["switchover_acked"] = writer.acked_between(t0, time.monotonic())
            if args.balancers and args.vip:
                window("planned switchover")
                print("(e) the balancer holding the VIP killed", flush=True)
                t0 = time.monotonic()
                report["vip_holder_killed"] = scenario_vip_holder(cluster, writer, balancers, args.vip)
                report["vip_holder_killed"]["acked"] = writer.acked_between(t0, time.monotonic())
            window("VIP holder killed" if args.balancers and args.vip else "planned switchover")
            if not args.no_hung_primary:
                print("(h) a hung primary (podman pause, then unpause)", flush=True)
                report["hung_primary"] = scenario_hung_primary(cluster, writer, dsn, args.hung_seconds)
            if not args.no_hung_primary:
                window("hung primary")
            print("(d) one etcd member stopped", flush=True)
            t0 = time.monotonic()
            report["etcd_member_stopped_gap_s"] = round(scenario_etcd_member(cluster, writer, 15), 2)
            report["etcd_member_acked"] = writer.acked_between(t0, time.monotonic())
            if args.etcd:
                window("one etcd member stopped")
                print("(q) etcd loses quorum (two of three members stopped)", flush=True)
                report["etcd_quorum_lost"] = scenario_etcd_quorum(cluster, writer, dsn, args.etcd.split(","),
                                                                  args.quorum_seconds, not args.no_failsafe,
                                                                  balancers)
            window("etcd quorum lost" if args.etcd else "one etcd member stopped")
            print("(c) primary cut off from the other members (clients still reach it)", flush=True)
            t0 = time.monotonic()
            report["partition"] = scenario_partition(cluster, dsn, args.partition_seconds, args.partition_bound,
                                                     balancers, args.vip)
            report["partition"]["acked"] = writer.acked_between(t0, time.monotonic())
            time.sleep(2)
    finally:
        if not args.kills_only:
            window("primary partitioned")
        writer.stop()
    # after the last fault: every commit the writer saw acknowledged must be there
    lost, waited = missing(dsn, writer.acked)
    report["acknowledged_commits"] = len(writer.acked)
    report["lost_commits"] = len(lost)
    # where the lost commits were acknowledged: the fault window, seconds into it, the range of sequence numbers
    acked_at = dict(zip(writer.acked, writer.ack_times))
    lost_by_fault = {}
    for seq in lost:
        at = acked_at.get(seq)
        name, start = next(((n, a) for n, a, b in windows if at is not None and a <= at <= b), ("after the faults", 0))
        entry = lost_by_fault.setdefault(name, {"count": 0, "first_seq": seq, "last_seq": seq, "from_s": None,
                                                "to_s": None, "servers": []})
        entry["count"] += 1
        if writer.servers.get(seq) not in entry["servers"]:
            entry["servers"].append(writer.servers.get(seq))
        entry["last_seq"] = seq
        if at is not None:
            offset = round(at - start, 1)
            entry["from_s"] = offset if entry["from_s"] is None else min(entry["from_s"], offset)
            entry["to_s"] = offset if entry["to_s"] is None else max(entry["to_s"], offset)
    report["lost_by_fault"] = lost_by_fault
    # after the last fault the entry point must answer at once; a wait here is a VIP that clients cannot find
    report["entry_point_wait_after_faults_s"] = round(waited, 1)

    if args.kills_only:
        kills = report["kill"]["kills"]
        print(f"kills: median {report['kill']['median_rto_s']} s, worst {report['kill']['worst_rto_s']} s")
        print_kill_modes(kills)
        print(f"acknowledged commits: {report['acknowledged_commits']}, missing after the kills: "
              f"{report['lost_commits']}   (target: 0)")
        if args.report:
            with open(args.report, "w") as fh:
                json.dump(report, fh, indent=2)
        return 0 if report["lost_commits"] == 0 else 1
    part = report["partition"]
    control = part["positive_control"]
    b2b, hung = report["back_to_back"], report.get("hung_primary")
    quorum = report.get("etcd_quorum_lost")
    rows = [("primary hard-killed x%d" % args.kills,
             f"median {report['kill']['median_rto_s']} s, worst {report['kill']['worst_rto_s']} s",
             report["kill"]["acked"], "-", "-"),
            ("back-to-back kills", f"{b2b['write_outage_s']} s; all streaming after {b2b['all_streaming_after_s']} s"
             f" (bound {b2b['bound_s']} s)", b2b["acked"], "-",
             "ok" if b2b["all_streaming_after_s"] is not None else "FAILED"),
            ("planned switchover", f"{report['switchover_gap_s']} s", report["switchover_acked"], "-", "-")]
    if "vip_holder_killed" in report:
        vip = report["vip_holder_killed"]
        rows.append(("VIP holder killed", f"VIP moved after {vip['vip_moved_after_s']} s, gap {vip['write_gap_s']} s",
                     vip["acked"], "-", "ok" if vip["new_holder"] else "FAILED"))
    if hung:
        rows.append(("hung primary (paused)", f"{hung['write_outage_s']} s; demoted {hung['demoted_after_unpause_s']} s"
                     " after unpause", hung["acked"], f"{hung['split_brain_samples']}/{hung['samples']}",
                     "ok" if hung["positive_control"] and hung["demoted_after_unpause_s"] is not None else "FAILED"))
    else:
        rows.append(("hung primary (paused)", "not run (--no-hung-primary)", "-", "-", "-"))
    rows.append(("one etcd member stopped", f"{report['etcd_member_stopped_gap_s']} s", report["etcd_member_acked"],
                 "-", "-"))
    if quorum:
        rows.append(("etcd quorum lost", "writes kept (failsafe)" if quorum["write_during_outage"] else
                     "writes stopped", quorum["acked"], f"{quorum['split_brain_samples']}/{quorum['samples']}",
                     "ok" if quorum["behaved"] and quorum["positive_control"] else "FAILED"))
    rows.append(("primary partitioned", f"demoted after {part['demoted_after_s']} s", part["acked"],
                 f"{part['split_brain_samples']}/{part['samples']}",
                 f"{control['member']} after {control['after_s']} s" if control else "FAILED"))

    print("\n==== PostgreSQL HA chaos figures ====")
    header = ("fault", "outage / gap", "acked", "split brain", "positive control")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(5)]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    print_kill_modes(report["kill"]["kills"])
    print(f"acknowledged commits: {report['acknowledged_commits']}, missing after the last fault: "
          f"{report['lost_commits']}   (target: 0)")
    for name, entry in lost_by_fault.items():
        print(f"  LOST during '{name}': {entry['count']} acknowledged commits (seq {entry['first_seq']}-"
              f"{entry['last_seq']}), acknowledged {entry['from_s']}-{entry['to_s']} s into that fault's window by "
              f"{entry['servers']}")
    print(f"entry point answered {report['entry_point_wait_after_faults_s']} s after the last fault healed"
          "   (target: 0)")
    for name, fault in (("etcd quorum lost", quorum), ("primary partitioned", part)):
        if fault and fault.get("events"):
            print(f"events of '{name}' (its control failed; the last lines of each unit):")
            for line in fault["events"][-16:]:
                print(f"  {line}")
    timing = report["dcs_timing"]
    print(f"targets: failover median <= 10 s, worst <= 12 s; switchover <= 5 s; 0 missing, 0 split-brain samples, "
          f"every control ok. (DCS timing: ttl {timing['ttl']}, loop_wait {timing['loop_wait']}: a killed primary's "
          f"lease alone runs ttl - loop_wait to ttl seconds; Patroni 3.2 and newer refuse a ttl below 20)")
    if args.report:
        with open(args.report, "w") as fh:
            json.dump(report, fh, indent=2)
    ok = (report["lost_commits"] == 0 and part["split_brain_samples"] == 0 and part["demoted_after_s"] is not None
          and control is not None
          and ("vip_holder_killed" not in report or report["vip_holder_killed"]["new_holder"] is not None)
          and b2b["all_streaming_after_s"] is not None
          and (hung is None or (hung["split_brain_samples"] == 0 and hung["positive_control"]
                                and hung["demoted_after_unpause_s"] is not None))
          and (quorum is None or (quorum["split_brain_samples"] == 0 and quorum["behaved"]
                                  and quorum["positive_control"])))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
