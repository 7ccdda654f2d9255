#!/usr/bin/env python3
"""An attack suite for `mediaorch watch`'s HTTP side (issue 25): what a hostile or broken client
sends, and what a user checks afterwards.

usage: python3 scripts/attack.py .build/debug/mediaorch [--only NAME[,NAME...]] [--keep] [-v]

Builds a throw-away workspace in test-output/attack/workspace (wiped first), makes tokens
(producer, editor, viewer, uploaders for camps Kakuma and Shatila, a second Kakuma uploader, and
one Kakuma uploader of its own for each test that leaves tus uploads behind, so the per-token
in-flight limit of one test never blocks another) and reply requests with the command line, then
starts

    mediaorch watch --workspace WS --port P --workers 0 --orphan-hours 0.002

with its log in test-output/attack/watch.log, and runs the named tests one after another. After
every test the service must still run (its process alive, /health answering 200); a dead service
fails the test that killed it, and is started again so the later tests still run. Every request
has a timeout, every test a time budget, and the suite one too. Prints one line per test
(PASS name / FAIL name: reason) and ends with the line `N passed, N failed`; exits 1 when a test
failed. The workspace is removed when every test passed, unless --keep.

Only the Python standard library; only loopback addresses; nothing here edits the project.
"""
import argparse
import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "test-output" / "attack"
WS = RUN / "workspace"
LOG = RUN / "watch.log"
SAMPLE_CLIP = ROOT / "SampleMedia" / "silent_4x3.mp4"
SAMPLE_SRT = ROOT / "SampleMedia" / "abu.en.srt"

SUITE_BUDGET = 330          # seconds for every test together (aim: well under 4 minutes)
DEFAULT_TEST_BUDGET = 60    # seconds one test may take before it is called hung
GiB4 = 4 << 30
INT64_MAX = "9223372036854775807"
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_STREAM = "application/offset+octet-stream"

# Tokens made before the service starts: name -> (role, camp).
TOKENS = {
    "producer": ("producer", None),
    "editor": ("editor", None),
    "viewer": ("viewer", None),
    "kakuma": ("uploader", "Kakuma"),
    "shatila": ("uploader", "Shatila"),
    "kakuma2": ("uploader", "Kakuma"),
    # One each for the tests that leave unfinished tus uploads behind (at most 4 per token).
    "kakuma-overflow": ("uploader", "Kakuma"),
    "kakuma-bounds": ("uploader", "Kakuma"),
    "kakuma-overrun": ("uploader", "Kakuma"),
    "kakuma-tusmeta": ("uploader", "Kakuma"),
    "kakuma-after": ("uploader", "Kakuma"),
    "kakuma-putrace": ("uploader", "Kakuma"),
    "kakuma-delrace": ("uploader", "Kakuma"),
    "kakuma-limit": ("uploader", "Kakuma"),
    "kakuma-big": ("uploader", "Kakuma"),
    # Revoked with the command line while its event stream is open.
    "wall-screen-revoked": ("viewer", None),
}

# Reply requests made before the service starts: name -> (camp, tweet url).
REQUESTS = {
    "K1": ("Kakuma", "https://x.com/kakuma_q1/status/1620000000000000101"),  # tus metadata ticket, forged reply_to
    "K2": ("Kakuma", "https://x.com/kakuma_q2/status/1620000000000000102"),  # PUT ticket, forged reply_to
    "K3": ("Kakuma", "https://x.com/kakuma_q3/status/1620000000000000103"),  # Shatila tries to take it
    "K4": ("Kakuma", "https://x.com/kakuma_q4/status/1620000000000000104"),  # read by the role matrix
    "S1": ("Shatila", "https://x.com/shatila_q1/status/1620000000000000201"),  # Kakuma tries to take it
}

VERBOSE = False


def say(text):
    if VERBOSE:
        print(f"    {text}", flush=True)


class Fail(Exception):
    """A check did not hold; the message says which and what was seen."""


class Problems:
    """Collects every check that did not hold in a test, so one run names them all."""

    def __init__(self):
        self.items = []

    def expect(self, condition, message):
        if not condition:
            self.items.append(message)
            say(f"problem: {message}")
        return condition

    def done(self):
        if self.items:
            raise Fail("; ".join(self.items))


def one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def metadata(**values):
    return ",".join(f"{k} {b64(v)}" for k, v in values.items())


# ---------------------------------------------------------------------------------------------
# HTTP

class Resp:
    def __init__(self, status, headers, body, error=None, seconds=0.0):
        self.status, self.headers, self.body, self.error, self.seconds = status, headers, body, error, seconds

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fail(f"expected JSON, got {self.status} {one_line(self.text, 120)!r}")

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        if self.status is None:
            return f"<no answer: {self.error}>"
        return f"{self.status} {one_line(self.text, 160)!r}"


def http_request(port, method, path, token=None, headers=None, body=None, timeout=15, stream=False, auth=None):
    """One request on a fresh connection. `stream`: return once the headers are in (event streams)."""
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = auth
    elif token:
        h["Authorization"] = f"Bearer {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    if body is not None and len(body) > 1 << 20:
        # A big body may be refused half way (413) and the connection closed: send it from a
        # thread while this one listens, so the answer is heard rather than met with EPIPE.
        return raw_request(port, method, path, {**h, "Content-Length": str(len(body))}, body, timeout)
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        headers_in = {k.lower(): v for k, v in r.getheaders()}
        data = b"" if stream else r.read()
        resp = Resp(r.status, headers_in, data, seconds=time.monotonic() - started)
    except (OSError, http.client.HTTPException) as error:
        resp = Resp(None, {}, b"", error=f"{type(error).__name__}: {error}", seconds=time.monotonic() - started)
    finally:
        conn.close()
    say(f"{method} {path[:90]} -> {resp.status if resp.status is not None else resp.error} ({resp.seconds:.2f} s)")
    return resp


def read_response(sock, deadline, head_only=False):
    """Reads one HTTP/1.1 answer from a raw socket by `deadline`: Resp, or status None when the
    server closed (or stayed silent) before a status line."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return Resp(None, {}, buf, error="no answer before the deadline")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return Resp(None, {}, buf, error="no answer before the deadline")
        except OSError as error:
            return Resp(None, {}, buf, error=f"connection failed: {error}")
        if not chunk:
            return Resp(None, {}, buf, error="the server closed the connection without an answer")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return Resp(None, {}, buf, error=f"not an HTTP status line: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    if head_only or status in (204, 304) or 100 <= status < 200:
        return Resp(status, headers, rest)
    length = headers.get("content-length")
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    while True:
        if length is not None and len(rest) >= int(length):
            rest = rest[: int(length)]
            break
        if chunked and (rest.endswith(b"0\r\n\r\n")):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    if chunked:  # good enough for the small bodies read here
        out, data = b"", rest
        while data:
            size_line, _, data = data.partition(b"\r\n")
            try:
                size = int(size_line.split(b";")[0], 16)
            except ValueError:
                break
            if size == 0:
                break
            out, data = out + data[:size], data[size + 2:]
        rest = out
    return Resp(status, headers, rest)


class RawConn:
    """A bare TCP connection to the service, for what http.client will not send: lying
    Content-Lengths, bodies trickled a few bytes at a time, headers sent long before the body."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    @staticmethod
    def head(method, path, headers):
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def response(self, timeout=15, head_only=False):
        return read_response(self.sock, time.monotonic() + timeout, head_only=head_only)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def raw_request(port, method, path, headers, body=b"", timeout=20):
    """Sends head and body from a thread of their own while this one reads the answer, so a
    server that answers 413 half way through a big body is heard rather than met with EPIPE."""
    try:
        conn = RawConn(port, timeout=timeout)
    except OSError as error:
        return Resp(None, {}, b"", error=f"cannot connect: {error}")
    head = RawConn.head(method, path, headers)

    def sender():
        if not conn.send(head):
            return
        for i in range(0, len(body), 1 << 16):
            if not conn.send(body[i:i + (1 << 16)]):
                return
    t = threading.Thread(target=sender, daemon=True)
    started = time.monotonic()
    t.start()
    resp = conn.response(timeout=timeout)
    resp.seconds = time.monotonic() - started
    conn.close()
    t.join(5)
    say(f"{method} {path[:90]} (raw, {len(head) + len(body)} bytes) -> {resp.status if resp.status is not None else resp.error}")
    return resp


# ---------------------------------------------------------------------------------------------
# The service

