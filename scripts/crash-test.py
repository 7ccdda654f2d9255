#!/usr/bin/env python3
"""make crash-test: a burst of clips dropped into the inbox while `mediaorch watch` is SIGKILLed
again and again at random moments; then one last `watch --until-idle`, and the workspace is
checked: every clip has exactly one reply job, succeeded, one manifest whose files are all there
with their listed SHA-256, its original byte-identical in archive/, and nothing half-written or
orphaned in inbox/, archive/, outbox/ or staging/.

Usage: crash-test.py BINARY [--seed N] [--kills 30] [--clips 20] [--keep] [--timeout 600]
                            [--copy-binary] [--watch-arg=--opt=value ...] [-v]

The seed is printed; the same seed gives the same drops and kill choices (not the same timings:
the service runs at its own pace). Some kills come at random moments, others aim at the risky
ones (just after a start, as an original lands in archive/, mid-write, as a manifest appears);
the service log says which kill was which. A watcher polls outbox/ all along: a manifest, once
there, must never be withdrawn or replaced. Clips are made once with ffmpeg and cached in
test-output/crash-clips/; the workspace is test-output/crash-test/workspace (wiped first, removed
at the end when every check passes unless --keep) and the service's log, across every restart,
is test-output/crash-test/watch.log. Exit status 0 only when every check passes.
"""
import argparse, hashlib, json, os, random, shutil, signal, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT / "test-output" / "crash-clips"
RUN = ROOT / "test-output" / "crash-test"
RECIPE = 2  # bump when the clip recipe below changes: cached clips are then made again
SIDECAR_SUFFIXES = (".job.json", ".srt", ".vtt")


def log(message=""):
    print(message, flush=True)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Clips

def make_clips(count):
    """`count` distinct small H.264 + AAC clips (3-4 s; landscape 480x270, every third portrait
    270x480; a different hue, tone and length each; half with the moov first, half with it last,
    so a slowly written file is incomplete to the container check too). Returns [(path, sha)]."""
    CLIPS.mkdir(parents=True, exist_ok=True)
    recipe_file = CLIPS / "recipe.json"
    try:
        cached = json.loads(recipe_file.read_text())
    except (OSError, ValueError):
        cached = {}
    if cached.get("recipe") != RECIPE:
        for old in CLIPS.glob("*.mp4"):
            old.unlink()
        cached = {"recipe": RECIPE}
    clips = []
    for n in range(count):
        path = CLIPS / f"field-clip-{n:02d}.mp4"
        if not path.exists():
            size = "270x480" if n % 3 == 2 else "480x270"
            seconds = 3.0 + (n % 11) * 0.09
            temporary = path.with_name("." + path.name + ".making.mp4")
            command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                       "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds:.2f},hue=h={n * 17}",
                       "-f", "lavfi", "-i", f"sine=frequency={200 + n * 20}:sample_rate=48000:duration={seconds:.2f}",
                       "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
                       "-c:a", "aac", "-b:a", "96k", "-ac", "2", "-shortest"]
            if n % 2 == 0:
                command += ["-movflags", "+faststart"]
            subprocess.run(command + [str(temporary)], check=True)
            os.replace(temporary, path)
        clips.append((path, sha256(path)))
    recipe_file.write_text(json.dumps(cached))
    shas = [sha for _, sha in clips]
    if len(set(shas)) != len(shas):
        sys.exit("crash-test: two generated clips are identical; change the recipe")
    return clips


# ---------------------------------------------------------------------------------------------
# Uploads

