#!/usr/bin/env python3
"""make multinode-test: three `mediaorch watch` nodes (alpha, beta, gamma) on one PostgreSQL and
one shared workspace, each rendering in a staging folder of its own and publishing into the shared
outbox. Clips are dropped into the shared inbox while nodes are SIGKILLed and restarted at random,
one node is SIGSTOPped for twice its lease and resumed, and PostgreSQL itself is restarted
(`pg_ctl restart -m fast`) once mid-run. Then the store and the workspace are checked: every clip
has exactly one reply job, succeeded, and one editors' cut; one manifest each whose files are all
there with their listed SHA-256 and nothing else beside them; every original byte-identical in
archive/, archived once; no manifest ever replaced or withdrawn once it appeared (no outbox folder
written by two attempts); work done on more than one node; and no job failed a try because the
store went away.

Run it through scripts/with-postgres.sh (make multinode-test does), which provides
MEDIAORCH_TEST_POSTGRES, MEDIAORCH_TEST_PGDATA and MEDIAORCH_TEST_PGBIN.

Usage: multinode-chaos.py BINARY [--clips 20] [--kills 6] [--seed N] [--timeout 900] [--keep]
"""
import argparse, importlib.util, json, os, random, shutil, signal, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "test-output" / "multinode"
NODES = ["alpha", "beta", "gamma"]
LEASE = 4  # seconds: short, so a paused node's lease lapses within the test
LEADER_TTL = 15  # NodeService.leaderTTL: a paused leader's row lapses too, and another node rescues
PAUSE = LEADER_TTL + 2 * LEASE

spec = importlib.util.spec_from_file_location("crash_test", ROOT / "scripts" / "crash-test.py")
crash = importlib.util.module_from_spec(spec)
spec.loader.exec_module(crash)
log, sha256, Report, check_manifest, ManifestWatcher = crash.log, crash.sha256, crash.Report, crash.check_manifest, crash.ManifestWatcher