def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class Service:
    """`mediaorch watch` on the suite's workspace; its stdout and stderr appended to LOG."""

    def __init__(self, binary):
        self.binary = binary
        self.port = free_port()
        self.proc = None
        self.orphan_flag = True  # whether this build knows --orphan-hours
        self.starts = 0

    def command(self):
        command = [self.binary, "watch", "--workspace", str(WS), "--port", str(self.port), "--workers", "0"]
        return command + (["--orphan-hours", "0.002"] if self.orphan_flag else [])

    def mark(self, text):
        with open(LOG, "a") as f:
            f.write(f"\n===== attack.py {time.strftime('%H:%M:%S')} {text} =====\n")

    def start(self):
        for _ in range(2):
            self.starts += 1
            self.mark(f"start #{self.starts}: {' '.join(self.command())}")
            log_size = LOG.stat().st_size
            with open(LOG, "ab") as out:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                             start_new_session=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.health(timeout=2):
                    return
                time.sleep(0.1)
            if self.proc.poll() is None:
                self.stop()
                raise SystemExit(f"attack.py: mediaorch watch did not answer /health within 60 s (see {LOG})")
            with open(LOG, "rb") as f:
                f.seek(log_size)
                tail = f.read().decode("utf-8", "replace")
            if self.orphan_flag and "orphan-hours" in tail:
                print("note: this build does not know --orphan-hours; started without it", flush=True)
                self.orphan_flag = False
                continue
            raise SystemExit(f"attack.py: mediaorch watch exited at start ({self.proc.returncode}):\n{tail[-2000:]}")
        raise SystemExit("attack.py: mediaorch watch would not start")

    def health(self, timeout=10):
        r = http_request(self.port, "GET", "/health", timeout=timeout)
        return r.status == 200

    def condition(self):
        """None while the service runs and /health answers; else what is wrong."""
        code = self.proc.poll()
        if code is not None:
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"signal {-code}"
                return f"the service died of {name}"
            return f"the service exited with status {code}"
        for _ in range(3):
            if self.health(timeout=10):
                return None
            if self.proc.poll() is not None:
                return self.condition()
            time.sleep(0.5)
        return "the service runs but /health does not answer 200"

    def settle(self, timeout=20):
        """After a connection died mid-request: waits until the service either answers /health
        again or has exited (a trap first spends seconds in Swift's backtracer); returns
        condition()."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None or self.health(timeout=2):
                break
            time.sleep(0.2)
        return self.condition()

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.start()


# ---------------------------------------------------------------------------------------------
# What every test uses

class Suite:
    def __init__(self, binary):
        self.binary = binary
        self.service = Service(binary)
        self.tokens = {}
        self.requests = {}
        self.counter = 0
        self.base_clip = SAMPLE_CLIP.read_bytes()
        self.outputs_job = None
        self.receivers = []

    @property
    def port(self):
        return self.service.port

    # -- the command line

    def cli(self, *args, check=True, timeout=30):
        command = [self.binary, *args]
        r = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        say(f"$ mediaorch {' '.join(a if not a.startswith('mo_') else 'mo_…' for a in args)} -> {r.returncode}")
        if check and r.returncode != 0:
            raise Fail(f"`mediaorch {' '.join(args[:3])}` failed ({r.returncode}): {one_line(r.stderr)}")
        return r

    def make_tokens_and_requests(self):
        for name, (role, camp) in TOKENS.items():
            args = ["tokens", "add", "--workspace", str(WS), "--role", role, "--name", name]
            if camp:
                args += ["--camp", camp]
            self.tokens[name] = self.cli(*args).stdout.strip().splitlines()[-1].strip()
        for name, (camp, url) in REQUESTS.items():
            r = self.cli("requests", "add", "--workspace", str(WS), "--tweet-url", url,
                         "--text", f"Attack suite request {name}: what is life like in {camp}?", "--camp", camp)
            self.requests[name] = r.stdout.strip().splitlines()[-1].strip()

    def tok(self, name):
        return self.tokens[name]

    def tid(self, name):
        """A token's id: the first 8 hex digits of its SHA-256 (as `mediaorch tokens list` shows)."""
        return sha256(self.tokens[name].encode())[:8]

    def nonce(self):
        self.counter += 1
        return f"{self.counter:03d}{os.urandom(2).hex()}"

    def clip(self, tag):
        """A small, whole MP4 (SampleMedia/silent_4x3.mp4) made unique by a trailing free box,
        so every upload is its own job (the same content twice is one job)."""
        payload = f"attack.py {tag} ".encode() + os.urandom(16)
        data = self.base_clip + struct.pack(">I", 8 + len(payload)) + b"free" + payload
        return data, sha256(data)

    # -- HTTP

    def http(self, method, path, token=None, **kwargs):
        return http_request(self.port, method, path, token=token, **kwargs)

    def raw(self, method, path, headers, body=b"", timeout=20):
        return raw_request(self.port, method, path, headers, body, timeout)

    def put(self, token_name, name, data, timeout=20):
        if isinstance(data, (dict, list)):
            data = json.dumps(data).encode()
        elif isinstance(data, str):
            data = data.encode()
        return self.http("PUT", f"/api/uploads/{name}", self.tok(token_name), body=data,
                         headers={"Content-Type": "application/octet-stream"}, timeout=timeout)

    def tus_create(self, token_name, length, meta=None, headers=None, body=None, timeout=15):
        h = dict(TUS)
        h["Upload-Length"] = str(length)
        if meta is not None:
            h["Upload-Metadata"] = meta
        if body is not None:
            h["Content-Type"] = OFFSET_STREAM
        h.update(headers or {})
        return self.http("POST", "/api/tus", self.tok(token_name), headers=h, body=body, timeout=timeout)

    def tus_patch(self, token_name, location, offset, data, timeout=15):
        return self.http("PATCH", location, self.tok(token_name), body=data, timeout=timeout,
                         headers={**TUS, "Upload-Offset": str(offset), "Content-Type": OFFSET_STREAM})

    def tus_delete(self, token_name, location):
        return self.http("DELETE", location, self.tok(token_name), headers=TUS)

    def tus_head(self, token_name, location):
        return self.http("HEAD", location, self.tok(token_name), headers=TUS)

    def tus_new(self, token_name, filename, length, **meta):
        r = self.tus_create(token_name, length, metadata(filename=filename, **meta))
        if r.status != 201 or not r.header("location"):
            raise Fail(f"creating a tus upload of {filename} ({length} bytes) answered {r!r}")
        return r.header("location")

    def tus_upload_whole(self, token_name, filename, data, **meta):
        location = self.tus_new(token_name, filename, len(data), **meta)
        r = self.tus_patch(token_name, location, 0, data)
        if r.status != 204 or r.header("upload-offset") != str(len(data)):
            raise Fail(f"the PATCH of all of {filename} answered {r!r} (Upload-Offset {r.header('upload-offset')})")
        return location

    # -- what a producer sees

    def jobs(self):
        r = self.http("GET", "/api/jobs?limit=1000", self.tok("producer"))
        if r.status != 200:
            raise Fail(f"GET /api/jobs as a producer answered {r!r}")
        return r.json()

    def wait_for_jobs(self, shas, timeout=20):
        """The jobs (by source SHA-256) that appear within `timeout` seconds."""
        wanted, found = set(shas), {}
        deadline = time.monotonic() + timeout
        while True:
            for job in self.jobs():
                if job.get("source_sha256") in wanted:
                    found[job["source_sha256"]] = job
            if len(found) == len(wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.3)

    def job_detail(self, job_id):
        r = self.http("GET", f"/api/jobs/{job_id}", self.tok("producer"))
        if r.status != 200:
            raise Fail(f"GET /api/jobs/{job_id} as a producer answered {r!r}")
        return r.json()

    @staticmethod
    def ticket_of(job):
        raw = job.get("ticket_json")
        return json.loads(raw) if raw else {}

    def request_view(self, name_or_id):
        rid = self.requests.get(name_or_id, name_or_id)
        r = self.http("GET", f"/api/requests/{rid}", self.tok("producer"))
        if r.status != 200:
            raise Fail(f"GET /api/requests/{rid} as a producer answered {r!r}")
        return r.json()

    def inbox_names(self):
        return sorted(os.listdir(WS / "inbox"))

    def inbox_shas(self):
        out = {}
        for name in self.inbox_names():
            path = WS / "inbox" / name
            if path.is_file():
                try:
                    out[sha256(path.read_bytes())] = name
                except OSError:
                    pass
        return out

    def archived(self, sha):
        """Names in archive/<sha16>/ whose bytes have this SHA-256."""
        folder = WS / "archive" / sha[:16]
        if not folder.is_dir():
            return []
        return [n for n in os.listdir(folder) if sha256((folder / n).read_bytes()) == sha]

    def upload_records(self):
        folder = WS / "uploads"
        return {n[:-5] for n in os.listdir(folder) if n.endswith(".info")} if folder.is_dir() else set()

    def ensure_outputs(self):
        """A job with outputs to download: workers 0 renders nothing, so a clip is uploaded, and
        a reply.mp4 and thumbnails are put into its outbox folder by hand (as a render would)."""
        if self.outputs_job is None:
            data, sha = self.clip("outputs")
            r = self.put("producer", f"outputs-{self.nonce()}.mp4", data)
            if r.status != 201:
                raise Fail(f"the producer's PUT of a clip answered {r!r}")
            job = self.wait_for_jobs([sha]).get(sha)
            if not job:
                raise Fail("the producer's clip never became a job")
            self.outputs_job = job["id"]
        folder = WS / "outbox" / self.outputs_job
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in [("reply.mp4", self.base_clip), ("thumb-320.jpg", b"\xff\xd8\xff\xe0fake jpeg\xff\xd9"),
                           ("thumb.jpg", b"\xff\xd8\xff\xe0fake jpeg\xff\xd9")]:
            if not (folder / name).exists():
                (folder / name).write_bytes(data)
        return self.outputs_job

    def some_job(self):
        return self.ensure_outputs()


# ---------------------------------------------------------------------------------------------
# Tests

TESTS = []


def test(budget=DEFAULT_TEST_BUDGET):
    def register(fn):
        fn.budget = budget
        TESTS.append(fn)
        return fn
    return register


NOT_AN_ID = "0" * 32  # a well-formed tus upload id nobody made

ROLE_PERMISSIONS = {
    "producer": {"readJobs", "controlJobs", "downloadOutputs", "requestCuts", "upload", "manageRequests",
                 "markPosted", "seeOpenRequests", "seeWebhooks"},
    "editor": {"readJobs", "downloadOutputs", "requestCuts"},
    "uploader": {"upload", "seeOpenRequests"},
    "viewer": {"readJobs"},
}


@test(budget=90)
def role_matrix(s):
    """An attacker calls every route of APIServer.swift with no token, with garbled tokens (an
    unknown one, a real one with a digit changed, Basic, a bare scheme, 5000 characters, a token
    without its scheme), and each role's real token. Must hold: no token and a garbled token get
    401 on every protected route; a role without the route's permission gets 403; a role with it
    gets neither (nor a 5xx); the open routes (dashboard, /health, /openapi.json, OPTIONS /api/tus)
    answer without a token."""
    p = Problems()
    job, rq = "no-such-job", s.requests["K4"]
    any_token = None
    routes = [
        ("GET", "/metrics", {"readJobs"}, {}, None),
        ("GET", "/api/session", any_token, {}, None),
        ("GET", "/api/jobs", {"readJobs"}, {}, None),
        ("GET", f"/api/jobs/{job}", {"readJobs"}, {}, None),
        ("GET", "/api/events", {"readJobs"}, {}, None),
        ("GET", "/api/nodes", {"readJobs"}, {}, None),
        ("POST", f"/api/jobs/{job}/retry", {"controlJobs"}, {}, b""),
        ("POST", f"/api/jobs/{job}/cancel", {"controlJobs"}, {}, b""),
        ("POST", f"/api/jobs/{job}/cuts", {"requestCuts"}, {}, b""),
        ("GET", f"/api/jobs/{job}/outputs", {"downloadOutputs"}, {}, None),
        ("GET", f"/api/jobs/{job}/outputs/reply.mp4", {"downloadOutputs"}, {}, None),
        ("POST", f"/api/jobs/{job}/posted", {"markPosted"}, {}, b'{"url": "https://x.com/a/status/1"}'),
        ("PUT", "/api/uploads/matrix-probe.txt", {"upload"}, {}, b"x"),
        ("POST", "/api/requests", {"manageRequests"}, {"Content-Type": "application/json"}, b"{}"),
        ("GET", "/api/requests", {"readJobs", "seeOpenRequests"}, {}, None),
        ("GET", f"/api/requests/{rq}", {"readJobs", "seeOpenRequests"}, {}, None),
        ("POST", "/api/requests/rq-0000000000/cancel", {"manageRequests"}, {}, b""),
        ("GET", "/api/webhooks", {"seeWebhooks"}, {}, None),
        ("GET", "/api/webhooks/deliveries", {"seeWebhooks"}, {}, None),
        ("POST", "/api/tus", {"upload"}, dict(TUS), b""),
        ("HEAD", f"/api/tus/{NOT_AN_ID}", {"upload"}, dict(TUS), None),
        ("PATCH", f"/api/tus/{NOT_AN_ID}", {"upload"}, {**TUS, "Upload-Offset": "0", "Content-Type": OFFSET_STREAM}, b"x"),
        ("DELETE", f"/api/tus/{NOT_AN_ID}", {"upload"}, dict(TUS), None),
        ("GET", "/api/receipts", {"upload"}, {}, None),
        ("POST", f"/api/receipts/{job}/consent", {"upload"}, {}, b""),
    ]
    producer = s.tok("producer")
    changed = producer[:-1] + ("1" if producer[-1] != "1" else "2")
    garbled = {
        "no token": None,
        "unknown token": "Bearer mo_" + "0" * 64,
        "a token with one digit changed": "Bearer " + changed,
        "Basic credentials": "Basic " + base64.b64encode(f"producer:{producer}".encode()).decode(),
        "a bare Bearer": "Bearer",
        "5000 characters": "Bearer " + "A" * 5000,
        "a token without its scheme": producer,
    }
    roles = {"producer": "producer", "editor": "editor", "uploader": "kakuma", "viewer": "viewer"}
    for method, path, needs, headers, body in routes:
        stream = path == "/api/events"
        for label, auth in garbled.items():
            h = dict(headers)
            if auth is not None:
                h["Authorization"] = auth
            r = s.http(method, path, headers=h, body=body, stream=stream, timeout=10)
            p.expect(r.status == 401, f"{method} {path} with {label}: {r.status if r.status else r.error} (expected 401)")
        for role, token_name in roles.items():
            r = s.http(method, path, s.tok(token_name), headers=headers, body=body, stream=stream, timeout=10)
            allowed = needs is None or bool(needs & ROLE_PERMISSIONS[role])
            if allowed:
                p.expect(r.status is not None and r.status not in (401, 403) and r.status < 500,
                         f"{method} {path} as {role}: {r.status if r.status else r.error} (allowed: expected neither 401/403 nor 5xx)")
            else:
                p.expect(r.status == 403, f"{method} {path} as {role}: {r.status if r.status else r.error} (expected 403)")
    for method, path in [("GET", "/"), ("GET", "/dashboard.css"), ("GET", "/dashboard.js"), ("GET", "/field"),
                         ("GET", "/field.css"), ("GET", "/field.js"), ("GET", "/openapi.json"), ("GET", "/health"),
                         ("OPTIONS", "/api/tus"), ("OPTIONS", f"/api/tus/{NOT_AN_ID}")]:
        r = s.http(method, path)
        p.expect(r.status in (200, 204), f"open route {method} {path} without a token: {r!r}")
    p.done()


