#!/usr/bin/env python3
"""make bench-field (and make bench, section 20): "Field to ready".

A 60 s 1080x1920 H.264 phone clip (camera-like noise, speech-like sound, 16 Mb/s, AAC: the camera
clip of scripts/bench-proxy.py, kept in bench-output/field/) is sent from the field page (/field)
in headless Debian Chromium to a `mediaorch watch` on this machine, over a link emulated with
CDP Network.emulateNetworkConditions (upload and download at the link's rate, 150 ms latency).
Measured: seconds from pressing Send to the request's reply being ready (GET /api/requests/{id}
with a producer token every 0.2 s until its state is `ready`), two ways:

  proxy     the page as it is: where WebCodecs is, it makes a 720x1280 proxy with Mediabunny and
            sends it by tus while making it; the server renders the reply while it arrives. The
            form's "Send the original" is set to "later" (input[name=original-when][value=later],
            kept in localStorage as mediaorch.field.original-when) so the original does not
            compete for the link.
  original  as before proxies: WebCodecs removed by an init script (`delete window.VideoEncoder;
            delete window.VideoDecoder`), so the page hashes the clip and sends it whole.

Links: --rates in kb/s (default 2000,256). On a slow link (below 1 Mb/s) the original alone would
take over an hour, so by default it is not run there but estimated, and labelled so:
original bytes x 8 / rate + the wait after its last byte measured on the fastest link the
original was run on (in this run, else bench-output/field/report.json of an earlier run of the
same clip, else one unthrottled run of the original just for that figure). --full-256 runs it
for real. --only proxy|original runs one path.

Each measurement: a fresh workspace (the same clip sent twice into one would be deduplicated) at
bench-output/field/ws/<rate>k-<path>/workspace (its log: watch.log there), a fresh browser
context, the service started with the flags of deploy/mediaorch.service (one worker, the built-in
templates). The page's own timeline is noted from inside it (its PATCHes, their sizes and
answers; its phase and status lines; when the proxy is all made, by its "Preparing" bar), so the
proxy's time splits into making (Send to the last byte made), sending (to the last byte's 204)
and the server's wait after the last byte.

The proxy the server received (the reply job's archived source) is copied to
bench-output/field/browser-proxy.mp4 (and browser-proxy-<rate>kbps.mp4), so that
  python3 scripts/bench-proxy.py .build/release/mediaorch --proxy bench-output/field/browser-proxy.mp4 \\
      --camera bench-output/field/camera-60s.mp4
compares the picture of the reply made from a browser's proxy with the one from the original.

The page is the binary's own (field.js compiled in): rebuild the release binary after changing it;
the report says whether the served field.js matches Sources/.

Prints a table and writes bench-output/field/report.json (measurements of earlier runs of the
same clip that this run did not repeat are kept in it, marked with their run's time).
Usage: PYTHONPATH=.build-python python3 scripts/bench-field.py [.build/release/mediaorch]
       [--rates 2000,256] [--seconds 60] [--full-256] [--only proxy|original]
"""
import argparse
import base64
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "browser"))
import harness  # noqa: E402  (chromium(), phone(), throttle(), Service's API helpers)

OUT = ROOT / "bench-output" / "field"
FIELD = ROOT / "Sources" / "MediaOrchestrator" / "HTTP" / "Field"
EN = json.loads((FIELD / "lang" / "en.json").read_text())
SPEECH = ("aevalsrc='0.25*sin(2*PI*180*t)*(0.55+0.45*sin(2*PI*2.7*t))"
          "+0.08*sin(2*PI*410*t)*(0.5+0.5*sin(2*PI*4.1*t))':s=48000")
LATENCY_MS = 150
POLL_SECONDS = 0.2
SLOW_KBPS = 1000            # below this the original alone is estimated unless --full-256
PROXY_BITS_PER_SECOND = 3_000_000 + 128_000   # the page's proxy: 3 Mb/s video, 128 kb/s sound
CAMP = "Kakuma"

