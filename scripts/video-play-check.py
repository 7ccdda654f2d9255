#!/usr/bin/env python3
"""Plays an MP4 in headless Chromium as an editor's browser would, and prints what it saw.

Usage: video-play-check.py VIDEO.mp4 SECONDS...

Serves the file from a local HTTP server (same origin, so the page may read its pixels), plays
it through to the end muted at 4x, then seeks to each of SECONDS and reads the picture shown at
full size, as the mean RGB of each 20x20 block (block means, not a scaled picture, so the
comparison does not depend on how a browser scales). Prints one JSON object: {"ended", "error", "duration", "decodedFrames",
"pictures": {second: {"mediaTime": the presented picture's time, "means": [r, g, b of each
block, row by row]}}}. The test that runs it makes the judgements (it
compares each picture with ffmpeg's decode of the same time).
"""
import functools, http.server, json, os, sys, threading
from pathlib import Path

# Playwright for Python, driving Debian's Chromium; scripts/bootstrap.sh installs it here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build-python"))
from playwright.sync_api import sync_playwright  # noqa: E402

PAGE = b"""<!doctype html><meta charset=utf-8><video id=v muted playsinline preload=auto src="/video.mp4"></video>
<canvas id=c></canvas>"""

PLAY = """new Promise(resolve => {
  const v = document.getElementById('v');
  const done = (ended) => resolve({ended, error: v.error ? v.error.code + ' ' + v.error.message : null, duration: v.duration,
                                   decodedFrames: v.getVideoPlaybackQuality().totalVideoFrames});
  v.onended = () => done(true);
  v.onerror = () => done(false);
  setTimeout(() => done(false), 60000);
  v.playbackRate = 4;
  v.play().catch(e => resolve({ended: false, error: String(e)}));
})"""

PICTURE = """(t => new Promise(resolve => {
  const v = document.getElementById('v'), c = document.getElementById('c'), g = c.getContext('2d');
  let done = false;
  // Drawn once the sought picture is really presented (requestVideoFrameCallback), not merely
  // when the seek ends: on a loaded machine the two can be a frame apart.
  const draw = (mediaTime) => {
    if (done) return;
    done = true;
    const w = c.width = v.videoWidth, h = c.height = v.videoHeight, B = 20;
    g.drawImage(v, 0, 0, w, h);
    const d = g.getImageData(0, 0, w, h).data, means = [];
    for (let by = 0; by + B <= h; by += B) for (let bx = 0; bx + B <= w; bx += B) for (let k = 0; k < 3; k++) {
      let sum = 0;
      for (let y = by; y < by + B; y++) for (let x = bx; x < bx + B; x++) sum += d[(y * w + x) * 4 + k];
      means.push(sum / (B * B));
    }
    resolve({mediaTime, means});
  };
  v.requestVideoFrameCallback((now, meta) => draw(meta.mediaTime));
  v.onseeked = () => setTimeout(() => draw(null), 5000);
  v.pause();
  v.currentTime = t;
}))(%f)"""


class Handler(http.server.BaseHTTPRequestHandler):
    def __init__(self, video, *args, **kwargs):
        self.video = video
        super().__init__(*args, **kwargs)

    def do_GET(self):
        if self.path == "/video.mp4":
            body, kind = Path(self.video).read_bytes(), "video/mp4"
            start, end = 0, len(body) - 1
            ranged = self.headers.get("Range", "").startswith("bytes=")
            if ranged:
                first, _, last = self.headers["Range"][6:].partition("-")
                start, end = int(first or 0), min(int(last) if last else len(body) - 1, len(body) - 1)
            self.send_response(206 if ranged else 200)
            self.send_header("Accept-Ranges", "bytes")
            if ranged:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            body = body[start:end + 1]
        else:
            body, kind = PAGE, "text/html"
            self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    video, times = sys.argv[1], [float(t) for t in sys.argv[2:]]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, os.path.abspath(video)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
            page = browser.new_page(viewport={"width": 400, "height": 400})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_function("document.getElementById('v') && document.getElementById('v').readyState >= 1", timeout=20000)
            out = page.evaluate(PLAY)
            out["pictures"] = {str(t): page.evaluate(PICTURE % t) for t in times}
            print(json.dumps(out))
            browser.close()
    finally:
        server.shutdown()

if __name__ == "__main__":
    main()