@test()
def tus_patch_content_length_overflow(s):
    """Finding 1. An attacker makes an upload of 100 bytes, sends 1 byte at offset 0, then a PATCH
    at offset 1 declaring Content-Length: 9223372036854775807 (offset + length overflows a 64-bit
    integer; the old binary dies of SIGILL). Must hold: 413, the upload still stands at offset 1
    (HEAD), and the service keeps running. Also Content-Lengths no server can hold (2^64+1, -1):
    refused (400/413, or the connection closed), never a crash."""
    p = Problems()
    location = s.tus_new("kakuma-overflow", "overflow.mp4", 100)
    r = s.tus_patch("kakuma-overflow", location, 0, b"x")
    if r.status != 204:
        raise Fail(f"the 1-byte PATCH at offset 0 answered {r!r}")
    headers = {"Authorization": f"Bearer {s.tok('kakuma-overflow')}", **TUS, "Upload-Offset": "1",
               "Content-Type": OFFSET_STREAM, "Content-Length": INT64_MAX}
    r = s.raw("PATCH", location, headers, body=b"xxxxxxxx", timeout=10)
    if r.status is None and s.service.settle():
        raise Fail(f"PATCH at offset 1 with Content-Length {INT64_MAX}: no answer, and {s.service.condition()}")
    p.expect(r.status == 413, f"PATCH at offset 1 with Content-Length {INT64_MAX}: {r!r} (expected 413)")
    h = s.tus_head("kakuma-overflow", location)
    p.expect(h.status == 200 and h.header("upload-offset") == "1",
             f"HEAD after the refused PATCH: {h.status} Upload-Offset {h.header('upload-offset')} (expected 200, 1)")
    for declared in ["18446744073709551617", "-1", "99999999999999999999999999"]:
        headers["Content-Length"] = declared
        r = s.raw("PATCH", location, headers, body=b"x", timeout=10)
        if r.status is None and s.service.settle():
            raise Fail(f"PATCH with Content-Length {declared}: no answer, and {s.service.condition()}")
        p.expect(r.status in (400, 413) or r.status is None,
                 f"PATCH with Content-Length {declared}: {r!r} (expected 400/413 or the connection closed)")
    # PUT with a Content-Length no disk holds, then the client vanishes.
    put_headers = {"Authorization": f"Bearer {s.tok('kakuma-overflow')}", "Content-Length": INT64_MAX}
    r = s.raw("PUT", "/api/uploads/overflow-put.mp4", put_headers, body=b"x" * 100, timeout=1.5)
    p.expect(r.status in (None, 413), f"PUT with Content-Length {INT64_MAX}: {r!r} (expected 413 or no answer yet)")
    s.tus_delete("kakuma-overflow", location)
    p.done()


@test()
def tus_upload_length_bounds(s):
    """Finding 1. An attacker creates tus uploads with Upload-Length values that are negative,
    garbage, zero, fractional, hexadecimal, past 4 GiB and past 2^63. Must hold: 1 … 4294967296 is
    taken (201; 429 is accepted for 4 GiB should a daily byte allowance refuse it); above → 413;
    not a whole number, negative or garbage → 400; nothing is created for a refused one."""
    p = Problems()
    before = s.upload_records()
    bad = ["-1", "abc", "1e3", "0x10", "0", "1.5", "12 34", "-9223372036854775808", ""]
    for value in bad:
        r = s.tus_create("kakuma-bounds", value, metadata(filename="bounds.mp4"))
        p.expect(r.status == 400, f"Upload-Length {value!r}: {r!r} (expected 400)")
    for value in ["4294967297", INT64_MAX]:
        r = s.tus_create("kakuma-bounds", value, metadata(filename="bounds.mp4"))
        p.expect(r.status == 413, f"Upload-Length {value}: {r!r} (expected 413)")
    # Past Int64: "above" (413), though a parser that cannot hold it may call it garbage (400).
    for value in ["18446744073709551617", "9" * 40]:
        r = s.tus_create("kakuma-bounds", value, metadata(filename="bounds.mp4"))
        p.expect(r.status in (400, 413), f"Upload-Length {value[:24]}…: {r!r} (expected 413, or 400)")
    p.expect(s.upload_records() == before, f"refused creations left uploads: {sorted(s.upload_records() - before)}")
    for value, allowed in [("1", (201,)), (str(GiB4), (201, 429))]:
        r = s.tus_create("kakuma-bounds", value, metadata(filename="bounds-ok.mp4"))
        p.expect(r.status in allowed, f"Upload-Length {value}: {r!r} (expected {allowed})")
        if r.status == 201:
            s.tus_delete("kakuma-bounds", r.header("location"))
    p.done()


@test()
def tus_upload_offset_bounds(s):
    """Finding 1. On an upload of 100 bytes an attacker PATCHes with Upload-Offset garbage,
    negative, fractional, past Upload-Length, past 2^63, and not where the upload stands. Must
    hold: garbage → 400; a whole number inside 0…100 but not the current offset → 409; beyond
    Upload-Length → 400 or 409; a Content-Length past what is left → 413; the right offset → 204;
    the upload keeps only what was accepted."""
    p = Problems()
    location = s.tus_new("kakuma-bounds", "offsets.mp4", 100)
    for value in ["abc", "-1", "1.0", "", "0x0", "99999999999999999999999"]:
        r = s.tus_patch("kakuma-bounds", location, value, b"x")
        p.expect(r.status == 400, f"Upload-Offset {value!r}: {r!r} (expected 400)")
    r = s.tus_patch("kakuma-bounds", location, 50, b"x")
    p.expect(r.status == 409, f"Upload-Offset 50 on an empty upload: {r!r} (expected 409)")
    for value in ["101", INT64_MAX]:
        r = s.tus_patch("kakuma-bounds", location, value, b"x")
        p.expect(r.status in (400, 409), f"Upload-Offset {value} past Upload-Length 100: {r!r} (expected 400 or 409)")
    r = s.tus_patch("kakuma-bounds", location, 0, b"x" * 101)
    p.expect(r.status == 413, f"101 bytes at offset 0 of a 100-byte upload: {r!r} (expected 413)")
    r = s.tus_patch("kakuma-bounds", location, 0, b"x" * 10)
    p.expect(r.status == 204 and r.header("upload-offset") == "10", f"10 bytes at offset 0: {r!r} offset {r.header('upload-offset')}")
    r = s.tus_patch("kakuma-bounds", location, 10, b"x" * 91)
    p.expect(r.status == 413, f"91 bytes at offset 10 of 100: {r!r} (expected 413)")
    r = s.tus_patch("kakuma-bounds", location, 0, b"x")
    p.expect(r.status == 409, f"Upload-Offset 0 again after 10 bytes: {r!r} (expected 409)")
    h = s.tus_head("kakuma-bounds", location)
    p.expect(h.header("upload-offset") == "10", f"HEAD: Upload-Offset {h.header('upload-offset')} (expected 10)")
    s.tus_delete("kakuma-bounds", location)
    p.done()


@test()
def tus_creation_with_upload_overrun(s):
    """Finding 1. An attacker uses creation-with-upload: POST Upload-Length 10 carrying 20 bytes,
    and another declaring Content-Length 2^63-1. Must hold: 413, and no upload is left behind
    (no new record in WS/uploads, nothing in the inbox); five such refusals later the same token
    can still create an upload (the refused ones never counted against its in-flight limit). A
    creation-with-upload that carries less than its length is taken (201, Upload-Offset)."""
    p = Problems()
    before = s.upload_records()
    inbox_before = set(s.inbox_names())
    r = s.tus_create("kakuma-overrun", 10, metadata(filename="overrun.mp4"), body=b"y" * 20)
    p.expect(r.status == 413, f"POST Upload-Length 10 with 20 bytes: {r!r} (expected 413)")
    headers = {"Authorization": f"Bearer {s.tok('kakuma-overrun')}", **TUS, "Upload-Length": "10",
               "Upload-Metadata": metadata(filename="overrun.mp4"), "Content-Type": OFFSET_STREAM, "Content-Length": INT64_MAX}
    r = s.raw("POST", "/api/tus", headers, body=b"y" * 5, timeout=10)
    p.expect(r.status == 413, f"POST Upload-Length 10 with Content-Length {INT64_MAX}: {r!r} (expected 413)")
    left = s.upload_records() - before
    p.expect(not left, f"the refused creations left {len(left)} upload(s) in WS/uploads: {sorted(left)}")
    for _ in range(4):
        s.tus_create("kakuma-overrun", 10, metadata(filename="overrun.mp4"), body=b"y" * 20)
    r = s.tus_create("kakuma-overrun", 10, metadata(filename="overrun-partial.mp4"), body=b"y" * 4)
    p.expect(r.status == 201 and r.header("upload-offset") == "4",
             f"after refused overruns, POST Upload-Length 10 with 4 bytes: {r!r} Upload-Offset {r.header('upload-offset')} (expected 201, 4)")
    if r.status == 201:
        d = s.tus_delete("kakuma-overrun", r.header("location"))
        p.expect(d.status == 204, f"DELETE of the partial upload: {d!r}")
    arrived = [n for n in set(s.inbox_names()) - inbox_before if "overrun" in n]
    p.expect(not arrived, f"an overrun reached the inbox: {arrived}")
    p.done()


@test()
def query_limit_bounds(s):
    """Finding 1. An attacker lists jobs and requests with limit=0, -1, 1001, 2^63, 10^23, 1.5, abc.
    Must hold: 400 for each; 1 and 1000 answer 200."""
    p = Problems()
    for path in ["/api/jobs", "/api/requests"]:
        for value in ["0", "-1", "1001", INT64_MAX, "9223372036854775808", "1" + "0" * 23, "1.5", "abc", "0x10"]:
            r = s.http("GET", f"{path}?limit={value}", s.tok("producer"))
            p.expect(r.status == 400, f"GET {path}?limit={value[:24]}: {r.status if r.status else r.error} (expected 400)")
        for value in ["1", "1000"]:
            r = s.http("GET", f"{path}?limit={value}", s.tok("producer"))
            p.expect(r.status == 200, f"GET {path}?limit={value}: {r!r} (expected 200)")
    p.done()


@test()
def uploads_land_under_uploader_prefix(s):
    """Finding 2. Two Kakuma phones and the producer PUT a clip of the same name, and a Kakuma
    phone sends one by tus. Must hold: each PUT answers 201 with {"file": "up-<tokenid>-NAME",
    "kind": "clip", "bytes": n} where tokenid is the first 8 hex of sha256(token); each becomes a
    job of its own, archived under that inbox name (the job's archive_path; its source_name may
    show the name as sent); the tus hand-off is archived as up-<tokenid>-… too."""
    p = Problems()
    n = s.nonce()
    name = f"prefix-{n}.mp4"
    sent = {}
    for who in ["kakuma", "kakuma2", "producer"]:
        data, sha = s.clip(f"prefix {who} {n}")
        r = s.put(who, name, data)
        expected = f"up-{s.tid(who)}-{name}"
        if p.expect(r.status == 201, f"{who}'s PUT of {name}: {r!r} (expected 201)"):
            body = r.json()
            p.expect(body.get("file") == expected and body.get("kind") == "clip" and body.get("bytes") == len(data),
                     f"{who}'s PUT answered {one_line(json.dumps(body), 160)} (expected file {expected}, kind clip, bytes {len(data)})")
            sent[sha] = (who, expected)
    data, tus_sha = s.clip(f"prefix tus {n}")
    s.tus_upload_whole("kakuma-tusmeta", f"prefix-tus-{n}.mp4", data)
    jobs = s.wait_for_jobs(list(sent) + [tus_sha])
    for sha, (who, expected) in sent.items():
        job = jobs.get(sha)
        if p.expect(job is not None, f"{who}'s clip never became a job"):
            archived = os.path.basename(str(job.get("archive_path")))
            p.expect(archived == expected, f"{who}'s clip was archived as {archived!r} (expected its inbox name {expected!r})")
    job = jobs.get(tus_sha)
    prefix = f"up-{s.tid('kakuma-tusmeta')}-"
    if p.expect(job is not None, "the tus upload never became a job"):
        archived = os.path.basename(str(job.get("archive_path")))
        p.expect(archived.startswith(prefix), f"the tus hand-off was archived as {archived!r} (expected a name starting {prefix!r})")
    p.done()