# The field page without WebCodecs, as on a phone whose browser has none: it sends the original.
NO_WEBCODECS = "delete window.VideoEncoder; delete window.VideoDecoder;"

# Notes, from inside the page, what it does and when (Date.now(), the same clock as time.time()):
# the press of Send; each tus POST (the upload's role, its address) and each PATCH (its upload,
# offset, size, whether it tells Upload-Length, when it went and when it was answered); the
# phase, status and note lines as they change; the first moment the "Preparing" bar is full
# (the proxy all made); and every 2 s the two bars and the bytes sent.
OBSERVE = r"""
(() => {
  const bench = window.__bench = { clickAt: null, posts: [], patches: [], lines: [], madeAt: null, samples: [], errors: [] };
  addEventListener('error', (e) => bench.errors.push(String(e.message || e)));
  addEventListener('unhandledrejection', (e) => bench.errors.push('unhandled rejection: ' + String(e.reason && e.reason.message || e.reason)));
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send, header = XMLHttpRequest.prototype.setRequestHeader;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__note = { method: String(method).toUpperCase(), url: new URL(String(url), location.href).pathname, headers: {} };
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
    if (this.__note) this.__note.headers[String(name).toLowerCase()] = String(value);
    return header.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function (body) {
    const note = this.__note;
    if (note && note.method === 'PATCH') {
      const row = { url: note.url, offset: Number(note.headers['upload-offset']), bytes: body && typeof body.size === 'number' ? body.size : 0,
                    length: note.headers['upload-length'] ? Number(note.headers['upload-length']) : null, start: Date.now(), end: null, status: null };
      bench.patches.push(row);
      this.addEventListener('loadend', () => { row.end = Date.now(); row.status = this.status; });
    }
    return send.apply(this, arguments);
  };
  const fetched = window.fetch;
  window.fetch = function (input, options) {
    const method = String((options && options.method) || 'GET').toUpperCase();
    const url = new URL(String(input && input.url || input), location.href).pathname;
    const promise = fetched.apply(this, arguments);
    if (method === 'POST' && url.startsWith('/api/tus')) {
      const headers = (options && options.headers) || {};
      const meta = {};
      for (const pair of String(headers['Upload-Metadata'] || '').split(',')) {
        const [key, value] = pair.trim().split(' ');
        if (key) { try { meta[key] = value ? atob(value) : ''; } catch { meta[key] = '?'; } }
      }
      const row = { at: Date.now(), role: meta.clip_role || 'whole', deferred: headers['Upload-Defer-Length'] === '1',
                    length: headers['Upload-Length'] ? Number(headers['Upload-Length']) : null, location: null, status: null };
      bench.posts.push(row);
      promise.then((r) => { row.status = r.status; const l = r.headers.get('Location'); row.location = l && new URL(l, location.href).pathname; }, () => {});
    }
    return promise;
  };
  document.addEventListener('click', (e) => {
    if (!bench.clickAt && e.target && e.target.closest && e.target.closest('#film-send')) bench.clickAt = Date.now();
  }, true);
  const last = {};
  let sampled = 0;
  const look = () => {
    const now = Date.now();
    for (const id of ['sending-phase', 'sending-status', 'sending-note', 'sending-error', 'film-error', 'sent-original']) {
      const element = document.getElementById(id);
      const text = element && !element.hidden && !(element.closest('[hidden]')) ? element.textContent.trim() : '';
      if (text !== (last[id] || '')) { last[id] = text; if (text) bench.lines.push({ at: now, what: id, text }); }
    }
    const preparing = document.getElementById('preparing-bar'), sending = document.getElementById('sending-bar');
    if (!bench.madeAt && preparing && !preparing.hidden && preparing.value >= 1) bench.madeAt = now;
    if (bench.clickAt && now - sampled >= 2000 && sending) {
      sampled = now;
      bench.samples.push([now, preparing && !preparing.hidden ? Math.round(preparing.value * 1000) / 1000 : null,
                          Number(sending.dataset.sent || 0)]);
    }
  };
  document.addEventListener('DOMContentLoaded', () => setInterval(look, 100));
})();
"""


