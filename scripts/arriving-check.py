#!/usr/bin/env python3
"""A proxy's reply rendered while the proxy arrives, then the camera's original behind it.

Runs `mediaorch watch` on a workspace of its own (one worker, one arriving render; none with
--no-arriving), makes a producer token and a field token for camp Kakuma, a reply request for
Kakuma, and then does what the field page does when it makes a proxy on the phone:

  1. sends PROXY (a fragmented MP4) by tus with `Upload-Defer-Length: 1` and clip_role=proxy,
     paced at --rate-kbps (each chunk goes once the phone would have it at that rate), the last
     PATCH telling `Upload-Length`; checks that HEAD answers `Upload-Defer-Length: 1` meanwhile;
  2. polls the request every 100 ms until it is `ready` (a failed request or job ends the run) and
     reads the reply job's manifest: made_from, rendered_while_arriving, the reply's length, size
     and stage_seconds; `ready_after_last_byte_seconds` is from the last PATCH's 204 to `ready`;
  3. sends ORIGINAL (unpaced, clip_role=original, the same clip_id, sha256 metadata), waits for
     the bts-cut job whose parent is the reply, and checks that bts.mp4's video packets are the
     camera's (the same packet sizes and the same MD5 of the copied video stream) and that the
     camp's receipt says the original is `in`.

Prints one JSON object; exits 0 only if every check passed, else 1 with the reasons in "failure".
The service is always stopped (SIGTERM, then SIGKILL) and its log kept at WORKSPACE/../arriving-check.log.

usage: arriving-check.py MEDIAORCH WORKSPACE PROXY ORIGINAL [--rate-kbps 4000] [--chunk-kb 256] [--no-arriving]
--rate-kbps is kilobits (1000 bits) a second, 0 for unpaced; --chunk-kb is KiB.
Needs Python 3.11 (stdlib only) and ffmpeg/ffprobe on PATH. WORKSPACE must be new or empty.
"""
import argparse, base64, hashlib, http.client, json, os, re, secrets, signal, socket, subprocess, sys, time

PROBE_EVERY = 0.1


class Failed(Exception):
    """Ends the run: `reason` goes to the report's "failure", `details` into the report."""

    def __init__(self, reason, **details):
        super().__init__(reason)
        self.reason, self.details = reason, details


# ---- HTTP ----