@test()
def put_cross_uploader_same_camp(s):
    """Finding 2. Kakuma's first phone PUTs shared.job.json (speaker 'Kakuma One'); the second
    Kakuma phone PUTs a ticket of the same name (speaker 'Kakuma Two') and then its own clip
    shared.mp4; then the first phone PUTs its shared.mp4. The second phone also plants a ticket
    named up-<first phone's id>-imp.job.json before the first phone PUTs imp.mp4. Must hold: the
    first phone's clip is queued with its own ticket (speaker 'Kakuma One'); the second phone's
    clip never with the first phone's ticket (and with its own when its ticket was taken); both
    clips are jobs; the planted up-<id>- ticket never applies to the first phone's clip."""
    p = Problems()
    n = s.nonce()
    r = s.put("kakuma", f"shared-{n}.job.json", {"speaker": {"name": "Kakuma One", "consent": True}})
    if r.status != 201:
        raise Fail(f"Kakuma's ticket PUT answered {r!r}")
    r2 = s.put("kakuma2", f"shared-{n}.job.json", {"speaker": {"name": "Kakuma Two", "consent": True}})
    p.expect(r2.status in (201, 409), f"the second phone's ticket of the same name: {r2!r} (expected 201 or 409)")
    c2, sha2 = s.clip(f"shared two {n}")
    r = s.put("kakuma2", f"shared-{n}.mp4", c2)
    p.expect(r.status == 201, f"the second phone's clip shared-{n}.mp4: {r!r} (expected 201)")
    c1, sha1 = s.clip(f"shared one {n}")
    r = s.put("kakuma", f"shared-{n}.mp4", c1)
    p.expect(r.status == 201, f"the first phone's own clip shared-{n}.mp4 after the second's: {r!r} (expected 201)")
    r = s.put("kakuma2", f"up-{s.tid('kakuma')}-imp-{n}.job.json", {"speaker": {"name": "Impostor", "consent": True}})
    p.expect(r.status in (201, 400, 409), f"the planted up-<id>- ticket: {r!r}")
    c3, sha3 = s.clip(f"imp {n}")
    r = s.put("kakuma", f"imp-{n}.mp4", c3)
    p.expect(r.status == 201, f"the first phone's imp-{n}.mp4: {r!r} (expected 201)")
    jobs = s.wait_for_jobs([sha1, sha2, sha3])
    one, two, imp = jobs.get(sha1), jobs.get(sha2), jobs.get(sha3)
    if p.expect(one is not None, "the first phone's clip never became a job"):
        speaker = (s.ticket_of(one).get("speaker") or {}).get("name")
        p.expect(speaker == "Kakuma One", f"the first phone's clip was queued with speaker {speaker!r} (expected its own ticket's 'Kakuma One')")
    if p.expect(two is not None, "the second phone's clip never became a job"):
        speaker = (s.ticket_of(two).get("speaker") or {}).get("name")
        p.expect(speaker != "Kakuma One", "the second phone's clip was queued with the first phone's ticket (speaker 'Kakuma One')")
        if r2.status == 201:
            p.expect(speaker == "Kakuma Two", f"the second phone's clip was queued with speaker {speaker!r} (expected its own ticket's 'Kakuma Two')")
        p.expect(two.get("camp") == "Kakuma", f"the second phone's clip: camp {two.get('camp')!r}")
    if p.expect(imp is not None, "the first phone's imp clip never became a job"):
        speaker = (s.ticket_of(imp).get("speaker") or {}).get("name")
        p.expect(speaker != "Impostor", "a ticket planted under the name up-<first phone's id>-… applied to the first phone's clip")
    p.done()


@test()
def captions_stay_with_uploader(s):
    """Finding 2. Kakuma's first phone PUTs cap.en.srt; the second Kakuma phone PUTs a ticket naming
    cap.en.srt as its captions, and its clip; then the first phone PUTs its own ticket naming
    cap.en.srt, and its clip. Must hold: the first phone's ticket is rewritten to name its own
    file (up-<its id>-cap.en.srt); its clip becomes a job with that caption archived beside it
    (same bytes); the second phone's clip never takes the first phone's caption file."""
    p = Problems()
    n = s.nonce()
    srt = SAMPLE_SRT.read_bytes()
    caption = f"cap-{n}.en.srt"
    r = s.put("kakuma", caption, srt)
    if r.status != 201:
        raise Fail(f"Kakuma's caption PUT answered {r!r}")
    own_caption = r.json().get("file", caption)
    r = s.put("kakuma2", f"capsteal-{n}.job.json", {"captions": [{"file": caption, "language": "en", "burn": True}]})
    p.expect(r.status in (201, 400, 404), f"the second phone's ticket naming the first's caption: {r!r}")
    thief, thief_sha = s.clip(f"capsteal {n}")
    r = s.put("kakuma2", f"capsteal-{n}.mp4", thief)
    p.expect(r.status == 201, f"the second phone's clip: {r!r}")
    r = s.put("kakuma", f"capown-{n}.job.json", {"captions": [{"file": caption, "language": "en", "burn": True}]})
    p.expect(r.status == 201, f"the first phone's own ticket naming its caption: {r!r} (expected 201)")
    data, sha = s.clip(f"capown {n}")
    r = s.put("kakuma", f"capown-{n}.mp4", data)
    p.expect(r.status == 201, f"the first phone's clip: {r!r}")
    jobs = s.wait_for_jobs([sha], timeout=20)
    job = jobs.get(sha)
    if p.expect(job is not None, "the first phone's clip never became a job (its caption file was taken?)"):
        files = [c.get("file") for c in s.ticket_of(job).get("captions") or []]
        p.expect(files == [own_caption], f"the first phone's job names captions {files} (expected [{own_caption!r}])")
        folder = WS / Path(job["archive_path"]).parent
        p.expect((folder / own_caption).exists() and (folder / own_caption).read_bytes() == srt,
                 f"{own_caption} is not archived beside the first phone's clip (in {folder.name}: {sorted(os.listdir(folder)) if folder.is_dir() else []})")
    time.sleep(1)
    thief_job = s.wait_for_jobs([thief_sha], timeout=0).get(thief_sha)
    if thief_job:
        folder = WS / Path(thief_job["archive_path"]).parent
        stolen = [f for f in os.listdir(folder) if f.endswith(caption)] if folder.is_dir() else []
        p.expect(not stolen, f"the second phone's clip was archived with the first phone's caption: {stolen}")
    p.done()


@test()
def put_planted_ticket_other_camp(s):
    """Finding 2. Shatila's phone plants IMG_4242.job.json (speaker 'Planted', a reply_to of its
    choosing); then Kakuma's phone PUTs IMG_4242.mp4. Must hold: Kakuma's clip becomes a job
    whose ticket says camp Kakuma, never Shatila's speaker or reply_to."""
    p = Problems()
    r = s.put("shatila", "IMG_4242.job.json", {"speaker": {"name": "Planted", "consent": True},
                                               "reply_to": {"tweet_id": "1620000000000009999", "handle": "@planted"}})
    p.expect(r.status in (201, 400, 403, 409), f"Shatila's planted ticket: {r!r}")
    data, sha = s.clip("IMG_4242")
    r = s.put("kakuma", "IMG_4242.mp4", data)
    if r.status != 201:
        raise Fail(f"Kakuma's PUT of IMG_4242.mp4 answered {r!r} (expected 201)")
    job = s.wait_for_jobs([sha]).get(sha)
    if not job:
        raise Fail("Kakuma's IMG_4242.mp4 never became a job")
    detail = s.job_detail(job["id"])["job"]
    ticket = s.ticket_of(detail)
    p.expect(detail.get("camp") == "Kakuma", f"Kakuma's IMG_4242.mp4 was queued for camp {detail.get('camp')!r} (Shatila's planted ticket applied)")
    p.expect((ticket.get("speaker") or {}).get("name") != "Planted", "Kakuma's IMG_4242.mp4 carries Shatila's planted speaker")
    p.expect((ticket.get("reply_to") or {}).get("handle") != "@planted", "Kakuma's IMG_4242.mp4 carries Shatila's planted reply_to")
    p.done()


@test()
def ticket_caption_naming_clip(s):
    """Finding 2. Shatila's phone PUTs IMG_5151.job.json whose captions name IMG_5151.mp4 (a clip
    as a 'caption', to have Kakuma's clip archived as Shatila's caption file); then Kakuma PUTs
    IMG_5151.mp4. Must hold: the ticket PUT is 400 naming captions[0].file (also for .mov and for
    the producer); Kakuma's PUT is 201 and becomes a job of its own, camp Kakuma, archived."""
    p = Problems()
    r = s.put("shatila", "IMG_5151.job.json", {"captions": [{"file": "IMG_5151.mp4", "language": "en", "burn": True}]})
    p.expect(r.status == 400 and "captions[0].file" in r.text,
             f"Shatila's ticket naming IMG_5151.mp4 as captions: {r!r} (expected 400 naming captions[0].file)")
    r = s.put("producer", f"capclip-{s.nonce()}.job.json",
              {"captions": [{"file": "a.en.srt", "language": "en"}, {"file": "other.MOV", "language": "ar"}]})
    p.expect(r.status == 400 and "captions[1].file" in r.text,
             f"a producer's ticket naming other.MOV as captions: {r!r} (expected 400 naming captions[1].file)")
    data, sha = s.clip("IMG_5151")
    r = s.put("kakuma", "IMG_5151.mp4", data)
    p.expect(r.status == 201, f"Kakuma's PUT of IMG_5151.mp4: {r!r} (expected 201)")
    if r.status == 201:
        job = s.wait_for_jobs([sha]).get(sha)
        if p.expect(job is not None, "Kakuma's IMG_5151.mp4 never became a job of its own"):
            p.expect(job.get("camp") == "Kakuma", f"Kakuma's IMG_5151.mp4 was queued for camp {job.get('camp')!r}")
            p.expect("IMG_5151" in str(job.get("source_name")), f"the job's source_name is {job.get('source_name')!r}")
            p.expect(bool(s.archived(sha)), "Kakuma's IMG_5151.mp4 is not in WS/archive")
    p.done()


@test()
def put_ticket_other_camp_request(s):
    """Finding 3. Shatila's phone PUTs a ticket naming Kakuma's request K3, then its clip anyway;
    Kakuma's second phone PUTs a ticket naming Shatila's request S1. Must hold: both ticket PUTs
    are 404 'no such request for this token's camp'; Shatila's clip is not linked to K3 (its job
    has no request_id K3) and K3 is still open with no job; S1 likewise."""
    p = Problems()
    k3, s1 = s.requests["K3"], s.requests["S1"]
    n = s.nonce()
    r = s.put("shatila", f"steal-{n}.job.json", {"request": k3, "speaker": {"name": "Thief", "consent": True}})
    p.expect(r.status == 404 and "no such request" in r.text,
             f"Shatila's ticket naming Kakuma's request: {r!r} (expected 404 no such request for this token's camp)")
    data, sha = s.clip(f"steal {n}")
    r = s.put("shatila", f"steal-{n}.mp4", data)
    p.expect(r.status == 201, f"Shatila's clip after its ticket: {r!r}")
    r = s.put("kakuma2", f"steal2-{n}.job.json", {"request": s1, "speaker": {"name": "Thief", "consent": True}})
    p.expect(r.status == 404 and "no such request" in r.text,
             f"Kakuma's ticket naming Shatila's request: {r!r} (expected 404 no such request for this token's camp)")
    job = s.wait_for_jobs([sha], timeout=15).get(sha)
    if job:
        p.expect(job.get("request_id") != k3, "Shatila's clip was linked to Kakuma's request K3")
    for name in ["K3", "S1"]:
        view = s.request_view(name)
        p.expect(view.get("state") == "open" and not view.get("job_id"),
                 f"request {name} ({view.get('camp')}) is {view.get('state')!r} with job {view.get('job_id')!r} (expected open, no job)")
    p.done()