def log(text):
    print(f"bench-field: {text}", flush=True)


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *arguments], check=True)


def camera_clip(seconds):
    """The camera clip of scripts/bench-proxy.py (the same ffmpeg command), kept here."""
    path = OUT / f"camera-{seconds}s.mp4"
    if not path.exists():
        log(f"making the {seconds} s camera clip {path.relative_to(ROOT)} with ffmpeg")
        partial = path.with_name(f".{path.stem}.part.mp4")
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds},noise=alls=14:allf=t+u",
               "-f", "lavfi", "-i", f"{SPEECH}:d={seconds}", "-c:v", "libx264", "-preset", "veryfast",
               "-b:v", "16M", "-maxrate", "16M", "-bufsize", "8M", "-c:a", "aac", "-b:a", "128k", "-shortest", str(partial))
        partial.rename(path)
    return path


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


class Service(harness.Service):
    """`mediaorch watch` on a fresh workspace of this bench's own, with the production unit's
    flags (deploy/mediaorch.service: one worker, the built-in templates, 1536 MiB per render)."""

    def __init__(self, binary, workspace):
        self.binary = str(binary)
        self.workspace = workspace
        shutil.rmtree(workspace, ignore_errors=True)
        workspace.mkdir(parents=True)
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workspace / "watch.log", "w")
        self.process = subprocess.Popen(
            [self.binary, "watch", "--workspace", str(workspace), "--port", str(self.port), "--workers", "1",
             "--render-memory-mb", "1536"], stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"mediaorch watch did not answer /health: {(workspace / 'watch.log').read_text()[-2000:]}")


def served_page_matches(service):
    """Whether the binary serves the field.js in Sources/ (else it is older or newer than them)."""
    try:
        with urllib.request.urlopen(service.url + "/field.js", timeout=10) as r:
            return r.read() == (FIELD / "field.js").read_bytes()
    except Exception:
        return None


def log_findings(workspace, limit=25):
    """The service log's warnings and errors (not the request log), and how many of each."""
    counts, lines = {}, []
    try:
        text = (workspace / "watch.log").read_text(errors="replace")
    except OSError:
        return {"counts": {}, "lines": []}
    for line in text.splitlines():
        match = re.match(r"\S+ (warning|error|critical|notice) ", line)
        if not match or match.group(1) == "notice":
            continue
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        if len(lines) < limit:
            lines.append(line[:400])
    return {"counts": counts, "lines": lines}


def archived_proxy(service, producer, job_id, length):
    """The file the reply job was made from: its archive_path, else the workspace's archive file
    of the proxy's length."""
    status, detail = service.api(producer, "GET", f"/api/jobs/{job_id}")
    job = detail.get("job", detail) if status == 200 and isinstance(detail, dict) else {}
    path = job.get("archive_path")
    candidates = []
    if path:
        candidates += [pathlib.Path(path)] if os.path.isabs(path) else [service.workspace / path, service.workspace / "archive" / path]
    candidates += sorted(f for f in (service.workspace / "archive").glob("*/*") if f.is_file() and ("proxy" in f.name.lower() or f.suffix == ".mp4"))
    for candidate in candidates:
        if candidate.is_file() and (length is None or candidate.stat().st_size == length):
            return candidate
    return None


def wait_for(page, what, predicate, timeout):
    """Waits for a page condition (a function: the page's CSP forbids eval of a string)."""
    try:
        page.wait_for_function(predicate, timeout=timeout * 1000)
    except Exception as e:
        raise RuntimeError(f"{what}: {type(e).__name__}: {str(e).splitlines()[0]}")


