#!/usr/bin/env python3
"""make bench, sections 12 and 13 (also alone: make bench-store): the job store shared by nodes.

12. Claim throughput: 2,000 no-op jobs queued, then 1 to 4 processes (one per node) claim and
    finish them as fast as they can, all starting at one instant; jobs a second over the whole
    drain, on SQLite (one file, one machine) and on PostgreSQL (fsync on, PostgreSQL's defaults).
    Afterwards the store must hold 2,000 succeeded jobs, each claimed once.
13. From an upload completing on one node (a clip renamed into the shared inbox; that node ingests
    and renders nothing) to its job starting on another (render only), read from the store's own
    attempt start: PostgreSQL wakes the idle worker by NOTIFY; SQLite's worker polls every 0.1 s.

Needs MEDIAORCH_TEST_POSTGRES (run through scripts/with-postgres.sh, as make bench does).
Usage: bench-store.py MEDIAORCH STORE-BENCH
"""
import json, os, shutil, statistics, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import upload_to_start  # noqa: E402  (the same measurement as section 6)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-output" / "store"
JOBS = 2000


def psql(address, sql):
    subprocess.run(["psql", address, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True)


def fresh_store(kind, name):
    if kind == "sqlite":
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return str(folder / "jobs.sqlite")
    server = os.environ["MEDIAORCH_TEST_POSTGRES"]
    database = name.replace("-", "_")
    psql(server, f"DROP DATABASE IF EXISTS {database}")
    psql(server, f"CREATE DATABASE {database}")
    return server.rsplit("/", 1)[0] + "/" + database


def claim_throughput(store_bench, kind, nodes):
    store = fresh_store(kind, f"claims-{kind}-{nodes}")
    subprocess.run([store_bench, "fill", store, str(JOBS)], check=True)
    start_file = OUT / f"go-{kind}-{nodes}"
    start_file.unlink(missing_ok=True)
    drains = [subprocess.Popen([store_bench, "drain", store, f"node{n}:1:1", str(start_file)], stdout=subprocess.PIPE, text=True)
              for n in range(nodes)]
    time.sleep(1.0)  # every process connected and waiting
    began = time.monotonic()
    start_file.touch()
    counts = [int(d.communicate()[0].strip() or 0) for d in drains]
    seconds = time.monotonic() - began
    succeeded, repeated = map(int, subprocess.run([store_bench, "check", store], check=True, capture_output=True, text=True).stdout.split())
    return JOBS / seconds, counts, succeeded, repeated


def cross_node_latency(binary, kind, rounds=5):
    ws = OUT / f"latency-{kind}"
    shutil.rmtree(ws, ignore_errors=True)
    (ws / "inbox").mkdir(parents=True)
    store = fresh_store(kind, f"latency-{kind}") if kind == "postgres" else str(ws / "jobs.sqlite")
    common = [binary, "watch", "--workspace", str(ws), "--store", store, "--templates", str(ROOT / "Jobs"), "--no-http"]
    uploads = subprocess.Popen(common + ["--node", "uploads", "--workers", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    render = subprocess.Popen(common + ["--node", "render", "--no-ingest"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        return upload_to_start(binary, ws, ["--store", store], rounds)
    finally:
        for p in (uploads, render):
            p.terminate()
            p.wait()


def main():
    binary, store_bench = sys.argv[1], sys.argv[2]
    if not os.environ.get("MEDIAORCH_TEST_POSTGRES"):
        sys.exit("bench-store: run through scripts/with-postgres.sh (make bench does)")
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"12. claim throughput: {JOBS} no-op jobs, claim + finish, 1-4 nodes (processes) draining at once")
    print("    store        nodes  jobs/s   per node                 checks")
    for kind in ("sqlite", "postgres"):
        for nodes in range(1, 5):
            rate, counts, succeeded, repeated = claim_throughput(store_bench, kind, nodes)
            ok = "ok" if succeeded == JOBS and repeated == 0 and sum(counts) == JOBS else f"FAILED: {succeeded} succeeded, {repeated} claimed twice"
            print(f"    {kind:<11}  {nodes:>5}  {rate:7.0f}  {'/'.join(map(str, counts)):<23}  {ok}")
    print()
    print("13. upload complete on one node (ingest only) to its job started on another (render only), 5 uploads")
    for kind in ("sqlite", "postgres"):
        lat, workers = cross_node_latency(binary, kind)
        print(f"    {kind:<9} " + ", ".join(f"{x:.3f} s" for x in lat) + f"; median {statistics.median(lat):.3f} s; started by {', '.join(sorted(workers))}")
    print()


if __name__ == "__main__":
    main()
