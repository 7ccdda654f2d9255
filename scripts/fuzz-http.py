#!/usr/bin/env python3
"""A protocol fuzzer for the HTTP side of `mediaorch watch`: tus 1.0.0 at /api/tus/, PUT
/api/uploads/{name}, reply requests, jobs, and whatever else a client can send.

Usage: fuzz-http.py BINARY [--requests 20000] [--seed N] [--jobs 2] [--keep] [-v]
       fuzz-http.py BINARY --replay test-output/fuzz-http/run-N/deaths/01   (a saved reproducer)

Starts `mediaorch watch --workspace WS --port P --workers 0 --stable-seconds 1` (a copy of the
binary, safe from rebuilds) on a fresh workspace (test-output/fuzz-http/run-SEED/workspace;
tokens made first with `mediaorch tokens add`: a producer, three uploaders for each of two camps
(one only for mutated creations), a viewer and an editor; three reply requests with `mediaorch
requests add`), then sends at least --requests requests over raw sockets from
--jobs client threads. Each thread draws from random.Random("SEED:THREAD"): the same seed gives
the same choices for the same answers (upload ids, timing and the other thread's answers differ
from run to run). Most requests build on real state (uploads made, resumed, interleaved, raced);
the rest are mutated tus headers and metadata, tickets, caption files, names, JSON bodies,
Authorization headers, methods, paths and malformed HTTP.

Every upload the service ACCEPTED is remembered: a PUT of a clip answered 201 (its "file" and the
sha256 of the bytes sent), a tus upload told whole (PATCH 204, POST 201 or HEAD 200 with
Upload-Offset == Upload-Length; every PATCH sends the upload's own bytes for the offset it names,
so the whole file is known). After the run (and ~15 s for ingest) each one's bytes must be in
WS/inbox/ or WS/archive/.

Three checks fail the run:
  SERVICE-DEATH: the process ended. The crash site (from the Swift backtrace), the last requests,
    the histories of the uploads they touched and the inbox's files are saved in deaths/NN/
    (--replay DIR runs them against a fresh service); the service is started again (after moving
    the inbox aside when it died ingesting: those files still count as found).
  ACCEPTED-UPLOAD-LOST: an accepted upload's bytes are in neither inbox/ nor archive/.
  HANG: a whole (or half-closed) request got neither an answer nor a close within 20 s while the
    service was up.
5xx answers other than 503/507, and answers that break the rules (a 204 after a DELETE or a
hand-off, another uploader's token let in, a control character in an inbox name) are listed,
not failed. Ends with "N passed, N failed"; exit status 1 when any check failed.
Python 3.9+ standard library only.
"""
import argparse
import base64
import collections
import hashlib
import json
import os
import random
import re
import select
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
from urllib.parse import quote as _quote

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-output" / "fuzz-http"
SAMPLES = ROOT / "SampleMedia"
TUS = "1.0.0"
TIMEOUT = 20.0          # seconds a request may take before it is a HANG
LINGER = 0.4            # seconds to wait for an early answer when the framing promised more than was sent
HEALTH_EVERY = 200
PROGRESS_EVERY = 2000
SAVED_DEATHS = 10       # reproducer folders kept; later deaths get a line in deaths.jsonl
CLIP_EXTS = ["mp4", "mov", "m4v", "3gp", "3g2", "mkv", "webm", "avi", "mts", "m2ts", "ts"]
CAMPS = ["Kakuma", "Shatila"]
BIG = [0, -1, 1, 2**31 - 1, 2**31, 2**32, 4294967296, 4294967297, 2**53 + 1, 2**62, 2**63 - 1, 2**63,
       2**64 - 1, 2**64, -2**63, -2**63 - 1, 10**30]


def quote(text, safe="/"):
    return _quote(text, safe=safe, errors="surrogatepass")


def b(x):
    return x if isinstance(x, bytes) else str(x).encode("utf-8", "surrogatepass")


def b64(text):
    return base64.b64encode(b(text)).decode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def printable(data, limit=600):
    text = data[:limit].decode("latin-1")
    text = "".join(c if (32 <= ord(c) < 127 or c == "\n") else f"\\x{ord(c):02x}" for c in text.replace("\r\n", "\n"))
    return text + (f"... [{len(data)} bytes]" if len(data) > limit else "")


# ---------------------------------------------------------------------------------------------
# Raw HTTP

def raw_request(method, target, headers, body=b"", version="HTTP/1.1"):
    head = b(method) + b" " + b(target) + b" " + b(version) + b"\r\n"
    for k, v in headers:
        head += b(k) + b": " + b(v) + b"\r\n"
    return head + b"\r\n" + b(body)


class Answer:
    """outcome: answer, timeout (no answer, no close: a HANG when the request was whole),
    silent (a request that promised more bytes: no early answer, closed by us), eof (closed
    without an answer), reset, refused (no connection), cut (we closed mid-request), bad."""

    def __init__(self, outcome, status=None, headers=None, body=b"", seconds=0.0):
        self.outcome, self.status, self.headers, self.body, self.seconds = outcome, status, headers or {}, body, seconds

    def header(self, name):
        return self.headers.get(name.lower())

    def int_header(self, name):
        try:
            return int(self.header(name))
        except (TypeError, ValueError):
            return None

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return f"{self.status}" if self.outcome == "answer" else self.outcome


class Reset(Exception):
    pass


def _recv(s, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    s.settimeout(left)
    try:
        return s.recv(65536)
    except socket.timeout:
        return None
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        raise Reset()


def read_answer(s, deadline, head=False, lingering=False, stream=False, started=None):
    started = started or time.monotonic()
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = _recv(s, deadline)
                if chunk is None:
                    return Answer("silent" if lingering else "timeout", seconds=time.monotonic() - started)
                if not chunk:
                    return Answer("bad" if buf else "eof")
                buf += chunk
                if len(buf) > 1 << 20:
                    return Answer("bad")
            top, _, buf = buf.partition(b"\r\n\r\n")
            lines = top.split(b"\r\n")
            m = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0])
            if not m:
                return Answer("bad", body=top)
            status = int(m.group(1))
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
            if 100 <= status < 200 and status != 101:
                continue
            break
        answer = Answer("answer", status, headers, seconds=time.monotonic() - started)
        if head or stream or status in (204, 304) or status < 200:
            return answer
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                while b"\r\n" not in buf:
                    chunk = _recv(s, deadline)
                    if not chunk:
                        answer.body = body
                        return answer
                    buf += chunk
                size_line, _, buf = buf.partition(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0], 16)
                except ValueError:
                    break
                if size == 0:
                    break
                while len(buf) < size + 2:
                    chunk = _recv(s, deadline)
                    if not chunk:
                        break
                    buf += chunk
                body += buf[:size]
                buf = buf[size + 2:]
                if len(body) > 8 << 20:
                    break
            answer.body = body
            return answer
        length = headers.get("content-length")
        want = int(length) if length and length.isdigit() else None
        if want is None:   # read to the close, but a body without framing gets a few seconds only
            deadline = min(deadline, time.monotonic() + 3)
        while want is None or len(buf) < want:
            chunk = _recv(s, deadline)
            if not chunk or len(buf) > 8 << 20:
                break
            buf += chunk
        answer.body = buf[:want] if want is not None else buf
        return answer
    except Reset:
        return Answer("reset")


