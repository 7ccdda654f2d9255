"""What the browser tests share: a throw-away workspace with a running `mediaorch watch`, the
command line against it, headless Debian Chromium driven by Playwright, axe-core, and a list of
checks that fails the run if any check fails. Each test file (field_tests.py, board_tests.py)
builds on this; scripts/browser/run.py runs them all.

Playwright for Python and axe-core come from PyPI into .build-python (scripts/bootstrap.sh):
axe-core's own build (axe.min.js, MPL-2.0) ships inside the axe-playwright-python package.
"""
import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED_MEDIA = ROOT.parent / "shared" / "media"
SAMPLES = ROOT / "SampleMedia"
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"


def fixture(name, ffmpeg_args):
    """A clip made once by the ffmpeg command line (the tests' oracle, never the product's)."""
    folder = OUTPUT / "fixtures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        partial = folder / f".{name}.part{path.suffix}"
        subprocess.run(["ffmpeg", "-v", "error", "-y", *ffmpeg_args, str(partial)], check=True)
        partial.rename(path)
    return path


SPEECH = ("aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))"
          "+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000")


def phone_clip(name, seconds, size="720x1280", bitrate=None):
    """A portrait phone-like H.264/AAC clip of `seconds`."""
    rate = ["-b:v", bitrate, "-minrate", bitrate, "-maxrate", bitrate, "-bufsize", "1M"] if bitrate else ["-crf", "30"]
    return fixture(name, ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30", "-f", "lavfi", "-i", SPEECH,
                          "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", *rate,
                          "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A workspace of its own and `mediaorch watch` serving it on a free port."""

    def __init__(self, binary, name, extra=()):
        self.binary = str(binary)
        self.workspace = OUTPUT / name / "workspace"
        shutil.rmtree(self.workspace, ignore_errors=True)
        self.workspace.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.workspace / "watch.log", "w")
        self.process = subprocess.Popen(
            [self.binary, "watch", "--workspace", str(self.workspace), "--templates", str(ROOT / "Jobs"),
             "--stable-seconds", "1", "--workers", "1", "--port", str(self.port), *extra],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"the service did not answer /health: {(self.workspace / 'watch.log').read_text()[-2000:]}")

    def cli(self, *arguments):
        run = subprocess.run([self.binary, *arguments, "--workspace", str(self.workspace)], capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"mediaorch {' '.join(arguments)}: {run.stderr}")
        return run.stdout.strip()

    def token(self, role, name, camp=None):
        return self.cli("tokens", "add", "--role", role, "--name", name, *(["--camp", camp] if camp else []))

    def request(self, tweet_url, text, camp, languages="en", deadline=None, note=None):
        arguments = ["requests", "add", "--tweet-url", tweet_url, "--text", text, "--camp", camp, "--languages", languages]
        if deadline: arguments += ["--deadline", deadline]
        if note: arguments += ["--note", note]
        return self.cli(*arguments)

    def api(self, token, method, path, body=None):
        """(status, parsed JSON or None) of one API call with `token`."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except Exception:
                return e.code, text.decode(errors="replace")

    def wait(self, what, check, timeout=180, interval=0.3):
        """Polls `check()` until it returns something truthy; raises naming `what` after `timeout`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = check()
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError(f"waited {timeout} s for {what}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class Checks:
    """Named checks; a failing one is reported, the run goes on, and the exit code says."""

    def __init__(self, suite):
        self.suite = suite
        self.failed = []
        self.count = 0

    def check(self, name, ok, detail=""):
        self.count += 1
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {self.suite}: {name}" + ("" if ok else f" — {detail}"), flush=True)
        if not ok:
            self.failed.append(f"{name}: {detail}")
        return ok


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


def phone(browser, locale="en-GB"):
    """A page the size of a cheap phone, with the browser language of its user."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale=locale,
                                  is_mobile=True, has_touch=True)
    return context, context.new_page()


def desk(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    return context, context.new_page()


def throttle(page, kbits_per_second, latency_ms=300):
    """Chromium's network emulation on this page: upload and download at `kbits_per_second`."""
    session = page.context.new_cdp_session(page)
    rate = kbits_per_second * 1000 / 8
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                       "downloadThroughput": rate, "uploadThroughput": rate})
    return session