def call(port, token, method, path, headers=None, body=None, timeout=60):
    """One request on a connection of its own: (status, headers with lower-case names, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = {"Authorization": f"Bearer {token}"} if token else {}
        sent.update(headers or {})
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except (OSError, http.client.HTTPException) as error:
        raise Failed(f"{method} {path}: no answer ({error!r})")
    finally:
        connection.close()


def text(body, limit=2000):
    return body.decode("utf-8", "replace")[:limit]


def api(port, token, method, path, body=None, expect=(200, 201)):
    status, _, data = call(port, token, method, path, {"Content-Type": "application/json"} if body is not None else None,
                           json.dumps(body).encode() if body is not None else None)
    if status not in expect:
        raise Failed(f"{method} {path} answered {status}", api_error={"method": method, "path": path, "status": status, "body": text(data)})
    try:
        return json.loads(data)
    except ValueError:
        raise Failed(f"{method} {path} answered {status} with a body that is not JSON", api_error={"status": status, "body": text(data)})


TUS_HEADERS = ("tus-resumable", "upload-offset", "upload-length", "upload-defer-length", "upload-expires", "location", "mediaorch-reason")


def tus_failure(step, expected, status, headers, body):
    """A tus answer other than the one expected: the status, tus headers and body go in the report."""
    return Failed(f"tus {step}: expected {expected}, got {status}: {text(body, 300)}",
                  tus_error={"step": step, "expected": expected, "status": status,
                             "headers": {k: v for k, v in headers.items() if k in TUS_HEADERS}, "body": text(body)})


def metadata(pairs):
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def tus_create(port, token, step, meta, length=None):
    headers = {"Tus-Resumable": "1.0.0", "Upload-Metadata": metadata(meta)}
    if length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(length)
    status, answer, body = call(port, token, "POST", "/api/tus/", headers)
    if status != 201 or not answer.get("location"):
        raise tus_failure(step, "201 with Location", status, answer, body)
    return answer["location"]


def tus_head(port, token, location, step):
    status, answer, body = call(port, token, "HEAD", location, {"Tus-Resumable": "1.0.0"})
    if status != 200:
        raise tus_failure(step, 200, status, answer, body)
    return answer


def tus_send(port, token, location, path, chunk_bytes, rate_kbps, step, tell_length=False, checksum=False, on_first_ack=None):
    """PATCHes PATH from 0, chunk by chunk, each sent once the phone would have it at `rate_kbps`
    (0: at once); with `tell_length` (creation-defer-length), the PATCH carrying the last bytes
    also carries Upload-Length. Returns
    (seconds from the start to the last 204, chunks, monotonic time of the last 204)."""
    size = os.path.getsize(path)
    rate = rate_kbps * 1000 / 8  # bytes a second
    started = time.monotonic()
    offset, chunks, acked = 0, 0, started
    with open(path, "rb") as source:
        while offset < size:
            chunk = source.read(chunk_bytes)
            end = offset + len(chunk)
            if rate:
                wait = started + end / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            headers = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}
            if tell_length and end == size:
                headers["Upload-Length"] = str(size)
            if checksum:
                headers["Upload-Checksum"] = "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()
            status, answer, body = call(port, token, "PATCH", location, headers, chunk)
            acked = time.monotonic()
            if status != 204:
                raise tus_failure(f"{step} PATCH at {offset} ({chunks + 1}. chunk)", 204, status, answer, body)
            if answer.get("upload-offset") != str(end):
                raise tus_failure(f"{step} PATCH at {offset}", f"Upload-Offset {end}", status, answer, body)
            offset, chunks = end, chunks + 1
            if chunks == 1 and on_first_ack and offset < size:
                on_first_ack(offset)
    return acked - started, chunks, acked


# ---- media ----

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(*command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def video_seconds(path):
    """The pictures' length: from the first picture's time to the last one's end (what the server
    checks a proxy's declared duration against)."""
    rows = run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", path)
    starts, ends = [], []
    for row in rows.split():
        pts, _, duration = row.partition(",")
        try:
            starts.append(float(pts))
            ends.append(float(pts) + (float(duration) if duration not in ("", "N/A") else 0))
        except ValueError:
            continue
    if not starts:
        raise Failed(f"{path}: ffprobe found no video packets")
    return max(ends) - min(starts)


def video_packets(path):
    """(the video packets' sizes, MD5 of the video stream copied untouched)."""
    sizes = [int(row) for row in run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=size",
                                     "-of", "csv=p=0", path).split() if row.strip().isdigit()]
    md5 = run("ffmpeg", "-v", "error", "-i", path, "-map", "0:v:0", "-c", "copy", "-f", "md5", "-").strip().removeprefix("MD5=")
    return sizes, md5


# ---- the service ----

class Service:
    def __init__(self, mediaorch, workspace, port, log_path, arriving):
        self.command = [mediaorch, "watch", "--workspace", workspace, "--port", str(port), "--workers", "1",
                        "--arriving-renders", "1" if arriving else "0"]
        self.port, self.log_path, self.process = port, log_path, None

    def start(self, timeout=60):
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failed(f"mediaorch watch exited with {self.process.returncode} before answering /health", log_tail=self.tail())
            try:
                status, _, _ = call(self.port, None, "GET", "/health", timeout=2)
                if status == 200:
                    return
            except Failed:
                pass
            time.sleep(0.1)
        raise Failed(f"mediaorch watch did not answer /health 200 within {timeout} s", log_tail=self.tail())

    def stop(self):
        """SIGTERM, then SIGKILL after 30 s. Returns how it ended."""
        if not self.process:
            return None
        outcome = f"exited by itself ({self.process.returncode})" if self.process.poll() is not None else None
        if outcome is None:
            self.process.terminate()
            try:
                self.process.wait(30)
                outcome = f"stopped by SIGTERM ({self.process.returncode})"
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                outcome = "did not stop within 30 s of SIGTERM: SIGKILLed"
        self.log.close()
        return outcome

    def tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as f:
                return text(f.read()[-20000:], 20000).splitlines()[-lines:]
        except OSError:
            return []

    def lines_matching(self, pattern, limit=30):
        try:
            with open(self.log_path, "rb") as f:
                found = [line for line in text(f.read(), 10 << 20).splitlines() if re.search(pattern, line)]
        except OSError:
            return []
        return found[-limit:]


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