@test()
def put_ticket_forged_reply_to(s):
    """Finding 3. Kakuma's phone PUTs a ticket for its own request K2 with a forged reply_to
    (tweet 1, @forged), then the clip. Must hold: the job is linked to K2 and its ticket's
    reply_to is K2's (tweet id and handle from the request); GET /api/requests/K2 names the job."""
    p = Problems()
    k2 = s.requests["K2"]
    n = s.nonce()
    r = s.put("kakuma", f"forged-{n}.job.json", {"request": k2, "reply_to": {"tweet_id": "1", "handle": "@forged"},
                                                  "speaker": {"name": "Abu", "consent": True}})
    if r.status != 201:
        raise Fail(f"Kakuma's ticket for its own request K2 answered {r!r} (expected 201)")
    data, sha = s.clip(f"forged {n}")
    r = s.put("kakuma", f"forged-{n}.mp4", data)
    if r.status != 201:
        raise Fail(f"Kakuma's clip answered {r!r}")
    job = s.wait_for_jobs([sha]).get(sha)
    if not job:
        raise Fail("the clip never became a job")
    request = s.request_view("K2")
    detail = s.job_detail(job["id"])["job"]
    reply_to = s.ticket_of(detail).get("reply_to") or {}
    p.expect(detail.get("request_id") == k2, f"the job's request_id is {detail.get('request_id')!r} (expected K2 {k2})")
    p.expect(reply_to.get("tweet_id") == request["tweet_id"] and reply_to.get("handle") == request["handle"],
             f"the job's reply_to is {reply_to} (expected the request's tweet {request['tweet_id']}, {request['handle']})")
    p.expect(request.get("job_id") == job["id"], f"request K2 names job {request.get('job_id')!r} (expected {job['id']})")
    p.done()


@test()
def tus_metadata_tickets(s):
    """Findings 2 and 3 over tus. An attacker's Upload-Metadata: captions naming a clip; a whole
    ticket whose captions name a .mov; another camp's request id (as `request` and inside a
    `ticket`); a ticket for its own request K1 with a forged reply_to; and Shatila planting
    IMG_4343.job.json before Kakuma's tus upload IMG_4343.mp4. Must hold: 400 naming
    captions[0].file; 404 'no such request' for the other camp's request; the forged reply_to is
    replaced by K1's; the planted ticket never applies (camp Kakuma)."""
    p = Problems()
    created = []
    r = s.tus_create("kakuma-tusmeta", 1000, metadata(filename="meta-a.mp4",
                     captions=json.dumps([{"file": "meta-a.mp4", "language": "en", "burn": True}])))
    p.expect(r.status == 400 and "captions[0].file" in r.text, f"metadata captions naming the clip: {r!r} (expected 400 naming captions[0].file)")
    created.append(r.header("location"))
    r = s.tus_create("kakuma-tusmeta", 1000, metadata(filename="meta-b.mp4",
                     ticket=json.dumps({"captions": [{"file": "holiday.mov", "language": "en"}]})))
    p.expect(r.status == 400 and "captions[0].file" in r.text, f"a metadata ticket naming holiday.mov as captions: {r!r} (expected 400 naming captions[0].file)")
    created.append(r.header("location"))
    k1, k3 = s.requests["K1"], s.requests["K3"]
    r = s.tus_create("shatila", 1000, metadata(filename="meta-c.mp4", request=k3, speaker="Thief", consent="true"))
    p.expect(r.status == 404 and "no such request" in r.text, f"Shatila's upload against Kakuma's request: {r!r} (expected 404)")
    r = s.tus_create("shatila", 1000, metadata(filename="meta-d.mp4", ticket=json.dumps({"request": k3})))
    p.expect(r.status == 404 and "no such request" in r.text, f"Shatila's metadata ticket naming Kakuma's request: {r!r} (expected 404)")
    for location in created:
        if location:
            s.tus_delete("kakuma-tusmeta", location)
    data, sha = s.clip("meta forged")
    s.tus_upload_whole("kakuma-tusmeta", "meta-forged.mp4", data, ticket=json.dumps(
        {"request": k1, "reply_to": {"tweet_id": "1", "handle": "@forged"}, "speaker": {"name": "Abu", "consent": True}}))
    r = s.put("shatila", "IMG_4343.job.json", {"speaker": {"name": "Planted", "consent": True}})
    planted, planted_sha = s.clip("IMG_4343")
    s.tus_upload_whole("kakuma-tusmeta", "IMG_4343.mp4", planted)
    jobs = s.wait_for_jobs([sha, planted_sha])
    job = jobs.get(sha)
    if p.expect(job is not None, "the upload against K1 never became a job"):
        request = s.request_view("K1")
        reply_to = s.ticket_of(s.job_detail(job["id"])["job"]).get("reply_to") or {}
        p.expect(job.get("request_id") == k1, f"the job's request_id is {job.get('request_id')!r} (expected K1)")
        p.expect(reply_to.get("tweet_id") == request["tweet_id"] and reply_to.get("handle") == request["handle"],
                 f"the job's reply_to is {reply_to} (expected K1's {request['tweet_id']}, {request['handle']})")
    job = jobs.get(planted_sha)
    if p.expect(job is not None, "Kakuma's IMG_4343.mp4 never became a job"):
        p.expect(job.get("camp") == "Kakuma" and job.get("speaker") != "Planted",
                 f"Kakuma's IMG_4343.mp4 was queued for camp {job.get('camp')!r}, speaker {job.get('speaker')!r}")
    p.done()


@test(budget=90)
def race_put_vs_tus_handoff(s):
    """Finding 4. Twelve times, one Kakuma token sends race-N.mp4 by tus (all but its last byte)
    and by PUT (another content, all but its last byte), then sends both last bytes at the same
    moment (order and a few ms of spacing vary); the tus upload names its speaker in its metadata.
    Must hold, every time: the PUT answers 201, the PATCH 204 with the whole length, and both
    contents are ingested (two jobs, both originals in WS/archive): a hand-off never replaces a
    file; and the tus clip's job keeps its own ticket (its speaker), the PUT's never takes it."""
    p = Problems()
    token = s.tok("kakuma-putrace")
    expected = []
    for i in range(12):
        n = s.nonce()
        name = f"race-{n}.mp4"
        tus_data, tus_sha = s.clip(f"race tus {n}")
        put_data, put_sha = s.clip(f"race put {n}")
        location = s.tus_new("kakuma-putrace", name, len(tus_data), speaker=f"Tus {n}", consent="true")
        r = s.tus_patch("kakuma-putrace", location, 0, tus_data[:-1])
        if r.status != 204:
            p.expect(False, f"round {i}: the first PATCH answered {r!r}")
            continue
        patch = RawConn(s.port)
        put = RawConn(s.port)
        patch.send(RawConn.head("PATCH", location, {"Authorization": f"Bearer {token}", **TUS, "Upload-Offset": str(len(tus_data) - 1),
                                                    "Content-Type": OFFSET_STREAM, "Content-Length": "1"}))
        put.send(RawConn.head("PUT", f"/api/uploads/{name}", {"Authorization": f"Bearer {token}", "Content-Length": str(len(put_data))})
                 + put_data[:-1])
        time.sleep(0.3)  # both requests are in their handlers, waiting for their last byte
        gap = (i % 4) * 0.002
        first, second = ((patch, tus_data[-1:]), (put, put_data[-1:])) if i % 2 == 0 else ((put, put_data[-1:]), (patch, tus_data[-1:]))
        first[0].send(first[1])
        if gap:
            time.sleep(gap)
        second[0].send(second[1])
        rp, ru = patch.response(timeout=20), put.response(timeout=20)
        patch.close()
        put.close()
        p.expect(rp.status == 204 and rp.header("upload-offset") == str(len(tus_data)),
                 f"round {i}: the last PATCH answered {rp!r} (expected 204)")
        p.expect(ru.status == 201, f"round {i}: the PUT of {name} answered {ru!r} (expected 201: both survive)")
        if rp.status == 204:
            expected.append((i, "tus", tus_sha, f"Tus {n}"))
        if ru.status == 201:
            expected.append((i, "PUT", put_sha, f"Tus {n}"))
    jobs = s.wait_for_jobs([sha for _, _, sha, _ in expected], timeout=25)
    lost = [f"round {i} {kind}" for i, kind, sha, _ in expected if sha not in jobs and not s.archived(sha)]
    p.expect(not lost, f"answered success but never ingested (replaced in the inbox?): {', '.join(lost)}")
    for i, kind, sha, speaker in expected:
        job = jobs.get(sha)
        if job is None:
            continue
        named = (s.ticket_of(job).get("speaker") or {}).get("name")
        if kind == "tus":
            p.expect(named == speaker, f"round {i}: the tus clip's job has speaker {named!r}, not its own {speaker!r} (its ticket was replaced)")
        else:
            p.expect(named != speaker, f"round {i}: the PUT clip's job took the tus upload's ticket")
    p.done()


@test()
def tus_no_204_after_delete_or_handoff(s):
    """Finding 5, one request at a time. An attacker DELETEs an upload half way, then PATCHes and
    DELETEs it again; and PATCHes and DELETEs an upload after its last byte was handed off. Must
    hold: none of the later requests answers 2xx (404, 409 or 410); the deleted one never
    reaches the inbox; the whole one becomes a job."""
    p = Problems()
    data, sha = s.clip("after delete")
    location = s.tus_new("kakuma-after", "after-delete.mp4", len(data))
    half = len(data) // 2
    r = s.tus_patch("kakuma-after", location, 0, data[:half])
    p.expect(r.status == 204, f"the first half: {r!r}")
    r = s.tus_delete("kakuma-after", location)
    p.expect(r.status == 204, f"DELETE half way: {r!r} (expected 204)")
    for what, r in [("PATCH the rest", s.tus_patch("kakuma-after", location, half, data[half:])),
                    ("PATCH from 0", s.tus_patch("kakuma-after", location, 0, data)),
                    ("DELETE again", s.tus_delete("kakuma-after", location)),
                    ("HEAD", s.tus_head("kakuma-after", location))]:
        p.expect(r.status in (404, 409, 410), f"after DELETE, {what}: {r!r} (expected 404/409/410)")
    whole, whole_sha = s.clip("after handoff")
    location = s.tus_upload_whole("kakuma-after", "after-handoff.mp4", whole)
    for what, r in [("PATCH one more byte", s.tus_patch("kakuma-after", location, len(whole), b"x")),
                    ("PATCH from 0", s.tus_patch("kakuma-after", location, 0, whole)),
                    ("DELETE", s.tus_delete("kakuma-after", location))]:
        p.expect(r.status in (404, 409, 410), f"after the hand-off, {what}: {r!r} (expected 404/409/410)")
    jobs = s.wait_for_jobs([whole_sha], timeout=15)
    p.expect(whole_sha in jobs, "the whole upload never became a job")
    time.sleep(1)  # a handed-off clip is ingested at once; the deleted one had as long
    jobs = s.wait_for_jobs([sha], timeout=0)
    p.expect(sha not in jobs and sha not in s.inbox_shas() and not s.archived(sha), "the deleted upload reached the inbox or became a job")
    p.done()