def axe_violations(page, impacts=("serious", "critical")):
    """axe-core run inside the page; the violations of the given impacts, as (id, help, targets)."""
    import axe_playwright_python
    script = pathlib.Path(axe_playwright_python.__file__).parent / "axe.min.js"
    # Evaluated through DevTools rather than added as a <script>: the pages' Content-Security-Policy
    # (script-src 'self') rightly refuses inline scripts, and the test must not weaken it.
    page.evaluate(script.read_text() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"] if v.get("impact") in impacts]


def screenshot(page, suite, name):
    folder = OUTPUT / "screens" / suite
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    return folder / f"{name}.png"


def serve_assets_from_disk(page):
    """For working on the pages without a rebuild (MEDIAORCH_ASSETS_FROM_DISK=1): the page's own
    files come from Sources/ instead of the binary. Never set in `make test`."""
    if os.environ.get("MEDIAORCH_ASSETS_FROM_DISK") != "1":
        return
    http = ROOT / "Sources" / "MediaOrchestrator" / "HTTP"
    files = {"/field.js": http / "Field" / "field.js", "/field.css": http / "Field" / "field.css",
             "/field": http / "Field" / "field.html", "/dashboard.js": http / "Dashboard" / "dashboard.js",
             "/dashboard.css": http / "Dashboard" / "dashboard.css", "/": http / "Dashboard" / "index.html"}
    catalogues = sorted((http / "Field" / "lang").glob("*.json")) if (http / "Field" / "lang").exists() else []
    for lang in catalogues:
        files[f"/field/lang/{lang.name}"] = lang
    # The binary makes the list of languages from the catalogues' _name and _dir; so does this.
    index = json.dumps([{"code": c.stem, "name": json.loads(c.read_text())["_name"], "dir": json.loads(c.read_text())["_dir"]}
                        for c in catalogues if c.stem != "index"], ensure_ascii=False).encode()
    types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".json": "application/json"}
    policy = {}
    # The vendored Mediabunny as the binary serves it at /field/vendor/mediabunny.mjs (there
    # gzip-encoded; here decoded, which is what the page sees either way).
    bundle = http / "Field" / "vendor" / "mediabunny.min.mjs.gz"

    def handle(route):
        from urllib.parse import urlparse
        path = urlparse(route.request.url).path
        if path == "/field/lang/index.json":
            return route.fulfill(status=200, body=index, headers={"Content-Type": "application/json; charset=utf-8"})
        if path == "/field/vendor/mediabunny.mjs" and bundle.exists():
            import gzip
            return route.fulfill(status=200, body=gzip.decompress(bundle.read_bytes()),
                                 headers={"Content-Type": "text/javascript; charset=utf-8"})
        source = files.get(path)
        if source is None:
            return route.continue_()
        headers = {"Content-Type": types.get(source.suffix, "text/html") + "; charset=utf-8"}
        if path in ("/field", "/"):
            # The page keeps the binary's Content-Security-Policy, so what it forbids is still seen.
            if "csp" not in policy:
                policy["csp"] = route.fetch().headers.get("content-security-policy")
            if policy["csp"]:
                headers["Content-Security-Policy"] = policy["csp"]
        route.fulfill(status=200, body=source.read_bytes(), headers=headers)
    page.route("**/*", handle)


def finish(checks_list):
    failed = [f for c in checks_list for f in c.failed]
    total = sum(c.count for c in checks_list)
    print(f"{total - len(failed)} of {total} browser checks passed", flush=True)
    if failed:
        print("failed:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)