def connect(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def close(s, rst=False):
    try:
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    except OSError:
        pass


def exchange(port, data, *, head=False, cut_at=None, rst=False, linger=None, halfclose=False, stream=False,
             timeout=TIMEOUT):
    """One request on a fresh connection. cut_at: only data[:cut_at] goes out, then the socket is
    closed (FIN, or RST with rst). linger: the framing promises more than is sent: wait at most
    that long for an early answer. halfclose: shutdown(SHUT_WR) once sent."""
    started = time.monotonic()
    deadline = started + timeout
    s = connect(port)
    if s is None:
        return Answer("refused")
    try:
        payload = data if cut_at is None else data[:cut_at]
        sent = 0
        s.setblocking(False)
        # Send while watching for an early answer (a 413 before the body): the server need not
        # read a body it refuses, and a blocked send must not eat the answer's time.
        while sent < len(payload):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            readable, writable, _ = select.select([s], [s], [], left)
            if readable:
                break
            if writable:
                try:
                    sent += s.send(payload[sent:sent + (1 << 16)])
                except BlockingIOError:
                    pass
                except OSError:
                    break
        s.setblocking(True)
        if cut_at is not None:
            close(s, rst=rst)
            return Answer("cut")
        if halfclose:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if linger is not None:
            deadline = min(deadline, time.monotonic() + linger)
        answer = read_answer(s, deadline, head=head, lingering=linger is not None, stream=stream, started=started)
        if answer.outcome != "answer":
            answer.seconds = time.monotonic() - started
        return answer
    finally:
        close(s)


# ---------------------------------------------------------------------------------------------
# The service

class Service:
    def __init__(self, binary, workspace, port, log_path):
        self.binary, self.workspace, self.port, self.log_path = binary, workspace, port, log_path
        self.proc = None
        self.started_at = 0.0
        self.starts = 0

    def command(self):
        return [self.binary, "watch", "--workspace", str(self.workspace), "--port", str(self.port), "--workers", "0",
                "--stable-seconds", "1"]

    def mark(self, text):
        with open(self.log_path, "a") as f:
            f.write(f"\n===== fuzz-http {time.strftime('%H:%M:%S')} {text} =====\n")

    def start(self):
        self.starts += 1
        self.mark(f"start #{self.starts}")
        with open(self.log_path, "ab") as log:
            # The crashed thread's frames only, not interactive: a trap ends the process within a
            # few seconds, and the log says where.
            env = dict(os.environ, SWIFT_BACKTRACE="enable=yes,interactive=no,threads=crashed,registers=none,images=none,"
                                                   "symbolicate=fast,limit=24,top=2,color=no")
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, env=env)
        self.started_at = time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if self.health().status == 200:
                return True
            time.sleep(0.2)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def health(self, timeout=TIMEOUT):
        return exchange(self.port, raw_request("GET", "/health", [("Host", "127.0.0.1"), ("Connection", "close")]),
                        timeout=timeout)

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, n=40000):
        """The log since this start (its last `n` bytes at most)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - n))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return text.rsplit("===== fuzz-http", 1)[-1]


def crash_site(log):
    """'arithmetic overflow at ISOBaseMediaLayout.init(path:) (ISOBaseMediaLayout.swift:51)' from a Swift backtrace."""
    why = re.search(r"(?:Swift runtime failure|Fatal error): ([^\n]*?)(?: in mediaorch at|\n|$)", log)
    frame = None
    for m in re.finditer(r"\d+ (?:\[(?:ra|inlined|thunk)\] ?)+\s*0x[0-9a-f]+ (.+?) \+ \d+ in \S+ at (\S*?/Sources/[^\s:]+)(?::(\d+))?", log):
        if "/.build/" not in m.group(2):
            frame = f"{m.group(1)} ({m.group(2).rsplit('/', 1)[-1]}{':' + m.group(3) if m.group(3) else ''})"
            break
    if not why and not frame:
        return None
    return " at ".join(x for x in [why.group(1).strip() if why else None, frame] if x)


def describe_exit(code):
    if code is None:
        return "running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(binary, *args, fatal=True):
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not done.stdout.strip():
        if not fatal:
            return None, done.stderr
        sys.exit(f"fuzz-http: `mediaorch {' '.join(args[:2])}` failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1].strip(), done.stderr


TOKEN_SPECS = [  # label, role, camp
    ("producer", "producer", None), ("kakuma-a", "uploader", "Kakuma"), ("kakuma-b", "uploader", "Kakuma"),
    ("shatila-a", "uploader", "Shatila"), ("shatila-b", "uploader", "Shatila"), ("viewer", "viewer", None),
    ("editor", "editor", None),
    # Mutated creations (an Upload-Length of 4 GiB is charged to the day's allowance at once) use
    # these, so the tokens that carry the real uploads keep their allowance all run long.
    ("kakuma-x", "uploader", "Kakuma"), ("shatila-x", "uploader", "Shatila"),
]
REQUEST_SPECS = [  # label, camp, tweet
    ("kakuma-1", "Kakuma", "https://x.com/sara_k/status/1861234567890123456?s=20"),
    ("kakuma-2", "Kakuma", "https://twitter.com/un_news/status/1620000000000000001"),
    ("shatila-1", "Shatila", "https://x.com/layla_h/status/1777777777777777777"),
]


def prepare_workspace(binary, ws):
    """Tokens and reply requests, made with the CLI before the service starts."""
    tokens, token_ids, requests = {}, {}, {}
    for label, role, camp in TOKEN_SPECS:
        args = ["tokens", "add", "--workspace", str(ws), "--role", role, "--name", f"fuzz {label}"]
        if camp:
            args += ["--camp", camp]
        token, err = cli(binary, *args)
        tokens[label] = token
        m = re.search(r"\bid ([0-9a-f]{6,})", err)
        token_ids[label] = m.group(1) if m else sha256(token.encode())[:8]
    for label, camp, url in REQUEST_SPECS:
        rid, _ = cli(binary, "requests", "add", "--workspace", str(ws), "--tweet-url", url,
                     "--text", f"What does {camp} need most? ({label})", "--camp", camp, "--languages", "en,ar")
        requests[label] = rid
    return tokens, token_ids, requests


# ---------------------------------------------------------------------------------------------
# State shared by the client threads

class Upload:
    """A tus upload the service created. `content` is the whole file this fuzzer means to send
    (None when the declared length is too big to send): every PATCH carries content[o:o+n] for
    the offset o it names, so whatever the service holds is a prefix of it."""

    def __init__(self, uid, token, length, content, name, via):
        self.id, self.token, self.length, self.content, self.name, self.via = uid, token, length, content, name, via
        self.sha = sha256(content) if content is not None else None
        self.offset = 0
        self.state = "open"   # open, whole, deleted, gone
        self.busy = False
        self.history = []
        self.created = time.monotonic()

    @property
    def camp(self):
        return TOKEN_CAMP.get(self.token)


TOKEN_CAMP = {label: camp for label, _, camp in TOKEN_SPECS}
TOKEN_ROLE = {label: role for label, role, _ in TOKEN_SPECS}


class Fuzzer:
    def __init__(self, args, binary, run_dir):
        self.args, self.binary, self.run_dir = args, binary, run_dir
        self.ws = run_dir / "workspace"
        self.lock = threading.Lock()
        self.death_lock = threading.Lock()
        self.ready = threading.Event()
        self.seq = 0
        self.started = time.monotonic()
        self.counts = collections.Counter()
        self.outcomes = collections.Counter()
        self.deaths, self.hangs, self.fivexx = [], [], []
        self.listed = collections.Counter()
        self.listed_examples = {}
        self.accepted = []
        self.deleted = []    # tus uploads a DELETE answered 204 for
        self.recent = collections.deque(maxlen=40)
        self.uploads = {}    # open tus uploads, by id
        self.ended = collections.deque(maxlen=300)
        self.job_ids = []
        self.request_ids = {c: [] for c in CAMPS}
        self.api_requests = []
        self.gen = 0
        self.aborted = None
        self.quarantined = []
        self.fuzzer_errors = collections.Counter()
        self.unverifiable = 0
        self.refusals = collections.Counter()   # 429s in a row, by token label
        self.rotations = collections.Counter()
        self.rotate_lock = threading.Lock()
        self.labels = collections.Counter()   # "label -> answer", for summary.json

    # -- setup ----------------------------------------------------------------------------
    def setup(self):
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.ws.mkdir(parents=True)
        # A copy of the binary (and its mediaorch* siblings): a rebuild during the run cannot touch it.
        copies = self.run_dir / "bin"
        copies.mkdir()
        for sibling in Path(self.binary).parent.iterdir():
            if sibling.name.startswith("mediaorch") and sibling.is_file() and os.access(sibling, os.X_OK):
                shutil.copy2(sibling, copies / sibling.name)
        self.binary = str(copies / Path(self.binary).name)
        self.tokens, self.token_ids, self.requests = prepare_workspace(self.binary, self.ws)
        for label, camp, _ in REQUEST_SPECS:
            self.request_ids[camp].append(self.requests[label])
        self.port = free_port()
        self.service = Service(self.binary, self.ws, self.port, self.run_dir / "watch.log")
        if not self.service.start():
            sys.exit(f"fuzz-http: `mediaorch watch` did not come up ({describe_exit(self.service.proc.poll())}); "
                     f"see {self.service.log_path}")
        self.ready.set()

    def done(self):
        if self.aborted:
            return True
        if time.monotonic() - self.started > self.args.time_limit:
            if not self.aborted:
                self.aborted = f"time limit ({self.args.time_limit:.0f} s) reached"
            return True
        return self.seq >= self.args.requests

    def say(self, text):
        print(text, flush=True)

    def list_finding(self, kind, detail):
        with self.lock:
            self.listed[kind] += 1
            first = kind not in self.listed_examples
            if first:
                self.listed_examples[kind] = detail
        if first or self.args.verbose:
            self.say(f"  note {kind}: {detail}")

    # -- every request ----------------------------------------------------------------------
    def begin(self, thread, label, data, info):
        self.ready.wait()
        with self.lock:
            self.seq += 1
            entry = {"seq": self.seq, "thread": thread, "gen": self.gen, "label": label, "raw": data,
                     "t": round(time.monotonic() - self.started, 3), **info}
            self.recent.append(entry)
        return entry

    def finish(self, entry, answer):
        entry["outcome"] = answer.outcome
        entry["status"] = answer.status
        if answer.header("location"):
            entry["location"] = answer.header("location")
        gen, seq = entry["gen"], entry["seq"]
        with self.lock:
            self.labels[f"{re.sub(r'[0-9]{6,}', 'N', entry['label'])} -> {answer.status or answer.outcome}"] += 1
            self.outcomes[answer.outcome] += 1
            self.counts[f"{answer.status // 100}xx" if answer.status else "none"] += 1
        if answer.outcome == "answer" and answer.seconds > 5 and not entry.get("linger"):
            self.list_finding("SLOW-ANSWER", f"#{seq} {entry['label']} answered {answer.status} after {answer.seconds:.1f} s")
        if answer.status and answer.status >= 500 and answer.status not in (503, 507):
            detail = {"seq": seq, "label": entry["label"], "status": answer.status, "body": answer.body[:300].decode("utf-8", "replace"),
                      "request": printable(entry["raw"], 300)}
            with self.lock:
                self.fivexx.append(detail)
            if self.args.verbose:
                self.say(f"  5xx: {answer.status} for #{seq} {entry['label']}: {detail['body'][:160]}")
        if answer.outcome in ("refused", "reset", "eof", "timeout", "bad"):
            if not self.check_death(gen) and answer.outcome == "timeout":
                # Alive: a slow death (the process is still going down) is not a hang.
                try:
                    self.service.proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
                if not self.check_death(gen) and self.gen == gen:
                    hang = {"seq": seq, "label": entry["label"], "request": printable(entry["raw"], 400)}
                    with self.lock:
                        self.hangs.append(hang)
                    self.say(f"  HANG: #{seq} {entry['label']}: no answer in {TIMEOUT:.0f} s")
        if seq % HEALTH_EVERY == 0:
            self.poll_health(gen)
        if seq % PROGRESS_EVERY == 0:
            self.progress()

    def poll_health(self, gen):
        if not self.service.alive():
            self.check_death(gen)
            return
        answer = self.service.health()
        if answer.status != 200 and self.gen == gen:
            if not self.check_death(gen):
                if answer.outcome == "timeout":
                    with self.lock:
                        self.hangs.append({"seq": self.seq, "label": "GET /health (liveness poll)", "request": "GET /health"})
                    self.say(f"  HANG: GET /health got no answer in {TIMEOUT:.0f} s")
                else:
                    self.list_finding("HEALTH-NOT-OK", f"GET /health answered {answer!r} {answer.body[:120]!r}")

    def progress(self):
        c = self.counts
        elapsed = time.monotonic() - self.started
        self.say(f"[{self.seq:6d}/{self.args.requests}] {elapsed:6.1f} s  2xx {c['2xx']} 3xx {c['3xx']} 4xx {c['4xx']} "
                 f"5xx {c['5xx']} none {c['none']}  deaths {len(self.deaths)}  accepted {len(self.accepted)}  hangs {len(self.hangs)}")

    # -- deaths -----------------------------------------------------------------------------
    def check_death(self, gen):
        """True when the service of generation `gen` is dead (recorded and restarted here, or
        already by another thread)."""
        with self.death_lock:
            if self.gen != gen:
                return True
            proc = self.service.proc
            try:
                code = proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                return False
            self.ready.clear()
            self.record_death(code)
            self.restart()
            self.gen += 1
            self.ready.set()
            return True

    def record_death(self, code):
        up_for = time.monotonic() - self.service.started_at
        with self.lock:
            recent = list(self.recent)
            seq = self.seq
        touched = {e.get("upload") for e in recent if e.get("upload")}
        entries = {e["seq"]: e for e in recent}
        with self.lock:
            known = list(self.uploads.values()) + list(self.ended)
        for up in known:
            if up.id in touched:
                for e in up.history:
                    entries.setdefault(e["seq"], e)
        ordered = [entries[k] for k in sorted(entries)]
        last = [e for e in recent if e["gen"] == self.gen][-5:]
        tail = self.service.log_tail()
        site = crash_site(tail)
        n = len(self.deaths) + 1
        death = {"n": n, "exit": describe_exit(code), "crash": site, "after_request": seq, "up_for_s": round(up_for, 1),
                 "last": [f"#{e['seq']} t{e['thread']} {e['label']} -> {e.get('outcome', 'in flight')} {e.get('status') or ''}".strip()
                          for e in last],
                 "signature": describe_exit(code) + (f": {site}" if site else f" after '{last[-1]['label'] if last else 'nothing'}'")}
        folder = self.run_dir / "deaths" / f"{n:02d}"
        if n <= SAVED_DEATHS:
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / "requests.jsonl", "w") as f:
                for e in ordered:
                    f.write(json.dumps({k: (base64.b64encode(v).decode() if k == "raw" else v) for k, v in e.items()}) + "\n")
            with open(folder / "requests.txt", "w") as f:
                for e in ordered:
                    extra = " ".join(f"{k}={e[k]}" for k in ("cut_at", "linger", "halfclose") if e.get(k) not in (None, False))
                    f.write(f"----- #{e['seq']} thread {e['thread']} {e['label']} {extra} -> {e.get('outcome', 'in flight')} "
                            f"{e.get('status') or ''}\n{printable(e['raw'], 2000)}\n\n")
            inbox = self.ws / "inbox"
            listing = []
            for p in sorted(inbox.iterdir()) if inbox.is_dir() else []:
                try:
                    listing.append(f"{p.name} {p.stat().st_size}")
                    if p.is_file() and p.stat().st_size <= 1 << 20 and len(listing) <= 30:
                        (folder / "inbox").mkdir(exist_ok=True)
                        shutil.copy2(p, folder / "inbox" / p.name)
                except OSError:
                    pass
            (folder / "info.json").write_text(json.dumps({
                **death, "seed": self.args.seed, "tokens": self.tokens, "requests": self.requests,
                "inbox": listing}, indent=2))
            (folder / "watch-log-tail.txt").write_text(tail)
            death["folder"] = str(folder.relative_to(ROOT))
        with open(self.run_dir / "deaths.jsonl", "a") as f:
            f.write(json.dumps(death) + "\n")
        self.deaths.append(death)
        self.say(f"  SERVICE-DEATH #{n}: {death['exit']}{' (' + site + ')' if site else ''} after request {seq} (up {up_for:.1f} s); last: "
                 + ("; ".join(death["last"][-3:]) or "none") + (f"; reproducer {death.get('folder')}" if n <= SAVED_DEATHS else ""))
        self.last_death_up_for = up_for
        self.last_death_tail = tail

    def restart(self):
        """A service that dies within seconds of starting, with ingest in its last words, is
        taken to be dying on something in its inbox: the inbox is moved aside (counted as
        found by the lost-upload check) so the run can go on."""
        for attempt in range(6):
            crashed = (self.last_death_tail or "").split("crashed:", 1)[-1] if "crashed:" in (self.last_death_tail or "") else ""
            ingest_side = re.search(r"InboxScanner|InboxWatcher|Ingestor|StartupReconciliation", crashed)
            if attempt > 0 or ingest_side or (not crashed and self.last_death_up_for < 12 and len(self.deaths) >= 2):
                self.quarantine_inbox()
            if self.service.start():
                return
            code = self.service.proc.poll()
            self.say(f"  the service did not come back ({describe_exit(code)}); attempt {attempt + 1}")
            if code is not None:
                self.record_death(code)
            else:
                self.service.stop()   # up but not answering /health: never two on one port
        self.aborted = "the service cannot be started again"
        self.say(f"  {self.aborted}: stopping the run")

    def quarantine_inbox(self):
        inbox = self.ws / "inbox"
        target = self.run_dir / "quarantine" / f"{len(self.quarantined) + 1:02d}-after-death-{len(self.deaths):02d}"
        moved = 0
        for p in list(inbox.iterdir()) if inbox.is_dir() else []:
            if p.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.move(str(p), target / p.name)
                moved += 1
        if moved:
            self.quarantined.append(str(target))
            self.say(f"  moved {moved} inbox file(s) aside to {target.relative_to(ROOT)} (the service died ingesting; "
                     "they count as found in the lost-upload check)")

    # -- tokens -----------------------------------------------------------------------------
    def refused(self, label, answer):
        """Counts a token's 429s in a row; after 4 (its unfinished uploads are ones this fuzzer
        lost track of, or its day's bytes are spent) the label gets a new token from the CLI,
        so the rest of the run still goes deep."""
        if answer.status != 429:
            with self.lock:
                self.refusals[label] = 0
            return
        with self.lock:
            self.refusals[label] += 1
            if self.refusals[label] < 4:
                return
            self.refusals[label] = 0
        with self.rotate_lock:
            role, camp = TOKEN_ROLE[label], TOKEN_CAMP[label]
            args = ["tokens", "add", "--workspace", str(self.ws), "--role", role, "--name", f"fuzz {label} #{self.rotations[label] + 2}"]
            token, _ = cli(self.binary, *(args + (["--camp", camp] if camp else [])), fatal=False)
            if not token:
                return
            with self.lock:
                self.tokens[label] = token
                self.rotations[label] += 1
                for up in [u for u in self.uploads.values() if u.token == label]:
                    self.uploads.pop(up.id, None)
                    up.state = "gone"
            if self.args.verbose:
                self.say(f"  {label}: 429 four times in a row ({answer.body[:100]!r}); new token made")

    # -- uploads ----------------------------------------------------------------------------
    def accept_tus(self, up, how, seq):
        with self.lock:
            if up.state == "whole":
                return
            was_deleted = up.state == "deleted"
            up.state = "whole"
            self.uploads.pop(up.id, None)
            self.ended.append(up)
            if up.content is not None:
                self.accepted.append({"kind": "tus", "how": how, "id": up.id, "name": up.name, "sha": up.sha,
                                      "size": len(up.content), "token": up.token, "seq": seq})
            else:
                self.unverifiable += 1
        if was_deleted:
            self.list_finding("TUS-WHOLE-AFTER-DELETE-204", f"upload {up.id} ({up.name}) answered whole by {how} at #{seq} after a DELETE answered 204")

    def accept_put(self, name, file, data, token, seq):
        with self.lock:
            self.accepted.append({"kind": "put", "how": "PUT 201", "name": name, "file": file, "sha": sha256(data),
                                  "size": len(data), "token": token, "seq": seq})

    def end_upload(self, up, state):
        with self.lock:
            if up.state != "open":
                return
            up.state = state
            self.uploads.pop(up.id, None)
            self.ended.append(up)
            if state == "deleted" and up.content is not None:
                self.deleted.append(up)

    def open_count(self, token):
        with self.lock:
            return sum(1 for u in self.uploads.values() if u.token == token)

    def claim(self, rng, token=None, prefer_content=True):
        with self.lock:
            pool = [u for u in self.uploads.values() if not u.busy and (token is None or u.token == token)]
            if prefer_content and any(u.content is not None for u in pool):
                pool = [u for u in pool if u.content is not None]
            if not pool:
                return None
            pool.sort(key=lambda u: u.id)
            up = rng.choice(pool)
            up.busy = True
            return up

    def any_upload(self, rng, ended=False):
        with self.lock:
            pool = sorted(self.ended if ended else self.uploads.values(), key=lambda u: u.id)
            return rng.choice(pool) if pool else None

    # -- the end ----------------------------------------------------------------------------
    def settle_and_check(self):
        settle_until = time.monotonic() + self.args.settle
        while time.monotonic() < settle_until and self.aborted != "the service cannot be started again":
            if not self.service.alive():
                self.ready.set()
                self.check_death(self.gen)
            time.sleep(0.5)
        if self.service.alive():
            answer = self.service.health()
            if answer.status != 200:
                if answer.outcome == "timeout" and self.service.alive():
                    self.hangs.append({"seq": self.seq, "label": "GET /health (final)", "request": "GET /health"})
                else:
                    self.list_finding("HEALTH-NOT-OK", f"final GET /health answered {answer!r}")
        elif self.aborted != "the service cannot be started again":
            self.check_death(self.gen)
        self.service.stop()
        if self.service.proc.returncode not in (0, -signal.SIGTERM):
            self.list_finding("STOP-NOT-CLEAN", f"SIGTERM ended the service with {describe_exit(self.service.proc.returncode)}")
        return self.find_lost()

    def find_lost(self):
        sizes = {a["size"] for a in self.accepted} | {len(u.content) for u in self.deleted}
        found = {}

        def scan(folder, where):
            for dirpath, _, files in os.walk(folder):
                for name in files:
                    path = os.path.join(dirpath, name)
                    try:
                        if os.path.getsize(path) in sizes:
                            found.setdefault(file_sha256(path), []).append(os.path.relpath(path, self.ws) if where == "ws" else path)
                    except OSError:
                        pass
        for sub in ("inbox", "archive"):
            scan(self.ws / sub, "ws")
        for q in self.quarantined:
            scan(q, "quarantine")
        lost = []
        for a in self.accepted:
            if a["sha"] not in found:
                lost.append(a)
        if lost:
            elsewhere = {}
            for dirpath, _, files in os.walk(self.ws):
                for name in files:
                    path = os.path.join(dirpath, name)
                    try:
                        if os.path.getsize(path) in sizes:
                            elsewhere.setdefault(file_sha256(path), []).append(os.path.relpath(path, self.ws))
                    except OSError:
                        pass
            for a in lost:
                a["elsewhere"] = elsewhere.get(a["sha"], [])
                if a.get("file"):
                    p = self.ws / "inbox" / a["file"]
                    if p.exists():
                        a["inbox_name_holds"] = f"other bytes ({p.stat().st_size} bytes)"
        for up in self.deleted:
            if up.sha in found:
                self.list_finding("DELETED-UPLOAD-DELIVERED", f"tus upload {up.id} ({up.name}): DELETE answered 204, yet its bytes are at {found[up.sha][0]}")
        return lost


# ---------------------------------------------------------------------------------------------
# Value generators

NASTY_STRINGS = ["", " ", "../x", "..\\x", "/etc/passwd", "%2e%2e%2f", "\u0000", "\n\r", "\u202e", "💥", "null", "true",
                 "NaN", "Infinity", "-0", "1e308", "0x10", "'; DROP TABLE jobs; --", "${jndi:x}", "<script>", "\ud800",
                 "a" * 300, "Kakuma\nShatila", "KAKUMA", "kakuma", "Shatila "]


def nasty_string(rng):
    r = rng.random()
    if r < 0.15:
        return rng.choice(["x", "é", "ب", "🙂", "\t", "\\"]) * rng.choice([65, 101, 257, 1000, 5000, 70000])
    return rng.choice(NASTY_STRINGS)


def weird_value(rng):
    return rng.choice([None, True, False, 0, -1, 1, 1e308, -1e308, 5e-324, float("inf"), float("-inf"), float("nan"),
                       2**63 - 1, 2**63, -2**63 - 1, 2**64, 10**30, 1.5, -5, [], {}, [1, 2], {"a": 1}, "NaN", "-5", "1e308",
                       nasty_string(rng), "RAW:1e999", "RAW:-1e999", "RAW:[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                       "DEEP"])


def dump_json(value):
    """json.dumps that also writes NaN/Infinity (allowed by Python) and raw tokens: a string
    "RAW:text" becomes text, "DEEP" becomes 3000 nested arrays."""
    text = json.dumps(value, ensure_ascii=False)
    text = re.sub(r'"RAW:([^"]*)"', lambda m: m.group(1), text)
    return text.replace('"DEEP"', "[" * 3000 + "]" * 3000)


class Worker(threading.Thread):
    def __init__(self, fz, index):
        super().__init__(name=f"client-{index}", daemon=True)
        self.fz, self.index = fz, index
        self.rng = random.Random(f"{fz.args.seed}:{index}")
        self.made = 0
        self.own = [f"kakuma-{'ab'[index % 2]}", f"shatila-{'ab'[index % 2]}"]

    # -- plumbing ---------------------------------------------------------------------------
    def send(self, label, data, *, upload=None, head=False, cut_at=None, rst=False, linger=None, halfclose=False,
             stream=False, timeout=TIMEOUT):
        info = {"upload": upload.id if upload else None, "head": head, "cut_at": cut_at, "rst": rst, "linger": linger,
                "halfclose": halfclose, "stream": stream}
        entry = self.fz.begin(self.index, label, data, info)
        self.last_entry = entry
        if upload is not None:
            upload.history.append(entry)
        answer = exchange(self.fz.port, data, head=head, cut_at=cut_at, rst=rst, linger=linger, halfclose=halfclose,
                          stream=stream, timeout=timeout)
        if stream and answer.outcome == "timeout":
            answer.outcome = "silent"
        self.fz.finish(entry, answer)
        return answer

    def hdrs(self, token, *extra, close=True):
        h = [("Host", f"127.0.0.1:{self.fz.port}")]
        if token:
            h.append(("Authorization", f"Bearer {self.fz.tokens[token]}"))
        if close:
            h.append(("Connection", "close"))
        h.extend(extra)
        return h

    def tus_hdrs(self, token, *extra):
        return self.hdrs(token, ("Tus-Resumable", TUS), *extra)

    def nonce(self):
        self.made += 1
        return struct.pack(">IQ", self.index, self.made) + self.rng.getrandbits(64).to_bytes(8, "big")

    def size(self):
        r = self.rng
        return r.choices([r.randint(200, 8000), r.randint(8000, 65536), r.randint(65536, 300_000), r.randint(300_000, 1 << 20)],
                         [72, 20, 6, 2])[0]

    # -- content ----------------------------------------------------------------------------
    def clip_bytes(self, size=None):
        r = self.rng
        size = size or self.size()
        nonce = self.nonce()
        kind = r.choices(["raw", "mp4", "broken-mp4", "sample"], [30, 45, 20, 5])[0]

        def box(t, payload):
            return struct.pack(">I", 8 + len(payload)) + t + payload
        if kind == "raw":
            return nonce + r.randbytes(max(0, size - len(nonce)))
        if kind == "sample":
            samples = sorted(SAMPLES.glob("*.mp4")) + sorted(SAMPLES.glob("*.mov"))
            if samples:
                return r.choice(samples).read_bytes() + box(b"free", nonce)
        ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
        moov = box(b"moov", box(b"mvhd", b"\x00" * 4 + r.randbytes(96)) + box(b"trak", r.randbytes(r.randint(0, 200))))
        mdat = box(b"mdat", r.randbytes(max(0, size - 200)))
        parts = [ftyp, box(b"free", nonce)] + ([moov, mdat] if r.random() < 0.5 else [mdat, moov])
        if kind == "mp4":
            return b"".join(parts)
        # Damaged layouts: sizes 0, 1 (64-bit size after the type), tiny, past the end, huge.
        i = r.randrange(1, len(parts))
        p = bytearray(parts[i])
        choice = r.choices(range(7), [20, 20, 15, 15, 10, 10, 2])[0]
        if choice == 0:
            p[0:4] = struct.pack(">I", 1)
            p[8:8] = struct.pack(">Q", r.choice([0, 7, 8, 2**63, 2**62, 2**32, len(p) + 8, len(p) + 1000, 2**64 - 1 - r.randrange(1 << 40)]))
        elif choice == 1:
            p[0:4] = struct.pack(">I", r.choice([0, 2, 7, 0xFFFFFFFF, 0x7FFFFFFF, len(p) + r.randint(1, 1000)]))
        elif choice == 2:
            p = p[: r.randint(1, max(1, len(p) - 1))]
        elif choice == 3:
            p[4:8] = r.choice([b"moov", b"mdat", b"\x00\x00\x00\x00", b"\xff\xfe\xfd\xfc", b"uuid"])
        elif choice == 4:
            p = bytearray(box(b"moov", b"".join(box(b"trak", b"") for _ in range(r.randint(100, 3000)))))
        elif choice == 5:
            p = bytearray(b"".join(box(b"free", b"") for _ in range(r.randint(9000, 12000))))
        else:
            p[0:4] = struct.pack(">I", 1)
            p[8:8] = struct.pack(">Q", 2**64 - r.randint(1, 4096))
        parts[i] = bytes(p)
        return b"".join(parts)

    def caption_bytes(self):
        r = self.rng
        kind = r.choices(range(10), [10, 4, 10, 10, 10, 10, 10, 10, 10, 16])[0]
        if kind == 0:
            return r.randbytes(r.randint(1, 4000))
        if kind == 1:
            hours = r.choice(["9223372036854775807", "2562047788015216", "999999999999999999", "99999999999999999999",
                              "3000000000000000", "-1", "", "00", "1e3", "٠٠"])
            return f"1\n{hours}:00:00,000 --> {hours}:00:01,000\nHello\n\n".encode()
        if kind == 2:
            return b"WEBVTT\n\n" + r.choice([b"00:00.000 --> 00:02.000\nHi\n", b"9223372036854775807:00:00.000 --> 9223372036854775807:00:01.000\nx\n",
                                             b"00:00.000 --> 00:02.000 position:1e308% line:-1e308% size:NaN%\nx\n",
                                             b"NOTE " + b"x" * 5000 + b"\n", b"00:00.000 --> \n\n"])
        if kind == 3:
            cues = "".join(f"{i}\n00:{i // 60 % 60:02d}:{i % 60:02d},000 --> 00:{i // 60 % 60:02d}:{i % 60:02d},500\ncue {i}\n\n"
                           for i in range(r.choice([1, 50, 5000])))
            return cues.encode()
        if kind == 4:
            return "\ufeff1\r\n00:00:00,000 --> 00:00:02,000\r\nسلام\r\n\r\n".encode(r.choice(["utf-8", "utf-16", "utf-16-be"]))
        if kind == 5:
            return b"1\n00:00:02,000 --> 00:00:01,000\nbackwards\n\n" + b"\x00" * r.randint(0, 100)
        if kind == 6:
            return (b"1\n00:00:00,000 --> 00:00:01,000\n" + b"<i>" * 10000 + b"{\\an8}" * 1000 + b"\n\n")
        return f"1\n00:00:00,000 --> 00:00:0{r.randint(1, 9)},000\nHello {r.random()}\n\n".encode()

    def clip_name(self, unique=False):
        r = self.rng
        ext = r.choices(CLIP_EXTS, [40, 25] + [4] * (len(CLIP_EXTS) - 2))[0]
        if unique or r.random() < 0.3:
            return f"fz{self.index}-{self.made}-{r.randrange(1 << 20):05x}.{ext}"
        return f"IMG_{4100 + r.randrange(16)}.{ext}"

    def valid_ticket(self, camp=None, clip=None):
        r = self.rng
        t = {"template": r.choice(["twitter-reply", "twitter-reply-fast"]),
             "speaker": {"name": r.choice(["Abu Omar", "Amal", "Layla H."]), "consent": True}}
        if camp:
            t["speaker"]["camp"] = camp
        if r.random() < 0.4:
            t["reply_to"] = {"tweet_id": str(r.randrange(10**17, 10**19)), "handle": "@" + r.choice(["sara_k", "un_news", "x"])}
        if r.random() < 0.3:
            stem = (clip or "clip.mp4").rsplit(".", 1)[0]
            t["captions"] = [{"file": f"{stem}.{lang}.{r.choice(['srt', 'vtt'])}", "language": lang, "burn": i == 0}
                             for i, lang in enumerate(r.sample(["en", "ar", "fr", "sw"], r.randint(1, 2)))]
        if r.random() < 0.3:
            start = round(r.uniform(0, 3), 2)
            t["trim"] = {"start": start, "end": round(start + r.uniform(0.5, 10), 2)}
        if r.random() < 0.3:
            t["priority"] = r.choice(["realtime", "normal", "background"])
        return t

    def mutated_ticket(self, camp=None, clip=None):
        """A ticket's text: valid, or with a few fields mutated, or broken JSON."""
        r = self.rng
        t = self.valid_ticket(camp, clip)
        for _ in range(r.choice([0, 1, 1, 2, 3])):
            m = r.randrange(16)
            if m == 0:
                t["trim"] = {"start": r.choice([1e308, -5, float("nan"), "1", None, 86400, 86401, 0, "RAW:1e999"]),
                             "end": r.choice([-5, 1e308, 0, None, 5, "x", float("inf")])}
            elif m == 1:
                t["captions"] = [{"file": f"c{i}.srt", "language": "en"} for i in range(r.choice([9, 100, 1500, 4000]))]
            elif m == 2:
                t["captions"] = [{"file": r.choice([clip or "IMG_4100.mp4", f"IMG_{4100 + r.randrange(16)}.mp4", "../x.srt", "a/b.srt",
                                                    ".hidden.srt", "", "x" * 300 + ".srt", "IMG_4101.mov", "c.SRT", "c.srt\u0000.mp4"]),
                                  "language": r.choice(["en", "", "x" * 40, "e", "pt-BR", "../", 5]), "burn": r.choice([True, "yes", 1, None])}]
            elif m == 3:
                t["speaker"] = {"name": nasty_string(r), "camp": r.choice([camp, "Kakuma", "Shatila", "", nasty_string(r)]),
                                "consent": weird_value(r)}
            elif m == 4:
                t["reply_to"] = {"tweet_id": r.choice(["1", "", "123456789012345678901", "-1", "1e3", 5, "9" * 400]),
                                 "handle": r.choice(["@", "@" + "a" * 16, "sara", "@sara k", "@" + "_" * 15, "@💥", None])}
            elif m == 5:
                t["template"] = r.choice(["../../etc/passwd", "", "x" * 1000, "bts-cut", "bts-cut-captioned", "nope", "Twitter-Reply", 5])
            elif m == 6:
                t["request"] = r.choice([self.pick_request(None) or "x", "", "x" * 65, "1' OR '1'='1", "../x", 7, "REQ-%00"])
            elif m == 7:
                t["priority"] = weird_value(r)
            elif m == 8:
                t[r.choice(list(t.keys()) or ["template"])] = weird_value(r)
            elif m == 9:
                t["unknown_" + str(r.randrange(100))] = weird_value(r)
            elif m == 10:
                t["speaker"] = {"name": "x" * r.choice([100, 101, 100000]), "camp": "y" * r.choice([64, 65, 10000])}
            elif m == 11:
                t = [t]
                break
            elif m == 12:
                return r.choice([b"", b"{", b"null", b"[]", b"\xff\xfe{}", b"\xef\xbb\xbf{}", b"{}" * 1000, b'{"trim": {"start": 1e308, "end": -5}}',
                                 b'{"a":' * 5000, ("{" + ",".join(f'"k{i}":{i}' for i in range(20000)) + "}").encode()])
            elif m == 13:
                t["trim"] = {"start": r.choice([0.5, 1, 2]), "end": r.choice([0.1, 0.5, 1e-300])}
            elif m == 14:
                t = {"trim": {"start": 1e308, "end": -5}}
            else:
                t["captions"] = r.choice([None, "x", {}, [None], [{}], [{"file": 5, "language": []}]])
        text = dump_json(t).encode("utf-8", "surrogatepass")
        if r.random() < 0.05:
            text = text[: r.randrange(len(text))]
        return text

    def pick_request(self, camp):
        with self.fz.lock:
            pool = self.fz.request_ids[camp] if camp else sum(self.fz.request_ids.values(), [])
            return self.rng.choice(pool) if pool else None

    def open_request(self, camp):
        """A request of `camp` still waiting for its clip (a linked upload moves a request on):
        one of the pool, or a new one made by the producer."""
        with self.fz.lock:
            pool = list(self.fz.request_ids[camp])
        if pool and self.rng.random() < 0.85:
            return self.rng.choice(pool)
        body = json.dumps({"tweet_url": f"https://x.com/sara_k/status/{self.rng.randrange(10**17, 10**19)}",
                           "tweet_text": "What do you need most?", "camp": camp, "languages": ["en", "ar"]}).encode()
        answer = self.send("POST /api/requests (for uploads)", raw_request("POST", "/api/requests", self.hdrs(
            "producer", ("Content-Type", "application/json"), ("Content-Length", str(len(body)))), body))
        made = answer.json() if answer.status == 201 else None
        if isinstance(made, dict) and made.get("id"):
            with self.fz.lock:
                self.fz.request_ids[camp].append(made["id"])
            return made["id"]
        return self.rng.choice(pool) if pool else None

    def drop_request(self, rid):
        with self.fz.lock:
            for pool in self.fz.request_ids.values():
                if rid in pool:
                    pool.remove(rid)

    def upload_token(self):
        r = self.rng
        return r.choices([self.own[0], self.own[1], "producer", self.rng.choice(["kakuma-a", "kakuma-b", "shatila-a", "shatila-b"])],
                         [40, 35, 15, 10])[0]

    def metadata(self, token, name):
        r = self.rng
        camp = TOKEN_CAMP.get(token)
        pairs = [("filename", name)]
        mode = r.choices(["plain", "request", "ticket", "captions"], [40, 30, 20, 10])[0]
        self.last_request = None
        if mode == "request":
            rid = self.open_request(camp or r.choice(CAMPS))
            self.last_request = rid
            if rid:
                pairs += [("request", rid), ("speaker", r.choice(["Abu Omar", "Amal"])), ("consent", "true")]
        elif mode == "ticket":
            pairs.append(("ticket", dump_json(self.valid_ticket(camp, name))))
        elif mode == "captions":
            stem = name.rsplit(".", 1)[0]
            pairs.append(("captions", json.dumps([{"file": f"{stem}.en.srt", "language": "en", "burn": True}])))
        return ",".join(f"{k} {b64(v)}" for k, v in pairs)

    def mutated_metadata(self, token, name):
        r = self.rng
        m = r.randrange(18)
        if m in (16, 17):
            # A proxy (creation-defer-length) or an original following one: clip ids, roles and
            # declared lengths, right and wrong, for a real request or none.
            rid = self.pick_request(TOKEN_CAMP.get(token) or r.choice(CAMPS)) or "x"
            pairs = {"filename": name, "request": r.choice([rid, rid, "nope"]), "speaker": "Amal", "consent": "true",
                     "clip_id": r.choice(["c" * 32, "0123456789abcdef", "x" * 65, "../../etc", "", "\u00e9" * 20]),
                     "clip_role": r.choice(["proxy", "proxy", "original", "thumbnail", ""]),
                     "duration": r.choice(["31.5", "140", "140.001", "0", "-1", "NaN", "1e308", "9" * 20, "", "x"])}
            for key in r.sample(list(pairs), r.randrange(0, 3)):
                del pairs[key]
            return ",".join(f"{k} {b64(v)}" for k, v in pairs.items())
        if m == 0:
            return f"filename {r.choice(['!!!', 'a2FrdW1h', '====', 'YQ', '*', 'a2Fr dW1h'])}"
        if m == 1:
            return "filename"
        if m == 2:
            return f"filename {b64(name)},filename {b64(name)}"
        if m == 3:
            return f"{r.choice(['file name', 'fïlename', 'a' * 65, '', '../x', 'k%00'])} {b64(name)}"
        if m == 4:
            return f"filename {b64(name)}," + ",".join(f"k{i} {b64('v' * 50)}" for i in range(r.choice([10, 300, 400])))
        if m == 5:
            return "filename " + base64.b64encode(b"\xff\xfe" + b(name)).decode()
        if m == 6:
            bad = r.choice(["../../etc/passwd.mp4", "..\\x.mp4", "/abs/x.mp4", "x.mp4/", "a\nb.mp4", ".hidden.mp4", "~x.mov",
                            "x.mp4.txt", "x." + "a" * 250 + ".mp4", "كليب.mp4", "💥.mov", "x.job.json", "x.srt", "x", ".mp4",
                            "...mp4", "x.mp4\u0000.txt", " x.mp4 ", "\u202ex.mp4", "CON.mp4", "x" * 199 + ".mp4", "x" * 300 + ".mp4"])
            return f"filename {b64(bad)}"
        if m == 7:
            return f"filename {b64(name)},ticket {b64(self.mutated_ticket(TOKEN_CAMP.get(token), name).decode('utf-8', 'replace'))}"
        if m == 8:
            rid = r.choice([self.pick_request(r.choice(CAMPS)) or "x", "nope", "", "x" * 100, "1' OR 1=1 --"])
            return f"filename {b64(name)},request {b64(rid)}" + r.choice(["", f",speaker {b64(nasty_string(r))}", ",speaker", f",consent {b64('maybe')}"])
        if m == 9:
            caps = r.choice([[{"file": name, "language": "en"}], [{"file": "IMG_4101.mp4", "language": "en"}],
                             [{"file": "../x.srt", "language": "en"}], "x", [{"file": f"c{i}.srt", "language": "en"} for i in range(2000)]])
            return f"filename {b64(name)},captions {b64(json.dumps(caps))}"
        if m == 10:
            return f"filename {b64(name)},request {b64('x')},ticket {b64('{}')}"
        if m == 11:
            return "filename " + b64(name) + "," * r.choice([1, 100, 5000])
        if m == 12:
            return f"filename {b64('x' * r.choice([20000, 12000]) + '.mp4')}"
        if m == 13:
            return f"  filename   {b64(name)}  ,  speaker {b64('Amal')}  "
        if m == 14:
            return f"filename {b64(name)},ticket {b64(dump_json({'speaker': {'camp': r.choice(CAMPS)}, 'request': self.pick_request(r.choice(CAMPS)) or 'x'}))}"
        return self.metadata(token, name)

    # -- scenarios: tus -----------------------------------------------------------------------
    def make_room(self, token):
        """Keeps a token under 4 unfinished uploads (a 5th POST is 429): finish or delete one."""
        while self.fz.open_count(token) >= 3 and not self.fz.done():
            up = self.fz.claim(self.rng, token, prefer_content=False)
            if up is None:
                return
            try:
                if up.content is not None and self.rng.random() < 0.6:
                    self.drive(up, steps=8, leave=0.0)
                if up.state == "open":
                    self.delete(up)
            finally:
                up.busy = False
            if up.state == "open":
                self.fz.end_upload(up, "gone")   # stop counting one this fuzzer cannot end

    def create(self, token, content, name, metadata=None, extra=(), first=0, label="tus POST"):
        r = self.rng
        headers = self.tus_hdrs(token, ("Upload-Length", str(len(content))),
                                ("Upload-Metadata", metadata if metadata is not None else self.metadata(token, name)), *extra)
        body = b""
        if first:
            body = content[:first]
            headers += [("Content-Type", "application/offset+octet-stream"), ("Content-Length", str(len(body)))]
            if r.random() < 0.3:
                headers.append(("Upload-Checksum", "sha1 " + base64.b64encode(hashlib.sha1(body).digest()).decode()))
        asked = getattr(self, "last_request", None) if metadata is None else None
        answer = self.send(label, raw_request("POST", "/api/tus", headers, body))
        self.fz.refused(token, answer)
        if answer.status != 201:
            if answer.status == 429:
                self.make_room(token)
            if answer.status in (404, 409) and asked:
                self.drop_request(asked)   # filmed, cancelled or gone: no more clips for it
            return None, answer
        m = re.search(r"/api/tus/([^/?\s]+)", answer.header("location") or "")
        if not m:
            self.fz.list_finding("TUS-201-WITHOUT-LOCATION", f"POST answered 201 with Location {answer.header('location')!r}")
            return None, answer
        up = Upload(m.group(1), token, len(content), content, name, "POST")
        self.last_entry["upload"] = up.id
        up.history.append(self.last_entry)
        with self.fz.lock:
            self.fz.uploads[up.id] = up
        if first:
            offset = answer.int_header("upload-offset")
            if offset is not None:
                up.offset = offset
                if offset == up.length:
                    self.fz.accept_tus(up, "POST 201 (creation-with-upload)", self.fz.seq)
        return up, answer

    def scen_tus_new(self):
        r = self.rng
        token = self.upload_token()
        self.make_room(token)
        content = self.clip_bytes()
        name = self.clip_name()
        first = r.randint(1, len(content)) if r.random() < 0.15 else 0
        up, _ = self.create(token, content, name, first=first)
        if up is None:
            return
        up.busy = True
        try:
            self.drive(up, steps=r.randint(1, 8), leave=0.12)
        finally:
            up.busy = False

    def scen_tus_continue(self):
        up = self.fz.claim(self.rng)
        if up is None:
            return self.scen_tus_new()
        try:
            if up.content is None:
                self.poke(up)
            else:
                self.drive(up, steps=self.rng.randint(1, 6), leave=0.2)
        finally:
            up.busy = False

    def head(self, up, token=None, label="tus HEAD"):
        token = token or up.token
        answer = self.send(label, raw_request("HEAD", f"/api/tus/{up.id}", self.tus_hdrs(token)), upload=up, head=True)
        self.learn(up, answer, token, f"HEAD #{self.fz.seq}")
        return answer

    def delete(self, up, token=None, label="tus DELETE"):
        token = token or up.token
        was = up.state
        answer = self.send(label, raw_request("DELETE", f"/api/tus/{up.id}", self.tus_hdrs(token)), upload=up)
        if answer.status == 204:
            if was in ("whole", "deleted"):
                self.fz.list_finding("TUS-204-AFTER-END", f"DELETE {up.id} answered 204 although the upload was {was} (#{self.fz.seq})")
            else:
                self.intruder(token, up, "deleted")
                self.fz.end_upload(up, "deleted")
        elif answer.status in (404, 410) and self.reaches(token, up) and up.state == "open":
            self.fz.end_upload(up, "gone")
        return answer

    def reaches(self, token, up):
        """Whether `token` may touch the upload: an upload is its uploader's (and a producer's)."""
        return token == up.token or TOKEN_ROLE.get(token) == "producer"

    def intruder(self, token, up, what):
        """Lists a 2xx answer to a token that is neither the upload's uploader nor a producer."""
        if self.reaches(token, up):
            return
        other, mine = TOKEN_CAMP.get(token), up.camp
        kind = "CROSS-CAMP-TUS" if not other or not mine or other.lower() != mine.lower() else "OTHER-UPLOADER-TUS"
        self.fz.list_finding(kind, f"{token} {what} {up.token}'s upload {up.id} (#{self.fz.seq})")

    def learn(self, up, answer, token, how):
        """What an answer says about where the upload stands."""
        if answer.status == 200 and answer.header("upload-offset") is not None:
            offset = answer.int_header("upload-offset")
            if offset is not None:
                up.offset = offset
                if offset == up.length and up.state in ("open", "deleted"):
                    self.fz.accept_tus(up, how, self.fz.seq)
        elif answer.status in (404, 410) and self.reaches(token, up) and up.state == "open":
            self.fz.end_upload(up, "gone")
        if answer.status and 200 <= answer.status < 300:
            self.intruder(token, up, f"got {answer.status} on")

    def patch(self, up, *, token=None, offset=None, n=None, claim=None, checksum=None, cl=None, chunked=False,
              cut=False, ctype="application/offset+octet-stream", label="tus PATCH", tus=TUS):
        """PATCH content[offset:offset+n] (or random bytes when the upload's content is unknown).
        claim: the Upload-Offset header's text when it should lie. cl: the Content-Length header's
        text when it should lie (None: honest)."""
        r = self.rng
        token = token or up.token
        offset = up.offset if offset is None else offset
        if up.content is not None:
            left = max(0, up.length - offset)
            n = left if n is None else n
            body = up.content[offset: offset + n]
        else:
            body = r.randbytes(n or r.randint(1, 2000))
        headers = self.hdrs(token, ("Upload-Offset", str(offset) if claim is None else claim))
        if tus is not None:
            headers.append(("Tus-Resumable", tus))
        if ctype is not None:
            headers.append(("Content-Type", ctype))
        if checksum == "right":
            alg = r.choice(["sha1", "sha256"])
            headers.append(("Upload-Checksum", f"{alg} " + base64.b64encode(hashlib.new(alg, body).digest()).decode()))
        elif checksum == "wrong":
            alg = r.choice(["sha1", "sha256"])
            headers.append(("Upload-Checksum", f"{alg} " + base64.b64encode(hashlib.new(alg, body + b"!").digest()).decode()))
        elif checksum == "garbled":
            headers.append(("Upload-Checksum", r.choice(["sha1", "md5 AAAA", "sha256 !!!!", "sha1 " + "A" * 28 + "==", "sha256  x y",
                                                         "SHA1 " + base64.b64encode(hashlib.sha1(body).digest()).decode(), "",
                                                         "sha512 " + base64.b64encode(hashlib.sha512(body).digest()).decode(),
                                                         "sha1 " + "A" * 20000])))
        linger = None
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
            pieces, i = [], 0
            while i < len(body):
                k = r.randint(1, max(1, len(body) // 3))
                pieces.append(b"%x\r\n" % len(body[i:i + k]) + body[i:i + k] + b"\r\n")
                i += k
            payload = b"".join(pieces) + b"0\r\n\r\n"
        else:
            headers.append(("Content-Length", str(len(body)) if cl is None else cl))
            payload = body
            if cl is not None:
                try:
                    declared = int(cl)
                except ValueError:
                    declared = None
                if declared is None or declared != len(body):
                    linger = LINGER
        data = raw_request("PATCH", f"/api/tus/{up.id}", headers, payload)
        cut_at = None
        if cut:
            cut_at = len(data) - len(payload) + r.randint(0, max(0, len(payload) - 1))
        was = up.state
        answer = self.send(label, data, upload=up, cut_at=cut_at, rst=cut and r.random() < 0.3, linger=linger,
                           halfclose=linger is not None and r.random() < 0.5)
        if answer.status == 204:
            new = answer.int_header("upload-offset")
            if was in ("whole", "deleted"):
                self.fz.list_finding("TUS-204-AFTER-END", f"PATCH {up.id} answered 204 although the upload was {was} (#{self.fz.seq})")
            self.intruder(token, up, "wrote to")
            if claim is not None and claim.strip() != str(offset):
                self.fz.list_finding("TUS-WRONG-OFFSET-ACCEPTED", f"PATCH with Upload-Offset {claim!r} (at {offset}) answered 204 (#{self.fz.seq})")
            if new is not None:
                up.offset = new
                if new == up.length:
                    self.fz.accept_tus(up, f"PATCH 204 #{self.fz.seq}", self.fz.seq)
        elif answer.status in (409, 460) and answer.int_header("upload-offset") is not None:
            up.offset = answer.int_header("upload-offset")
        elif answer.status in (404, 410) and self.reaches(token, up) and up.state == "open":
            self.fz.end_upload(up, "gone")
        return answer

    def drive(self, up, steps, leave):
        """Up to `steps` operations on one upload, mostly sending its next bytes."""
        r = self.rng
        for _ in range(steps):
            if up.state != "open" or self.fz.done():
                return
            if r.random() < leave:
                return
            left = up.length - up.offset
            n = left if r.random() < 0.5 else r.randint(1, max(1, left))
            op = r.choices(["plain", "checksum", "wrong-sum", "garbled-sum", "cut", "cl-smaller", "cl-larger", "wrong-offset",
                            "chunked", "head", "delete", "other-token", "no-tus", "bad-ctype"],
                           [44, 10, 4, 2, 5, 2, 4, 5, 4, 7, 2, 4, 2, 2])[0]
            uncertain = False
            if op == "plain":
                self.patch(up, n=n)
            elif op == "checksum":
                self.patch(up, n=n, checksum="right")
            elif op == "wrong-sum":
                self.patch(up, n=n, checksum="wrong")
            elif op == "garbled-sum":
                self.patch(up, n=n, checksum="garbled")
            elif op == "cut":
                self.patch(up, n=max(n, 2), cut=True, checksum="right" if r.random() < 0.3 else None)
                uncertain = True
            elif op == "cl-smaller":
                k = r.randint(0, max(0, n - 1))
                self.patch(up, n=n, cl=str(k), label="tus PATCH Content-Length smaller than body")
                uncertain = True
            elif op == "cl-larger":
                self.lie_larger(up, n)
                uncertain = True
            elif op == "wrong-offset":
                claim = r.choice([str(up.offset + r.randint(1, 100)), str(max(0, up.offset - r.randint(1, 100))), "-1", "abc", "",
                                  " " + str(up.offset), str(up.offset) + " ", "+" + str(up.offset), "0x0", "1e3", str(up.length),
                                  str(up.length + 1), str(r.choice(BIG)), "٣", f"{up.offset},{up.offset}", "9" * 40])
                try:
                    o = int(claim)
                    offset = o if 0 <= o <= up.length and str(o) == claim else up.offset
                except ValueError:
                    offset = up.offset
                self.patch(up, offset=offset, n=n, claim=claim, label="tus PATCH wrong Upload-Offset")
                uncertain = True
            elif op == "chunked":
                self.patch(up, n=n, chunked=True, label="tus PATCH chunked")
            elif op == "head":
                self.head(up)
            elif op == "delete":
                self.delete(up)
                if up.state == "deleted" and r.random() < 0.5:
                    self.after_end(up)
                return
            elif op == "other-token":
                other = r.choice([t for t in self.fz.tokens if t != up.token] + [None, "garbled"])
                if other == "garbled":
                    h = self.tus_hdrs(None, ("Authorization", r.choice(["Bearer", "Bearer " + self.fz.tokens[up.token][:-1], "Basic eDp5",
                                                                        "bearer  " + self.fz.tokens[up.token] + "x"])))
                    self.send("tus HEAD garbled token", raw_request("HEAD", f"/api/tus/{up.id}", h), upload=up, head=True)
                elif other is None:
                    self.send("tus PATCH no token", raw_request("PATCH", f"/api/tus/{up.id}", self.tus_hdrs(None, ("Upload-Offset", "0"),
                              ("Content-Type", "application/offset+octet-stream"), ("Content-Length", "1")), b"x"), upload=up)
                else:
                    r.choice([lambda: self.head(up, token=other, label="tus HEAD other token"),
                              lambda: self.patch(up, token=other, n=min(n, 64), label="tus PATCH other token")])()
                    uncertain = True
            elif op == "no-tus":
                self.patch(up, n=min(n, 100), tus=r.choice([None, "1.0", "0.2.2", "1.0.0,0.2.2", "1.0.0 ", "", "x" * 5000]),
                           label="tus PATCH bad Tus-Resumable")
            else:
                self.patch(up, n=min(n, 100), ctype=r.choice([None, "application/octet-stream", "application/offset+octet-stream; x=1",
                                                              "APPLICATION/OFFSET+OCTET-STREAM", "text/plain", ""]), label="tus PATCH bad Content-Type")
            if uncertain and up.state == "open" and r.random() < 0.8:
                self.head(up)
        if up.state == "whole" and r.random() < 0.15:
            self.after_end(up)

    def lie_larger(self, up, n):
        """Content-Length bigger than the body: by a little, past Upload-Length, or near 2^63
        (the old binary's start + declared overflow); the socket is then closed."""
        r = self.rng
        if up.offset == 0 and up.length > 1 and r.random() < 0.7 and up.content is not None:
            self.patch(up, n=1)   # an offset past 0 first, as the crash needs
            if up.state != "open":
                return
        left = up.length - up.offset
        kinds = [("body+k", n + r.randint(1, 1000)), ("left+1", left + 1), ("past the end", left + r.randint(2, 10**6)),
                 ("2^63-1", 2**63 - 1), ("2^63-1-k", 2**63 - 1 - r.randrange(1 << 20)), ("2^62", 2**62), ("2^63", 2**63),
                 ("2^64-1", 2**64 - 1), ("10^25", 10**25)]
        kind, declared = r.choices(kinds, [30, 15, 10, 8, 6, 8, 8, 8, 7])[0]
        self.patch(up, n=min(n, 512), cl=str(declared),
                   label=f"tus PATCH Content-Length {kind} at offset {'>0' if up.offset else '0'}")

    def poke(self, up):
        """An upload whose content is not known (an odd Upload-Length was accepted): anything
        that does not need its bytes."""
        r = self.rng
        op = r.randrange(5)
        if op == 4:
            # creation-defer-length: a length told (or re-told) with a PATCH, right or wrong.
            told = r.choice(["0", "1", str(up.offset), str(up.offset + r.randint(1, 5000)), str(268435456), str(268435457), "-1", "abc",
                             "9223372036854775807", "9223372036854775808", "99999999999999999999", "", " 10", "1e3"])
            body = r.randbytes(r.randint(0, 2000))
            h = self.tus_hdrs(up.token, ("Upload-Offset", str(up.offset)), ("Content-Type", "application/offset+octet-stream"),
                              ("Content-Length", str(len(body))), ("Upload-Length", told))
            self.send("tus PATCH telling Upload-Length", raw_request("PATCH", f"/api/tus/{up.id}", h, body), upload=up, linger=LINGER)
        elif op == 0:
            self.head(up)
        elif op == 1:
            self.lie_larger(up, r.randint(1, 64))
        elif op == 2:
            self.patch(up, n=r.randint(1, 2000), label="tus PATCH unknown-content upload")
        else:
            self.delete(up)

    def after_end(self, up):
        """After a DELETE or the hand-off no PATCH or DELETE may answer 204 again."""
        r = self.rng
        if up.content is None:
            return
        for _ in range(r.randint(1, 3)):
            op = r.randrange(3)
            if op == 0:
                self.patch(up, offset=min(up.offset, up.length - 1), n=1, label=f"tus PATCH after {up.state}")
            elif op == 1:
                self.delete(up, label=f"tus DELETE after {up.state}")
            else:
                self.head(up, label=f"tus HEAD after {up.state}")

    def scen_after_end(self):
        up = self.fz.any_upload(self.rng, ended=True)
        if up is not None:
            self.after_end(up)

    def scen_tus_patch_mutated(self):
        up = self.fz.claim(self.rng)
        if up is None:
            return self.scen_tus_new()
        try:
            r = self.rng
            if up.content is None:
                return self.poke(up)
            op = r.randrange(6)
            n = r.randint(1, max(1, up.length - up.offset))
            if op == 0:
                self.lie_larger(up, n)
            elif op == 1:
                self.patch(up, n=n, cl=r.choice(["-1", "abc", "", "1 1", "0x10", " 5", "5,5", "+5", "18446744073709551616", "1e3"]),
                           label="tus PATCH garbled Content-Length")
            elif op == 2:
                body = up.content[up.offset: up.offset + n]
                h = self.tus_hdrs(up.token, ("Upload-Offset", str(up.offset)), ("Content-Type", "application/offset+octet-stream"),
                                  ("Content-Length", str(len(body))), ("Content-Length", str(len(body) + r.choice([0, 1, -1]))))
                self.send("tus PATCH two Content-Length", raw_request("PATCH", f"/api/tus/{up.id}", h, body), upload=up, linger=LINGER)
            elif op == 3:
                body = up.content[up.offset: up.offset + n]
                h = self.tus_hdrs(up.token, ("Upload-Offset", str(up.offset)), ("Content-Type", "application/offset+octet-stream"),
                                  ("Transfer-Encoding", "chunked"))
                bad = r.choice([b"ffffffffffffffffff\r\n" + body, b"-1\r\n" + body, b"%x\r\n" % (len(body) + 100) + body,
                                b"%x;ext=1\r\n" % len(body) + body + b"\r\n0\r\n\r\n", b"%x\r\n" % len(body) + body])
                self.send("tus PATCH malformed chunked", raw_request("PATCH", f"/api/tus/{up.id}", h, bad), upload=up, linger=LINGER,
                          halfclose=r.random() < 0.5)
            elif op == 4:
                self.patch(up, n=n, checksum=r.choice(["right", "wrong", "garbled"]), cut=r.random() < 0.5, label="tus PATCH checksum")
            else:
                self.patch(up, n=0, label="tus PATCH empty")
            if up.state == "open":
                self.head(up)
        finally:
            up.busy = False

    def scen_tus_post_mutated(self):
        r = self.rng
        token = r.choices(["kakuma-x", "shatila-x", "viewer", "editor", None], [45, 40, 5, 5, 5])[0]
        if token in self.fz.tokens and TOKEN_CAMP.get(token):
            self.make_room(token)
        name = self.clip_name()
        length = None
        headers = [("Host", "127.0.0.1")] + ([("Authorization", f"Bearer {self.fz.tokens[token]}")] if token else [])
        headers.append(("Connection", "close"))
        m = r.randrange(6)
        tus = TUS if m != 0 else r.choice([None, "1.0", "0.2.2", "1.0.0 ", "1.0.0,1.0.0", "", "x" * 3000, "1.0.0\x00"])
        if tus is not None:
            headers.append(("Tus-Resumable", tus))
        if m == 1:
            length = r.choice(["0", "-1", "abc", "", " 100", "100 ", "+100", "1e3", "0x10", "4294967296", "4294967297",
                               "9223372036854775807", "9223372036854775808", "99999999999999999999999", "-9223372036854775808",
                               "１００", "100, 200", "NaN", "Infinity", "00000000000000000000100", "1"])
        else:
            length = str(r.randint(1, 4000))
        if length is not None:
            headers.append(("Upload-Length", length))
        if m == 2 or r.random() < 0.05:
            headers.append(("Upload-Defer-Length", r.choice(["1", "0", "x"])))
        if m == 1 and r.random() < 0.2:
            headers.append(("Upload-Length", str(r.randint(1, 100))))
        meta = self.mutated_metadata(token or "producer", name) if m in (3, 4, 5) or r.random() < 0.3 else self.metadata(token or "producer", name)
        headers.append(("Upload-Metadata", meta))
        body = b""
        if r.random() < 0.1:
            body = r.randbytes(r.randint(1, 3000))
            headers += [("Content-Type", r.choice(["application/offset+octet-stream", "text/plain"])), ("Content-Length", str(len(body)))]
        answer = self.send("tus POST mutated", raw_request("POST", "/api/tus", headers, body))
        if token in TOKEN_ROLE and answer.status in (201, 429):
            self.fz.refused(token, answer)
        if answer.status == 201:
            mm = re.search(r"/api/tus/([^/?\s]+)", answer.header("location") or "")
            if not mm or token not in self.fz.tokens:
                return
            up = Upload(mm.group(1), token, 0, None, name, "POST mutated")
            self.last_entry["upload"] = up.id
            up.history.append(self.last_entry)
            with self.fz.lock:
                self.fz.uploads[up.id] = up
            up.busy = True
            try:
                h = self.head(up)
                declared = h.int_header("upload-length")
                have = h.int_header("upload-offset") or 0
                if declared is not None:
                    up.length = declared
                    sent_first = body if answer.int_header("upload-offset") == have else b""
                    if declared <= 2 << 20 and have <= len(sent_first) and up.state == "open":
                        # What the POST itself carried is the upload's start: the rest is ours to choose.
                        rest = self.clip_bytes(max(1, declared - have))
                        up.content = (sent_first[:have] + rest)[:declared]
                        up.content += b"\x00" * (declared - len(up.content))
                        up.sha = sha256(up.content)
                    if up.content is not None or up.state == "open":
                        self.drive(up, steps=r.randint(0, 4), leave=0.2) if up.content is not None else self.poke(up)
            finally:
                up.busy = False

    def scen_interleave(self):
        """Two clients on one upload: A sends a PATCH's headers and most of its body, B sends a
        HEAD, a PATCH of the same bytes, a DELETE or a PATCH at another offset; A then finishes
        or drops; then both answers are read."""
        r = self.rng
        up = self.fz.claim(self.rng)
        if up is None or up.content is None:
            if up:
                up.busy = False
            return self.scen_tus_new()
        try:
            self.head(up)
            if up.state != "open" or up.offset >= up.length:
                return
            left = up.length - up.offset
            n = left if r.random() < 0.6 else r.randint(1, left)
            body = up.content[up.offset: up.offset + n]
            a_data = raw_request("PATCH", f"/api/tus/{up.id}", self.tus_hdrs(up.token, ("Upload-Offset", str(up.offset)),
                                 ("Content-Type", "application/offset+octet-stream"), ("Content-Length", str(len(body)))), body)
            hold = r.randint(1, min(len(body), 4096))
            b_op = r.choice(["head", "patch", "patch", "delete", "delete", "patch-next"])
            b_token = up.token if r.random() < 0.8 else r.choice([t for t in self.fz.tokens if TOKEN_CAMP.get(t) == up.camp] or [up.token])
            if b_op == "head":
                b_data = raw_request("HEAD", f"/api/tus/{up.id}", self.tus_hdrs(b_token))
            elif b_op == "delete":
                b_data = raw_request("DELETE", f"/api/tus/{up.id}", self.tus_hdrs(b_token))
            else:
                o = up.offset if b_op == "patch" else min(up.length - 1, up.offset + len(body) - hold)
                bb = up.content[o: o + r.randint(1, up.length - o)]
                b_data = raw_request("PATCH", f"/api/tus/{up.id}", self.tus_hdrs(b_token, ("Upload-Offset", str(o)),
                                     ("Content-Type", "application/offset+octet-stream"), ("Content-Length", str(len(bb)))), bb)
            a_entry = self.fz.begin(self.index, "tus interleave A: PATCH", a_data, {"upload": up.id})
            up.history.append(a_entry)
            gen = a_entry["gen"]
            sa = connect(self.fz.port)
            if sa is None:
                self.fz.finish(a_entry, Answer("refused"))
                return
            try:
                try:
                    sa.sendall(a_data[:-hold])
                except OSError:
                    pass
                time.sleep(r.uniform(0, 0.05))
                b_entry = self.fz.begin(self.index, f"tus interleave B: {b_op}", b_data, {"upload": up.id, "head": b_op == "head"})
                up.history.append(b_entry)
                sb = connect(self.fz.port)
                if sb is None:
                    self.fz.finish(b_entry, Answer("refused"))
                    self.fz.finish(a_entry, Answer("refused"))
                    return
                try:
                    try:
                        sb.sendall(b_data)
                    except OSError:
                        pass
                    time.sleep(r.uniform(0, 0.2))
                    drop = r.random() < 0.2
                    if drop:
                        close(sa, rst=r.random() < 0.5)
                        a_answer = Answer("cut")
                        a_entry["cut_at"] = len(a_data) - hold
                    else:
                        try:
                            sa.sendall(a_data[-hold:])
                        except OSError:
                            pass
                        a_answer = read_answer(sa, time.monotonic() + TIMEOUT)
                    b_answer = read_answer(sb, time.monotonic() + TIMEOUT, head=b_op == "head")
                finally:
                    close(sb)
            finally:
                close(sa)
            self.fz.finish(a_entry, a_answer)
            self.fz.finish(b_entry, b_answer)
            whole = False
            for ans, who in ((a_answer, "A"), (b_answer, "B")):
                if ans.status == 204 and ans.int_header("upload-offset") == up.length:
                    whole = True
                    self.fz.accept_tus(up, f"interleaved PATCH {who} 204", self.fz.seq)
                elif ans.status in (200, 204) and ans.int_header("upload-offset") is not None and up.state == "open":
                    up.offset = ans.int_header("upload-offset")
            if b_op == "delete" and b_answer.status == 204:
                if whole:
                    self.fz.list_finding("DELETE-204-BUT-WHOLE", f"upload {up.id}: DELETE answered 204 while a PATCH answered it whole (#{b_entry['seq']})")
                else:
                    self.fz.end_upload(up, "deleted")
                    self.after_end(up)
            if up.state == "open" and self.fz.gen == gen:
                self.head(up)
        finally:
            up.busy = False

    def scen_race(self):
        """One token hands off the same name twice at the same moment (a PUT and a tus upload,
        or two tus uploads): both must survive."""
        r = self.rng
        token = r.choice(self.own + ["producer"])
        self.make_room(token)
        name = self.clip_name(unique=r.random() < 0.5)
        variant = r.choice(["put+tus", "tus+tus", "put+put", "put+tus"])
        finals = []   # (label, data, upload or None, content)
        made = []
        try:
            self.race_parts(token, name, variant, finals, made)
            if len(finals) == len(variant.split("+")):
                self.race_finish(token, name, finals)
        finally:
            for up in made:
                up.busy = False

    def race_parts(self, token, name, variant, finals, made):
        r = self.rng
        for part in variant.split("+"):
            content = self.clip_bytes(r.randint(200, 6000))
            if part == "put":
                data = raw_request("PUT", f"/api/uploads/{quote(name)}", self.hdrs(token, ("Content-Length", str(len(content)))), content)
                finals.append(("race PUT", data, None, content))
            else:
                up, _ = self.create(token, content, name, metadata=f"filename {b64(name)}", label="race tus POST")
                if up is None:
                    return
                up.busy = True
                made.append(up)
                if up.length > 1:
                    self.patch(up, n=up.length - 1, label="race tus PATCH all but one byte")
                if up.state != "open" or up.offset != up.length - 1:
                    return
                data = raw_request("PATCH", f"/api/tus/{up.id}", self.tus_hdrs(token, ("Upload-Offset", str(up.offset)),
                                   ("Content-Type", "application/offset+octet-stream"), ("Content-Length", "1")), content[-1:])
                finals.append(("race tus last PATCH", data, up, content))

    def race_finish(self, token, name, finals):
        socks = []
        for label, data, up, content in finals:
            entry = self.fz.begin(self.index, label, data, {"upload": up.id if up else None})
            if up:
                up.history.append(entry)
            s = connect(self.fz.port)
            if s is not None:
                try:
                    s.sendall(data[:-1])
                except OSError:
                    pass
            socks.append((entry, s))
        time.sleep(0.05)
        for (entry, s), (_, data, _, _) in zip(socks, finals):
            if s is not None:
                try:
                    s.sendall(data[-1:])
                except OSError:
                    pass
        for (entry, s), (label, data, up, content) in zip(socks, finals):
            if s is None:
                self.fz.finish(entry, Answer("refused"))
                continue
            answer = read_answer(s, time.monotonic() + TIMEOUT)
            close(s)
            self.fz.finish(entry, answer)
            if up is None and answer.status == 201:
                receipt = answer.json() or {}
                if receipt.get("kind", "clip") == "clip":
                    self.fz.accept_put(name, receipt.get("file"), content, token, entry["seq"])
            elif up is not None:
                if answer.status == 204 and answer.int_header("upload-offset") == up.length:
                    self.fz.accept_tus(up, "race PATCH 204", entry["seq"])

    # -- scenarios: PUT ---------------------------------------------------------------------
    def put(self, token, target, body, *, label, framing="honest", extra=(), kind_hint="clip", name=None):
        r = self.rng
        headers = self.hdrs(token, *extra)
        linger, cut_at, payload = None, None, body
        if framing == "honest":
            headers.append(("Content-Length", str(len(body))))
        elif framing == "chunked":
            headers.append(("Transfer-Encoding", "chunked"))
            payload = b"".join(b"%x\r\n" % len(body[i:i + 4096]) + body[i:i + 4096] + b"\r\n" for i in range(0, len(body), 4096)) + b"0\r\n\r\n"
        elif framing == "cut":
            headers.append(("Content-Length", str(len(body))))
        elif framing == "smaller":
            headers.append(("Content-Length", str(r.randint(0, max(0, len(body) - 1)))))
        elif framing == "larger":
            headers.append(("Content-Length", str(r.choice([len(body) + r.randint(1, 5000), 2**63 - 1, 4 << 30, (4 << 30) + 1, 2**64]))))
            linger = LINGER
        elif framing == "none":
            pass
        data = raw_request("PUT", target, headers, payload)
        if framing == "cut":
            cut_at = len(data) - len(payload) + r.randint(0, max(0, len(payload) - 1))
        answer = self.send(label, data, cut_at=cut_at, rst=framing == "cut" and r.random() < 0.3, linger=linger,
                           halfclose=framing in ("larger", "none") and r.random() < 0.5)
        if token in TOKEN_ROLE and answer.status in (201, 429):
            self.fz.refused(token, answer)
        if answer.status == 201 and framing in ("honest", "chunked"):
            receipt = answer.json()
            if not isinstance(receipt, dict) or "file" not in receipt:
                self.fz.list_finding("PUT-201-WITHOUT-RECEIPT", f"PUT {target[:80]} answered 201 with {answer.body[:100]!r}")
            else:
                if receipt.get("kind") == "clip":
                    self.fz.accept_put(name or target, receipt.get("file"), body, token, self.fz.seq)
                file = str(receipt.get("file"))
                if re.search(r"[\x00-\x1f\x7f/\\]", file) or file.startswith("."):
                    self.fz.list_finding("PUT-ODD-NAME-ACCEPTED", f"PUT {target[:100]} answered 201 as inbox file {file!r}")
        return answer

    def scen_put_clip(self):
        r = self.rng
        token = r.choices([self.upload_token(), "viewer", "editor", None], [88, 4, 4, 4])[0]
        name = self.clip_name()
        if r.random() < 0.1:
            name = name.rsplit(".", 1)[0] + "." + name.rsplit(".", 1)[1].upper()
        framing = r.choices(["honest", "chunked", "cut", "smaller", "larger"], [80, 8, 6, 3, 3])[0]
        self.put(token, f"/api/uploads/{quote(name)}", self.clip_bytes(), label=f"PUT clip ({framing})", framing=framing, name=name)

    def scen_put_names(self):
        r = self.rng
        token = self.upload_token()
        ext = r.choice(CLIP_EXTS + ["job.json", "srt", "vtt", "txt", "json", "part", "jpg", "", "mp4.part", "MP4", "mp4.", "mp4 "])
        stem = r.choice(["x", "IMG_4100", "../x", "..%2Fx", "%2e%2e%2fx", "%2E%2E/x", "a%2Fb", "%00x", ".hidden", "~x", "%2ehidden",
                         "x" * r.choice([200, 255, 256, 300, 1000, 5000]), "كليب", "💥", "%F0%9F%92%A5", "%zz", "%", "%%", "a%20b",
                         "%252e%252e%252fx", "..\\x", "x%5C..%5Cy", "x%0d%0aSet-Cookie:%20a=b", "x%00.txt", "CON", "x?y=1",
                         "x#frag", "..", ".", "x;y", "x%3Bjsessionid=1", "%C0%AE%C0%AE%2Fx", "\u00e9t\u00e9", "x\ty", "x y",
                         "/", "%2F", "inbox/../x", "x%2F..%2F..%2Fjobs.sqlite"])
        name = stem + ("." + ext if ext else "")
        raw_target = r.random() < 0.3
        target = "/api/uploads/" + (name if raw_target else quote(name, safe="%"))
        if r.random() < 0.1:
            target = r.choice(["/api/uploads/", "/api/uploads", "/api/uploads/x.mp4/y.mp4", "/api//uploads/x.mp4", "/api/uploads/./x.mp4",
                               "/api/uploads/x.mp4?x=1", "/API/uploads/x.mp4", "/api/uploads/%2e%2e/jobs.sqlite"])
        body = self.clip_bytes(r.randint(100, 3000)) if ext.lower() in CLIP_EXTS or r.random() < 0.5 else self.caption_bytes()
        self.put(token, target, body, label="PUT odd name", name=name)

    def scen_put_sidecar(self):
        r = self.rng
        token = self.upload_token()
        camp = TOKEN_CAMP.get(token)
        clip = self.clip_name()
        stem = clip.rsplit(".", 1)[0]
        if r.random() < 0.55:
            body = self.mutated_ticket(camp if r.random() < 0.8 else r.choice(CAMPS), clip)
            if r.random() < 0.03:
                body = dump_json({"speaker": {"name": "x"}, "pad": "x" * (64 << 10)}).encode("utf-8", "surrogatepass")
            self.put(token, f"/api/uploads/{quote(stem)}.job.json", body, label="PUT ticket",
                     framing=r.choices(["honest", "chunked", "cut"], [90, 5, 5])[0])
        else:
            body = self.caption_bytes()
            if r.random() < 0.01:
                body = b"1\n00:00:00,000 --> 00:00:01,000\nx\n\n" * ((4 << 20) // 36 + 10)
            lang = r.choice(["en", "ar", "fr", "x" * 20])
            self.put(token, f"/api/uploads/{quote(stem)}.{lang}.{r.choice(['srt', 'vtt', 'SRT'])}", body, label="PUT captions",
                     framing=r.choices(["honest", "chunked", "cut"], [90, 5, 5])[0])

    # -- scenarios: the rest of the API -----------------------------------------------------------
    def auth_variant(self):
        r = self.rng
        token = self.fz.tokens[r.choice(list(self.fz.tokens))]
        return r.choice([None, "Bearer", "Bearer ", f"Bearer {token}", f"bearer {token}", f"Bearer  {token}  ", f"Bearer {token[:-1]}",
                         f"Bearer {token}x", f"Basic {b64('producer:' + token)}", f"Token {token}", "Bearer " + "A" * 8000,
                         f"Bearer {token}\u00e9", "Bearer \x00", f"Bearer {token}, Bearer {token}", "Bearer " + token.upper(),
                         "Bearer 💥", "Bearer ' OR '1'='1", f"Bearer\t{token}"])

    def scen_api(self):
        r = self.rng
        token = r.choices(["producer", "viewer", "editor", self.own[0], self.own[1]], [40, 15, 15, 15, 15])[0]
        limits = ["1", "1000", "0", "-1", "1001", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                  "1e3", "abc", "", "99999999999999999999", " 5", "5%00", "%FF", "10", "50"]
        with self.fz.lock:
            job = r.choice(self.fz.job_ids) if self.fz.job_ids else "0" * 16
            req = r.choice(sum(self.fz.request_ids.values(), []) + self.fz.api_requests or ["x"])
        job = r.choice([job, job, "nope", "../" + job, job + "%00", "x" * 500, "%2e%2e", ""])
        m = r.randrange(20)
        method, path, body, stream = "GET", "/", b"", False
        if m == 0:
            q = f"limit={quote(r.choice(limits))}"
            if r.random() < 0.5:
                q += "&state=" + r.choice(["queued", "failed", "nope", "", "running,failed"])
            if r.random() < 0.3:
                q += "&since=" + quote(r.choice(["0", "-1", "1e308", "2026-11-21T09:00:00Z", "9999999999999999999", "nan", "+275760-09-13T00:00:00Z", "x"]))
            if r.random() < 0.2:
                q += "&camp=" + quote(r.choice(CAMPS + ["", "x" * 1000, "'"])) + "&template=" + quote(r.choice(["twitter-reply", "x", ""]))
            path = "/api/jobs?" + q
        elif m == 1:
            path = "/api/requests?" + r.choice([f"limit={quote(r.choice(limits))}", f"state={r.choice(['open', 'filmed', 'x', 'open,x', ''])}",
                                                f"camp={quote(r.choice(CAMPS + ['', 'x']))}", "limit=5&camp=Kakuma&state=open"])
        elif m == 2:
            path = f"/api/requests/{quote(req if r.random() < 0.7 else nasty_string(r), safe='')}"
        elif m == 3:
            method, path = "POST", "/api/requests"
            body = self.request_body()
        elif m == 4:
            with self.fz.lock:
                mine = list(self.fz.api_requests)
            if mine:
                method, path = "POST", f"/api/requests/{r.choice(mine)}/cancel"
            else:
                path = "/api/requests"
        elif m == 5:
            path = f"/api/jobs/{quote(job, safe='%')}"
        elif m == 6:
            method, path = "POST", f"/api/jobs/{quote(job, safe='%')}/retry"
            body = dump_json(r.choice([{}, {"trim_start": weird_value(r), "trim_end": weird_value(r)},
                                       {"captions": [{"file": r.choice(["a.srt", "../x.srt", "IMG_4100.mp4"]), "text": self.caption_bytes().decode("latin-1")}]},
                                       {"trim_start": 1e308, "trim_end": -5}, {"captions": "x"}])).encode("utf-8", "surrogatepass")
        elif m == 7:
            method, path = "POST", f"/api/jobs/{quote(job, safe='%')}/cancel"
        elif m == 8:
            method, path = "POST", f"/api/jobs/{quote(job, safe='%')}/cuts"
            body = dump_json(r.choice([{}, {"start": weird_value(r), "end": weird_value(r)}, {"start": 1, "end": 2, "captions": True},
                                       {"start": 1e308, "end": -1e308}, {"start": -5}])).encode("utf-8", "surrogatepass")
        elif m == 9:
            method, path = "POST", f"/api/jobs/{quote(job, safe='%')}/posted"
            body = dump_json({"url": r.choice(["https://x.com/sara_k/status/1861234567890123457", "javascript:alert(1)", "", "x" * 10000,
                                               "https://x.com/a/status/99999999999999999999999999", 5])}).encode("utf-8", "surrogatepass")
        elif m == 10:
            path = f"/api/jobs/{quote(job, safe='%')}/outputs" + r.choice(["", "/reply.mp4", "/..%2F..%2Fjobs.sqlite", "/manifest.json",
                                                                          "/x?expires=1&signature=AAAA", "/reply.mp4?expires=99999999999999999999&signature=x"])
            if r.random() < 0.3:
                token = None
        elif m == 11:
            path = r.choice(["/api/session", "/api/nodes", "/api/webhooks", "/api/webhooks/deliveries",
                             f"/api/webhooks/deliveries?limit={quote(r.choice(limits))}", "/metrics", "/health", "/", "/field",
                             "/openapi.json", "/dashboard.js", "/field.css"])
        elif m == 12:
            method, path = "OPTIONS", r.choice(["/api/tus", "/api/tus/" + "a" * 32, "/api/tus/x/y", "/api/jobs"])
        elif m == 13:
            path, stream = "/api/events", True
        elif m == 14:
            method = r.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "BREW", "get", "M-SEARCH"])
            path = r.choice(["/api/jobs", "/api/tus", "/api/tus/", "/api/uploads/x.mp4", "/api/requests", "/api", "/api/", "/x", "/api/session/x",
                             "/api/tus/" + "0" * 32, "//api//jobs", "/api/../api/jobs", "/%", "/api/jobs/%ff", "*", "/" + "a" * 9000])
            if method in ("POST", "PUT", "PATCH") and r.random() < 0.5:
                body = r.randbytes(r.randint(1, 2000))
        elif m == 15:
            method, path = "POST", "/api/requests"
            body = r.choice([b"{", b"[]", b"null", b"\xff\xff", b'{"tweet_url": 5}', b"{}" * 3000, dump_json("DEEP").encode("utf-8", "surrogatepass"),
                             dump_json({"tweet_url": "https://x.com/a/status/1", "tweet_text": "x", "camp": "Kakuma", "languages": ["en"] * 5000}).encode("utf-8", "surrogatepass")])
            if r.random() < 0.004:
                body = b'{"tweet_text": "' + b"x" * ((4 << 20) + 100) + b'"}'
        elif m == 16:
            path = "/api/jobs?" + "&".join(f"k{i}=v" for i in range(r.choice([10, 1000, 3000])))
        elif m == 17:
            path = f"/api/tus/{r.choice(['0' * 32, 'A' * 32, 'x', '../uploads', '%2e%2e%2fjobs', 'a' * 33, '0' * 31 + 'g'])}"
            method = r.choice(["HEAD", "PATCH", "DELETE", "GET", "POST"])
            token = r.choice(self.own)
        else:
            path = r.choice(["/api/jobs", "/api/requests", "/api/session", "/api/nodes"])
        headers = [("Host", r.choice([f"127.0.0.1:{self.fz.port}", "localhost", "evil.example", ""]))]
        if m in (14, 18, 19) or r.random() < 0.1:
            auth = self.auth_variant()
            if auth is not None:
                headers.append(("Authorization", auth))
        elif token:
            headers.append(("Authorization", f"Bearer {self.fz.tokens[token]}"))
        if m == 17:
            headers.append(("Tus-Resumable", TUS))
        headers.append(("Connection", r.choice(["close", "close", "keep-alive", "Upgrade"])))
        for _ in range(r.choice([0, 0, 0, 1, 2])):
            headers.append(r.choice([("X-Forwarded-For", "1.2.3.4, " * 50), ("Cookie", "a=" + "b" * r.choice([10, 8000])),
                                     ("Expect", "100-continue"), ("Upgrade", "h2c"), ("Range", r.choice(["bytes=0-", "bytes=-1", "bytes=99999999999999999999-", "bytes=5-1,0-0"])),
                                     ("Accept-Encoding", "gzip, br"), ("If-None-Match", "*"), ("Content-Type", "application/json; charset=utf-16"),
                                     ("Origin", "https://evil.example"), ("X-" + "a" * 100, "1"), ("Accept", "text/event-stream")]))
        if body or method in ("POST", "PUT", "PATCH"):
            headers.append(("Content-Type", "application/json"))
            headers.append(("Content-Length", str(len(body))))
        answer = self.send(f"{method} {re.sub(r'[0-9a-f]{16,}', 'ID', path.split('?')[0])[:60]}", raw_request(method, path, headers, body),
                           head=method == "HEAD", stream=stream, timeout=3 if stream else TIMEOUT)
        if m == 3 and answer.status == 201:
            made = answer.json() or {}
            if isinstance(made, dict) and made.get("id"):
                with self.fz.lock:
                    self.fz.api_requests.append(made["id"])
                    camp = made.get("camp")
                    if camp in self.fz.request_ids and len(self.fz.request_ids[camp]) < 40:
                        self.fz.request_ids[camp].append(made["id"])
        if m == 0 and answer.status == 200 and token == "producer":
            jobs = answer.json()
            if isinstance(jobs, list):
                with self.fz.lock:
                    for j in jobs:
                        if isinstance(j, dict) and j.get("id") and j["id"] not in self.fz.job_ids:
                            self.fz.job_ids.append(j["id"])

    def request_body(self):
        r = self.rng
        body = {"tweet_url": f"https://x.com/sara_k/status/{r.randrange(10**17, 10**19)}", "tweet_text": "What do you need most?",
                "camp": r.choice(CAMPS), "languages": ["en"]}
        if r.random() < 0.5:
            for _ in range(r.randint(1, 3)):
                k = r.choice(["tweet_url", "tweet_text", "camp", "languages", "priority", "note", "deadline", "extra"])
                body[k] = r.choice([weird_value(r), nasty_string(r), "https://twitter.com/a/status/1", "https://mobile.x.com/a/status/1?s=1",
                                    "http://x.com/a/status/1", "https://x.com/a/status/-1", "https://x.com/" + "a" * 300 + "/status/1",
                                    "https://x.com/a/status/99999999999999999999999999", "javascript:alert(1)", ["en"] * 300, ["x" * 50],
                                    [], "2026-12-01T18:00:00Z", "1999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "+275760-09-13T00:00:00Z",
                                    "2026-13-45T99:99:99Z", "realtime", "background", "nope"])
        return dump_json(body).encode("utf-8", "surrogatepass")

    def scen_garbage(self):
        """Malformed HTTP. Whole ones must get an answer or a close; the ones that promise
        more than they send are half-closed."""
        r = self.rng
        port = self.fz.port
        token = self.fz.tokens["producer"]
        whole = [
            b"GET /api/jobs HTTP/1.1\r\n\r\n",
            b"GET /health HTTP/1.0\r\n\r\n",
            b"GET /health\r\n\r\n",
            b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
            b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
            b"GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            b"GET  /health  HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET http://127.0.0.1/api/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b(token) + b"\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX: \x00\x01\x7f\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: %d\r\n" % (i, i) for i in range(r.choice([100, 1000, 5000]))) + b"\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX: " + b"a" * r.choice([8000, 70000, 200000]) + b"\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            b"GET /health HTTP/1.1\nHost: x\n\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer " + b(token) + b"\r\n\r\n0\r\n\r\n",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            b"PUT /api/uploads/x.mp4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b(token) + b"\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nabcd",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + r.randbytes(200) + b"\r\n\r\n",
            r.randbytes(r.randint(1, 3000)) + b"\r\n\r\n",
            b"GET /" + bytes(r.choice(range(128, 256)) for _ in range(20)) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api/jobs?limit=1\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\r\n\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        partial = [
            b"GET /health HTTP/1.1\r\nHost: x\r\n",
            b"GET /health",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer " + b(token) + b"\r\n\r\nffffffffffffffffff\r\nab",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
            b"POST /api/requests HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775807\r\nAuthorization: Bearer " + b(token) + b"\r\n\r\n{}",
            r.randbytes(r.randint(1, 500)),
        ]
        if r.random() < 0.7:
            data = r.choice(whole)
            self.send("malformed HTTP", data, halfclose=r.random() < 0.3)
        else:
            data = r.choice(partial)
            self.send("malformed HTTP (partial, half-closed)", data, halfclose=True)

    # -- the loop -------------------------------------------------------------------------------
    SCENARIOS = [("tus_new", 24), ("tus_continue", 13), ("tus_patch_mutated", 6), ("interleave", 4), ("tus_post_mutated", 8),
                 ("after_end", 2), ("race", 3), ("put_clip", 12), ("put_names", 5), ("put_sidecar", 6), ("api", 13), ("garbage", 4)]

    def run(self):
        names = [n for n, _ in self.SCENARIOS]
        weights = [w for _, w in self.SCENARIOS]
        while not self.fz.done():
            name = self.rng.choices(names, weights)[0]
            try:
                getattr(self, "scen_" + name)()
            except Exception:
                text = traceback.format_exc()
                with self.fz.lock:
                    self.fz.fuzzer_errors[text.strip().splitlines()[-1][:200]] += 1
                    first = self.fz.fuzzer_errors[text.strip().splitlines()[-1][:200]] == 1
                if first:
                    self.fz.say(f"  fuzzer error in {name} (the run goes on):\n{text}")


# ---------------------------------------------------------------------------------------------
# Replaying a reproducer

def replay(binary, folder):
    folder = Path(folder)
    info = json.loads((folder / "info.json").read_text())
    entries = [json.loads(line) for line in (folder / "requests.jsonl").read_text().splitlines() if line.strip()]
    run = OUT / "replay"
    if run.exists():
        shutil.rmtree(run)
    ws = run / "workspace"
    ws.mkdir(parents=True)
    tokens, _, requests = prepare_workspace(binary, ws)
    swaps = [(info["tokens"][k].encode(), tokens[k].encode()) for k in tokens if k in info["tokens"]]
    swaps += [(info["requests"][k].encode(), requests[k].encode()) for k in requests if k in info["requests"]]
    service = Service(binary, ws, free_port(), run / "watch.log")
    if not service.start():
        sys.exit("fuzz-http: the service did not start for the replay")
    ids = {}
    print(f"replaying {len(entries)} requests from {folder} (service on port {service.port})")
    died = None
    for e in entries:
        data = base64.b64decode(e["raw"])
        for old, new in swaps + [(k.encode(), v.encode()) for k, v in ids.items()]:
            data = data.replace(old, new)
        data = re.sub(rb"Host: 127\.0\.0\.1:\d+", b"Host: 127.0.0.1:%d" % service.port, data)
        answer = exchange(service.port, data, head=e.get("head", False), cut_at=e.get("cut_at"), rst=e.get("rst", False),
                          linger=e.get("linger"), halfclose=e.get("halfclose", False), stream=e.get("stream", False))
        old = re.search(r"/api/tus/([0-9a-f]+)", e.get("location") or "")
        new = re.search(r"/api/tus/([0-9a-f]+)", answer.header("location") or "")
        if old and new:
            ids[old.group(1)] = new.group(1)
        print(f"  #{e['seq']} {e['label']}: {answer!r} (was {e.get('outcome')} {e.get('status') or ''})")
        time.sleep(0.05)
        if not service.alive():
            died = describe_exit(service.proc.returncode)
            print(f"SERVICE-DEATH: {died} after #{e['seq']} {e['label']}")
            break
    if not died:
        deadline = time.monotonic() + 10   # ingest: a PUT's clip is taken once its size held still
        while time.monotonic() < deadline and service.alive():
            time.sleep(0.2)
        if not service.alive():
            died = describe_exit(service.proc.returncode)
            print(f"SERVICE-DEATH: {died} within 10 s after the last request (ingest?)")
    saved = sorted((folder / "inbox").iterdir()) if (folder / "inbox").is_dir() else []
    if not died and saved:
        print(f"the requests alone did not kill it; now dropping the {len(saved)} inbox file(s) saved at the death into the inbox")
        for p in saved:
            shutil.copy2(p, ws / "inbox" / f".{p.name}.part")
            os.rename(ws / "inbox" / f".{p.name}.part", ws / "inbox" / p.name)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and service.alive():
            time.sleep(0.2)
        if not service.alive():
            died = describe_exit(service.proc.returncode)
            print(f"SERVICE-DEATH: {died} ingesting the saved inbox files")
    if died:
        site = crash_site(service.log_tail())
        if site:
            print(f"  crash: {site}")
    service.stop()
    print(f"log: {service.log_path}")
    return 1 if died else 0


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the workspace even when every check passes")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--settle", type=float, default=15, help="seconds given to ingest after the last request")
    parser.add_argument("--time-limit", type=float, default=1200, help="stop sending after this many seconds")
    parser.add_argument("--replay", metavar="DEATH_FOLDER", help="replay a saved reproducer against a fresh service")
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())
    if not os.access(binary, os.X_OK):
        sys.exit(f"fuzz-http: {args.binary} is not an executable")
    if args.replay:
        return replay(binary, args.replay)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 10**6)
    run_dir = OUT / f"run-{args.seed}"
    print(f"fuzz-http: seed {args.seed} (rerun with --seed {args.seed}); {args.requests} requests, {args.jobs} client thread(s); "
          f"output in {run_dir.relative_to(ROOT)}", flush=True)
    fz = Fuzzer(args, binary, run_dir)
    fz.setup()
    print(f"fuzz-http: service on 127.0.0.1:{fz.port}, workspace {fz.ws.relative_to(ROOT)}", flush=True)
    workers = [Worker(fz, i) for i in range(max(1, args.jobs))]
    interrupted = False
    try:
        try:
            for w in workers:
                w.start()
            for w in workers:
                while w.is_alive():
                    w.join(0.5)
        except KeyboardInterrupt:
            interrupted = True
            fz.aborted = "interrupted"
            print("fuzz-http: interrupted; checking what was accepted so far", flush=True)
            for w in workers:
                w.join(TIMEOUT + 5)
        sent_seconds = time.monotonic() - fz.started
        lost = fz.settle_and_check()
    finally:
        fz.service.stop()   # never leave a service behind, whatever happened above
    elapsed = time.monotonic() - fz.started

    # -- the report -----------------------------------------------------------------------------
    c, o = fz.counts, fz.outcomes
    print()
    print(f"fuzz-http summary (seed {args.seed}, {args.jobs} thread(s))")
    print(f"  requests sent: {fz.seq} in {sent_seconds:.1f} s ({fz.seq / max(sent_seconds, 0.001):.0f}/s); {elapsed:.1f} s with settling and checks"
          + (f"; stopped early: {fz.aborted}" if fz.aborted else ""))
    print(f"  answers: 2xx {c['2xx']}, 3xx {c['3xx']}, 4xx {c['4xx']}, 5xx {c['5xx']}, none {c['none']} "
          f"(cut by us {o['cut']}, no early answer to a lie {o['silent']}, closed {o['eof']}, reset {o['reset']}, "
          f"refused {o['refused']}, timeout {o['timeout']}, unreadable {o['bad']})")
    kinds = collections.Counter(a["kind"] for a in fz.accepted)
    print(f"  service deaths: {len(fz.deaths)}")
    for sig, n in collections.Counter(d["signature"] for d in fz.deaths).most_common():
        print(f"    {n} x {sig}")
    print(f"  accepted uploads: {len(fz.accepted)} (PUT {kinds['put']}, tus {kinds['tus']}); lost: {len(lost)}"
          + (f"; {len(fz.quarantined)} inbox batch(es) moved aside after deaths at start" if fz.quarantined else ""))
    probes = collections.defaultdict(collections.Counter)
    for key, n in fz.labels.items():
        label, _, result = key.rpartition(" -> ")
        if label.startswith("tus PATCH Content-Length 2^6") and label.endswith(">0"):
            probes["PATCH at offset > 0 with Content-Length near 2^63 or past it"][result] += n
        elif label.startswith("race "):
            probes["racing hand-offs of one name (PUT/tus)"][result] += n
        elif label.startswith("tus interleave"):
            probes["two clients on one upload"][result] += n
    for what, results in probes.items():
        print(f"  {what}: {sum(results.values())} requests ({', '.join(f'{k} x{v}' for k, v in results.most_common(6))})")
    if fz.rotations:
        print(f"  tokens replaced after four 429s in a row: {dict(fz.rotations)}")
    if fz.unverifiable:
        print(f"  uploads told whole whose bytes this fuzzer did not choose (not checked): {fz.unverifiable}")
    print(f"  hangs: {len(fz.hangs)}")
    print(f"  5xx other than 503/507: {len(fz.fivexx)}")
    groups = collections.OrderedDict()
    for f in fz.fivexx:
        groups.setdefault((f["status"], re.sub(r"\d{2,}", "N", f["label"]), f["body"][:80]), []).append(f)
    for (status, label, body), items in list(groups.items())[:25]:
        print(f"    {len(items)} x {status} for {label}: {body!r} (first #{items[0]['seq']})")
    if fz.fivexx:
        with open(run_dir / "5xx.jsonl", "w") as f:
            for item in fz.fivexx:
                f.write(json.dumps(item) + "\n")
        print(f"    (all in {(run_dir / '5xx.jsonl').relative_to(ROOT)})")
    if fz.listed:
        print("  other answers worth a look (listed, not failed):")
        for kind, n in fz.listed.most_common():
            print(f"    {n} x {kind}: {fz.listed_examples.get(kind, '')}")
    if fz.fuzzer_errors:
        print("  fuzzer errors (bugs in this script, not findings):")
        for text, n in fz.fuzzer_errors.most_common(5):
            print(f"    {n} x {text}")
    for d in fz.deaths:
        print(f"SERVICE-DEATH #{d['n']}: {d['exit']}{' (' + d['crash'] + ')' if d.get('crash') else ''} after request {d['after_request']} (up {d['up_for_s']} s); "
              f"last: {' | '.join(d['last'][-3:])}" + (f"; reproducer {d['folder']} (replay: --replay {d['folder']})" if d.get("folder") else ""))
    for a in lost:
        where = f"; its bytes are at {a['elsewhere']}" if a.get("elsewhere") else "; its bytes are nowhere in the workspace"
        print(f"ACCEPTED-UPLOAD-LOST: {a['how']} of {a['name']!r} ({a['size']} bytes, sha256 {a['sha'][:16]}, token {a['token']}"
              + (f", inbox name {a['file']!r}" if a.get("file") else "") + (f", tus {a['id']}" if a.get("id") else "")
              + f", request #{a['seq']}){where}" + (f"; the inbox name now holds {a['inbox_name_holds']}" if a.get("inbox_name_holds") else ""))
    for h in fz.hangs:
        print(f"HANG: #{h['seq']} {h['label']}: {h['request'][:200]!r}")
    with open(run_dir / "summary.json", "w") as f:
        json.dump({"seed": args.seed, "requests": fz.seq, "counts": dict(c), "outcomes": dict(o), "deaths": fz.deaths,
                   "accepted": len(fz.accepted), "lost": lost, "hangs": fz.hangs, "fivexx": len(fz.fivexx),
                   "listed": dict(fz.listed), "seconds": round(elapsed, 1), "answers_by_label": dict(sorted(fz.labels.items()))}, f, indent=2)
    checks = [not fz.deaths, not lost, not fz.hangs]
    passed, failed = sum(checks), len(checks) - sum(checks)
    if failed == 0 and not args.keep and not interrupted:
        shutil.rmtree(fz.ws, ignore_errors=True)
        shutil.rmtree(run_dir / "bin", ignore_errors=True)   # kept otherwise: --replay wants the same binary
    else:
        print(f"workspace kept: {fz.ws.relative_to(ROOT)}; service log: {(run_dir / 'watch.log').relative_to(ROOT)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