def measure(browser, binary, clip, rate_kbps, path, label=None):
    """One measurement: Send to ready of `clip` sent by the page over `rate_kbps` (0: unthrottled)
    by `path` (proxy or original). Returns the measurement's record."""
    name = f"{rate_kbps}k-{path}" if rate_kbps else f"unthrottled-{path}"
    workspace = OUT / "ws" / name / "workspace"
    service = Service(binary, workspace)
    record = {"link_kbps": rate_kbps, "path": path, "measured": True, "label": label, "workspace": str(workspace.relative_to(ROOT)),
              "run_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    context = None
    try:
        record["served_page_matches_sources"] = served_page_matches(service)
        producer = service.token("producer", "bench desk")
        uploader = service.token("uploader", "bench phone", CAMP)
        request_id = service.request(f"https://x.com/bench_voice/status/{1700000000000000000 + int(time.time())}",
                                     "How do families in the camp get water? #refugees", CAMP, languages="en").split()[-1]
        record["request"] = request_id

        context, page = harness.phone(browser)
        page.set_default_timeout(60000)
        page.add_init_script(OBSERVE)
        if path == "original":
            page.add_init_script(NO_WEBCODECS)
        if rate_kbps:
            harness.throttle(page, rate_kbps, latency_ms=LATENCY_MS)
        page.goto(service.url + "/field#token=" + uploader)
        wait_for(page, "the page to be ready", "() => document.body.classList.contains('ready')", 120)
        page.wait_for_selector("#home:not([hidden])", timeout=120000)
        card = f"#request-list article[data-request-id='{request_id}']"
        page.wait_for_selector(card, timeout=120000)
        page.click(f"{card} button.film, {card} button.primary")
        page.wait_for_selector("#film:not([hidden])")
        page.set_input_files("#clip", str(clip))
        page.wait_for_function("t => { const f = document.getElementById('clip-facts'); return f.children.length && f.innerText.trim() !== t; }",
                               arg=EN["clip_looking"], timeout=120000)
        page.fill("#speaker", "Baraka")
        page.check("input[name=consent][value=yes]")
        if path == "proxy":
            page.check("input[name=original-when][value=later]")
        record["original_when"] = page.evaluate("() => (document.querySelector('input[name=original-when]:checked') || {}).value || null")

        clicked = time.time()
        page.click("#film-send")
        try:
            page.wait_for_selector("#sending:not([hidden])", timeout=30000)
        except Exception:
            raise RuntimeError(f"the page did not start sending: {page.inner_text('#film-error')!r}")

        expected = (clip.stat().st_size if path == "original" else PROXY_BITS_PER_SECOND * seconds_of(clip) / 8) * 8 / (rate_kbps * 1000) if rate_kbps else 30
        timeout = 3 * expected + 600
        ready_at, state, checked = None, None, 0
        while time.time() - clicked < timeout:
            status, view = service.api(producer, "GET", f"/api/requests/{request_id}")
            state = view.get("state") if status == 200 and isinstance(view, dict) else None
            if state == "ready":
                ready_at = time.time()
                record["job"] = view.get("job_id")
                break
            if state in ("failed", "cancelled", "expired"):
                raise RuntimeError(f"the request became {state}")
            if time.time() - checked > 2:
                checked = time.time()
                trouble = page.evaluate("() => { const e = document.getElementById('sending-error'); return e ? e.textContent.trim() : ''; }")
                if trouble:
                    raise RuntimeError(f"the page stopped sending: {trouble!r}")
                if service.process.poll() is not None:
                    raise RuntimeError(f"mediaorch watch exited ({service.process.returncode})")
            page.wait_for_timeout(POLL_SECONDS * 1000)   # also lets Playwright take the page's events meanwhile
        if ready_at is None:
            raise RuntimeError(f"not ready {timeout:.0f} s after Send (state {state})")

        bench = page.evaluate("() => window.__bench")
        record.update(timeline(bench, clicked, ready_at, path))
        record["page_errors"] = bench["errors"]
        status, detail = service.api(producer, "GET", f"/api/jobs/{record['job']}")
        manifest = (detail.get("manifest") or {}) if status == 200 and isinstance(detail, dict) else {}
        record.update(made_from=manifest.get("made_from"), rendered_while_arriving=manifest.get("rendered_while_arriving"),
                      stage_seconds=manifest.get("stage_seconds"))
        if path == "proxy":
            length = record.get("upload_bytes")
            proxy = archived_proxy(service, producer, record["job"], length)
            if proxy:
                kept = OUT / f"browser-proxy-{rate_kbps}kbps.mp4"
                shutil.copyfile(proxy, kept)
                shutil.copyfile(proxy, OUT / "browser-proxy.mp4")
                record["proxy_file"] = str(kept.relative_to(ROOT))
                record["proxy_archived_as"] = str(proxy.relative_to(service.workspace))
            else:
                record["proxy_file"] = None
    except Exception as e:
        record["measured"] = False
        record["failure"] = str(e)
        try:
            if context:
                bench = context.pages[0].evaluate("() => window.__bench")
                record["page_lines"] = [line["text"] for line in bench["lines"]][-12:]
                record["page_errors"] = bench["errors"]
                context.pages[0].screenshot(path=str(workspace.parent / "failure.png"), full_page=True)
        except Exception:
            pass
    finally:
        if context:
            context.close()
        service.stop()
        record["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        record["server_log"] = log_findings(workspace)
    return record


def seconds_of(clip):
    run = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(clip)],
                         capture_output=True, text=True, check=True)
    return float(run.stdout.strip())


