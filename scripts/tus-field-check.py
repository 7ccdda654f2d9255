#!/usr/bin/env python3
"""A field team's upload over a bad link, with a real tus client (tuspy from PyPI).

Runs `mediaorch watch` on a workspace of its own, makes a reply request for camp Kakuma and
uploads CLIP against it twice:

  1. through a proxy that cuts the connection every --cut-every bytes: the upload must finish,
     the archived original must be byte-identical, and the bytes sent through the proxy must
     stay under 1.3x the file (a drop costs only what was in flight, not the whole chunk);
  2. through a slowed proxy while the service is SIGKILLed half way and started again: the
     client resumes from HEAD's offset to a whole, byte-identical file.

Prints one JSON object of what it measured; exits 1 when a check fails.
usage: tus-field-check.py MEDIAORCH WORKSPACE CLIP [--port N]
"""
import argparse, hashlib, json, os, re, signal, socket, subprocess, sys, threading, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build-python"))
from tusclient import client as tus_client  # noqa: E402  (installed by scripts/bootstrap.sh)
from tusclient.exceptions import TusCommunicationError  # noqa: E402


class CuttingProxy:
    """Forwards a TCP port to the service, counting what the client sends; closes a
    connection each time the total crosses the next multiple of `cut_every` (0: never), and
    sends at most `rate` bytes a second (0: as fast as it can)."""

    def __init__(self, target_port, cut_every=0, rate=0):
        self.target_port, self.cut_every, self.rate = target_port, cut_every, rate
        self.sent = 0
        self.cuts = 0
        self.next_cut = cut_every
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                downstream.close()
                continue
            threading.Thread(target=self._upward, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._downward, args=(upstream, downstream), daemon=True).start()

    def _upward(self, downstream, upstream):
        try:
            while True:
                data = downstream.recv(65536)
                if not data:
                    break
                cut = False
                with self.lock:
                    if self.cut_every and self.sent + len(data) >= self.next_cut:
                        data = data[: self.next_cut - self.sent]
                        self.next_cut += self.cut_every
                        self.cuts += 1
                        cut = True
                    self.sent += len(data)
                upstream.sendall(data)
                if cut:
                    break
                if self.rate:
                    time.sleep(len(data) / self.rate)
        except OSError:
            pass
        for s in (upstream, downstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _downward(self, upstream, downstream):
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                downstream.sendall(data)
        except OSError:
            pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def api(port, token, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Service:
    def __init__(self, mediaorch, workspace, port):
        self.command = [mediaorch, "watch", "--workspace", workspace, "--port", str(port), "--workers", "1"]
        self.port = port
        self.log = open(os.path.join(workspace, "watch.log"), "ab")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("mediaorch watch did not start listening")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for_archive(port, token, request_id, workspace, name, timeout=120):
    """Once the request's clip is ingested: the file archived under the uploaded name (the same
    content sent twice is one job, but each copy is archived) and the request."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        request = api(port, token, "GET", f"/api/requests/{request_id}")
        if request.get("job_id"):
            archive = os.path.join(workspace, "archive")
            for folder in os.listdir(archive):
                for file in os.listdir(os.path.join(archive, folder)):
                    # Under its uploader's prefix (up-<token id>-NAME), a second copy as duplicate-N-….
                    if re.fullmatch(r"(duplicate-\d+-)?(up-[0-9a-f]{8}-)?" + re.escape(name), file):
                        return os.path.join(archive, folder, file), request
        time.sleep(0.2)
    raise SystemExit(f"{name}: not archived for request {request_id} within {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mediaorch")
    parser.add_argument("workspace")
    parser.add_argument("clip")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cut-every", type=int, default=10 << 20)
    args = parser.parse_args()
    os.makedirs(args.workspace, exist_ok=True)
    if not args.port:  # the kernel's pick of a free port, so runs side by side never clash
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        args.port = probe.getsockname()[1]
        probe.close()
    port = args.port

    def token(*flags):
        return subprocess.run([args.mediaorch, "tokens", "add", "--workspace", args.workspace, *flags],
                              check=True, capture_output=True, text=True).stdout.strip()
    producer = token("--role", "producer", "--name", "command centre")
    field = token("--role", "uploader", "--camp", "Kakuma", "--name", "kakuma phone")
    size = os.path.getsize(args.clip)
    original = sha256(args.clip)
    service = Service(args.mediaorch, args.workspace, port)
    service.start()
    results, failures = {"bytes": size}, []
    try:
        def new_request(text):
            return api(port, producer, "POST", "/api/requests", {
                "tweet_url": "https://x.com/sara_k/status/1861234567890123456?s=20", "tweet_text": text,
                "camp": "Kakuma", "languages": ["en"]})["id"]

        # 1. A link that drops every 10 MB.
        request_id = new_request("How do families get water?")
        proxy = CuttingProxy(port, cut_every=args.cut_every)
        tus = tus_client.TusClient(f"http://127.0.0.1:{proxy.port}/api/tus/", headers={"Authorization": f"Bearer {field}"})
        uploader = tus.uploader(args.clip, chunk_size=size, retries=50, retry_delay=0.2,
                                metadata={"filename": "kakuma-water.mp4", "request": request_id, "speaker": "Abu Omar", "consent": "true"})
        started = time.time()
        uploader.upload()
        archived, request = wait_for_archive(port, producer, request_id, args.workspace, "kakuma-water.mp4")
        results["cutting_proxy"] = {
            "cuts": proxy.cuts, "bytes_through_proxy": proxy.sent, "ratio": round(proxy.sent / size, 3),
            "seconds": round(time.time() - started, 2), "identical": sha256(archived) == original,
            "request_state": request["state"], "archived": archived}
        if proxy.cuts < size // args.cut_every:
            failures.append(f"the proxy cut only {proxy.cuts} times")
        if proxy.sent > 1.3 * size:
            failures.append(f"{proxy.sent} bytes went through the proxy for a {size}-byte file (more than 1.3x)")
        if sha256(archived) != original:
            failures.append("the archived original differs from the clip sent")

        # 2. The service is killed mid-upload and started again.
        request_id = new_request("What do you need most?")
        slow = CuttingProxy(port, rate=12 << 20)
        tus = tus_client.TusClient(f"http://127.0.0.1:{slow.port}/api/tus/", headers={"Authorization": f"Bearer {field}"})
        uploader = tus.uploader(args.clip, chunk_size=size, retries=200, retry_delay=0.25,
                                metadata={"filename": "kakuma-needs.mp4", "request": request_id, "speaker": "Amal", "consent": "true"})
        outcome = {}

        def upload():
            try:
                uploader.upload()
                outcome["done"] = True
            except Exception as error:  # the check below reports it
                outcome["error"] = repr(error)
        thread = threading.Thread(target=upload)
        thread.start()
        uploads = os.path.join(args.workspace, "uploads")
        killed_at = None
        deadline = time.time() + 60
        while killed_at is None and time.time() < deadline:
            for name in os.listdir(uploads):
                if name.endswith(".bin") and os.path.getsize(os.path.join(uploads, name)) > size // 3:
                    killed_at = os.path.getsize(os.path.join(uploads, name))
            time.sleep(0.05)
        service.kill()
        time.sleep(1)
        service.start()
        thread.join(300)
        archived, request = wait_for_archive(port, producer, request_id, args.workspace, "kakuma-needs.mp4")
        results["killed_service"] = {
            "killed_at_bytes": killed_at, "upload": "done" if outcome.get("done") else outcome.get("error", "did not finish"),
            "identical": sha256(archived) == original, "request_state": request["state"], "archived": archived}
        if killed_at is None:
            failures.append("the upload never reached a third before the kill")
        if not outcome.get("done"):
            failures.append(f"the resumed upload did not finish: {outcome}")
        if sha256(archived) != original:
            failures.append("the archived original after the restart differs from the clip sent")
    finally:
        service.stop()
    results["failures"] = failures
    print(json.dumps(results, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