@test(budget=100)
def race_delete_vs_patch(s):
    """Finding 5, racing. Twelve times: a PATCH trickles all but the last byte of an upload over a
    raw socket (holding the upload's lock); behind it a DELETE and a PATCH of the last byte queue
    up; the trickle ends and they race. Must hold every time: not both answer 204; if the PATCH
    answered 204 with Upload-Offset == Upload-Length the clip becomes a job; if the DELETE answered
    204 nothing of it reaches the inbox or archive; afterwards no PATCH or DELETE answers 204."""
    p = Problems()
    token = s.tok("kakuma-delrace")
    must_arrive, must_not = [], []
    outcomes = {}
    for i in range(12):
        data, sha = s.clip(f"delrace {i}")
        length = len(data)
        location = s.tus_new("kakuma-delrace", f"delrace-{s.nonce()}.mp4", length)
        auth = {"Authorization": f"Bearer {token}", **TUS}
        trickle = RawConn(s.port, timeout=30)
        body = data[:-1]
        trickle.send(RawConn.head("PATCH", location, {**auth, "Upload-Offset": "0", "Content-Type": OFFSET_STREAM,
                                                      "Content-Length": str(len(body))}) + body[:-200])
        time.sleep(0.25)  # the trickling PATCH holds the lock
        results = {}

        def call(key, method, headers, payload):
            results[key] = http_request(s.port, method, location, headers=headers, body=payload, timeout=25)
        last = threading.Thread(target=call, args=("patch", "PATCH", {**auth, "Upload-Offset": str(length - 1),
                                                                      "Content-Type": OFFSET_STREAM}, data[-1:]))
        delete = threading.Thread(target=call, args=("delete", "DELETE", auth, None))
        (last if i % 2 else delete).start()
        time.sleep(0.01)
        (delete if i % 2 else last).start()
        for k in range(200, 0, -10):  # the rest of the trickle, 10 bytes every 40 ms
            time.sleep(0.04)
            trickle.send(body[len(body) - k:len(body) - k + 10])
        rt = trickle.response(timeout=20)
        trickle.close()
        last.join(30)
        delete.join(30)
        rp, rd = results.get("patch"), results.get("delete")
        outcomes[i] = f"trickle {rt.status} patch {rp.status if rp else None} delete {rd.status if rd else None}"
        patched = rp is not None and rp.status == 204 and rp.header("upload-offset") == str(length)
        deleted = rd is not None and rd.status == 204
        p.expect(not (patched and deleted), f"round {i}: both the last PATCH and the DELETE answered 204")
        if patched:
            must_arrive.append((i, sha))
        if deleted:
            must_not.append((i, sha))
        after = [("PATCH", s.tus_patch("kakuma-delrace", location, length - 1, data[-1:])),
                 ("DELETE", s.tus_delete("kakuma-delrace", location))]
        for what, r in after:
            p.expect(r.status is not None and not 200 <= r.status < 300, f"round {i}: a later {what} answered {r!r}")
    say("outcomes: " + "; ".join(f"{i}: {o}" for i, o in outcomes.items()))
    jobs = s.wait_for_jobs([sha for _, sha in must_arrive], timeout=15)
    time.sleep(1)  # renamed-in clips are ingested at once: a deleted one would be there by now
    jobs.update(s.wait_for_jobs([sha for _, sha in must_not], timeout=0))
    missing = [i for i, sha in must_arrive if sha not in jobs and not s.archived(sha) and sha not in s.inbox_shas()]
    p.expect(not missing, f"rounds {missing}: the PATCH answered 204 with the whole length but the clip never reached the inbox")
    inbox = s.inbox_shas()
    arrived = [i for i, sha in must_not if sha in jobs or sha in inbox or s.archived(sha)]
    p.expect(not arrived, f"rounds {arrived}: the DELETE answered 204 yet the clip reached the inbox")
    p.done()


@test()
def ticket_over_64k(s):
    """Finding 6. An attacker PUTs a 65 KiB ticket (valid JSON, padded). Must hold: 413; a
    64 KiB one (the limit) is still taken."""
    p = Problems()
    head = b'{"template": "twitter-reply", "speaker": {"name": "Big", "consent": true}'
    big = head + b" " * ((65 << 10) - len(head) - 1) + b"}"
    r = s.put("kakuma-big", f"big-{s.nonce()}.job.json", big)
    p.expect(r.status == 413, f"PUT of a {len(big)}-byte ticket: {r!r} (expected 413)")
    fits = head + b" " * ((64 << 10) - len(head) - 1) + b"}"
    r = s.put("kakuma-big", f"fits-{s.nonce()}.job.json", fits)
    p.expect(r.status == 201, f"PUT of a {len(fits)}-byte ticket: {r!r} (expected 201)")
    p.done()


@test()
def oversized_handle(s):
    """Finding 6. A 4 MB X handle: in a ticket PUT, in a tus metadata ticket (a 5 MB header), in a
    request's tweet_url, in a posted url. Must hold: the ticket 413 (over 64 KiB); the header
    refused (400/413/431 or closed); the request and posted url 400 (never 2xx or 5xx); a ticket
    with a 16-character handle is 400 naming reply_to.handle; the service stays up."""
    p = Problems()
    handle = "@" + "a" * 4_000_000
    r = s.put("kakuma-big", f"handle-{s.nonce()}.job.json", {"reply_to": {"tweet_id": "1", "handle": handle}})
    p.expect(r.status == 413, f"PUT of a ticket with a 4 MB handle: {r.status if r.status else r.error} (expected 413)")
    ticket = json.dumps({"reply_to": {"tweet_id": "1", "handle": handle}})
    headers = {"Authorization": f"Bearer {s.tok('kakuma-big')}", **TUS, "Upload-Length": "100",
               "Upload-Metadata": metadata(filename="handle.mp4", ticket=ticket), "Content-Length": "0"}
    r = s.raw("POST", "/api/tus", headers, timeout=20)
    p.expect(r.status in (400, 413, 431) or r.status is None, f"tus POST with a 4 MB handle in its metadata: {r.status} (expected 400/413/431)")
    if r.status == 201:
        s.tus_delete("kakuma-big", r.header("location"))
    body = {"tweet_url": f"https://x.com/{'a' * 4_000_000}/status/1", "tweet_text": "x", "camp": "Kakuma"}
    r = s.http("POST", "/api/requests", s.tok("producer"), body=body, timeout=20)
    p.expect(r.status == 400, f"POST /api/requests with a 4 MB handle: {r.status if r.status else r.error} (expected 400)")
    p.expect(len(r.body) < 64 << 10, f"the refusal echoed {len(r.body)} bytes back")
    job = s.some_job()
    r = s.http("POST", f"/api/jobs/{job}/posted", s.tok("producer"), body={"url": f"https://x.com/{'a' * 4_000_000}/status/1"}, timeout=20)
    p.expect(r.status is not None and 400 <= r.status < 500, f"POST posted with a 4 MB handle: {r.status if r.status else r.error} (expected 4xx)")
    r = s.put("producer", f"handle16-{s.nonce()}.job.json", {"reply_to": {"tweet_id": "1", "handle": "@sixteen_chars_xx"}})
    p.expect(r.status == 400 and "reply_to.handle" in r.text, f"a ticket with a 16-character handle: {r!r} (expected 400 naming reply_to.handle)")
    p.done()


@test()
def oversized_caption_list(s):
    """Finding 6. 60,000 caption entries: in a ticket PUT (about 3 MB), in tus metadata, and in a
    producer's retry body. Must hold: the ticket 413; the metadata refused (400/413/431 or
    closed); the retry 400 or 409, answered within 15 s, never 5xx; a ticket naming 9 captions is
    400 naming captions."""
    p = Problems()
    entries = [{"file": f"c{i}.srt", "language": "en"} for i in range(60_000)]
    r = s.put("kakuma-big", f"caps-{s.nonce()}.job.json", {"captions": entries}, timeout=30)
    p.expect(r.status == 413, f"PUT of a ticket with 60,000 captions: {r!r} (expected 413)")
    headers = {"Authorization": f"Bearer {s.tok('kakuma-big')}", **TUS, "Upload-Length": "100",
               "Upload-Metadata": metadata(filename="caps.mp4", captions=json.dumps(entries)), "Content-Length": "0"}
    r = s.raw("POST", "/api/tus", headers, timeout=20)
    p.expect(r.status in (400, 413, 431) or r.status is None, f"tus POST with 60,000 captions in its metadata: {r!r}")
    if r.status == 201:
        s.tus_delete("kakuma-big", r.header("location"))
    job = s.some_job()
    body = json.dumps({"captions": [{"file": f"c{i}.srt", "text": "x"} for i in range(60_000)]}).encode()
    assert len(body) < 4 << 20, "the retry body must stay under the 4 MiB JSON limit"
    r = s.http("POST", f"/api/jobs/{job}/retry", s.tok("producer"), body=body, timeout=30,
               headers={"Content-Type": "application/json"})
    p.expect(r.status in (400, 409) and r.seconds < 15,
             f"a retry with 60,000 captions ({len(body)} bytes): {r!r} in {r.seconds:.1f} s (expected 400/409 within 15 s)")
    nine = [{"file": f"n{i}.srt", "language": "en"} for i in range(9)]
    r = s.put("producer", f"nine-{s.nonce()}.job.json", {"captions": nine})
    p.expect(r.status == 400 and "captions" in r.text, f"a ticket naming 9 caption files: {r!r} (expected 400 naming captions)")
    p.done()


@test()
def ticket_field_rules(s):
    """Finding 6. A producer PUTs tickets breaking one field rule each: a tweet id of letters or
    21 digits, a 101-character or two-line speaker name, a 65-character camp, a one-letter caption
    language, a template with a path, a negative trim start, a trim end past 24 h. Must hold: 400
    naming the field each time; SampleMedia's real ticket is taken (201)."""
    p = Problems()
    cases = [
        ({"reply_to": {"tweet_id": "12ab", "handle": "@ok"}}, "reply_to.tweet_id"),
        ({"reply_to": {"tweet_id": "1" * 21, "handle": "@ok"}}, "reply_to.tweet_id"),
        ({"reply_to": {"tweet_id": "1", "handle": "no spaces allowed"}}, "reply_to.handle"),
        ({"speaker": {"name": "x" * 101}}, "speaker.name"),
        ({"speaker": {"name": "two\nlines"}}, "speaker.name"),
        ({"speaker": {"name": "ok", "camp": "c" * 65}}, "speaker.camp"),
        ({"captions": [{"file": "a.srt", "language": "x"}]}, "captions[0].language"),
        ({"template": "../../etc/passwd"}, "template"),
        ({"trim": {"start": -1, "end": 5}}, "trim.start"),
        ({"trim": {"start": 0, "end": 90000}}, "trim.end"),
    ]
    for ticket, field in cases:
        r = s.put("producer", f"rules-{s.nonce()}.job.json", ticket)
        p.expect(r.status == 400 and field in r.text, f"{one_line(json.dumps(ticket), 80)}: {r!r} (expected 400 naming {field})")
    real = (ROOT / "SampleMedia" / "kakuma_portrait.job.json").read_bytes()
    r = s.put("producer", f"rules-real-{s.nonce()}.job.json", real)
    p.expect(r.status == 201, f"SampleMedia/kakuma_portrait.job.json: {r!r} (expected 201)")
    p.done()