def timeline(bench, clicked, ready_at, path):
    """The page's notes turned into seconds after Send."""
    start = (bench.get("clickAt") or clicked * 1000) / 1000
    since = lambda ms: round(ms / 1000 - start, 3) if ms else None
    role = "proxy" if path == "proxy" else "whole"
    posts = [p for p in bench["posts"] if p["role"] == role and p.get("location")]
    addresses = {p["location"] for p in posts}
    patches = [p for p in bench["patches"] if p["url"] in addresses]
    answered = [p for p in patches if p["end"] and 200 <= (p["status"] or 0) < 300]
    failed = [p for p in patches if not (p["end"] and 200 <= (p["status"] or 0) < 300)]
    last = max(answered, key=lambda p: p["offset"] + p["bytes"]) if answered else None
    told = [p["length"] for p in patches if p["length"] is not None] or [p["length"] for p in posts if p["length"]]
    upload_bytes = told[-1] if told else None
    first_patch = min((p["start"] for p in patches), default=None)
    told_at = min((p["start"] for p in patches if p["length"] is not None and path == "proxy"), default=None)
    made = min((t for t in (bench.get("madeAt"), told_at) if t), default=None) if path == "proxy" else None
    result = {
        "send_to_ready_s": round(ready_at - start, 3),
        "bytes_sent": sum(p["bytes"] for p in bench["patches"]),   # every PATCH body the page handed over, of any upload
        "upload_bytes": upload_bytes,
        "patches": len(patches), "patches_not_answered_2xx": len(failed),
        "uploads_created": [{"role": p["role"], "at_s": since(p["at"]), "status": p["status"]} for p in bench["posts"]],
        "first_patch_s": since(first_patch),
        "made_s": since(made),
        "last_byte_s": since(last["end"]) if last else None,
        "after_last_byte_s": round(ready_at - last["end"] / 1000, 3) if last else None,
        "lines": [{"at_s": since(line["at"]), "what": line["what"], "text": line["text"]} for line in bench["lines"]],
        "samples": [[since(t), prepared, sent] for t, prepared, sent in bench["samples"]],
    }
    if path == "proxy" and made and last:
        result["split_s"] = {"making": since(made), "sending_after_made": round((last["end"] - made) / 1000, 3),
                             "after_last_byte": result["after_last_byte_s"]}
    if last and first_patch and upload_bytes:
        seconds = last["end"] / 1000 - first_patch / 1000
        result["achieved_kbps"] = round(upload_bytes * 8 / 1000 / seconds, 1) if seconds > 0 else None
    return result


