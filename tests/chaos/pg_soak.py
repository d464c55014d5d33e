"""Soak the PostgreSQL HA cluster: nobody causes a fault, so every leader change is a false failover.

A writer inserts through the entry point (HAProxy's primary port on the VIP) for --minutes while the machine is
loaded (--load-workers CPU-bound processes and one fsync-bound writer, or an external load such as `make test`
running beside it). Printed at the end:
  leader changes seen (the leader polled every --poll seconds), the leader's timeline before and after (every
  promotion starts a new timeline, so a change too short for the poll still shows), the longest write gap,
  commits acknowledged and missing afterwards, and the load average seen.
Exit status 1 when a leader change happened, an acknowledged commit is missing, or the writer stopped for good.
The failover timing of roles/patroni (ttl, loop_wait, retry_timeout) is only as good as this figure: 0 false
failovers over at least 20 minutes on the loaded machine.

Usage: python3 tests/chaos/pg_soak.py --lab [--minutes 20] [--load-workers 4]     (the `make lab` cluster)
       python3 tests/chaos/pg_soak.py --nodes pg1,pg2,pg3 --entry 10.89.12.100 --password ... [--report F]
"""

import argparse
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from pg_chaos import Cluster, Writer, missing, setup, sh  # noqa: E402  pylint: disable=wrong-import-position

ROOT = pathlib.Path(__file__).resolve().parents[2]

CPU_HOG = "while True:\n    pass\n"
IO_HOG = ("import os, tempfile\n"
          "fd, path = tempfile.mkstemp(prefix='pg-soak-io-')\n"
          "os.unlink(path)\n"
          "block = os.urandom(1 << 20)\n"
          "while True:\n"
          "    for _ in range(16):\n"
          "        os.write(fd, block)\n"
          "    os.fsync(fd)\n"
          "    os.lseek(fd, 0, 0)\n")


def lab_arguments():
    """Nodes, VIP and credentials of inventories/lab (the lab's test secrets, not a real site's)."""
    import yaml  # pylint: disable=import-outside-toplevel

    group_vars = ROOT / "inventories" / "lab" / "group_vars"
    secrets = yaml.safe_load((group_vars / "all" / "lab-secrets.yml").read_text())
    postgres = yaml.safe_load((group_vars / "all" / "postgres.yml").read_text())
    inventory = json.loads(sh("ansible-inventory", "-i", str(ROOT / "inventories" / "lab"), "--list").stdout)
    nodes = sorted(inventory["postgres_cluster"]["hosts"])
    return {"nodes": nodes, "entry": postgres["keepalived_vip"], "password": secrets["patroni_superuser_password"]}


def start_load(workers):
    procs = [subprocess.Popen([sys.executable, "-c", CPU_HOG]) for _worker in range(workers)]
    if workers:
        procs.append(subprocess.Popen([sys.executable, "-c", IO_HOG]))
    return procs


def leader_and_timeline(cluster):
    for member in cluster.view():
        if member["role"] == "leader":
            return member["name"], member.get("timeline")
    return None, None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lab", action="store_true", help="the make lab cluster (nodes, VIP, password from inventories/lab)")
    p.add_argument("--nodes", default="", help="comma-separated container names (= Patroni member names)")
    p.add_argument("--entry", default="", help="HAProxy address (or VIP) for writes")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--user", default="postgres")
    p.add_argument("--password", default=os.environ.get("HYBRIDOPS_SOAK_PASSWORD", ""))
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--poll", type=float, default=2.0)
    p.add_argument("--load-workers", type=int, default=os.cpu_count() or 2,
                   help="CPU-bound processes to run beside the soak (0: none, e.g. when make test runs beside it)")
    p.add_argument("--report", default=None)
    args = p.parse_args()
    if args.lab:
        lab = lab_arguments()
        args.nodes = args.nodes or ",".join(lab["nodes"])
        args.entry = args.entry or lab["entry"]
        args.password = args.password or lab["password"]
    if not (args.nodes and args.entry and args.password):
        p.error("--nodes, --entry and --password (or --lab) are required")

    cluster = Cluster(args.nodes.split(","))
    ca = tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False)
    ca.write(sh("podman", "exec", cluster.nodes[0], "cat", "/etc/patroni/pki/ca.crt").stdout)
    ca.close()
    dsn = (f"host={args.entry} port={args.port} user={args.user} password={args.password} dbname=postgres "
           f"sslmode=verify-ca sslrootcert={ca.name}")
    cluster.wait_healthy(count=len(cluster.nodes))
    setup(dsn)
    leader0, timeline0 = leader_and_timeline(cluster)
    # SIGTERM (a timeout, a `kill`) ends the soak through the `finally` below, which stops the load processes
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    load = start_load(args.load_workers)
    writer = Writer(dsn, interval=0.1)
    writer.start()
    changes, loads, last = [], [], leader0
    t0 = time.monotonic()
    print(f"soak: {args.minutes:g} min, leader {leader0} on timeline {timeline0}, {args.load_workers} CPU workers "
          "beside it", flush=True)
    try:
        while time.monotonic() - t0 < args.minutes * 60:
            time.sleep(args.poll)
            loads.append(os.getloadavg()[0])
            leader = leader_and_timeline(cluster)[0]
            if leader is not None and leader != last:
                changes.append({"after_s": round(time.monotonic() - t0, 1), "from": last, "to": leader})
                print(f"  LEADER CHANGE after {time.monotonic() - t0:.0f} s: {last} -> {leader}", flush=True)
                last = leader
    finally:
        for proc in load:
            proc.kill()
        writer.stop()
    leader1, timeline1 = leader_and_timeline(cluster)
    lost = missing(dsn, writer.acked)[0]
    gap = writer.gap_around(t0, time.monotonic())
    promotions = (timeline1 - timeline0) if isinstance(timeline0, int) and isinstance(timeline1, int) else None
    report = {"minutes": args.minutes, "leader_changes": changes, "timeline_before": timeline0,
              "timeline_after": timeline1, "promotions": promotions, "acknowledged_commits": len(writer.acked),
              "lost_commits": len(lost), "longest_write_gap_s": round(gap, 2),
              "load_average_median": round(statistics.median(loads), 1) if loads else None,
              "load_average_max": round(max(loads), 1) if loads else None}
    print("\n==== PostgreSQL HA soak ====")
    print(f"{args.minutes:g} minutes, load average median {report['load_average_median']}, max "
          f"{report['load_average_max']} ({args.load_workers} CPU workers + 1 I/O writer of this script)")
    print(f"false failovers: {len(changes)} leader changes seen, timeline {timeline0} -> {timeline1}   (target: 0)")
    print(f"acknowledged commits: {len(writer.acked)}, missing afterwards: {len(lost)}; longest write gap "
          f"{report['longest_write_gap_s']} s")
    if args.report:
        pathlib.Path(args.report).write_text(json.dumps(report, indent=2))
    ok = not changes and not promotions and not lost and writer.acked
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