# ---- the check ----

def wait_until_ready(port, producer, request_id, timeout, results):
    """Polls the request (and its job once it has one) every 100 ms until the request is ready.
    Returns (the reply job's id, monotonic time it was seen ready)."""
    deadline = time.monotonic() + timeout
    job_id, seen_states = None, []
    while time.monotonic() < deadline:
        request = api(port, producer, "GET", f"/api/requests/{request_id}")
        now = time.monotonic()
        state = request.get("state")
        if not seen_states or seen_states[-1] != state:
            seen_states.append(state)
        results["request_states_seen"] = seen_states
        job_id = request.get("job_id") or job_id
        if state == "ready":
            return job_id, now
        if state in ("failed", "cancelled", "expired", "posted"):
            raise Failed(f"the request went {state}" + (f" ({request['film_again_reason']})" if request.get("film_again_reason") else ""),
                         request=request, job=job_summary(port, producer, job_id) if job_id else None)
        if job_id:
            job = api(port, producer, "GET", f"/api/jobs/{job_id}")["job"]
            if job["state"] in ("failed", "dead", "cancelled"):
                raise Failed(f"the reply job {job_id} is {job['state']}: {job.get('last_error')}", job=job_summary(port, producer, job_id))
        time.sleep(PROBE_EVERY)
    raise Failed(f"the request was not ready within {timeout} s (states seen: {seen_states})",
                 job=job_summary(port, producer, job_id) if job_id else None)


def job_summary(port, producer, job_id):
    detail = api(port, producer, "GET", f"/api/jobs/{job_id}")
    job = detail["job"]
    return {"id": job_id, "state": job["state"], "template": job["template"], "attempts": job["attempts"],
            "last_error": job.get("last_error"), "parent_id": job.get("parent_id"),
            "attempt_errors": [a.get("error") for a in detail.get("attempts") or [] if a.get("error")]}


def wait_for_cut(port, producer, reply_job, timeout):
    """The bts-cut job whose parent is the reply job, once it succeeded."""
    deadline = time.monotonic() + timeout
    found = None
    while time.monotonic() < deadline:
        jobs = api(port, producer, "GET", "/api/jobs?template=bts-cut&limit=100")
        children = [j for j in jobs if j.get("parent_id") == reply_job]
        if children:
            found = children[0]
            if found["state"] == "succeeded":
                return found
            if found["state"] in ("failed", "dead", "cancelled"):
                raise Failed(f"the bts-cut job {found['id']} is {found['state']}: {found.get('last_error')}",
                             bts_job=job_summary(port, producer, found["id"]))
        time.sleep(PROBE_EVERY)
    if found:
        raise Failed(f"the bts-cut job {found['id']} did not succeed within {timeout} s (it is {found['state']})",
                     bts_job=job_summary(port, producer, found["id"]))
    jobs = api(port, producer, "GET", "/api/jobs?limit=20")
    raise Failed(f"no bts-cut job with parent {reply_job} appeared within {timeout} s",
                 jobs=[{k: j.get(k) for k in ("id", "state", "template", "parent_id", "last_error")} for j in jobs])


def arriving_outcome(workspace, upload_id):
    """What the workspace's arriving/<upload>/ says of the render made while the proxy arrived:
    done (done.json), failed (failed.txt, with its reason), rendering, or none (never started)."""
    folder = os.path.join(workspace, "arriving", upload_id)
    if not os.path.isdir(folder):
        return {"outcome": "none"}
    rendered = sorted(os.listdir(os.path.join(folder, "render"))) if os.path.isdir(os.path.join(folder, "render")) else []
    if os.path.isfile(os.path.join(folder, "done.json")):
        return {"outcome": "done", "rendered": rendered}
    if os.path.isfile(os.path.join(folder, "failed.txt")):
        with open(os.path.join(folder, "failed.txt"), "rb") as f:
            return {"outcome": "failed", "reason": text(f.read(), 1000), "rendered": rendered}
    return {"outcome": "rendering", "rendered": rendered}


def receipt_for(port, field, clip_id):
    receipts = api(port, field, "GET", "/api/receipts?limit=200")
    mine = [r for r in receipts if r.get("clip_id") == clip_id]
    return mine[0] if mine else None