@test()
def caption_file_over_4mib(s):
    """Finding 6. An attacker PUTs a 4 MiB + 1 byte .srt and .vtt. Must hold: 413, nothing of it
    in the inbox."""
    p = Problems()
    cue = b"1\n00:00:00,000 --> 00:00:01,000\nhello\n\n"
    big = (cue * ((4 << 20) // len(cue) + 2))[: (4 << 20) + 1]
    for ext in ["srt", "vtt"]:
        name = f"huge-{s.nonce()}.en.{ext}"
        data = (b"WEBVTT\n\n" + big)[: (4 << 20) + 1] if ext == "vtt" else big
        r = s.raw("PUT", f"/api/uploads/{name}", {"Authorization": f"Bearer {s.tok('kakuma-big')}",
                                                 "Content-Length": str(len(data))}, data, timeout=30)
        p.expect(r.status == 413, f"PUT of a {len(data)}-byte .{ext}: {r!r} (expected 413)")
        p.expect(not any(name in n for n in s.inbox_names()), f"the oversized .{ext} is in the inbox")
    p.done()


@test()
def json_body_over_4mib(s):
    """Finding 6. A producer's token sends JSON bodies of 4 MiB + 1 byte to POST /api/requests,
    /api/jobs/{id}/retry, /cuts and /posted. Must hold: 413 every time (not 500)."""
    p = Problems()
    job = s.some_job()
    filler = "a" * (4 << 20)
    body = ('{"tweet_text": "' + filler + '"}').encode()
    for path in ["/api/requests", f"/api/jobs/{job}/retry", f"/api/jobs/{job}/cuts", f"/api/jobs/{job}/posted"]:
        r = s.raw("POST", path, {"Authorization": f"Bearer {s.tok('producer')}", "Content-Type": "application/json",
                                 "Content-Length": str(len(body))}, body, timeout=30)
        p.expect(r.status == 413, f"POST {path} with {len(body)} bytes of JSON: {r!r} (expected 413)")
    p.done()


@test()
def tus_inflight_limit(s):
    """Finding 6. One token opens tus uploads and never finishes them. Must hold: the first four
    are 201, the fifth 429; once one is DELETEd another may start (201)."""
    p = Problems()
    locations = []
    for i in range(4):
        r = s.tus_create("kakuma-limit", 1000, metadata(filename=f"limit-{i}.mp4"))
        p.expect(r.status == 201, f"unfinished upload {i + 1}: {r!r} (expected 201)")
        if r.status == 201:
            locations.append(r.header("location"))
    r = s.tus_create("kakuma-limit", 1000, metadata(filename="limit-5.mp4"))
    p.expect(r.status == 429, f"a 5th unfinished upload: {r!r} (expected 429)")
    if r.status == 201:
        locations.append(r.header("location"))
    if locations:
        d = s.tus_delete("kakuma-limit", locations.pop(0))
        p.expect(d.status == 204, f"DELETE of one: {d!r}")
        r = s.tus_create("kakuma-limit", 1000, metadata(filename="limit-6.mp4"))
        p.expect(r.status == 201, f"a new upload after a DELETE: {r!r} (expected 201)")
        if r.status == 201:
            locations.append(r.header("location"))
    for location in locations:
        s.tus_delete("kakuma-limit", location)
    p.done()


@test(budget=70)
def orphan_sidecars_moved(s):
    """Finding 7. A phone PUTs a ticket and a caption file for a clip it never sends; someone drops
    another ticket and caption file into WS/inbox by hand. Must hold (the service runs with
    --orphan-hours 0.002, 7.2 s): within 45 s all four leave the inbox for
    WS/inbox-orphans/<YYYY-MM-DD>/ (never deleted: the hand-dropped bytes are intact), and
    WS/inbox-orphans/moved.jsonl has a JSON line naming each."""
    if not s.service.orphan_flag:
        raise Fail("this build's `watch` does not know --orphan-hours")
    n = s.nonce()
    srt = SAMPLE_SRT.read_bytes()
    names = []
    for name, data in [(f"orphan-{n}.job.json", json.dumps({"speaker": {"name": "Nobody", "consent": True}}).encode()),
                       (f"orphan-{n}.en.srt", srt)]:
        r = s.put("kakuma", name, data)
        if r.status != 201:
            raise Fail(f"PUT of {name} answered {r!r}")
        names.append((r.json().get("file", name), None))
    for name, data in [(f"hand-orphan-{n}.job.json", b'{"speaker": {"name": "By hand", "consent": true}}\n'),
                       (f"hand-orphan-{n}.ar.srt", srt)]:
        temporary = WS / "inbox" / f".{name}.tmp"
        temporary.write_bytes(data)
        os.rename(temporary, WS / "inbox" / name)
        names.append((name, data))
    orphans = WS / "inbox-orphans"
    deadline = time.monotonic() + 45
    missing = names
    while time.monotonic() < deadline:
        moved = {}
        if orphans.is_dir():
            for folder in orphans.iterdir():
                if folder.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", folder.name):
                    for f in folder.iterdir():
                        moved[f.name] = f
        inbox = set(s.inbox_names())
        missing = [(name, data) for name, data in names
                   if name in inbox or not any(m == name or m.endswith(name) for m in moved)]
        if not missing:
            break
        time.sleep(0.5)
    p = Problems()
    p.expect(not missing, f"not moved to WS/inbox-orphans/<date>/ within 45 s: {[m for m, _ in missing]}"
             f" (still in the inbox: {[m for m, _ in missing if m in set(s.inbox_names())]})")
    if not missing:
        for name, data in names:
            if data is not None:
                found = [f for m, f in moved.items() if m == name or m.endswith(name)]
                p.expect(any(f.read_bytes() == data for f in found), f"{name} was moved but its bytes changed")
        ledger = orphans / "moved.jsonl"
        lines = ledger.read_text().splitlines() if ledger.exists() else []
        p.expect(lines, "WS/inbox-orphans/moved.jsonl is missing or empty")
        for line in lines:
            try:
                json.loads(line)
            except ValueError:
                p.expect(False, f"moved.jsonl holds a line that is not JSON: {line[:80]!r}")
                break
        for name, _ in names:
            p.expect(any(name in line for line in lines), f"moved.jsonl has no line naming {name}")
    p.done()


@test(budget=40)
def revoked_token_events_stream(s):
    """Finding 8. A wall screen's viewer token holds GET /api/events open; a producer revokes it
    with `mediaorch tokens revoke`. Must hold: the server ends the stream within 8 s of the
    revocation, and the token then gets 401."""
    token = s.tok("wall-screen-revoked")
    conn = RawConn(s.port, timeout=15)
    conn.send(RawConn.head("GET", "/api/events", {"Authorization": f"Bearer {token}", "Accept": "text/event-stream",
                                                  "Connection": "close"}))
    r = conn.response(timeout=10, head_only=True)
    if r.status != 200:
        conn.close()
        raise Fail(f"GET /api/events as a viewer answered {r!r}")
    s.cli("tokens", "revoke", "--workspace", str(WS), "wall-screen-revoked")
    revoked = time.monotonic()
    data, closed = r.body, False
    while time.monotonic() < revoked + 8:
        conn.sock.settimeout(max(0.05, revoked + 8 - time.monotonic()))
        try:
            chunk = conn.sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        if data.endswith(b"0\r\n\r\n"):
            closed = True
            break
    waited = time.monotonic() - revoked
    conn.close()
    p = Problems()
    p.expect(closed, f"the revoked token's event stream was still open {waited:.1f} s after `tokens revoke`")
    r = s.http("GET", "/api/jobs", token)
    p.expect(r.status == 401, f"the revoked token on GET /api/jobs: {r!r} (expected 401)")
    p.done()


class Receiver:
    """A local webhook endpoint: notes every POST; `trickle` > 0 answers 200 and then sends its
    body one byte a second for `trickle` seconds (a receiver on a bad line, or a hostile one)."""

    def __init__(self, trickle=0):
        self.hits = []
        self.stopping = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.hits.append((time.monotonic(), body))
                if trickle:
                    self.send_response(200)
                    self.send_header("Content-Length", str(trickle))
                    self.end_headers()
                    for _ in range(trickle):
                        if outer.stopping:
                            break
                        try:
                            self.wfile.write(b".")
                            self.wfile.flush()
                        except OSError:
                            break
                        time.sleep(1)
                    self.close_connection = True
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def got(self, text):
        return next((t for t, body in self.hits if text.encode() in body), None)

    def stop(self):
        self.stopping = True
        self.server.shutdown()
        self.server.server_close()


@test(budget=45)
def webhook_trickler_isolated(s):
    """Finding 9. Two endpoints want request.created: one answers 200 and then trickles its body
    for 40 s, the other answers at once. A producer makes a request (the trickler starts
    trickling), then a second one. Must hold: the fast endpoint gets the second request's event
    within 6 s of its creation, whatever the trickler does."""
    slow, fast = Receiver(trickle=40), Receiver()
    s.receivers += [slow, fast]

    def add(url):
        r = s.cli("webhooks", "add", "--workspace", str(WS), url, "--events", "request.created", check=False)
        if r.returncode != 0:
            r = s.cli("webhooks", "add", "--workspace", str(WS), "--url", url, "--events", "request.created", check=False)
        if r.returncode != 0:
            raise Fail(f"`mediaorch webhooks add {url}` failed: {one_line(r.stderr)}")
    add(slow.url)
    add(fast.url)
    try:
        def make_request(n):
            r = s.http("POST", "/api/requests", s.tok("producer"), body={
                "tweet_url": f"https://x.com/hook_test/status/16200000000000003{n:02d}", "tweet_text": f"webhook test {n}", "camp": "Kakuma"})
            if r.status != 201:
                raise Fail(f"POST /api/requests answered {r!r}")
            return r.json()["id"]
        first = make_request(1)
        deadline = time.monotonic() + 12
        while slow.got(first) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if slow.got(first) is None:
            raise Fail("the trickling endpoint never got the first request.created within 12 s (webhooks not delivered at all?)")
        time.sleep(0.5)
        second = make_request(2)
        made = time.monotonic()
        while fast.got(second) is None and time.monotonic() < made + 6:
            time.sleep(0.1)
        if fast.got(second) is None:
            raise Fail("the fast endpoint did not get the second request.created within 6 s while the other endpoint trickled")
    finally:
        for url in (slow.url, fast.url):
            s.cli("webhooks", "remove", "--workspace", str(WS), url, check=False)


@test()
def log_never_holds_signatures(s):
    """Finding 10. A user fetches signed download links (GET /api/jobs/{id} outputs[].url and
    thumbnail_url), a forged one, and sends ?signature=<hex> to other routes. Must hold: the signed
    links answer 200 without a token, the forged one 401, and the service's log never holds
    'signature=' followed by a hex digit, nor any token, nor a webhook secret."""
    p = Problems()
    job = s.ensure_outputs()
    detail = s.job_detail(job)
    urls = [o["url"] for o in detail.get("outputs") or []]
    if detail["job"].get("thumbnail_url"):
        urls.append(detail["job"]["thumbnail_url"])
    p.expect(urls and all("signature=" in u for u in urls), f"no signed links in GET /api/jobs/{job}: {urls}")
    for url in urls:
        r = s.http("GET", url)
        p.expect(r.status == 200, f"signed link {url.split('?')[0]}: {r.status} (expected 200 without a token)")
    if urls:
        forged = re.sub(r"signature=[0-9a-fA-F]+", "signature=" + "ab" * 32, urls[0])
        r = s.http("GET", forged)
        p.expect(r.status == 401, f"a forged signature: {r.status} (expected 401)")
    s.http("GET", "/health?expires=1&signature=0123456789abcdef")
    s.http("GET", "/api/jobs?signature=deadbeef&limit=5", s.tok("producer"))
    s.http("GET", f"/api/jobs/{job}/outputs/reply.mp4?expires=99999999999&signature=cafe", s.tok("viewer"))
    time.sleep(0.5)
    log = LOG.read_text(errors="replace")
    leaks = [line for line in log.splitlines() if re.search(r"signature=[0-9a-fA-F]", line)]
    p.expect(not leaks, f"{len(leaks)} log line(s) hold a signature, e.g. {one_line(leaks[0], 200) if leaks else ''}")
    tokens = [name for name, token in s.tokens.items() if token in log]
    p.expect(not tokens, f"the log holds the tokens of {tokens}")
    p.expect("whsec_" not in log, "the log holds a webhook secret (whsec_…)")
    p.done()


@test()
def nosniff_on_every_answer(s):
    """Finding 11. A user's browser gets every kind of answer: pages, JSON, errors (401, 403, 404,
    412, 413, 415), tus OPTIONS, the event stream, and downloads (whole and a Range). Must hold:
    each carries X-Content-Type-Options: nosniff."""
    job = s.ensure_outputs()
    detail = s.job_detail(job)
    download = next((o["url"] for o in detail.get("outputs") or [] if o["name"] == "reply.mp4"), None)
    checks = [
        ("GET /", s.http("GET", "/")),
        ("GET /health", s.http("GET", "/health")),
        ("GET /openapi.json", s.http("GET", "/openapi.json")),
        ("GET /api/jobs (200)", s.http("GET", "/api/jobs?limit=1", s.tok("producer"))),
        ("GET /api/jobs without a token (401)", s.http("GET", "/api/jobs")),
        ("GET /api/webhooks as a viewer (403)", s.http("GET", "/api/webhooks", s.tok("viewer"))),
        ("GET /api/jobs/no-such-job (404)", s.http("GET", "/api/jobs/no-such-job", s.tok("producer"))),
        ("OPTIONS /api/tus", s.http("OPTIONS", "/api/tus")),
        ("POST /api/tus without Tus-Resumable (412)", s.http("POST", "/api/tus", s.tok("kakuma-big"), headers={"Upload-Length": "5"})),
        ("POST /api/tus Upload-Length 5 GiB (413)", s.tus_create("kakuma-big", 5 << 30, metadata(filename="big.mp4"))),
        ("PUT /api/uploads/x.exe (415)", s.put("kakuma-big", "x.exe", b"x")),
        ("GET /api/events", s.http("GET", "/api/events", s.tok("producer"), stream=True)),
        ("GET /api/jobs/{id}/outputs/reply.mp4 (token)", s.http("GET", f"/api/jobs/{job}/outputs/reply.mp4", s.tok("producer"))),
        ("GET reply.mp4 Range (206)", s.http("GET", f"/api/jobs/{job}/outputs/reply.mp4", s.tok("producer"), headers={"Range": "bytes=0-99"})),
    ]
    if download:
        checks.append(("GET reply.mp4 by signed link", s.http("GET", download)))
    missing = [f"{label} ({r.status})" for label, r in checks if (r.header("x-content-type-options") or "").lower() != "nosniff"]
    if missing:
        raise Fail(f"no X-Content-Type-Options: nosniff on {len(missing)} of {len(checks)}: {', '.join(missing)}")


@test()
def ticket_trim_hostile(s):
    """Finding 12. A phone PUTs a ticket with trim {"start": 1e308, "end": -5}; a producer does too,
    and sends it in tus metadata; then someone drops such a ticket and its clip into WS/inbox by
    hand, and a producer asks that job for a cut and a retry with the same numbers. Must hold: the
    PUTs and the tus POST are 400 naming trim; the hand-dropped pair never traps the service (it
    keeps answering, and the job, if queued, reads back as 200); the cut and retry are 400 naming
    trim."""
    p = Problems()
    hostile = b'{"trim": {"start": 1e308, "end": -5}, "speaker": {"name": "Trim", "consent": true}}'
    for who in ["kakuma-big", "producer"]:
        r = s.put(who, f"trim-{s.nonce()}.job.json", hostile)
        p.expect(r.status == 400 and "trim" in r.text, f"{who}'s PUT of trim 1e308/-5: {r!r} (expected 400 naming trim)")
    r = s.tus_create("kakuma-big", 1000, metadata(filename="trim.mp4", ticket=hostile.decode()))
    p.expect(r.status == 400 and "trim" in r.text, f"tus metadata ticket with trim 1e308/-5: {r!r} (expected 400 naming trim)")
    if r.status == 201:
        s.tus_delete("kakuma-big", r.header("location"))
    n = s.nonce()
    data, sha = s.clip(f"trim hand {n}")
    (WS / "inbox" / f"trim-hand-{n}.job.json").write_bytes(hostile)
    temporary = WS / "inbox" / f".trim-hand-{n}.mp4.part"
    temporary.write_bytes(data)
    os.rename(temporary, WS / "inbox" / f"trim-hand-{n}.mp4")
    job = s.wait_for_jobs([sha], timeout=12).get(sha) if s.service.proc.poll() is None else None
    if s.service.settle(timeout=10):
        raise Fail(f"the hand-dropped ticket with trim 1e308/-5: {s.service.condition()}")
    if job:
        r = s.http("GET", f"/api/jobs/{job['id']}", s.tok("producer"))
        p.expect(r.status == 200, f"GET /api/jobs/{{id}} of the hand-dropped clip: {r!r}")
    target = job["id"] if job else s.some_job()
    r = s.http("POST", f"/api/jobs/{target}/cuts", s.tok("producer"), body=b'{"start": 1e308, "end": -5}',
               headers={"Content-Type": "application/json"})
    p.expect(r.status == 400 and "trim" in r.text, f"a cut from 1e308 to -5: {r!r} (expected 400 naming trim)")
    r = s.http("POST", f"/api/jobs/{target}/retry", s.tok("producer"), body=b'{"trim_start": 1e308, "trim_end": -5}',
               headers={"Content-Type": "application/json"})
    p.expect(r.status == 400 and "trim" in r.text, f"a retry with trim 1e308/-5: {r!r} (expected 400 naming trim)")
    p.done()


@test()
def put_path_names(s):
    """An attacker PUTs names that try to leave the inbox or hide in it: ../ (plain and
    percent-encoded), a hidden name, a NUL, a backslash path, no extension. Must hold: 400 (or 415
    for a name that is no known kind), never 2xx, and nothing lands outside WS/inbox."""
    p = Problems()
    for name in ["..%2F..%2Fescape.mp4", "%2e%2e%2fescape.job.json", ".hidden.mp4", "a%00b.mp4", "..%5C..%5Cescape.mp4",
                 "%2E%2E", "noextension"]:
        r = s.put("kakuma-big", name, b"\x00" * 16)
        p.expect(r.status in (400, 404, 415), f"PUT /api/uploads/{name}: {r!r} (expected 400/415)")
    p.expect(not (WS.parent / "escape.mp4").exists() and not (WS / "escape.mp4").exists() and not (WS / "escape.job.json").exists(),
             "a file escaped the inbox")
    p.done()


class Forwarder:
    """A TCP forwarder on a loopback port: refuses connections (nothing listens) until start(),
    then pipes each one to `target` (the test PostgreSQL): a database that comes back."""

    def __init__(self, target_port):
        self.port = free_port()
        self.target_port = target_port
        self.server = None
        self.stopped = False

    def start(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.server.settimeout(0.5)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                client, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopped = True
        if self.server:
            self.server.close()


@test(budget=90)
def watch_waits_for_its_store(s):
    """Finding: a `watch` started while its PostgreSQL is away (restarting with the machines) exited.
    A node is started against a store address where nothing answers yet. Must hold: it keeps
    running, its log says it is waiting for the job store, and /health answers 503 with status
    waiting_for_store and the reason. Under `make test` (MEDIAORCH_TEST_POSTGRES set), the database
    then comes back (a forwarder to the test cluster starts listening) and the node starts:
    /health answers 200 within 30 s."""
    real = os.environ.get("MEDIAORCH_TEST_POSTGRES")
    forwarder = Forwarder(int(re.search(r":(\d+)/", real).group(1)) if real else 1)
    user_db = re.search(r"postgres://([^@]+)@[^/]+/(\w+)", real) if real else None
    address = f"postgres://{user_db.group(1) if user_db else 'mediaorch'}@127.0.0.1:{forwarder.port}/{user_db.group(2) if user_db else 'mediaorch'}"
    workspace = RUN / "store-wait-workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    port = free_port()
    log_path = RUN / "store-wait.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([s.binary, "watch", "--workspace", str(workspace), "--store", address, "--port", str(port),
                                 "--workers", "0", "--node", "store-wait"], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    try:
        p = Problems()
        waiting = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            r = http_request(port, "GET", "/health", timeout=3)
            if r.status == 503:
                waiting = r
                break
            time.sleep(0.3)
        if proc.poll() is not None:
            raise Fail(f"watch exited ({proc.returncode}) while its store was away: {one_line(log_path.read_text(errors='replace')[-600:])}")
        p.expect(waiting is not None and (waiting.json() or {}).get("status") == "waiting_for_store" and (waiting.json() or {}).get("reason"),
                 f"/health while waiting: {waiting!r} (expected 503 waiting_for_store with a reason)")
        time.sleep(2.5)
        p.expect(proc.poll() is None, "the node gave up waiting")
        p.expect("waiting for the job store" in log_path.read_text(errors="replace"), "the log does not say it is waiting for the job store")
        if real:
            forwarder.start()
            deadline = time.monotonic() + 30
            up = False
            while time.monotonic() < deadline and proc.poll() is None:
                if http_request(port, "GET", "/health", timeout=3).status == 200:
                    up = True
                    break
                time.sleep(0.5)
            p.expect(up, f"the node did not start within 30 s of its store coming back: {one_line(log_path.read_text(errors='replace')[-600:])}")
        else:
            say("MEDIAORCH_TEST_POSTGRES is not set: the store's coming back is not tried")
        p.done()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        forwarder.stop()
        shutil.rmtree(workspace, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Running

def run_test(s, fn):
    result = {}

    def target():
        try:
            fn(s)
            result["ok"] = True
        except Fail as failure:
            result["error"] = str(failure)
        except Exception as error:  # a bug in the test or an answer it could not read
            result["error"] = f"{type(error).__name__}: {error}"
            if VERBOSE:
                traceback.print_exc()
    thread = threading.Thread(target=target, name=fn.__name__, daemon=True)
    thread.start()
    thread.join(fn.budget)
    if thread.is_alive():
        return f"did not finish within its {fn.budget} s budget"
    return result.get("error")


def main():
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--only", action="append", default=[], help="run only these tests (comma-separated, repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the workspace even when every test passed")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    VERBOSE = args.verbose
    binary = str(Path(args.binary).resolve())
    if not os.access(binary, os.X_OK):
        sys.exit(f"attack.py: {args.binary} is not an executable")
    chosen = [name for group in args.only for name in group.split(",") if name]
    names = [fn.__name__ for fn in TESTS]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        sys.exit(f"attack.py: no test named {', '.join(unknown)}; tests: {', '.join(names)}")
    tests = [fn for fn in TESTS if not chosen or fn.__name__ in chosen]

    shutil.rmtree(RUN, ignore_errors=True)
    WS.mkdir(parents=True)
    LOG.touch()
    s = Suite(binary)
    started = time.monotonic()
    try:
        s.make_tokens_and_requests()
    except (Fail, subprocess.TimeoutExpired) as error:
        sys.exit(f"attack.py: setup failed: {error}")
    s.service.start()
    print(f"attack.py: mediaorch watch on 127.0.0.1:{s.port}, workspace {WS}, log {LOG}", flush=True)
    passed = failed = 0
    try:
        for fn in tests:
            if time.monotonic() - started > SUITE_BUDGET:
                print(f"FAIL {fn.__name__}: not run, the suite's {SUITE_BUDGET} s budget is spent", flush=True)
                failed += 1
                continue
            t0 = time.monotonic()
            s.service.mark(f"test {fn.__name__}")
            error = run_test(s, fn)
            trouble = s.service.condition()
            if trouble:
                error = (error + "; " if error else "") + f"{trouble} during {fn.__name__} (restarted)"
                s.service.mark(f"{trouble} during {fn.__name__}: restarting")
                s.service.restart()
            seconds = time.monotonic() - t0
            if error:
                failed += 1
                print(f"FAIL {fn.__name__}: {one_line(error, 2000)} [{seconds:.1f} s]", flush=True)
            else:
                passed += 1
                print(f"PASS {fn.__name__} [{seconds:.1f} s]", flush=True)
    finally:
        s.service.stop()
        for receiver in s.receivers:
            receiver.stop()
    if failed or args.keep:
        print(f"attack.py: workspace kept in {WS}; service log {LOG}; {time.monotonic() - started:.0f} s in all", flush=True)
    else:
        shutil.rmtree(RUN, ignore_errors=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
