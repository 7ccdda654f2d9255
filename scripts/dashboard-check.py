#!/usr/bin/env python3
"""Drives headless Chromium through the dashboard, as a producer would, and prints what it saw.

Usage: dashboard-check.py URL SCREENSHOT.png [--retry-job ID] [--play-job ID] [--post-job ID --post-url URL]
       dashboard-check.py URL SCREENSHOT.png --upload CLIP [--upload-captions FILE] [--upload-fields JSON]

Talks the DevTools protocol over Chromium's pipe transport (fds 3 and 4), so it needs nothing
beyond Debian's `chromium` and Python's standard library. Prints one JSON object: DOM snapshots
(rows, states, progress), whether a progress bar moved, the retry it clicked and the player it
opened. The test that runs it makes the judgements.
"""
import fcntl, json, os, shutil, subprocess, sys, tempfile, time

SNAPSHOT = """!document.getElementById('board') ? JSON.stringify({status: 'loading', signedIn: false, rows: []}) : JSON.stringify({
  status: document.getElementById('status').textContent,
  signedIn: !document.getElementById('board').hidden,
  nodes: [...document.querySelectorAll('#nodes .node')].map(n => ({text: n.textContent, state: n.className, title: n.title})),
  rows: [...document.querySelectorAll('article.job')].map(a => ({
    id: a.dataset.jobId, state: a.dataset.state, section: a.closest('section').dataset.state,
    fraction: a.querySelector('.progress-bar') ? parseFloat(a.querySelector('.progress-bar').dataset.fraction) : null,
    width: a.querySelector('.progress-bar') ? a.querySelector('.progress-bar').style.width : null,
    retry: !!a.querySelector('button.retry'),
    reason: a.querySelector('.reason') ? a.querySelector('.reason').textContent : null,
    thumbnail: !!a.querySelector('img.thumb')}))})"""