def check(args, results, failures, service, port):
    def token(*flags):
        return run(args.mediaorch, "tokens", "add", "--workspace", args.workspace, *flags).strip()
    producer = token("--role", "producer", "--name", "arriving check")
    field = token("--role", "uploader", "--camp", "Kakuma", "--name", "kakuma phone")
    service.start()
    status, answer, body = call(port, None, "OPTIONS", "/api/tus/")
    if "creation-defer-length" not in answer.get("tus-extension", ""):
        raise tus_failure("OPTIONS", "Tus-Extension with creation-defer-length", status, answer, body)

    request_id = api(port, producer, "POST", "/api/requests", {
        "tweet_url": "https://x.com/sara_k/status/1861234567890123456?s=20", "tweet_text": "How do families get water?",
        "camp": "Kakuma", "languages": ["en"]})["id"]
    results["request"] = request_id
    clip_id = secrets.token_hex(16)
    results["clip_id"] = clip_id

    # 1. The proxy, its length told with the last bytes (--plain: a stream sent once, its length
    #    known at creation and its duration declared, no original behind it).
    if args.plain:
        location = tus_create(port, field, "POST stream", {
            "filename": os.path.basename(args.proxy), "request": request_id, "speaker": "Abu Omar", "consent": "true",
            "duration": f"{results['proxy_duration']:.3f}"}, length=results["proxy_bytes"])
    else:
        location = tus_create(port, field, "POST proxy", {
            "filename": "abu-proxy.mp4", "request": request_id, "speaker": "Abu Omar", "consent": "true",
            "clip_id": clip_id, "clip_role": "proxy", "duration": f"{results['proxy_duration']:.3f}"})
    results["proxy_upload"] = location

    def head_while_deferred(offset):
        answer = tus_head(port, field, location, "HEAD while the length is deferred")
        results["head_while_deferred"] = {k: answer.get(k) for k in ("upload-offset", "upload-length", "upload-defer-length")}
        if answer.get("upload-defer-length") != "1" or "upload-length" in answer or answer.get("upload-offset") != str(offset):
            failures.append(f"HEAD while the length is deferred answered {results['head_while_deferred']}, "
                            f"not Upload-Defer-Length 1 and Upload-Offset {offset} without Upload-Length")

    send_seconds, chunks, last_ack = tus_send(port, field, location, args.proxy, args.chunk_kb << 10, args.rate_kbps, "proxy",
                                              tell_length=not args.plain, checksum=args.chunk_checksum,
                                              on_first_ack=None if args.plain else head_while_deferred)
    results.update(send_seconds=round(send_seconds, 3), proxy_chunks=chunks,
                   achieved_kbps=round(results["proxy_bytes"] * 8 / 1000 / send_seconds, 1) if send_seconds else None)

    # 2. The reply, ready moments after the last byte (or a whole render later without arriving renders).
    reply_job, ready_at = wait_until_ready(port, producer, request_id, args.timeout, results)
    results["ready_after_last_byte_seconds"] = round(ready_at - last_ack, 3)
    results["request_state"] = "ready"
    results["reply_job"] = reply_job
    results["arriving_render"] = arriving_outcome(args.workspace, location.rstrip("/").rsplit("/", 1)[-1])
    answer = tus_head(port, field, location, "HEAD of the whole proxy")
    results["head_after_last_byte"] = {k: answer.get(k) for k in ("upload-offset", "upload-length", "upload-defer-length")}
    if answer.get("upload-length") != str(results["proxy_bytes"]):
        failures.append(f"HEAD of the whole proxy answered {results['head_after_last_byte']}, not Upload-Length {results['proxy_bytes']}")
    if not reply_job:
        raise Failed("the request is ready but names no job")
    detail = api(port, producer, "GET", f"/api/jobs/{reply_job}")
    manifest = detail.get("manifest")
    manifest_path = os.path.join(args.workspace, "outbox", reply_job, "manifest.json")
    try:
        with open(manifest_path) as f:
            on_disk = json.load(f)
    except (OSError, ValueError) as error:
        on_disk = None
        failures.append(f"{manifest_path}: {error}")
    manifest = manifest or on_disk
    if not manifest:
        raise Failed(f"the reply job {reply_job} has no manifest")
    if on_disk and detail.get("manifest") and {k: on_disk.get(k) for k in ("made_from", "rendered_while_arriving")} \
            != {k: detail["manifest"].get(k) for k in ("made_from", "rendered_while_arriving")}:
        failures.append("the API's manifest and outbox manifest.json differ on made_from / rendered_while_arriving")
    reply = next((o for o in manifest.get("outputs", []) if o.get("role") == "reply"), {})
    results.update(made_from=manifest.get("made_from"), rendered_while_arriving=bool(manifest.get("rendered_while_arriving", False)),
                   reply_duration=reply.get("duration"), reply_bytes=reply.get("bytes"), stage_seconds=manifest.get("stage_seconds"),
                   reply_attempts=detail["job"].get("attempts"))
    if manifest.get("made_from") != ("original" if args.plain else "proxy"):
        failures.append(f"the reply's manifest says made_from {manifest.get('made_from')!r}")
    if args.no_arriving and results["rendered_while_arriving"]:
        failures.append("rendered_while_arriving is true although the service ran with --arriving-renders 0")
    if not args.no_arriving and not results["rendered_while_arriving"]:
        arrived = results["arriving_render"]
        failures.append("the reply was not rendered while the proxy arrived (rendered_while_arriving is not true; arriving render: "
                        + arrived["outcome"] + (f": {arrived['reason']}" if arrived.get("reason") else "") + ")")
    if not isinstance(reply.get("duration"), (int, float)):
        failures.append("the manifest has no reply output with a duration")
    elif reply["duration"] < results["proxy_duration"] - 0.25:
        failures.append(f"the reply lasts {reply['duration']} s, shorter than the proxy's {results['proxy_duration']:.3f} s")
    if args.plain:
        return
    before = receipt_for(port, field, clip_id)
    results["receipt_before_original"] = {k: before.get(k) for k in ("state", "made_from", "original")} if before else None
    if not before:
        failures.append(f"no receipt names clip_id {clip_id} once the reply is ready")
    elif before.get("original") != "not_sent":
        failures.append(f"before the original was sent, the receipt says original {before.get('original')!r}, not 'not_sent'")

    # 3. The camera's original, the editors' cut made from it.
    original_sha = sha256(args.original)
    location = tus_create(port, field, "POST original", {
        "filename": os.path.basename(args.original), "request": request_id, "speaker": "Abu Omar", "consent": "true",
        "clip_id": clip_id, "clip_role": "original", "sha256": original_sha}, length=results["original_bytes"])
    results["original_upload"] = location
    sent = time.monotonic()
    seconds, chunks, last_ack = tus_send(port, field, location, args.original, args.chunk_kb << 10, 0, "original")
    results.update(original_send_seconds=round(seconds, 3), original_chunks=chunks)
    cut = wait_for_cut(port, producer, reply_job, args.timeout)
    results["bts_job"] = cut["id"]
    results["bts_ready_after_last_byte_seconds"] = round(time.monotonic() - last_ack, 3)
    results["bts_made_from_original"] = cut.get("source_sha256") == original_sha
    if not results["bts_made_from_original"]:
        failures.append(f"the bts-cut job's source_sha256 {cut.get('source_sha256')} is not the original's {original_sha}")
    bts = os.path.join(args.workspace, "outbox", cut["id"], "bts.mp4")
    if not os.path.isfile(bts):
        raise Failed(f"{bts} is missing", bts_outbox=sorted(os.listdir(os.path.dirname(bts))) if os.path.isdir(os.path.dirname(bts)) else None)
    (camera_sizes, camera_md5), (bts_sizes, bts_md5) = video_packets(args.original), video_packets(bts)
    results["bts_packets_identical"] = camera_sizes == bts_sizes and camera_md5 == bts_md5
    results["bts_packets"] = {"camera": len(camera_sizes), "bts": len(bts_sizes), "camera_md5": camera_md5, "bts_md5": bts_md5}
    if not results["bts_packets_identical"]:
        first = next((i for i, (a, b) in enumerate(zip(camera_sizes, bts_sizes)) if a != b), min(len(camera_sizes), len(bts_sizes)))
        results["bts_packets"]["first_difference"] = first
        failures.append(f"bts.mp4's video packets are not the camera's ({len(bts_sizes)} vs {len(camera_sizes)} packets, "
                        f"first difference at packet {first}, MD5 {bts_md5} vs {camera_md5})")
    bts_output = next((o for o in (api(port, producer, "GET", f"/api/jobs/{cut['id']}").get("manifest") or {}).get("outputs", [])
                       if o.get("role") == "bts"), {})
    results["bts_video_codec"] = bts_output.get("video_codec")
    receipt = receipt_for(port, field, clip_id)
    results["receipt"] = {k: receipt.get(k) for k in ("id", "kind", "state", "clip_id", "made_from", "original")} if receipt else None
    results["original_in"] = bool(receipt) and receipt.get("original") == "in"
    if not receipt:
        failures.append(f"no receipt names clip_id {clip_id} after the original arrived")
    elif not results["original_in"]:
        failures.append(f"the receipt says original {receipt.get('original')!r}, not 'in'")
    elif receipt.get("made_from") != "proxy":
        failures.append(f"the receipt says made_from {receipt.get('made_from')!r}, not 'proxy'")
    request = api(port, producer, "GET", f"/api/requests/{request_id}")
    results["request_state"] = request.get("state")
    if request.get("state") != "ready":
        failures.append(f"after the original, the request is {request.get('state')!r}, not 'ready'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mediaorch")
    parser.add_argument("workspace")
    parser.add_argument("proxy", help="a fragmented MP4 made from the clip")
    parser.add_argument("original", help="the camera's file")
    parser.add_argument("--rate-kbps", type=float, default=4000, help="the proxy's pace, kilobits a second (0: unpaced)")
    parser.add_argument("--chunk-kb", type=int, default=256, help="PATCH size, KiB")
    parser.add_argument("--no-arriving", action="store_true", help="run the service with --arriving-renders 0 (the baseline)")
    parser.add_argument("--chunk-checksum", action="store_true", help="send Upload-Checksum: sha256 with every PATCH")
    parser.add_argument("--plain", action="store_true", help="send PROXY as a stream sent once (known length, `duration` declared, "
                        "no clip id): its reply too is rendered while it arrives; ORIGINAL is not sent")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the reply, and again for the bts cut")
    args = parser.parse_args()
    args.workspace = os.path.abspath(args.workspace)
    log_path = os.path.join(os.path.dirname(args.workspace.rstrip("/")), "arriving-check.log")
    port = free_port()
    results = {"proxy_bytes": None, "rate_kbps": args.rate_kbps, "chunk_kb": args.chunk_kb, "arriving_renders": 0 if args.no_arriving else 1,
               "send_seconds": None, "ready_after_last_byte_seconds": None, "made_from": None, "rendered_while_arriving": None,
               "reply_duration": None, "original_in": None, "bts_packets_identical": None, "request_state": None, "log": log_path}
    failures = []
    service = Service(args.mediaorch, args.workspace, port, log_path, arriving=not args.no_arriving)
    # A SIGTERM to this script still stops the service and prints the report.
    def terminated(*_):
        raise Failed("arriving-check.py was sent SIGTERM")
    signal.signal(signal.SIGTERM, terminated)
    try:
        if args.chunk_kb <= 0 or args.rate_kbps < 0:
            raise Failed("--chunk-kb must be positive and --rate-kbps not negative")
        for name in ("proxy", "original"):
            if not os.path.isfile(getattr(args, name)):
                raise Failed(f"{name} {getattr(args, name)} is not a file")
        if not os.access(args.mediaorch, os.X_OK):
            raise Failed(f"{args.mediaorch} is not an executable")
        if os.path.isdir(args.workspace) and os.listdir(args.workspace):
            raise Failed(f"{args.workspace} is not empty: give a new workspace (the same clip sent again would be one job)")
        os.makedirs(args.workspace, exist_ok=True)
        results["proxy_bytes"] = os.path.getsize(args.proxy)
        results["original_bytes"] = os.path.getsize(args.original)
        results["proxy_duration"] = round(video_seconds(args.proxy), 3)
        check(args, results, failures, service, port)
    except Failed as failure:
        failures.insert(0, failure.reason)
        results.update(failure.details)
    except KeyboardInterrupt:
        failures.insert(0, "interrupted")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stopped = service.stop()
        if stopped:
            results["service"] = stopped
            results["arriving_log"] = service.lines_matching(r"arriv|proxy|took over|taking over")
            if failures:
                results["log_tail"] = service.tail()
    results["failure"] = "; ".join(failures) if failures else None
    print(json.dumps(results, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