def estimate(rate_kbps, clip_bytes, basis):
    """The original alone on a slow link, not run: its bytes at the link's rate plus the wait after
    the last byte measured on `basis` (a measured original)."""
    transfer = clip_bytes * 8 / (rate_kbps * 1000)
    after = basis["after_last_byte_s"]
    return {"link_kbps": rate_kbps, "path": "original", "measured": False, "estimated": True,
            "send_to_ready_s": round(transfer + after, 3), "bytes_sent": clip_bytes, "upload_bytes": clip_bytes,
            "estimate": {"transfer_s": round(transfer, 3), "after_last_byte_s": after,
                         "after_last_byte_from": f"the original {'unthrottled' if not basis['link_kbps'] else 'at %d kb/s' % basis['link_kbps']}"
                                                 f" ({basis.get('run_at')})",
                         "formula": f"{clip_bytes} bytes x 8 / {rate_kbps * 1000} b/s + {after} s"}}


def label_of(rate):
    return "unthrottled" if not rate else f"{rate / 1000:g} Mb/s" if rate >= 1000 else f"{rate} kb/s"


def seconds_text(value):
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 600 else f"{value:.0f} ({value / 60:.0f} min)"


def print_table(rows, now_keys):
    print()
    print("Field to ready: Send pressed on the field page to the request's reply ready "
          f"(CDP-emulated link, {LATENCY_MS} ms latency)")
    head = f"  {'link':>10}  {'path':<22} {'Send→ready s':>15} {'bytes sent':>13} {'proxy/orig':>10}   where the time went"
    print(head)
    print("  " + "-" * (len(head) + 18))
    by_link = {}
    for r in rows:
        by_link.setdefault(r["link_kbps"], {})[r["path"]] = r
    for rate in sorted(by_link, reverse=True):
        pair = by_link[rate]
        for path in ("proxy", "original"):
            r = pair.get(path)
            if not r:
                continue
            name = ("proxy (original later)" if path == "proxy" else "original alone")
            earlier = "" if (r["link_kbps"], r["path"]) in now_keys or r.get("estimated") else " *"
            if r.get("estimated"):
                name = "original ESTIMATE"
            if not r.get("measured") and not r.get("estimated"):
                print(f"  {label_of(rate):>10}  {name:<22} {'failed':>15}   {r.get('failure', '')[:120]}")
                continue
            ratio = ""
            other = pair.get("original")
            if path == "proxy" and other and other.get("send_to_ready_s"):
                ratio = f"{r['send_to_ready_s'] / other['send_to_ready_s']:.2f}x"
            if r.get("estimated"):
                e = r["estimate"]
                where = f"est.: {e['transfer_s']:.0f} s of bytes + {e['after_last_byte_s']:.1f} s after last byte ({e['after_last_byte_from']})"
            elif path == "proxy":
                made, last, after = r.get("made_s"), r.get("last_byte_s"), r.get("after_last_byte_s")
                where = (f"making {seconds_text(made)} s, then sending {seconds_text(last - made if made is not None and last is not None else None)} s "
                         f"more to the last byte, then {seconds_text(after)} s to ready")
            else:
                first, last, after = r.get("first_patch_s"), r.get("last_byte_s"), r.get("after_last_byte_s")
                where = (f"hashing {seconds_text(first)} s, sending {seconds_text(last - first if first is not None and last is not None else None)} s "
                         f"to the last byte, then {seconds_text(after)} s to ready")
            if r.get("achieved_kbps"):
                where += f" ({r['achieved_kbps']:.0f} kb/s achieved)"
            print(f"  {label_of(rate):>10}  {name:<22} {seconds_text(r['send_to_ready_s']):>15} {r['bytes_sent']:>13,} {ratio:>10}   {where}{earlier}")
    if any((r["link_kbps"], r["path"]) not in now_keys and r.get("measured") for r in rows):
        print("  * measured in an earlier run of the same clip (bench-output/field/report.json)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", default=str(ROOT / ".build" / "release" / "mediaorch"))
    ap.add_argument("--rates", default="2000,256", help="links to measure, kb/s (1000 bits a second), comma-separated")
    ap.add_argument("--seconds", type=int, default=60, help="the camera clip's length")
    ap.add_argument("--full-256", action="store_true", help="run the original alone on the slow links too (over an hour at 256 kb/s)")
    ap.add_argument("--only", choices=("proxy", "original"), help="run one path only")
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    binary = pathlib.Path(args.binary).absolute()
    OUT.mkdir(parents=True, exist_ok=True)
    clip = camera_clip(args.seconds)
    clip_bytes, clip_sha = clip.stat().st_size, sha256(clip)
    paths = [args.only] if args.only else ["proxy", "original"]
    log(f"clip {clip.relative_to(ROOT)} ({clip_bytes / 1e6:.1f} MB, {args.seconds} s); links {', '.join(label_of(r) for r in rates)}; "
        f"binary {binary} (built {time.strftime('%Y-%m-%d %H:%M', time.localtime(binary.stat().st_mtime))})")

    report_path = OUT / "report.json"
    earlier = {}
    try:
        old = json.loads(report_path.read_text())
        if old.get("clip", {}).get("sha256") == clip_sha:
            earlier = {(m["link_kbps"], m["path"]): m for m in old.get("measurements", []) if m.get("measured")}
    except (OSError, ValueError):
        pass

    plan = []
    for rate in rates:
        for path in paths:
            if path == "original" and rate < SLOW_KBPS and not args.full_256:
                continue
            plan.append((rate, path))
    done = {}
    with harness.chromium() as browser:
        for rate, path in plan:
            log(f"{label_of(rate)}, {path}: sending…")
            r = measure(browser, binary, clip, rate, path)
            done[(rate, path)] = r
            if r.get("measured"):
                log(f"{label_of(rate)}, {path}: ready {r['send_to_ready_s']:.1f} s after Send "
                    f"({r['bytes_sent']:,} bytes sent, {r.get('after_last_byte_s')} s after the last byte; made from {r.get('made_from')})")
            else:
                log(f"{label_of(rate)}, {path}: FAILED: {r.get('failure')} (see {r['workspace']}/watch.log)")
        # The slow links' original, estimated: from an original measured in this run, else in an
        # earlier one of the same clip (the fastest throttled link first), else one run unthrottled.
        estimated = [rate for rate in rates if rate < SLOW_KBPS and not args.full_256]
        basis = None
        if estimated:
            measured = [(True, m) for m in done.values()] + [(False, m) for m in earlier.values()]
            measured = [(now, m) for now, m in measured
                        if m["path"] == "original" and m.get("measured") and m.get("after_last_byte_s") is not None]
            if measured:
                basis = max(measured, key=lambda x: (x[0], x[1]["link_kbps"] > 0, x[1]["link_kbps"]))[1]
            elif "original" in paths:
                log("no original measured to estimate the slow links from: the original once unthrottled, for its wait after the last byte")
                basis = measure(browser, binary, clip, 0, "original", label="for the estimate's wait after the last byte")
                done[(0, "original")] = basis
                if not basis.get("measured"):
                    log(f"unthrottled original FAILED: {basis.get('failure')}")
                    basis = None
    for rate in estimated:
        if basis:
            done[(rate, "original")] = estimate(rate, clip_bytes, basis)
        else:
            log(f"{label_of(rate)}: the original cannot be estimated (no original measured; run --only original --rates 2000 first)")

    keys_now = set(done)
    rows = list(done.values()) + [m for k, m in earlier.items() if k not in keys_now and k[0] != 0]
    print_table(rows, {k for k, m in done.items() if m.get("measured")})
    for rate in sorted({r["link_kbps"] for r in rows}, reverse=True):
        pair = {r["path"]: r for r in rows if r["link_kbps"] == rate}
        if "proxy" in pair and "original" in pair and pair["proxy"].get("measured") and pair["original"].get("send_to_ready_s"):
            p, o = pair["proxy"], pair["original"]
            print(f"  {label_of(rate)}: proxy {p['send_to_ready_s']:.1f} s vs original {o['send_to_ready_s']:.1f} s"
                  f"{' (estimate)' if o.get('estimated') else ''}: {o['send_to_ready_s'] / p['send_to_ready_s']:.1f}x sooner; "
                  f"bytes {p['bytes_sent'] / o['bytes_sent']:.2f}x")
    # The estimate's method checked where the original was measured: bytes at the link's rate plus its wait after the last byte.
    for (rate, path), m in done.items():
        if path == "original" and m.get("measured") and rate and m.get("after_last_byte_s") is not None:
            by_formula = clip_bytes * 8 / (rate * 1000) + m["after_last_byte_s"]
            m["estimate_check"] = {"by_formula_s": round(by_formula, 3), "measured_s": m["send_to_ready_s"]}
            print(f"  the estimate's formula at {label_of(rate)}: {by_formula:.1f} s against {m['send_to_ready_s']:.1f} s measured "
                  f"(the page's hashing and the link's overheads are what it leaves out)")
    proxies = [m for (rate, path), m in done.items() if path == "proxy" and m.get("proxy_file")]
    if proxies:
        print(f"\n  the proxy the server received: bench-output/field/browser-proxy.mp4 (from {label_of(proxies[-1]['link_kbps'])}); its reply's picture:")
        print(f"    python3 scripts/bench-proxy.py .build/release/mediaorch --proxy bench-output/field/browser-proxy.mp4 "
              f"--camera {clip.relative_to(ROOT)}" + (f" --seconds {args.seconds}" if args.seconds != 60 else ""))
    for m in done.values():
        findings = m.get("server_log", {}).get("counts")
        if findings or m.get("page_errors") or m.get("patches_not_answered_2xx"):
            print(f"  {label_of(m['link_kbps'])} {m['path']}: server log {findings or 'clean'}, page errors {len(m.get('page_errors') or [])}, "
                  f"PATCHes not answered 2xx {m.get('patches_not_answered_2xx', 0)} ({m['workspace']}/watch.log)")
    if any(m.get("served_page_matches_sources") is False for m in done.values()):
        print("  note: the binary serves a field.js that differs from Sources/ (rebuild the release binary to measure the page as it is now)")

    report = {"section": 20, "title": "Field to ready",
              "clip": {"file": str(clip.relative_to(ROOT)), "seconds": args.seconds, "bytes": clip_bytes, "sha256": clip_sha,
                       "made_with": "ffmpeg testsrc2 1080x1920 30 fps + noise, libx264 veryfast 16 Mb/s, AAC 128 kb/s"},
              "link": {"emulation": "CDP Network.emulateNetworkConditions, upload and download at the link's rate", "latency_ms": LATENCY_MS},
              "binary": str(binary), "binary_mtime": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(binary.stat().st_mtime)),
              "run_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cores": os.cpu_count(),
              "measurements": sorted(rows, key=lambda m: (-m["link_kbps"], m["path"] != "proxy"))}
    if (0, "original") in done:
        report["estimate_basis"] = done[(0, "original")]
    report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    log(f"report: {report_path.relative_to(ROOT)}")
    return 0 if all(m.get("measured") or m.get("estimated") for m in done.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