def psql(address, sql):
    result = subprocess.run(["psql", address, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"psql: {result.stderr.strip()}")
    return result.stdout.strip()


def as_postgres_owner(command):
    """initdb and pg_ctl run as the cluster's owner: `postgres` when this script runs as root."""
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + command


class Node:
    """One `watch` process, restarted under the same node name; its log appended across lives."""

    def __init__(self, name, binary, workspace, store, log_path):
        self.name, self.binary, self.workspace, self.store, self.log_path = name, binary, workspace, store, log_path
        self.staging = RUN / f"staging-{name}"
        self.proc = None
        self.lives = 0
        self.unexpected_exits = []

    def command(self):
        return [str(self.binary), "watch", "--workspace", str(self.workspace), "--store", self.store, "--node", self.name,
                "--staging", str(self.staging), "--templates", str(ROOT / "Jobs"), "--no-http", "--stable-seconds", "1",
                "--lease", str(LEASE), "--retry-delay", "0.2", "--max-attempts", "20", "--workers", "1",
                "--min-free-mb", "64"]

    def mark(self, text):
        with open(self.log_path, "a") as f:
            f.write(f"\n===== multinode {time.strftime('%H:%M:%S')} {text} =====\n")

    def start(self):
        self.lives += 1
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        self.mark(f"{self.name} life #{self.lives} pid {self.proc.pid}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_running(self):
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append(f"{self.name} life #{self.lives} exited on its own with status {self.proc.returncode}")
            self.start()

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def kill(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.mark(f"{self.name}: SIGKILL")

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGCONT)
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def jobs_now(binary, workspace, store):
    r = subprocess.run([str(binary), "jobs", "list", "--json", "--workspace", str(workspace), "--store", store],
                       capture_output=True, text=True, timeout=60)
    return json.loads(r.stdout) if r.returncode == 0 else None


def holding_node(binary, workspace, store, nodes, rng):
    """A node that holds a job now (waiting up to 20 s for one), and the jobs it holds."""
    for _ in range(80):
        r = subprocess.run([str(binary), "nodes", "--json", "--workspace", str(workspace), "--store", store], capture_output=True, text=True)
        try:
            listed = {n["name"]: n["jobs"] for n in json.loads(r.stdout)}
        except ValueError:
            listed = {}
        busy = [n for n in nodes if listed.get(n.name) and n.alive()]
        if busy:
            node = rng.choice(busy)
            return node, listed[node.name]
        time.sleep(0.25)
    node = rng.choice(nodes)
    return node, []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", type=Path)
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("MEDIAORCH_TEST_POSTGRES")
    pgdata, pgbin = os.environ.get("MEDIAORCH_TEST_PGDATA"), os.environ.get("MEDIAORCH_TEST_PGBIN")
    if not (server and pgdata and pgbin):
        sys.exit("multinode-chaos: run through scripts/with-postgres.sh (make multinode-test)")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    log(f"multinode-chaos: seed {seed}, {args.clips} clips, {args.kills} SIGKILLs, 1 SIGSTOP, 1 PostgreSQL restart")

    database = f"multinode_{seed}"
    psql(server, f"CREATE DATABASE {database}")
    store = server.rsplit("/", 1)[0] + "/" + database
    shutil.rmtree(RUN, ignore_errors=True)
    workspace = RUN / "workspace"
    (workspace / "inbox").mkdir(parents=True)
    clips = crash.make_clips(args.clips)
    nodes = [Node(name, args.binary, workspace, store, RUN / f"{name}.log") for name in NODES]
    for node in nodes:
        node.start()
    watcher = ManifestWatcher(workspace / "outbox")
    watcher.start()
    began = time.monotonic()

    # Drops: the shared inbox, as finished uploads land (hidden name, then rename).
    def drop_all():
        for path, _ in clips:
            temporary = workspace / "inbox" / f".{path.name}.uploading"
            shutil.copyfile(path, temporary)
            os.rename(temporary, workspace / "inbox" / path.name)
            time.sleep(rng.uniform(0.2, 1.5))
    dropper = threading.Thread(target=drop_all, daemon=True)
    dropper.start()

    # Chaos, in a shuffled order: SIGKILLs (restart after a moment), one SIGSTOP past the lease,
    # one PostgreSQL restart.
    events = ["kill"] * args.kills + ["stop", "postgres"]
    rng.shuffle(events)
    timeline, paused = [], []
    for event in events:
        time.sleep(rng.uniform(2, 6))
        for node in nodes:
            node.check_running()
        if event == "kill":
            node = rng.choice(nodes)
            node.kill()
            timeline.append(f"{time.monotonic() - began:6.1f} s  SIGKILL {node.name}")
            time.sleep(rng.uniform(0.2, 2))
            node.start()
        elif event == "stop":
            # A whole node paused (a stalled VM): the process and its render child, while it holds
            # a job, for longer than the lease.
            node, held = holding_node(args.binary, workspace, store, nodes, rng)
            os.killpg(node.proc.pid, signal.SIGSTOP)
            paused.append((node.name, held))
            timeline.append(f"{time.monotonic() - began:6.1f} s  SIGSTOP {node.name} (holding {', '.join(held) or 'nothing'}) for {PAUSE} s")
            node.mark(f"{node.name}: SIGSTOP")
            time.sleep(PAUSE)
            os.killpg(node.proc.pid, signal.SIGCONT)
            node.mark(f"{node.name}: SIGCONT")
        else:
            timeline.append(f"{time.monotonic() - began:6.1f} s  pg_ctl restart -m fast")
            subprocess.run(as_postgres_owner([f"{pgbin}/pg_ctl", "-D", pgdata, "-m", "fast", "-w", "restart"]),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dropper.join()
    for line in timeline:
        log(f"  {line}")

    # Wait for every reply and editors' cut to finish.
    deadline = began + args.timeout
    jobs = []
    while time.monotonic() < deadline:
        for node in nodes:
            node.check_running()
        jobs = jobs_now(args.binary, workspace, store) or jobs
        replies = [j for j in jobs if j["template"] == "twitter-reply"]
        cuts = [j for j in jobs if j.get("parent_id")]
        if len(replies) >= args.clips and len(cuts) >= len(replies) and all(j["state"] in ("succeeded", "dead", "cancelled") for j in jobs):
            break
        time.sleep(1)
    finished = time.monotonic() - began
    log(f"all jobs finished after {finished:.1f} s" if time.monotonic() < deadline else f"timed out after {args.timeout:.0f} s")
    nodes_table = subprocess.run([str(args.binary), "nodes", "--workspace", str(workspace), "--store", store], capture_output=True, text=True).stdout
    for node in nodes:
        node.stop()
    watcher.stop()

    # Checks.
    report = Report()
    log("")
    log("== checks ==")
    report.check("no node exited on its own", [e for n in nodes for e in n.unexpected_exits])
    jobs = jobs_now(args.binary, workspace, store) or jobs
    by_sha = {sha: path.name for path, sha in clips}
    replies = [j for j in jobs if j["template"] == "twitter-reply"]
    children = [j for j in jobs if j.get("parent_id")]
    report.check("every clip has exactly one twitter-reply job",
                 [f"{path.name}: {len([j for j in replies if j['source_sha256'] == sha])} reply jobs"
                  for path, sha in clips if len([j for j in replies if j["source_sha256"] == sha]) != 1])
    report.check("every reply job succeeded",
                 [f"{j['id']}: {j['state']} after {j['attempts']} attempts: {j.get('last_error')}" for j in replies if j["state"] != "succeeded"])
    report.check("every reply has exactly one editors' cut, succeeded",
                 [f"{r['id']}: cuts {[(c['id'], c['state']) for c in children if c['parent_id'] == r['id']]}"
                  for r in replies if [c['state'] for c in children if c["parent_id"] == r["id"]] != ["succeeded"]])
    problems = []
    for job in jobs:
        if job["state"] != "succeeded":
            continue
        folder = workspace / "outbox" / job["id"]
        found, listed = check_manifest(folder, job, job["source_sha256"])
        problems += found
        extra = sorted(set(os.listdir(folder)) - listed) if folder.is_dir() else []
        problems += [f"{job['id']}: {name} in its outbox folder is not in its manifest (another attempt's?)" for name in extra]
    report.check("every succeeded job has one manifest, its files all there with their SHA-256, nothing else", problems)
    report.check("no manifest was replaced or withdrawn once it appeared (no outbox folder written by two attempts)", watcher.problems())
    archived = {}
    for dirpath, _, filenames in os.walk(workspace / "archive"):
        for name in filenames:
            if name.endswith(".mp4"):
                archived.setdefault(sha256(Path(dirpath) / name), []).append(name)
    report.check("every original is in archive/ once, byte-identical",
                 [f"{name}: archived {len(archived.get(sha, []))} times" for sha, name in by_sha.items() if len(archived.get(sha, [])) != 1])
    report.check("the inbox is empty", [n for n in os.listdir(workspace / "inbox") if not n.startswith(".")])
    workers = {}
    store_errors = []
    for job in jobs:
        detail = subprocess.run([str(args.binary), "jobs", "show", job["id"], "--json", "--workspace", str(workspace), "--store", store],
                                capture_output=True, text=True).stdout
        try:
            attempts = json.loads(detail).get("attempts", [])
        except ValueError:
            attempts = []
        for attempt in attempts:
            node = attempt.get("worker", "?").split(":")[0]
            workers[node] = workers.get(node, 0) + 1
            error = (attempt.get("error") or "").lower()
            if "postgres" in error or "store" in error and "lease" not in error:
                store_errors.append(f"{job['id']} attempt {attempt.get('number')}: {attempt.get('error')}")
    report.check("the work was spread over more than one node", [] if len(workers) > 1 else [f"attempts by node: {workers}"],
                 ", ".join(f"{n}: {c} attempts" for n, c in sorted(workers.items())))
    report.check("no try failed because the store went away", store_errors)
    problems = []
    for name, held in paused:
        if not held:
            problems.append(f"{name} held no job when it was paused")
        for job_id in held:
            detail = subprocess.run([str(args.binary), "jobs", "show", job_id, "--json", "--workspace", str(workspace), "--store", store],
                                    capture_output=True, text=True).stdout
            attempts = json.loads(detail).get("attempts", []) if detail else []
            mine = [a for a in attempts if a.get("worker", "").startswith(name + ":")]
            if not any(a.get("outcome") == "lease lapsed" for a in mine):
                problems.append(f"{job_id}: {name}'s attempt did not end 'lease lapsed': {[(a.get('worker'), a.get('outcome')) for a in attempts]}")
            if not attempts or attempts[-1].get("outcome") != "succeeded" or attempts[-1].get("worker", "").startswith(name + ":") and len(mine) < 2:
                problems.append(f"{job_id}: not finished by a later attempt: {[(a.get('worker'), a.get('outcome')) for a in attempts]}")
    report.check("the paused node's job was rescued and finished by another attempt; the paused one changed nothing", problems,
                 "; ".join(f"{n} held {', '.join(h)}" for n, h in paused))
    log("")
    log(nodes_table.rstrip())
    log("")
    log(f"{report.passed} checks passed, {report.failed} failed; {finished:.1f} s; logs in {RUN}")
    if report.failed == 0 and not args.keep:
        shutil.rmtree(workspace, ignore_errors=True)
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
