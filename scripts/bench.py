#!/usr/bin/env python3
"""make bench: the reply render against the ffmpeg command line doing the same work (same
filters, same encoder settings, taken from `mediaorch plan`), run alternately in one run.
Prints wall time, CPU time and peak RSS of each and their ratios. Figures, not assertions."""
import json
import os, shutil, statistics, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-output"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SPEECH = ("aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))"
          "+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000")


def make_clip(seconds):
    """A 1080x1920 30 fps portrait clip with camera-like noise and speech-like mono audio."""
    path = OUT / f"portrait_{seconds}s.mp4"
    if not path.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds},noise=alls=14:allf=t+u",
                        "-f", "lavfi", "-i", f"{SPEECH}:d={seconds}",
                        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-b:a", "96k", "-ac", "1", str(path)], check=True)
    return path


def measure(cmd):
    """Runs cmd; returns (wall s, cpu s, peak RSS MB) of that child alone."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def plain_templates():
    """The production reply template without captions or end card: the issue's like-for-like
    comparison with the ffmpeg command line is of the reply render itself."""
    folder = OUT / "templates"
    folder.mkdir(exist_ok=True)
    template = json.loads((ROOT / "Jobs/twitter-reply.json").read_text())
    template.pop("end_card", None)
    template["name"] = "reply-plain"
    template["outputs"] = ["reply", "thumbnails", "bts"]
    (folder / "reply-plain.json").write_text(json.dumps(template))
    for name in ("twitter-reply.json",):
        (folder / name).write_text((ROOT / "Jobs" / name).read_text())
    return folder


def captioned_ticket(clip, seconds):
    """A ticket with an English caption every 3 s, beside the clip."""
    srt = []
    for i in range(seconds // 3):
        start, end = i * 3 + 0.2, i * 3 + 2.8
        fmt = lambda t: f"00:{int(t) // 60:02d}:{int(t) % 60:02d},{int(round(t % 1 * 1000)):03d}"
        srt.append(f"{i + 1}\n{fmt(start)} --> {fmt(end)}\nThank you for speaking out\nabout the people in Kakuma.\n")
    (OUT / "bench.en.srt").write_text("\n".join(srt))
    ticket = OUT / "bench.job.json"
    ticket.write_text(json.dumps({"speaker": {"consent": True},
                                  "captions": [{"file": "bench.en.srt", "language": "en", "burn": True}]}))
    return ticket


def graph(description, stream, label):
    """A plan's graph for -filter_complex: labelled graphs get the input stream and output label."""
    if description.startswith("[in]") or "[in]" in description:
        return description.replace("[in]", f"[0:{stream}]").replace("[out]", f"[{label}]")
    return f"[0:{stream}]{description}[{label}]"


def x264_arguments(plan):
    """The ffmpeg command line's libx264 arguments for a `mediaorch plan`'s settings."""
    x = plan["x264_options"]
    return ["-c:v", "libx264", "-preset", x["preset"], "-crf", x["crf"], "-profile:v", x["profile"], "-level", x["level"],
            "-x264-params", x["x264-params"], "-g", str(plan["keyframe_interval"]), "-keyint_min", str(plan["keyframe_interval"]),
            "-maxrate", f"{plan['maxrate_kbps']}k", "-bufsize", f"{plan['bufsize_kbps']}k"]


def ffmpeg_command(binary, clip, out, templates):
    plan = json.loads(subprocess.run([binary, "plan", str(clip), "--template", "reply-plain", "--templates", str(templates)],
                                     check=True, capture_output=True, text=True).stdout)
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-noautorotate", "-i", str(clip),
            "-filter_complex", graph(plan["video_filters"], plan["video_stream"], "v") + ";"
            + graph(plan["audio_filters"], plan["audio_stream"], "a"),
            "-map", "[v]", "-map", "[a]"] + x264_arguments(plan) + [
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
            "-c:a", "aac", "-b:a", f"{plan['audio_bitrate_kbps']}k",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart", str(out)]


def ffmpeg_bts_and_thumbnails(binary, clip, templates, thumb_time):
    """What a person would run besides the reply: a metadata-free stream copy for editors, and
    the three thumbnail sizes from one decoded frame with the reply's picture filters."""
    plan = json.loads(subprocess.run([binary, "plan", str(clip), "--template", "reply-plain", "--templates", str(templates)],
                                     check=True, capture_output=True, text=True).stdout)
    bts = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(clip), "-map", "0:v:0", "-map", "0:a:0", "-c", "copy",
           "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart", str(OUT / "ffmpeg_bts.mp4")]
    still = plan["video_filters"].split("trim=")[1].split(",", 1)[1]  # the picture chain after fps/trim
    thumbs = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", f"{thumb_time:.3f}", "-i", str(clip),
              "-filter_complex", f"[0:v:0]{still},split=3[a][b][c];[b]scale=640:-2[b2];[c]scale=320:-2[c2]",
              "-map", "[a]", "-frames:v", "1", "-q:v", "3", str(OUT / "ffmpeg_thumb.jpg"),
              "-map", "[b2]", "-frames:v", "1", "-q:v", "3", str(OUT / "ffmpeg_thumb640.jpg"),
              "-map", "[c2]", "-frames:v", "1", "-q:v", "3", str(OUT / "ffmpeg_thumb320.jpg")]
    return bts, thumbs