class Dropper(threading.Thread):
    """Drops the clips into the inbox as uploads really arrive: a few at a time at random
    intervals. Most are written under a hidden name and renamed into place; some are written
    slowly under their final name (a growing file: the stable-size and whole-container waits);
    some arrive as NAME.part renamed to NAME."""

    def __init__(self, clips, inbox, seed):
        super().__init__(name="dropper", daemon=True)
        self.clips, self.inbox, self.seed = clips, inbox, seed
        self.rng = random.Random(f"{seed}:drops")
        self.events = []  # (monotonic time, text)
        self.errors = []
        self.slow_threads = []
        self.landed = threading.Condition()
        self.arrivals = 0  # whole uploads in the inbox so far

    def note(self, text, arrived=False):
        with self.landed:
            self.events.append((time.monotonic(), text))
            if arrived:
                self.arrivals += 1
                self.landed.notify_all()

    def wait_for_arrival(self, timeout):
        """Until the next upload is whole in the inbox (True), or `timeout` seconds (False)."""
        with self.landed:
            seen = self.arrivals
            return self.landed.wait_for(lambda: self.arrivals != seen, timeout=timeout)

    def run(self):
        try:
            order = list(range(len(self.clips)))
            self.rng.shuffle(order)
            i = 0
            while i < len(order):
                burst = order[i:i + self.rng.randint(1, 4)]
                i += len(burst)
                for n in burst:
                    source, _ = self.clips[n]
                    mode = self.rng.choices(["rename", "slow", "part"], weights=[6, 3, 1])[0]
                    if mode == "slow":
                        pauses = [self.rng.uniform(0.15, 0.8) for _ in range(self.rng.randint(3, 6))]
                        t = threading.Thread(target=self.slow_upload, args=(source, pauses), daemon=True)
                        self.slow_threads.append(t)
                        t.start()
                    else:
                        self.renamed_upload(source, part=(mode == "part"))
                time.sleep(self.rng.uniform(0.1, 1.2))
            for t in self.slow_threads:
                t.join()
        except Exception as error:  # reported as a failed check, not a traceback mid-run
            self.errors.append(f"dropper: {error!r}")

    def renamed_upload(self, source, part):
        final = self.inbox / source.name
        temporary = self.inbox / (source.name + ".part" if part else f".{source.name}.uploading")
        with open(source, "rb") as src, open(temporary, "wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.rename(temporary, final)
        self.note(f"{source.name}: renamed in from {temporary.name}", arrived=True)

    def slow_upload(self, source, pauses):
        data = source.read_bytes()
        # Cut points from the shared RNG would depend on thread timing; one RNG per clip does not.
        cuts = sorted(random.Random(f"{self.seed}:{source.name}").sample(range(1, len(data)), len(pauses)))
        final = self.inbox / source.name
        self.note(f"{source.name}: slow upload begins ({len(pauses) + 1} chunks)")
        with open(final, "wb") as dst:
            start = 0
            for cut, pause in zip(cuts, pauses):
                dst.write(data[start:cut])
                dst.flush()
                start = cut
                time.sleep(pause)
            dst.write(data[start:])
            dst.flush()
            os.fsync(dst.fileno())
        self.note(f"{source.name}: slow upload complete", arrived=True)


# ---------------------------------------------------------------------------------------------
# The service

class Service:
    """`mediaorch watch`, started in a session of its own (so anything it spawns is findable by
    process group), its stderr and stdout appended to one log across restarts."""

    def __init__(self, binary, workspace, log_path, extra):
        self.binary, self.workspace, self.log_path, self.extra = binary, workspace, log_path, extra
        self.proc = None
        self.starts = 0
        self.groups = []  # process group ids of every service started
        self.self_exits = []  # (start number, status, seconds up) of services that ended on their own
        self.killed_at = {}  # process group -> when its service was SIGKILLed
        self.lingering = {}  # pid -> (its command, longest seen alive after its service's SIGKILL, in seconds)

    def command(self, until_idle=False):
        return [str(self.binary), "watch", "--workspace", str(self.workspace), "--templates", str(ROOT / "Jobs"),
                "--stable-seconds", "1", "--no-http", "--lease", "3", "--retry-delay", "0.2",
                "--max-attempts", "20", "--workers", "2"] + self.extra + (["--until-idle"] if until_idle else [])

    def mark(self, text):
        with open(self.log_path, "a") as f:
            f.write(f"\n===== crash-test {time.strftime('%H:%M:%S')} {text} =====\n")

    def start(self, until_idle=False):
        self.starts += 1
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.command(until_idle), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
        self.started_at = time.monotonic()
        self.groups.append(self.proc.pid)
        self.mark(f"start #{self.starts} pid {self.proc.pid}{' --until-idle' if until_idle else ''}")
        return self.proc

    def kill(self, number):
        """SIGKILL to the service process alone (its children are left to notice for themselves)."""
        status = self.proc.poll()
        up = time.monotonic() - self.started_at
        if status is not None:
            self.self_exits.append((self.starts, status, up))
            self.mark(f"service #{self.starts} had already exited with status {status} after {up:.2f} s")
            return False
        self.note_lingering()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.killed_at[self.proc.pid] = time.monotonic()
        self.mark(f"SIGKILL #{number} to pid {self.proc.pid} after {up:.2f} s")
        return True

    def note_lingering(self):
        """Processes of an earlier, killed service still alive now (render children outliving it)."""
        now = time.monotonic()
        for pid, pgrp, cmd in self.survivors():
            if pgrp in self.killed_at:
                age = now - self.killed_at[pgrp]
                self.lingering[pid] = (cmd, max(age, self.lingering.get(pid, ("", 0))[1]))

    def survivors(self):
        """Processes still alive from a service this script started: in one of its process groups,
        or naming the workspace on their command line."""
        found = []
        mine = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == mine:
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            state, pgrp = fields[0], int(fields[2])
            if state == "Z":
                continue
            if pgrp in self.groups or (str(self.workspace) in cmdline and "crash-test.py" not in cmdline):
                found.append((int(entry), pgrp, cmdline))
        return found

    def stop_everything(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid, _, _ in self.survivors():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def kill_moment(rng, dropper, workspace):
    """Waits for the moment of the next SIGKILL; returns (mode, what happened). Besides plain
    random delays (0.05-2.5 s), some kills aim at the moments where a crash hurts most: just after
    a start (start-up reconciliation), just as an upload's original appears in archive/ (ingest:
    moved, perhaps not yet queued), while an output is being written (in outbox/ or staging/),
    and just as a manifest appears (in staging/: rendered, not yet committed; in outbox/: just
    published). All choices come from the seeded RNG, drawn in the same order whatever happens."""
    # While uploads arrive, most kills aim at ingest; later, at publishing. (One draw either way.)
    weights = [2, 5, 1, 0, 2] if dropper.is_alive() else [2, 0, 1, 2, 3]
    mode = rng.choices(["after start", "after upload", "mid-write", "at manifest", "random"], weights=weights)[0]
    delay, short, patience = rng.uniform(0.05, 2.5), rng.uniform(0.0, 0.15), rng.uniform(5, 15)
    began = time.monotonic()
    if mode == "random":
        time.sleep(delay)
        return mode, f"after {delay:.2f} s"
    if mode == "after start":
        time.sleep(short)
        return mode, f"{short:.2f} s after the start"
    if mode == "after upload":
        if not dropper.is_alive():
            time.sleep(delay)
        elif dropper.wait_for_arrival(delay):
            # The ingest's riskiest moment: the original is in archive/, its job perhaps not queued.
            before = archive_snapshot(workspace / "archive")
            deadline = time.monotonic() + 0.4
            while time.monotonic() < deadline:
                fresh = archive_snapshot(workspace / "archive") - before
                if fresh:
                    return mode, f"just as archive/{sorted(fresh)[0]} appeared"
                time.sleep(0.001)
            return mode, "0.40 s after an upload landed"
        return "random", f"after {time.monotonic() - began:.2f} s (no upload arrived)"
    # Outputs take several seconds to render, and a killed job waits for its lease to lapse:
    # a manifest can take longer than the plain delays to appear.
    if mode == "mid-write":
        target = lambda rel: rel.startswith("staging/") or (rel.split("/")[-1].startswith(".") and ".partial" in rel)
    else:
        target = lambda rel: rel.endswith("/manifest.json")  # staged (before the commit) or published
    before = output_snapshot(workspace, target)
    deadline = began + (delay if mode == "mid-write" else patience)
    while time.monotonic() < deadline:
        fresh = output_snapshot(workspace, target) - before  # new, or still being written (its mtime moves)
        if fresh:
            return mode, f"just as {sorted(fresh)[0][0]} " + ("appeared" if mode == "at manifest" else "was being written")
        time.sleep(0.005)
    return "random", f"after {time.monotonic() - began:.2f} s (no {mode} seen)"


def archive_snapshot(archive):
    """The files in archive/*/, as "folder/name"."""
    found = set()
    try:
        for folder in os.scandir(archive):
            try:
                found.update(f"{folder.name}/{name}" for name in os.listdir(folder.path))
            except OSError:
                pass
    except OSError:
        pass
    return found


def output_snapshot(workspace, target):
    """(path relative to the workspace, mtime) of the files under outbox/ and staging/ (three
    levels deep at most) that `target` picks."""
    found = set()

    def walk(folder, rel, depth):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            path = f"{rel}/{entry.name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < 3:
                        walk(entry.path, path, depth + 1)
                elif target(path):
                    found.add((path, entry.stat().st_mtime_ns))
            except OSError:
                pass

    for top in ("outbox", "staging"):
        walk(workspace / top, top, 1)
    return found


class ManifestWatcher(threading.Thread):
    """Watches outbox/*/manifest.json for the whole run (every 20 ms): what a command centre
    polling the outbox would see. A manifest is the "ready to post" signal, so once one has
    appeared it must stay, unchanged: its history must be one version, never withdrawn."""

    def __init__(self, outbox):
        super().__init__(name="manifest-watcher", daemon=True)
        self.outbox = outbox
        self.history = {}  # job id -> [(seconds since start, sha256 of the manifest, or "withdrawn")]
        self.stopping = threading.Event()
        self.began = time.monotonic()

    def run(self):
        seen = {}  # job id -> (inode, mtime, size)
        while not self.stopping.is_set():
            self.scan(seen)
            self.stopping.wait(0.02)
        self.scan(seen)

    def scan(self, seen):
        now = {}
        try:
            folders = [e for e in os.scandir(self.outbox) if e.is_dir()]
        except OSError:
            folders = []
        for folder in folders:
            path = os.path.join(folder.path, "manifest.json")
            try:
                st = os.stat(path)
            except OSError:
                continue
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            now[folder.name] = key
            if seen.get(folder.name) != key:
                try:
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    continue
                versions = self.history.setdefault(folder.name, [])
                if not versions or versions[-1][1] != digest:
                    versions.append((time.monotonic() - self.began, digest))
        for job in seen.keys() - now.keys():
            self.history.setdefault(job, []).append((time.monotonic() - self.began, "withdrawn"))
        seen.clear()
        seen.update(now)

    def stop(self):
        self.stopping.set()
        self.join()

    def problems(self):
        out = []
        for job, versions in sorted(self.history.items()):
            if len(versions) > 1:
                story = ", ".join(f"{'withdrawn' if d == 'withdrawn' else 'version ' + d[:8]} at {t:.1f} s" for t, d in versions)
                out.append(f"{job}: {story}")
        return out


# ---------------------------------------------------------------------------------------------
# Checks

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, title, problems, info=None):
        problems = list(problems)
        if problems:
            self.failed += 1
            log(f"FAIL  {title}")
            for p in problems[:40]:
                log(f"      - {p}")
            if len(problems) > 40:
                log(f"      ... and {len(problems) - 40} more")
        else:
            self.passed += 1
            log(f"ok    {title}" + (f" ({info})" if info else ""))
        return not problems


def files_under(folder):
    """Every entry below `folder`, as paths relative to it (folders end with '/')."""
    out = []
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        rel = Path(dirpath).relative_to(folder)
        out += [str(rel / d) + "/" for d in dirnames]
        out += [str(rel / f) for f in filenames]
    return sorted(p[2:] if p.startswith("./") else p for p in out)


def run_json(command):
    r = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))}: status {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def check_manifest(folder, job, clip_sha):
    """Problems with outbox/<job>/manifest.json and the files it lists; and the set of names it accounts for."""
    problems, listed = [], {"manifest.json"}
    path = folder / "manifest.json"
    if not path.is_file():
        return [f"{job['id']}: no manifest.json in {folder}"], listed
    try:
        manifest = json.loads(path.read_text())
    except ValueError as error:
        return [f"{job['id']}: manifest.json does not parse: {error}"], listed
    if manifest.get("job_id") != job["id"]:
        problems.append(f"{job['id']}: manifest job_id is {manifest.get('job_id')!r}")
    if (manifest.get("source") or {}).get("sha256") != clip_sha:
        problems.append(f"{job['id']}: manifest source.sha256 {(manifest.get('source') or {}).get('sha256')!r} is not the clip's {clip_sha}")
    outputs = manifest.get("outputs") or []
    if not outputs:
        problems.append(f"{job['id']}: manifest lists no outputs")
    for output in outputs:
        name = output.get("path", "")
        listed.add(name)
        file = folder / name
        if not file.is_file():
            problems.append(f"{job['id']}: manifest lists {name}, which is missing")
            continue
        if file.stat().st_size != output.get("bytes"):
            problems.append(f"{job['id']}: {name} is {file.stat().st_size} bytes, the manifest says {output.get('bytes')}")
        actual = sha256(file)
        if actual != output.get("sha256"):
            problems.append(f"{job['id']}: {name} has SHA-256 {actual[:16]}…, the manifest says {str(output.get('sha256'))[:16]}…")
    for thumb in manifest.get("thumbnails") or []:
        name = thumb.get("path", "")
        listed.add(name)
        file = folder / name
        if not file.is_file():
            problems.append(f"{job['id']}: manifest lists thumbnail {name}, which is missing")
        elif thumb.get("bytes") is not None and file.stat().st_size != thumb["bytes"]:
            problems.append(f"{job['id']}: thumbnail {name} is {file.stat().st_size} bytes, the manifest says {thumb['bytes']}")
    for captions in manifest.get("captions") or []:
        name = captions.get("path", "")
        listed.add(name)
        if not (folder / name).is_file():
            problems.append(f"{job['id']}: manifest lists captions {name}, which are missing")
    return problems, listed


def verify(args, service, workspace, clips, final_status, final_seconds, dropper, watcher):
    report = Report()
    log("")
    log("== checks ==")
    by_sha = {sha: path.name for path, sha in clips}
    inbox, archive, outbox, staging = (workspace / n for n in ("inbox", "archive", "outbox", "staging"))

    report.check("uploads were all dropped", dropper.errors)
    report.check("the service never exited on its own between kills",
                 [f"start #{n} exited with status {s} after {up:.2f} s (see {service.log_path})" for n, s, up in service.self_exits])
    if final_status is None:
        final_problem = [f"did not finish within {args.timeout:.0f} s; killed"]
    elif final_status != 0:
        final_problem = [f"exited with status {final_status} after {final_seconds:.1f} s"]
    else:
        final_problem = []
    report.check("the last `watch --until-idle` finished cleanly", final_problem, f"{final_seconds:.1f} s")

    try:
        jobs = run_json([str(args.binary), "jobs", "list", "--json", "--workspace", str(workspace)])
    except Exception as error:
        report.check("`mediaorch jobs list --json` works", [str(error)])
        jobs = []
    jobs_by_id = {j["id"]: j for j in jobs}
    replies = [j for j in jobs if j.get("template") == "twitter-reply"]
    children = [j for j in jobs if j.get("parent_id")]

    # -- jobs --
    per_clip = {}
    problems = []
    for path, sha in clips:
        mine = [j for j in replies if j.get("source_sha256") == sha]
        per_clip[sha] = mine
        if len(mine) != 1:
            problems.append(f"{path.name} (sha256 {sha[:16]}…): {len(mine)} twitter-reply jobs {[j['id'] for j in mine]}")
    report.check("every clip has exactly one twitter-reply job", problems)
    report.check("every reply job succeeded",
                 [f"{j['id']} ({by_sha.get(j.get('source_sha256'), '?')}): {j['state']} after {j.get('attempts')} attempts: {j.get('last_error')}"
                  for j in replies if j.get("state") != "succeeded"])
    report.check("no reply job for anything but the dropped clips",
                 [f"{j['id']}: source {j.get('source_name')} sha256 {j.get('source_sha256')}" for j in replies if j.get("source_sha256") not in by_sha])
    problems = []
    for reply in replies:
        cuts = [c for c in children if c.get("parent_id") == reply["id"]]
        if len(cuts) > 1:
            problems.append(f"{reply['id']}: {len(cuts)} editors' cuts {[c['id'] for c in cuts]}")
        elif not cuts and reply.get("state") == "succeeded":
            problems.append(f"{reply['id']}: succeeded, but its editors' cut (bts-cut) was never queued")
        for c in cuts:
            if c.get("state") != "succeeded":
                problems.append(f"{c['id']}: {c['state']} after {c.get('attempts')} attempts: {c.get('last_error')}")
            if c.get("source_sha256") != reply.get("source_sha256"):
                problems.append(f"{c['id']}: source sha256 differs from its reply's")
    for c in children:
        if c["parent_id"] not in jobs_by_id:
            problems.append(f"{c['id']}: parent {c['parent_id']} is no job")
    report.check("every reply has exactly one editors' cut, succeeded", problems)
    others = [j for j in jobs if j.get("template") != "twitter-reply" and not j.get("parent_id")]
    report.check("no other jobs", [f"{j['id']}: template {j.get('template')}, {j['state']}" for j in others])

    # -- manifests and outputs --
    listed_by_job = {}
    problems = []
    for job in jobs:
        if job.get("state") != "succeeded":
            continue
        folder = outbox / job["id"]
        found, listed = check_manifest(folder, job, job.get("source_sha256"))
        if job.get("source_sha256") not in by_sha:
            found.append(f"{job['id']}: source is not one of the dropped clips")
        problems += found
        listed_by_job[job["id"]] = listed
    report.check("every succeeded job has one manifest, for its clip, and every file it lists is there with its SHA-256",
                 problems, f"{len(listed_by_job)} manifests")
    report.check("no manifest, once published, was withdrawn or replaced (seen by polling outbox/ every 20 ms)",
                 watcher.problems())

    # -- archive --
    problems = []
    archived_paths = set()
    for reply in replies:
        clip_sha = reply.get("source_sha256")
        archived = workspace / reply.get("archive_path", "")  # relative to the workspace
        archived_paths.add(os.path.realpath(archived))
        if not archived.is_file():
            problems.append(f"{reply['id']}: archived original {archived} is missing")
            continue
        if archive.resolve() not in archived.resolve().parents:
            problems.append(f"{reply['id']}: archived original {archived} is outside archive/")
        actual = sha256(archived)
        if actual != clip_sha:
            problems.append(f"{reply['id']}: archived original {archived} has SHA-256 {actual[:16]}…, the clip {clip_sha[:16]}…")
    archived_paths |= {os.path.realpath(workspace / j.get("archive_path", "")) for j in jobs}
    report.check("every reply's original is in archive/, byte-identical to the clip dropped", problems)
    problems = []
    for rel in files_under(archive):
        file = archive / rel
        if rel.endswith("/"):
            continue
        if file.name.startswith(".") or ".partial" in file.name or file.name.endswith((".part", ".tmp")):
            problems.append(f"archive/{rel}: half-written or temporary")
        elif file.name.endswith(SIDECAR_SUFFIXES):
            continue
        elif os.path.realpath(file) not in archived_paths:
            digest = sha256(file)
            problems.append(f"archive/{rel}: belongs to no job (sha256 {digest[:16]}… = {by_sha.get(digest, 'not a dropped clip')})")
    report.check("every file in archive/ belongs to a job", problems)

    # -- outbox, inbox, staging --
    problems = []
    for rel in files_under(outbox):
        name = rel.rstrip("/").split("/")[-1]
        if name.startswith(".") or ".partial" in name:
            problems.append(f"outbox/{rel}: half-written")
    for entry in sorted(outbox.iterdir()) if outbox.is_dir() else []:
        if not entry.is_dir():
            problems.append(f"outbox/{entry.name}: not a job folder")
        elif entry.name not in jobs_by_id:
            problems.append(f"outbox/{entry.name}/: no such job ({', '.join(files_under(entry)) or 'empty'})")
        elif entry.name in listed_by_job:
            for rel in files_under(entry):
                if rel not in listed_by_job[entry.name] and not rel.split("/")[-1].startswith("."):
                    problems.append(f"outbox/{entry.name}/{rel}: not listed in the job's manifest")
        elif jobs_by_id[entry.name].get("state") == "succeeded":
            pass  # its missing manifest is reported above
    report.check("nothing half-written or orphaned in outbox/", problems)
    report.check("inbox/ is empty", [f"inbox/{rel}" for rel in files_under(inbox)])
    if staging.exists():
        report.check("staging/ is empty", [f"staging/{rel}" for rel in files_under(staging)])
    else:
        log("      (no staging/ folder in the workspace)")
    service.note_lingering()
    survivors = service.survivors()
    report.check("no process of a killed service is still running",
                 [f"pid {pid} (group {pgrp}): {cmd}" for pid, pgrp, cmd in survivors])

    # -- information --
    if service.lingering:
        log("")
        log(f"note: {len(service.lingering)} processes outlived the service that was SIGKILLed (seen at later kills):")
        for pid, (cmd, age) in sorted(service.lingering.items(), key=lambda item: -item[1][1])[:10]:
            log(f"      pid {pid}, still alive {age:.1f} s after its service died: {cmd[:120]}")
    log("")
    log("== jobs (attempts) ==")
    for path, sha in clips:
        for reply in per_clip.get(sha) or [None]:
            if reply is None:
                log(f"  {path.name}  sha256 {sha[:12]}…  NO REPLY JOB")
                continue
            cuts = [c for c in children if c.get("parent_id") == reply["id"]]
            cut = ", ".join(f"{c['id']} {c['state']} {c.get('attempts')} tries" for c in cuts) or "no editors' cut"
            log(f"  {path.name}  {reply['id']}  {reply['state']} {reply.get('attempts')} tries;  {cut}")
            if args.verbose:
                for job in [reply] + cuts:
                    try:
                        detail = run_json([str(args.binary), "jobs", "show", job["id"], "--json", "--workspace", str(workspace)])
                        for a in detail.get("attempts", []):
                            log(f"      {job['id']} attempt {a.get('number')}: {a.get('outcome') or 'running'}"
                                f"{' — ' + a['error'] if a.get('error') else ''}")
                    except Exception as error:
                        log(f"      jobs show {job['id']}: {error}")
    attempts = [j.get("attempts", 0) for j in jobs]
    if attempts:
        log(f"  attempts per job: min {min(attempts)}, max {max(attempts)}, total {sum(attempts)} over {len(jobs)} jobs")
    errors = []
    try:
        for line in Path(service.log_path).read_text(errors="replace").splitlines():
            if "error" in line.lower() and line not in errors:
                errors.append(line)
    except OSError:
        pass
    if errors:
        log(f"  {len(errors)} distinct error lines in {service.log_path}; the first few:")
        for line in errors[:8]:
            log(f"    {line[:300]}")
    return report


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", type=Path, help="the mediaorch executable")
    parser.add_argument("--seed", type=int, default=None, help="seed for the drops and the kill delays (default: random, printed)")
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs during the run (default 30)")
    parser.add_argument("--clips", type=int, default=20, help="clips dropped (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace even when every check passes")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the last `watch --until-idle` may take (default 600)")
    parser.add_argument("--watch-arg", action="append", default=[], metavar="ARG",
                        help="an extra argument for every `watch` (repeatable; write --watch-arg=--opt=value)")
    parser.add_argument("--copy-binary", action="store_true",
                        help="run a copy of the binary (and its mediaorch* siblings), safe from a rebuild during the run")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every attempt of every job")
    args = parser.parse_args()
    args.binary = args.binary.resolve()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"crash-test: {args.binary} is not an executable (build first: make build)")
    if shutil.which("ffmpeg") is None:
        sys.exit("crash-test: ffmpeg is needed to make the clips (scripts/bootstrap.sh installs it)")
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    log(f"crash-test: seed {seed} (rerun with --seed {seed}), {args.clips} clips, {args.kills} kills")

    clips = make_clips(args.clips)
    log(f"clips: {len(clips)} in {CLIPS}")
    shutil.rmtree(RUN, ignore_errors=True)
    workspace = RUN / "workspace"
    (workspace / "inbox").mkdir(parents=True)
    log_path = RUN / "watch.log"
    log_path.touch()
    log(f"workspace: {workspace}\nservice log: {log_path}")

    if args.copy_binary:
        copies = RUN / "bin"
        copies.mkdir()
        for sibling in args.binary.parent.iterdir():
            if sibling.name.startswith("mediaorch") and sibling.is_file() and os.access(sibling, os.X_OK):
                shutil.copy2(sibling, copies / sibling.name)
        args.binary = copies / args.binary.name
        log(f"binary copied to {args.binary}")

    rng = random.Random(seed)
    dropper = Dropper(clips, workspace / "inbox", seed)
    watcher = ManifestWatcher(workspace / "outbox")
    service = Service(args.binary, workspace, log_path, args.watch_arg)
    started = time.monotonic()
    kills = 0
    report = None
    try:
        watcher.start()
        service.start()
        dropper.start()
        modes = {}
        for number in range(1, args.kills + 1):
            mode, why = kill_moment(rng, dropper, workspace)
            service.mark(f"kill #{number}: {mode}, {why}")
            modes[mode] = modes.get(mode, 0) + 1
            if service.kill(number):
                kills += 1
            if number < args.kills:
                service.start()  # at once, as a supervisor would
        dropper.join()  # the rest of the uploads arrive while the service is down
        log(f"kill phase: {kills} SIGKILLs in {time.monotonic() - started:.1f} s "
            f"({', '.join(f'{n} {m}' for m, n in sorted(modes.items()))}); {len(dropper.events)} upload events")

        final_started = time.monotonic()
        proc = service.start(until_idle=True)
        try:
            final_status = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            final_status = None
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        final_seconds = time.monotonic() - final_started
        service.mark(f"final run ended: status {final_status} after {final_seconds:.1f} s")
        log(f"final run: status {final_status} after {final_seconds:.1f} s")
        time.sleep(0.5)  # children of the final run (if any) a moment to go
        watcher.stop()
        report = verify(args, service, workspace, clips, final_status, final_seconds, dropper, watcher)
    except OSError as error:
        log(f"crash-test: could not run {args.binary}: {error}")
    finally:
        service.stop_everything()
    if report is None:
        return 2

    log("")
    log(f"seed {seed}, {kills} kills, {len(clips)} clips")
    log(f"{report.passed} passed, {report.failed} failed")
    if report.failed == 0 and not args.keep:
        shutil.rmtree(workspace, ignore_errors=True)
    else:
        log(f"workspace kept: {workspace}")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