class Chromium:
    def __init__(self, width=1400, height=1000):
        self.profile = tempfile.mkdtemp(prefix="mediaorch-chromium-")
        # Lift every pipe end above fd 10 first, so placing them on 3 and 4 clobbers none.
        high = lambda fd: (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10), os.close(fd))[0]
        to_chrome_r, self.to_chrome = map(high, os.pipe())
        self.from_chrome, from_chrome_w = map(high, os.pipe())

        def wire():  # in the child: the protocol's pipe lives on fds 3 (in) and 4 (out)
            os.dup2(to_chrome_r, 3, inheritable=True)
            os.dup2(from_chrome_w, 4, inheritable=True)

        self.proc = subprocess.Popen(
            [shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
             "--autoplay-policy=no-user-gesture-required", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url):
        target = self.send("Target.createTarget", {"url": url}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def set_files(self, selector, paths):
        document = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": document, "selector": selector})["nodeId"]
        self.send("DOM.setFileInputFiles", {"nodeId": node, "files": paths})

    def screenshot(self, path):
        import base64
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def until(check, timeout, interval=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    return None


def main():
    args = sys.argv[1:]
    url, screenshot = args[0], args[1]
    retry_job = args[args.index("--retry-job") + 1] if "--retry-job" in args else None
    play_job = args[args.index("--play-job") + 1] if "--play-job" in args else None
    option = lambda name: args[args.index(name) + 1] if name in args else None
    out = {"snapshots": []}
    browser = Chromium()
    try:
        browser.open(url)
        snap = lambda: json.loads(browser.evaluate(SNAPSHOT))
        if option("--upload"):
            upload(browser, option("--upload"), option("--upload-captions"), json.loads(option("--upload-fields") or "{}"), out)
            browser.screenshot(screenshot)
            return

        # 1. Signed in from the link, live, and (when a job is rendering or waiting) a bar that has started.
        def first():
            s = snap()
            started = [r for r in s["rows"] if r["state"] == "running" and (r["fraction"] or 0) > 0]
            idle = s["rows"] and not any(r["state"] in ("running", "queued") for r in s["rows"])
            return s if s["signedIn"] and s["status"] == "live" and (started or idle) else None
        first_seen = until(first, 90)
        out["snapshots"].append(first_seen or snap())
        # 2. The same bar, later: it must have moved without a reload.
        if first_seen and any(r["state"] == "running" and (r["fraction"] or 0) > 0 for r in first_seen["rows"]):
            job = next(r for r in first_seen["rows"] if r["state"] == "running" and (r["fraction"] or 0) > 0)
            out["moving_job"] = job["id"]

            def moved():
                s = snap()
                row = next((r for r in s["rows"] if r["id"] == job["id"]), None)
                return s if row and row["state"] == "running" and (row["fraction"] or 0) > job["fraction"] else None
            later = until(moved, 20)
            out["snapshots"].append(later or snap())
            out["progress_moved"] = later is not None
        browser.screenshot(screenshot)

        # 3. The failed job's retry button, clicked as a producer would.
        if retry_job:
            clicked = browser.evaluate(f"""(() => {{
                const b = document.querySelector('article.job[data-job-id="{retry_job}"] button.retry');
                if (!b) return false; b.click(); return true; }})()""")
            out["retry_clicked"] = clicked

            def requeued():
                s = snap()
                row = next((r for r in s["rows"] if r["id"] == retry_job), None)
                return s if row and row["state"] != "dead" else None
            after = until(requeued, 15)
            out["after_retry"] = after or snap()

        # 4. A finished job's details: the reply plays inline, the post draft is there to copy.
        if play_job:
            browser.evaluate(f"""document.querySelector('article.job[data-job-id="{play_job}"] button.details').click()""")

            def playable():
                v = browser.evaluate("""(() => { const v = document.getElementById('player');
                    return JSON.stringify({hidden: v.hidden, src: v.currentSrc, ready: v.readyState, duration: v.duration,
                      width: v.videoWidth, height: v.videoHeight, error: v.error ? v.error.code : null,
                      post: document.getElementById('post').hidden ? null : document.getElementById('post-text').value,
                      outputs: [...document.querySelectorAll('#output-list a')].map(a => a.textContent)}); })()""")
                v = json.loads(v)
                return v if v["ready"] >= 1 and v["duration"] and v["duration"] > 0 else None
            out["player"] = until(playable, 20) or None
            browser.screenshot(screenshot.replace(".png", "-detail.png"))

        # 5. A ready reply posted on X: the producer records its address; it moves to Posted.
        post_job, post_url = option("--post-job"), option("--post-url")
        if post_job:
            browser.evaluate(f"document.getElementById('close-detail').click(); window.prompt = () => {json.dumps(post_url)}")
            out["post_clicked"] = browser.evaluate(f"""(() => {{
                const b = document.querySelector('article.job[data-job-id="{post_job}"] button.post');
                if (!b) return false; b.click(); return true; }})()""")

            def posted():
                s = snap()
                row = next((r for r in s["rows"] if r["id"] == post_job), None)
                return s if row and row["section"] == "posted" else None
            out["after_post"] = until(posted, 15) or snap()
            browser.screenshot(screenshot.replace(".png", "-posted.png"))
    finally:
        browser.close()
        print(json.dumps(out))


def upload(browser, clip, captions, fields, out):
    """An uploader's token: the page shows the upload form; fill it in and send the clip."""
    ready = until(lambda: browser.evaluate("!!document.getElementById('upload-panel') && !document.getElementById('upload-panel').hidden"), 20)
    out["upload_form_shown"] = bool(ready)
    out["board_hidden"] = browser.evaluate("document.getElementById('board').hidden")
    if not ready:
        return
    browser.set_files("#up-clip", [os.path.abspath(clip)])
    if captions:
        browser.set_files("#up-captions", [os.path.abspath(captions)])
    for element, value in fields.items():
        if isinstance(value, bool):
            browser.evaluate(f"document.getElementById({json.dumps(element)}).checked = {json.dumps(value)}")
        else:
            browser.evaluate(f"document.getElementById({json.dumps(element)}).value = {json.dumps(value)}")
    browser.evaluate("document.querySelector('#upload-form button[type=submit]').click()")
    finished = lambda: (lambda t: t if t and not t.startswith("Uploading") else None)(
        browser.evaluate("document.getElementById('up-result').textContent"))
    out["upload_result"] = until(finished, 60)


if __name__ == "__main__":
    main()