def compare_runs(commands, rounds):
    """Runs the named commands alternately, so all see the same machine state; every run's
    (wall, cpu, RSS), by name, in round order."""
    results = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            results[name].append(measure(cmd))
    return results


def compare(commands, rounds):
    """compare_runs' medians: (wall, cpu, the largest RSS) by name."""
    results = compare_runs(commands, rounds)
    summary = {}
    for name, runs in results.items():
        summary[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))
    return summary


def ingest_latency(binary, rounds=5):
    """Seconds from an upload completing (a .part renamed into the inbox) to its job running,
    read from the store's own attempt start time."""
    ws = OUT / "latency-workspace"
    subprocess.run(["rm", "-rf", str(ws)], check=True)
    (ws / "inbox").mkdir(parents=True)
    service = subprocess.Popen([binary, "watch", "--workspace", str(ws), "--templates", str(ROOT / "Jobs"), "--no-http"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        return upload_to_start(binary, ws, [], rounds)[0]
    finally:
        service.terminate()
        service.wait()


def upload_to_start(binary, ws, store_args, rounds):
    """With the service(s) running on `ws`: drops `rounds` small clips one after another (each a
    .part renamed in) and returns the seconds from each rename to its reply job's first attempt
    starting (the store's own time), and the nodes those attempts ran on."""
    command = lambda *args: json.loads(subprocess.run([binary, *args, "--json", "--workspace", str(ws), *store_args],
                                                      capture_output=True, text=True).stdout or "[]")
    latencies, nodes = [], set()
    clip = (ROOT / "SampleMedia/silent_4x3.mp4").read_bytes()
    for i in range(rounds):
        part = ws / "inbox" / f"clip{i}.mp4.part"
        part.write_bytes(clip + bytes([i]))  # a different clip each time
        done = time.time()
        part.rename(ws / "inbox" / f"clip{i}.mp4")
        started = None
        while started is None and time.time() - done < 30:
            time.sleep(0.02)
            job = next((j for j in command("jobs", "list") if j["source_name"] == f"clip{i}.mp4" and j["template"] == "twitter-reply"), None)
            if job and job["attempts"] >= 1:
                first = command("jobs", "show", job["id"])["attempts"][0]
                started = first["started_at"]
                nodes.add(first["worker"].split(":")[0])
        latencies.append(started - done if started else float("nan"))
        while any(j["state"] in ("queued", "running") for j in command("jobs", "list")):
            time.sleep(0.2)
    return latencies, nodes


def wait_for_health(base):
    """Until a freshly started service answers /health (at most 10 s)."""
    import urllib.request
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)


def http_api(binary, store_bench, big_file, requests=200):
    """The HTTP API over 1,000 jobs: GET /api/jobs latency, and a large output downloaded through
    /outputs against `cat` reading the same file (both from the page cache)."""
    import urllib.request
    ws = OUT / "http-workspace"
    subprocess.run(["rm", "-rf", str(ws)], check=True)
    ws.mkdir(parents=True)
    subprocess.run([str(store_bench), "1000", str(ws)], check=True, capture_output=True)
    token = subprocess.run([binary, "tokens", "add", "--role", "producer", "--workspace", str(ws)],
                           check=True, capture_output=True, text=True).stdout.strip()
    job = "000000000000-twitter-reply"
    (ws / "outbox" / job).mkdir(parents=True)
    os.link(big_file, ws / "outbox" / job / "bts.mp4")  # a hard link: the API refuses symbolic ones
    port = 28000 + os.getpid() % 1000
    service = subprocess.Popen([binary, "watch", "--workspace", str(ws), "--templates", str(ROOT / "Jobs"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        wait_for_health(base)
        latencies = []
        for _ in range(requests):
            start = time.perf_counter()
            body = urllib.request.urlopen(urllib.request.Request(f"{base}/api/jobs", headers=headers)).read()
            latencies.append(time.perf_counter() - start)
        jobs = len(json.loads(body))
        latencies.sort()
        size = os.path.getsize(big_file)
        subprocess.run(["cat", str(big_file)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        downloads, reads = [], []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {token}",
                            f"{base}/api/jobs/{job}/outputs/bts.mp4"], check=True)
            downloads.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run(["cat", str(big_file)], stdout=subprocess.DEVNULL, check=True)
            reads.append(time.perf_counter() - start)
        rss = 0
        with open(f"/proc/{service.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1]) / 1024
        return jobs, latencies, size, statistics.median(downloads), statistics.median(reads), rss
    finally:
        service.terminate()
        service.wait()


def tus_uploads(binary, big_file, rounds=3):
    """Resumable uploads: one tus PATCH of a large file (curl) against `cat` of the same file into
    a loopback socket whose reader throws it away; and the time from the last byte's answer to
    the job being in the queue (hash, archive move, job row), as `mediaorch jobs list` first shows it."""
    import socket, threading, urllib.request, base64
    ws = OUT / "tus-workspace"
    subprocess.run(["rm", "-rf", str(ws)], check=True)
    ws.mkdir(parents=True)
    field = subprocess.run([binary, "tokens", "add", "--role", "uploader", "--camp", "Kakuma", "--workspace", str(ws)],
                           check=True, capture_output=True, text=True).stdout.strip()
    port = 29000 + os.getpid() % 1000
    service = subprocess.Popen([binary, "watch", "--workspace", str(ws), "--templates", str(ROOT / "Jobs"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    size = os.path.getsize(big_file)

    def sink_once():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        done = threading.Event()
        def drain():
            connection, _ = listener.accept()
            while connection.recv(1 << 20):
                pass
            connection.close()
            listener.close()
            done.set()
        threading.Thread(target=drain, daemon=True).start()
        return listener.getsockname()[1], done

    try:
        wait_for_health(base)
        subprocess.run(["cat", str(big_file)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        uploads, cats, queued = [], [], []
        for i in range(rounds):
            clip = OUT / f"tus-{i}.mp4"
            # A new clip each round (a new job), copied without holding it in this process: a big
            # parent would show in the peak RSS of every command forked after it.
            shutil.copyfile(big_file, clip)
            with open(clip, "ab") as tail:
                tail.write(bytes([i]))
            length = os.path.getsize(clip)
            meta = "filename " + base64.b64encode(f"bench-{i}.mp4".encode()).decode()
            created = subprocess.run(["curl", "-sf", "-D", "-", "-o", "/dev/null", "-X", "POST", f"{base}/api/tus/",
                                      "-H", f"Authorization: Bearer {field}", "-H", "Tus-Resumable: 1.0.0",
                                      "-H", f"Upload-Length: {length}", "-H", f"Upload-Metadata: {meta}"],
                                     check=True, capture_output=True, text=True).stdout
            location = next(line.split(" ", 1)[1].strip() for line in created.splitlines() if line.lower().startswith("location:"))
            start = time.perf_counter()
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-X", "PATCH", f"{base}{location}", "--data-binary", f"@{clip}",
                            "-H", f"Authorization: Bearer {field}", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
                            "-H", "Content-Type: application/offset+octet-stream", "-H", "Expect:"], check=True)
            uploads.append(time.perf_counter() - start)
            last_byte = time.time()
            job = None
            while job is None and time.time() - last_byte < 30:
                jobs = json.loads(subprocess.run([binary, "jobs", "list", "--json", "--workspace", str(ws)],
                                                 capture_output=True, text=True).stdout or "[]")
                job = next((j for j in jobs if j["source_name"] == f"bench-{i}.mp4"), None)
                time.sleep(0.01)
            # When the job is first seen in the queue (its created_at is when the watcher first saw
            # the file, before hashing it, so it would flatter the figure).
            queued.append(time.time() - last_byte if job else float("nan"))
            sink_port, done = sink_once()
            start = time.perf_counter()
            subprocess.run(["bash", "-c", f'cat "$0" > /dev/tcp/127.0.0.1/{sink_port}', str(clip)], check=True)
            done.wait(60)
            cats.append(time.perf_counter() - start)
            clip.unlink()
        return size, statistics.median(uploads), statistics.median(cats), queued
    finally:
        service.terminate()
        service.wait()


def table(summary):
    print(f"{'':22}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}")
    for name, (wall, cpu, rss) in summary.items():
        print(f"{name:22}{wall:9.2f}{cpu:9.2f}{rss:13.1f}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".build/release/mediaorch")
    OUT.mkdir(exist_ok=True)
    templates = plain_templates()
    clip30, clip60 = make_clip(30), make_clip(60)
    def reply(clip, extra=()):
        return [binary, "process", str(clip), "--out", str(OUT / f"ours_{clip.stem}"), "--templates", str(templates), *extra]

    print(f"1. reply render of a 30 s 1080x1920 30 fps noisy clip, {ROUNDS} alternating rounds, medians (RSS: max)")
    s30 = compare({"mediaorch": reply(clip30, ["--template", "reply-plain", "--outputs", "reply"]),
                   "ffmpeg": ffmpeg_command(binary, clip30, OUT / "ffmpeg_30s.mp4", templates)}, ROUNDS)
    table(s30)
    ow, oc, orss = s30["mediaorch"]
    fw, fc, frss = s30["ffmpeg"]
    print(f"ratio mediaorch/ffmpeg: wall {ow / fw:.3f} (target <= 1.0), cpu {oc / fc:.3f}, RSS {orss / frss:.3f}")
    print()
    print("2. memory with a clip twice as long (60 s), 1 round each")
    s60 = compare({"mediaorch": reply(clip60, ["--template", "reply-plain", "--outputs", "reply"]),
                   "ffmpeg": ffmpeg_command(binary, clip60, OUT / "ffmpeg_60s.mp4", templates)}, 1)
    table(s60)
    growth = s60["mediaorch"][2] / orss
    print(f"mediaorch peak RSS 30 s -> 60 s: {orss:.1f} -> {s60['mediaorch'][2]:.1f} MB, x{growth:.3f} "
          f"(targets: <= 350 MB, growth <= 1.10)")
    print()
    print(f"3. thumbnails from the reply's own decode: reply + thumbnails against the ffmpeg reply alone, {ROUNDS} rounds")
    s4 = compare({"mediaorch reply+thumbs": reply(clip30, ["--template", "reply-plain", "--outputs", "reply,thumbnails"]),
                  "ffmpeg reply": ffmpeg_command(binary, clip30, OUT / "ffmpeg_30s.mp4", templates)}, ROUNDS)
    table(s4)
    print(f"ratio: wall {s4['mediaorch reply+thumbs'][0] / s4['ffmpeg reply'][0]:.3f} (target <= 1.05)")
    print()
    manifest = json.loads((OUT / f"ours_{clip30.stem}" / "manifest.json").read_text())
    thumb_time = manifest["thumbnails"][0]["time"]
    bts, thumbs = ffmpeg_bts_and_thumbnails(binary, clip30, templates, thumb_time)
    print(f"4. the whole job (reply, thumbnails, bts) against the three ffmpeg commands a person would run, {ROUNDS} rounds")
    print("   (this clip suits editors as it is, so both sides copy its video into bts.mp4)")
    results = {"mediaorch job": [], "ffmpeg x3": []}
    whole = reply(clip30, ["--template", "reply-plain"])
    theirs = [ffmpeg_command(binary, clip30, OUT / "ffmpeg_30s.mp4", templates), bts, thumbs]
    for _ in range(ROUNDS):
        results["mediaorch job"].append(measure(whole))
        runs = [measure(cmd) for cmd in theirs]
        results["ffmpeg x3"].append((sum(r[0] for r in runs), sum(r[1] for r in runs), max(r[2] for r in runs)))
    s5 = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))
          for name, runs in results.items()}
    table(s5)
    print(f"ratio: wall {s5['mediaorch job'][0] / s5['ffmpeg x3'][0]:.3f} (target <= 0.8)")
    print()
    print(f"5. cost of burned-in captions and the 4 s end card (twitter-reply) against the plain reply, {ROUNDS} rounds")
    ticket = captioned_ticket(clip30, 30)
    sc = compare({"plain reply": reply(clip30, ["--template", "reply-plain", "--outputs", "reply"]),
                  "captions + end card": reply(clip30, ["--template", "twitter-reply", "--ticket", str(ticket), "--outputs", "reply"])}, ROUNDS)
    table(sc)
    print(f"ratio captions+card / plain: wall {sc['captions + end card'][0] / sc['plain reply'][0]:.3f}, "
          f"cpu {sc['captions + end card'][1] / sc['plain reply'][1]:.3f}")
    print()
    print("6. job runner: upload complete (.part renamed in) to job running, 5 uploads")
    lat = ingest_latency(binary)
    print("   " + ", ".join(f"{x:.3f} s" for x in lat) + f"; median {statistics.median(lat):.3f} s (target < 0.5 s)")
    store_bench = ROOT / ".build/release/mediaorch-store-bench"
    print("7. " + subprocess.run([str(store_bench), "1000"], check=True, capture_output=True, text=True).stdout.strip())
    print()
    jobs, lat, size, download, read, rss = http_api(binary, store_bench, clip30)
    print(f"8. HTTP API: GET /api/jobs listing {jobs} jobs, {len(lat)} requests: "
          f"median {statistics.median(lat) * 1000:.1f} ms, p95 {lat[int(len(lat) * 0.95)] * 1000:.1f} ms")
    print(f"   {size / 1e6:.0f} MB output through /outputs (curl) {download:.3f} s = {size / 1e6 / download:.0f} MB/s; "
          f"cat of the same file {read:.3f} s; ratio {download / read:.2f}; service peak RSS {rss:.0f} MB")
    print()

    print(f"9. the render child: one attempt as the service runs it (`mediaorch render-attempt`, a process of its own")
    print(f"   reading its assignment, reporting over a pipe) against the same reply in process (`mediaorch process`), {ROUNDS} rounds")
    staging = OUT / "child-staging"
    assignment = OUT / "assignment.json"
    assignment.write_text(json.dumps({
        "job_id": "bench-reply", "attempt": 1, "input": str(clip30), "staging_folder": str(staging),
        "template": "reply-plain", "templates_folder": str(templates), "only_outputs": ["reply"],
        "captions_folder": str(OUT), "memory_cap_megabytes": 2048}))
    child = ["sh", "-c", 'exec "$0" render-attempt < "$1" > /dev/null', binary, str(assignment)]
    sk = compare({"in process": reply(clip30, ["--template", "reply-plain", "--outputs", "reply"]), "render child": child}, ROUNDS)
    table(sk)
    print(f"ratio child / in process: wall {sk['render child'][0] / sk['in process'][0]:.3f} (target <= 1.02), "
          f"cpu {sk['render child'][1] / sk['in process'][1]:.3f}")
    print()

    size, upload, cat, queued = tus_uploads(binary, clip60)
    print(f"10. resumable upload (tus, one PATCH by curl, fsynced) of a {size / 1e6:.0f} MB clip: {upload:.3f} s = {size / 1e6 / upload:.0f} MB/s;")
    print(f"    cat of the same file into a loopback socket {cat:.3f} s = {size / 1e6 / cat:.0f} MB/s; ratio {upload / cat:.2f}")
    print("    last byte answered to job queued: " + ", ".join(f"{x:.3f} s" for x in queued) + f"; median {statistics.median(queued):.3f} s")
    print()

    size = os.path.getsize(clip60)
    subprocess.run(["cat", str(clip60)], stdout=subprocess.DEVNULL, check=True)  # from the page cache, as ingest reads a fresh upload
    sh = compare({"mediaorch hash": [binary, "hash", str(clip60)], "sha256sum": ["sha256sum", str(clip60)]}, ROUNDS)
    print(f"11. SHA-256 of the {size / 1e6:.0f} MB clip (ingest, outputs, uploads), {ROUNDS} rounds, from the page cache")
    table(sh)
    print(f"    mediaorch {size / 1e9 / sh['mediaorch hash'][0]:.2f} GB/s, sha256sum {size / 1e9 / sh['sha256sum'][0]:.2f} GB/s; "
          f"ratio {sh['mediaorch hash'][0] / sh['sha256sum'][0]:.3f}")
    print()
    sys.stdout.flush()

    # 12 and 13: the shared store, on SQLite and on the PostgreSQL scripts/with-postgres.sh started.
    subprocess.run([sys.executable, str(ROOT / "scripts/bench-store.py"), binary, str(store_bench)], check=True)
    # 14: the reply on six kinds of phone clip.
    subprocess.run([sys.executable, str(ROOT / "scripts/bench-sources.py"), binary], check=True)


if __name__ == "__main__":
    main()
