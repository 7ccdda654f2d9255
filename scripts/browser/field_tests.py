#!/usr/bin/env python3
"""Browser tests of the field page (/field), as a camp worker on a cheap phone would meet it:
390x844, the phone in English, Arabic or Swahili, a link that crawls at 64 kb/s and drops.

One `mediaorch watch` in a workspace of its own serves every test; each test opens its own
phone (a fresh browser context) and judges what the worker sees, and the server's side of it
(the archived original byte for byte, the receipts, the tus requests the page made).

Where Chromium can (WebCodecs), the page makes a proxy of a clip worth it and sends it while it
makes it; the tests judge that proxy with ffprobe (the oracle), and the tus requests the page made.

Run alone:  PYTHONPATH=.build-python python3 scripts/browser/field_tests.py .build/debug/mediaorch
or through scripts/browser/run.py, which calls run(binary).
"""
import base64
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import harness  # noqa: E402

SUITE = "field"
FIELD = harness.ROOT / "Sources" / "MediaOrchestrator" / "HTTP" / "Field"
CATALOGUES = {path.stem: json.loads(path.read_text()) for path in sorted((FIELD / "lang").glob("*.json"))}
LOCALES = {"en": "en-GB", "ar": "ar", "sw": "sw"}
MEDIA = harness.SHARED_MEDIA
WIDTH = 390
POSTED_URL = "https://x.com/campaign/status/123"

# Counts what the page hands to XMLHttpRequest.send for each PATCH: the bytes it tried to send,
# whether or not they arrived. Installed before the page's own script runs.
COUNT_SENT = """
(() => {
  const sent = window.__sent = { bytes: 0, chunks: [] };
  const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method) { this.__method = method; return open.apply(this, arguments); };
  XMLHttpRequest.prototype.send = function (body) {
    if (this.__method === "PATCH" && body && typeof body.size === "number") { sent.bytes += body.size; sent.chunks.push(body.size); }
    return send.apply(this, arguments);
  };
})();
"""

# Every element's box inside the phone's width (a sideways scroll on a phone hides words).
TOO_WIDE = f"""() => [...document.querySelectorAll('body *')].filter(e => {{
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && (r.right > {WIDTH} + 0.5 || r.left < -0.5);
}}).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className).slice(0, 8)"""

# Visible targets smaller than 44 px either way.
SMALL_TARGETS = """() => [...document.querySelectorAll('button, select, a[href], input[type=file], input[type=text], input[type=password], summary')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.height < 44 || r.width < 44)
  .map(([e, r]) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""


# Chromium without WebCodecs' encoder, as on a phone whose browser has none: the page must send
# the original as before.
NO_WEBCODECS = "delete window.VideoEncoder;"

# A phone that can tell Wi-Fi from mobile data (Android's navigator.connection.type), on mobile
# data until the test says otherwise: window.__connection.join('wifi').
FAKE_CONNECTION = """
(() => {
  const connection = new EventTarget();
  connection.type = 'cellular';
  connection.join = (type) => { connection.type = type; connection.dispatchEvent(new Event('change')); };
  Object.defineProperty(Navigator.prototype, 'connection', { get: () => connection, configurable: true });
  window.__connection = connection;
})();
"""


def portrait_clip(seconds):
    """A phone-like portrait clip a proxy is worth making of: 1080x1920 H.264 at 12 Mb/s (12 s is
    about 18 MB; its proxy at about 3 Mb/s about 5 MB). The real clips in shared/media are all
    small enough to be sent as they are, but for one. Each test takes its own length: the same
    bytes sent twice would be one clip to the command centre."""
    return harness.phone_clip(f"field-portrait-1080x1920-12M-{seconds}s.mp4", seconds, size="1080x1920", bitrate="12M")


def tus_metadata(headers):
    """The Upload-Metadata of a request's headers, decoded."""
    out = {}
    for pair in filter(None, (headers.get("upload-metadata") or "").split(",")):
        key, _, value = pair.strip().partition(" ")
        out[key] = base64.b64decode(value).decode() if value else ""
    return out


def top_level_boxes(path):
    """The top-level ISO BMFF boxes of a file, and the boxes inside its moov (to tell a fragmented
    MP4: moov holds mvex, moof boxes follow)."""
    boxes, inside_moov = [], []
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8].decode("latin-1")
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[at + 8:at + 16], "big"), 16
        elif size == 0:
            size = len(data) - at
        if size < header:
            break
        boxes.append(kind)
        if kind == "moov":
            inner = at + header
            while inner + 8 <= at + size:
                inner_size = int.from_bytes(data[inner:inner + 4], "big")
                inside_moov.append(data[inner + 4:inner + 8].decode("latin-1"))
                if inner_size < 8:
                    break
                inner += inner_size
        at += size
    return boxes, inside_moov


def ffprobe(path):
    """ffprobe's streams and format of a file, as JSON."""
    run = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                         capture_output=True, text=True)
    return json.loads(run.stdout or "{}")


def decodes_cleanly(path):
    """ffmpeg decodes every frame without a complaint."""
    run = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True)
    return run.returncode == 0 and not run.stderr.strip(), run.stderr.strip()[:400]


def words(code, key, **values):
    """A catalogue string with its placeholders filled, as the page shows it."""
    text = CATALOGUES[code][key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def fixed_part(code, key):
    """The longest stretch of a catalogue string without placeholders (to look for on the page)."""
    return max(re.split(r"\{\w+\}", CATALOGUES[code][key]), key=len).strip()


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


class World:
    """The service, its tokens and requests: Kakuma's and Shatila's phones, the command centre."""

    def __init__(self, binary):
        self.service = harness.Service(binary, "field")
        s = self.service
        self.producer = s.token("producer", "night-desk")
        self.kakuma = s.token("uploader", "kakuma-phone", "Kakuma")
        self.shatila = s.token("uploader", "shatila-phone", "Shatila")
        self.requests = {}
        self.handles = {}
        self.counter = 0

    def new_request(self, key, camp="Kakuma", handle=None, text="Why is nobody doing anything about the camps? #refugees",
                    languages="sw,en", note=None):
        """A reply request; returns its id (`mediaorch requests add` prints it)."""
        self.counter += 1
        handle = handle or f"@voice{self.counter}"
        url = f"https://x.com/{handle[1:]}/status/{1620000000000000000 + self.counter}"
        request_id = self.service.request(url, text, camp, languages=languages, note=note, deadline="2031-01-01T00:00:00Z").split()[-1]
        self.requests[key] = request_id
        self.handles[key] = handle
        return request_id

    def receipts(self, token):
        status, body = self.service.api(token, "GET", "/api/receipts?limit=200")
        return body if status == 200 else []

    def receipt_for(self, token, request_id):
        return next((r for r in self.receipts(token) if r.get("request_id") == request_id), None)


class Phone:
    """One phone: a browser context at 390x844 in `locale`, signed in with `token`, which notes
    the requests the page makes (to prove what was, or was not, sent)."""

    def __init__(self, browser, world, token, locale="en-GB", sign_in=True, init_scripts=()):
        self.world = world
        self.context, self.page = harness.phone(browser, locale)
        self.page.set_default_timeout(30000)
        harness.serve_assets_from_disk(self.page)
        self.page.add_init_script(COUNT_SENT)
        for script in init_scripts:
            self.page.add_init_script(script)
        self.requests = []
        self.tus = []        # every tus request: {"method", "url", "headers", "request"}
        self.errors = []
        self.page.on("request", self.noted)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(world.service.url + "/field" + (f"#token={token}" if sign_in else ""))
        # Predicates are functions: the page's CSP forbids eval, which a string expression needs.
        self.page.wait_for_function("() => document.body.classList.contains('ready')")
        if sign_in:
            self.page.wait_for_selector("#home:not([hidden])")

    def noted(self, request):
        self.requests.append((request.method, request.url))
        if "/api/tus" in request.url:
            self.tus.append({"method": request.method, "url": request.url, "headers": request.headers, "request": request})

    def tus_requests(self, method, role="any"):
        """The page's tus requests of `method`; with `role` (proxy, original, or None for a clip
        sent whole) only those of uploads created with that clip_role."""
        if role == "any":
            return [r for r in self.tus if r["method"] == method]
        posts = [r for r in self.tus if r["method"] == "POST" and tus_metadata(r["headers"]).get("clip_role") == role]
        if method == "POST":
            return posts
        addresses = set()
        for post in posts:
            response = post["request"].response()
            location = response.headers.get("location") if response else None
            if location:
                addresses.add(location)
        return [r for r in self.tus if r["method"] == method and any(r["url"].endswith(a) for a in addresses)]

    @property
    def code(self):
        return self.page.evaluate("document.documentElement.lang")

    def t(self, key, **values):
        return words(self.code, key, **values)

    def visible(self, selector):
        return self.page.is_visible(selector)

    def text(self, selector):
        return self.page.inner_text(selector).strip()

    def tus_posts(self):
        return [u for m, u in self.requests if m == "POST" and "/api/tus" in u]

    def card(self, request_id):
        return f"#request-list article[data-request-id='{request_id}']"

    def choose_clip(self, request_id, clip):
        """Opens the form for a request and chooses a clip; waits until the phone has looked at it."""
        self.page.click(f"{self.card(request_id)} button.film, {self.card(request_id)} button.primary")
        self.page.wait_for_selector("#film:not([hidden])")
        self.page.set_input_files("#clip", str(clip))
        looking = self.t("clip_looking")
        self.page.wait_for_function("t => { const f = document.getElementById('clip-facts'); return f.children.length && f.innerText.trim() !== t; }",
                                    arg=looking, timeout=30000)

    def send(self, request_id, clip, speaker="Amina", consent=True, original=None):
        """Fills the form and sends; `original` (now, later, wifi) answers when the original goes."""
        self.choose_clip(request_id, clip)
        self.page.fill("#speaker", speaker)
        self.page.check(f"input[name=consent][value={'yes' if consent else 'no'}]")
        if original:
            self.page.check(f"input[name=original-when][value={original}]")
        self.page.click("#film-send")

    def sent_bytes(self):
        return int(self.page.get_attribute("#sending-bar", "data-sent") or 0)

    def wait_sent(self, timeout=300):
        self.page.wait_for_selector("#sent:not([hidden])", timeout=timeout * 1000)

    def receipt(self, request_id):
        return f"#receipt-list article[data-request-id='{request_id}']"

    def wait_receipt_state(self, request_id, states, timeout=240):
        """Refreshes "My sent clips" (as the worker would) until the clip's receipt is in one of
        `states`; returns every state it was seen in, in order."""
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.page.click("#receipts-refresh")
            time.sleep(1.5)
            state = self.page.get_attribute(self.receipt(request_id), "data-state") if self.page.query_selector(self.receipt(request_id)) else None
            if state and (not seen or seen[-1] != state):
                seen.append(state)
            if state in states:
                return seen
        raise TimeoutError(f"receipt of {request_id} never reached {states}; seen {seen}")

    def screenshot(self, name):
        return harness.screenshot(self.page, SUITE, name)

    def close(self):
        self.context.close()


def step(checks, name, test, *arguments):
    """Runs one test; an exception fails it as a check and the run goes on with the next.
    FIELD_ONLY="bad link,languages" runs only the tests whose names contain one of those."""
    only = [w.strip() for w in os.environ.get("FIELD_ONLY", "").split(",") if w.strip()]
    if only and not any(w in name for w in only):
        return
    started = time.time()
    try:
        test(checks, *arguments)
    except Exception as e:
        checks.check(f"{name} ran to the end", False, f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=2)}")
    print(f"     {SUITE}: {name} took {time.time() - started:.0f} s", flush=True)


# ==== the tests ================================================================================

def test_catalogues(checks):
    """Every language has every key the English one has, and the page uses no key none has."""
    english = set(CATALOGUES["en"])
    for code, catalogue in CATALOGUES.items():
        checks.check(f"catalogue {code}: same keys as English", set(catalogue) == english,
                     f"missing {sorted(english - set(catalogue))[:8]}, extra {sorted(set(catalogue) - english)[:8]}")
        checks.check(f"catalogue {code}: _name and _dir", catalogue.get("_dir") in ("ltr", "rtl") and bool(catalogue.get("_name")))
    script = (FIELD / "field.js").read_text() + (FIELD / "field.html").read_text()
    used = set(re.findall(r'data-i18n="(\w+)"', script)) | set(re.findall(r'\b(?:t|tNodes|button|phase|status)\("(\w+)"', script))
    used -= {"state_", "reason_", "receipt_original_"}   # completed with the receipt's state, reason or original, below
    used |= {"state_" + s for s in ("sending", "received", "making", "ready", "posted", "film_again", "stopped")}
    used |= {"receipt_original_" + o for o in ("not_sent", "sending", "in")}
    used |= {"reason_" + r for r in ("too_long", "unreadable", "no_picture", "too_short", "other")}
    checks.check("every key the page names is in the catalogues", used <= english, f"missing {sorted(used - english)}")


def test_camp_scope(checks, browser, world):
    for token, camp, other in ((world.kakuma, "Kakuma", "Shatila"), (world.shatila, "Shatila", "Kakuma")):
        phone = Phone(browser, world, token)
        try:
            phone.page.wait_for_selector("#request-list article")   # the list arrives after the screen
            cards = phone.page.eval_on_selector_all("#request-list article.request", "cs => cs.map(c => [c.dataset.requestId, c.dataset.camp])")
            mine = {rid for key, rid in world.requests.items() if key.startswith(camp.lower())}
            theirs = {rid for key, rid in world.requests.items() if key.startswith(other.lower())}
            ids = {rid for rid, _ in cards}
            checks.check(f"{camp}'s phone lists its camp's requests", mine <= ids, f"listed {ids}, expected {mine}")
            checks.check(f"{camp}'s phone lists none of {other}'s", not (ids & theirs) and all(c == camp for _, c in cards), f"{cards}")
        finally:
            phone.close()


def test_too_long(checks, browser, world):
    """A 150 s clip is refused on the phone, at once and in plain words; nothing is sent."""
    clip = harness.phone_clip("field-150s.mp4", 150, size="180x320", bitrate="60k")
    request_id = world.requests["kakuma-long"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.choose_clip(request_id, clip)
        problem = phone.text("#clip-problem")
        checks.check("a 150 s clip is refused before sending", fixed_part("en", "check_too_long") in problem
                     and "30 seconds" in problem and "20 seconds" in problem, problem)
        checks.check("the refusal offers to choose another clip", phone.visible("#clip-again"))
        phone.screenshot("too-long-en")
        phone.page.fill("#speaker", "Amina")
        phone.page.check("input[name=consent][value=yes]")
        phone.page.click("#film-send")
        time.sleep(1)
        checks.check("pressing Send anyway keeps the form and says why", phone.visible("#film") and not phone.visible("#sending")
                     and fixed_part("en", "check_too_long") in phone.text("#film-error"), phone.text("#film-error"))
        checks.check("no tus upload was created for the long clip", phone.tus_posts() == [], f"{phone.tus_posts()}")
        checks.check("no bytes of the long clip were sent", phone.page.evaluate("window.__sent.bytes") == 0)
        phone.page.click("#clip-again")
        checks.check("Choose another clip empties the choice", phone.page.eval_on_selector("#clip", "e => e.files.length") == 0)
    finally:
        phone.close()


def test_form_questions(checks, browser, world):
    """Consent must be answered: not answering is not a silent no."""
    request_id = world.requests["kakuma-form"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.choose_clip(request_id, MEDIA / "iphone_rotated.mov")
        facts = phone.text("#clip-facts")
        checks.check("the form shows the clip's length and what it costs in data",
                     "Length:" in facts and "MB" in facts, facts)
        checks.check("the form shows a picture from the clip", phone.visible("#poster"))
        phone.page.click("#film-send")
        checks.check("sending without a speaker's name asks for it", phone.text("#film-error") == phone.t("need_speaker"), phone.text("#film-error"))
        phone.page.fill("#speaker", "Amina")
        phone.page.click("#film-send")
        checks.check("sending without answering the consent question asks for it",
                     phone.text("#film-error") == phone.t("need_consent") and phone.tus_posts() == [], phone.text("#film-error"))
        phone.screenshot("form-en")
    finally:
        phone.close()


def test_receipts_to_posted(checks, browser, world):
    """A clip sent with consent: sent screen, receipt through its states to posted, with a link."""
    request_id = world.requests["kakuma-posted"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.send(request_id, MEDIA / "iphone_rotated.mov", speaker="Abu Omar")
        phone.wait_sent(120)
        checks.check("the sent screen says the command centre has the clip", phone.text("#sent-title") == phone.t("sent_title"))
        checks.check("the sent screen says what happens next", phone.t("sent_next") in phone.text("#sent"))
        checks.check("the sent screen offers the list and My sent clips", phone.visible("#sent-list") and phone.visible("#sent-receipts"))
        check_layout(checks, phone, "en sent")
        phone.screenshot("sent-en")
        phone.page.click("#sent-receipts")
        phone.page.wait_for_selector(phone.receipt(request_id))
        seen = phone.wait_receipt_state(request_id, {"ready"})
        checks.check("the receipt reaches 'ready' in the worker's words",
                     phone.text(phone.receipt(request_id) + " .state") == phone.t("state_ready"), f"seen {seen}")
        status, view = world.service.api(world.producer, "GET", f"/api/requests/{request_id}")
        job_id = view.get("job_id") if isinstance(view, dict) else None
        status, answer = world.service.api(world.producer, "POST", f"/api/jobs/{job_id}/posted", {"url": POSTED_URL})
        checks.check("the command centre marks the reply posted", status == 200, f"{status} {answer}")
        seen += phone.wait_receipt_state(request_id, {"posted"}, timeout=60)
        link = phone.page.query_selector(phone.receipt(request_id) + " a.posted-link")
        checks.check("the posted receipt says posted and links to the post",
                     phone.text(phone.receipt(request_id) + " .state") == phone.t("state_posted")
                     and link is not None and link.get_attribute("href") == POSTED_URL
                     and link.inner_text().strip() == phone.t("see_post", handle=world.handles["kakuma-posted"]), f"seen {seen}")
        checks.check("the receipt went through received/making before ready and posted",
                     seen[-2:] == ["ready", "posted"] and all(s in ("sending", "received", "making", "ready", "posted") for s in seen), f"{seen}")
        phone.screenshot("receipt-posted-en")
    finally:
        phone.close()


def test_film_again(checks, browser, world, folder):
    """A broken clip passes the phone's checks (it cannot tell), the command centre cannot use it,
    and the receipt says "please film again" with the reason and a button for the same request."""
    junk = folder / "x.mp4"
    junk.write_bytes((b"not a video at all, just bytes " * 70)[:2048])
    request_id = world.requests["kakuma-broken"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.choose_clip(request_id, junk)
        checks.check("a clip the phone cannot play may still be sent", phone.text("#clip-problem") == ""
                     and phone.t("clip_unknown_length") in phone.text("#clip-facts"), phone.text("#clip-check"))
        phone.page.fill("#speaker", "Halima")
        phone.page.check("input[name=consent][value=yes]")
        phone.page.click("#film-send")
        phone.wait_sent(120)
        phone.page.click("#sent-receipts")
        seen = phone.wait_receipt_state(request_id, {"film_again"})
        receipt = world.receipt_for(world.kakuma, request_id) or {}
        reason = receipt.get("film_again_reason", "other")
        card = phone.receipt(request_id)
        checks.check("the broken clip's receipt says please film again, with the reason in plain words",
                     phone.text(card + " .state") == phone.t("state_film_again")
                     and phone.text(card + " .reason") == phone.t("reason_" + reason), f"seen {seen}, reason {reason}")
        checks.check("the receipt shows no server wording", "error" not in phone.text(card).lower())
        phone.screenshot("receipt-film-again-en")
        button = card + " button.film-again-button"
        found = phone.page.query_selector(button) is not None
        checks.check("the receipt has a Film again button for that request",
                     found and phone.text(button) == phone.t("film_again_for", handle=world.handles["kakuma-broken"]), phone.text(card))
        if found:
            phone.page.click(button)
            phone.page.wait_for_selector("#film:not([hidden])")
            checks.check("Film again opens the form for the same request",
                         world.handles["kakuma-broken"] in phone.text("#film-request"))
    finally:
        phone.close()


def test_consent_from_receipt(checks, browser, world):
    """Sent without consent; consent added later from "My sent clips", after a confirm step."""
    request_id = world.requests["kakuma-consent"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.send(request_id, MEDIA / "android6_h264_rot270_gps_vfr.mp4", speaker="Yusuf", consent=False)
        phone.wait_sent(120)
        checks.check("the sent screen reminds that there is no consent yet", phone.visible("#sent-consent"))
        phone.page.click("#sent-receipts")
        card = phone.receipt(request_id)
        phone.page.wait_for_selector(card + " button.add-consent")
        add = phone.text(card + " button.add-consent")
        checks.check("the receipt offers Add consent, naming the speaker", add == phone.t("add_consent_for", speaker="Yusuf"), add)
        phone.page.click(card + " button.add-consent")
        phone.page.click("#receipts-refresh")   # a refresh meanwhile must not close the question
        time.sleep(1)
        checks.check("Add consent asks first whether they agreed on camera",
                     phone.visible(card + " .consent-confirm") and phone.t("consent_confirm_question", speaker="Yusuf") in phone.text(card + " .consent-confirm"))
        phone.screenshot("receipt-consent-confirm-en")
        phone.page.click(card + " button.consent-yes")
        phone.page.wait_for_function("s => !document.querySelector(s + ' .no-consent')", arg=card)
        receipt = world.receipt_for(world.kakuma, request_id) or {}
        checks.check("consent is recorded on the server", receipt.get("consent") is True, f"{receipt}")
    finally:
        phone.close()


def test_bad_link(checks, browser, world):
    """64 kb/s and two drops: the clip arrives whole, and no byte went twice beyond a chunk in flight."""
    clip = MEDIA / "iphone6_h264_rot_gps.mov"
    size = clip.stat().st_size
    request_id = world.requests["kakuma-badlink"]
    phone = Phone(browser, world, world.kakuma)
    try:
        session = harness.throttle(phone.page, 64)
        phone.send(request_id, clip, speaker="Grace")
        page = phone.page
        drops = 0
        for fraction in (0.25, 0.6):
            page.wait_for_function(f"() => +(document.getElementById('sending-bar').dataset.sent || 0) >= {size * fraction}", timeout=240000)
            phone.context.set_offline(True)
            drops += 1
            time.sleep(1)
            if drops == 1:
                checks.check("with no signal the page says sending waits and carries on by itself",
                             phone.visible("#offline") and phone.text("#sending-status") == phone.t("status_offline"), phone.text("#sending-status"))
                checks.check("with no signal there is nothing to press but Cancel", not phone.visible("#pause") and not phone.visible("#carry-on")
                             and phone.visible("#cancel"))
                check_layout(checks, phone, "en sending, offline")
                phone.screenshot("sending-offline-en")
            time.sleep(4)
            phone.context.set_offline(False)
            # set_offline(False) lifts every network condition: the crawl comes back with it.
            session.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300,
                                                               "downloadThroughput": 8000, "uploadThroughput": 8000})
        phone.screenshot("sending-en")
        phone.wait_sent(400)
        sent = page.evaluate("window.__sent")
        checks.check("a clip over 64 kb/s with two drops is sent", phone.text("#sent-title") == phone.t("sent_title"))
        archived = sorted(world.service.workspace.glob(f"archive/*/up-*-{clip.name}"))
        checks.check("the archived original is byte-identical to the clip", len(archived) == 1 and sha256(archived[0]) == sha256(clip),
                     f"{archived}")
        largest = max(sent["chunks"] or [0])
        print(f"     {SUITE}: bad link: {size} bytes, {sent['bytes']} handed to send() in {len(sent['chunks'])} chunks "
              f"{sent['chunks']}, {drops} drops", flush=True)
        checks.check("no byte was sent twice beyond the chunk in flight at each drop",
                     size <= sent["bytes"] <= size + largest * drops,
                     f"sent {sent['bytes']} for {size} bytes, chunks {sent['chunks']}")
        checks.check("the first chunk is small (64 KiB) and later ones adapt",
                     sent["chunks"][0] == 64 * 1024 and len(set(sent["chunks"])) > 1, f"{sent['chunks']}")
        checks.check("the upload record is gone from the phone once sent",
                     page.evaluate("localStorage.getItem('mediaorch.field.uploads')") in (None, "{}"))
    finally:
        phone.close()


def test_whole_file_mismatch(checks, browser, world):
    """The server's SHA-256 of the whole clip does not match the phone's (bytes spoiled on the way;
    here the phone's sha256 is altered in flight): the page sends again from 0, and after three
    mismatches stops with plain words instead of sending for ever."""
    import base64
    clip = MEDIA / "iphone_rotated.mov"
    size = clip.stat().st_size
    request_id = world.requests["kakuma-mismatch"]
    phone = Phone(browser, world, world.kakuma)
    try:
        def spoil(route):
            if route.request.method != "POST":
                return route.fallback()
            headers = dict(route.request.headers)
            pairs = [p.split(" ") for p in headers.get("upload-metadata", "").split(",") if p]
            wrong = base64.b64encode(b"0" * 64).decode()
            headers["upload-metadata"] = ",".join(f"{k} {wrong if k == 'sha256' else v}" for k, v in pairs)
            route.fallback(headers=headers)
        phone.page.route("**/api/tus/", spoil)
        phone.send(request_id, clip, speaker="Imani")
        phone.page.wait_for_selector("#sending-back:not([hidden]), #sent:not([hidden])", timeout=120000)
        sent = phone.page.evaluate("window.__sent")
        checks.check("after repeated whole-file mismatches the page stops and says why in plain words",
                     phone.t("error_mismatch") in phone.text("#sending-error"), phone.text("#sending"))
        checks.check("each mismatch sent the clip again from the start", sent["bytes"] == 3 * size, f"{sent}")
    finally:
        phone.close()


def test_pause_reload_cancel(checks, browser, world):
    """Pause and Carry on; a reload mid-way carries on from where it stopped; Cancel asks, then
    the upload is deleted and the request can be filmed again. (A clip that goes whole: a proxy
    cannot carry on after a reload, it is made again; see test_proxy_reload.)"""
    clip = MEDIA / "iphone6_h264_rot_gps.mov"
    request_id = world.requests["kakuma-pause"]
    phone = Phone(browser, world, world.kakuma)
    try:
        page = phone.page
        harness.throttle(page, 256)
        phone.send(request_id, clip, speaker="Neema")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 40000", timeout=120000)
        page.click("#pause")
        time.sleep(2)
        held = phone.sent_bytes()
        time.sleep(4)
        checks.check("Pause stops sending and says so", phone.sent_bytes() == held and phone.text("#sending-status") == phone.t("status_paused")
                     and phone.visible("#carry-on"), f"{held} -> {phone.sent_bytes()}")
        page.click("#carry-on")
        page.wait_for_function(f"() => +(document.getElementById('sending-bar').dataset.sent || 0) > {held + 20000}", timeout=120000)
        checks.check("Carry on sends again", True)

        page.reload()
        page.wait_for_selector("#home:not([hidden])")
        page.wait_for_selector(f"{phone.card(request_id)}", timeout=15000)   # the list arrives after the screen
        carry = page.query_selector(f"{phone.card(request_id)} button.carry-on")
        checks.check("after a reload the request offers Carry on sending", carry is not None
                     and carry.inner_text().strip() == phone.t("carry_on_sending_for", handle=world.handles["kakuma-pause"]))
        phone.screenshot("carry-on-after-reload-en")
        carry.click()
        page.set_input_files("#resume-clip", str(MEDIA / "iphone_rotated.mov"))
        checks.check("choosing a different clip to carry on is refused", fixed_part("en", "not_same_clip") in phone.text("#resume-error"))
        posts = len(phone.tus_posts())
        page.set_input_files("#resume-clip", str(clip))
        page.wait_for_selector("#sending:not([hidden])")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 0")
        checks.check("the same clip carries on from where it stopped, without a new upload",
                     len(phone.tus_posts()) == posts and phone.sent_bytes() > held, f"at {phone.sent_bytes()}")
        page.click("#cancel")
        checks.check("Cancel asks before stopping", phone.visible("#cancel-confirm") and phone.visible("#sending"))
        phone.screenshot("cancel-confirm-en")
        page.click("#cancel-yes")
        page.wait_for_selector("#home:not([hidden])")
        checks.check("Cancel deletes the tus upload", any(m == "DELETE" and "/api/tus/" in u for m, u in phone.requests))
        page.wait_for_selector(f"{phone.card(request_id)} button.film")
        checks.check("the cancelled request can be filmed again", True)
    finally:
        phone.close()


def test_revoked_token(checks, browser, world):
    """The token is revoked mid-upload: sending stops at once, the record stays, the worker is
    asked for a new code in place; with it the clip goes again from the start (an upload belongs
    to the token that made it) and arrives."""
    s = world.service
    old = s.token("uploader", "kakuma-phone-old", "Kakuma")
    clip = MEDIA / "android6_h264_rot270_gps_vfr.mp4"
    request_id = world.requests["kakuma-revoked"]
    phone = Phone(browser, world, old)
    try:
        page = phone.page
        session = harness.throttle(page, 64)
        phone.send(request_id, clip, speaker="Zawadi")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 30000", timeout=120000)
        s.cli("tokens", "revoke", "kakuma-phone-old")
        page.wait_for_selector("#again:not([hidden])", timeout=120000)
        checks.check("a revoked token stops sending and asks for a new code in place",
                     phone.visible("#sending") and phone.text("#sending-status") == phone.t("status_need_token"), phone.text("#sending-status"))
        checks.check("a stopped upload shows no speed or time left", phone.text("#sending-phase") == phone.t("phase_stopped")
                     and fixed_part("en", "progress_speed") not in phone.text("#sending-figures"), phone.text("#sending-figures"))
        record = json.loads(page.evaluate("localStorage.getItem('mediaorch.field.uploads')") or "{}")
        checks.check("the upload record is kept on the phone", any(r.get("request") == request_id and (r.get("url") or r.get("proxyUrl"))
                                                                   for r in record.values()), f"{record}")
        checks.check("the code field has a label", page.evaluate("document.querySelector('label[for=again-token]') !== null"))
        phone.screenshot("token-revoked-en")
        session.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        # The service's upload sweep (every minute) ends the revoked token's upload and gives the
        # request back, so the camp's new code can send the clip for it.
        s.wait("the revoked token's upload to give its request back",
               lambda: s.api(world.producer, "GET", f"/api/requests/{request_id}")[1].get("state") == "open", timeout=150, interval=2)
        checks.check("the revoked token's upload gave its request back within the sweep", True)
        new = s.token("uploader", "kakuma-phone-new", "Kakuma")
        page.fill("#again-token", new)
        page.click("#again button[type=submit]")
        page.wait_for_selector("#restart:not([hidden]), #sent:not([hidden]), #sending-error:not(:empty)", timeout=60000)
        offered = phone.visible("#restart")
        checks.check("with the new code the page offers to send the clip again from the start", offered, phone.text("#sending"))
        if offered:
            page.click("#restart-yes")
            page.wait_for_selector("#sent:not([hidden]), #sending-back:not([hidden])", timeout=120000)
            checks.check("the clip sent again with the new code arrives", phone.visible("#sent"), phone.text("#sending-error"))
    finally:
        phone.close()


def archived_original(world, clip):
    """The archived copies of the clip, byte for byte (archive/<its sha256's first 16>/)."""
    whole = sha256(clip)
    folder = world.service.workspace / "archive" / whole[:16]
    return sorted(f for f in folder.glob("*") if f.is_file() and f.stat().st_size == clip.stat().st_size and sha256(f) == whole)


def reply_source(world, request_id):
    """The archived file the request's reply job was made from (for a clip sent as a proxy: the
    proxy), or None while there is no such job yet."""
    s = world.service
    status, view = s.api(world.producer, "GET", f"/api/requests/{request_id}")
    job_id = view.get("job_id") if status == 200 and isinstance(view, dict) else None
    if not job_id:
        return None
    status, detail = s.api(world.producer, "GET", f"/api/jobs/{job_id}")
    job = detail.get("job", detail) if status == 200 and isinstance(detail, dict) else {}
    path = job.get("archive_path")
    if not path:
        return None
    full = pathlib.Path(path) if os.path.isabs(path) else s.workspace / path
    return full if full.exists() else None


def check_proxy_requests(checks, phone, label):
    """What the page told the server while sending a proxy: deferred length, its metadata, a
    checksum on every piece, the length once at the end. Returns the proxy's metadata."""
    posts = phone.tus_requests("POST", "proxy")
    checks.check(f"{label}: one proxy upload was created", len(posts) == 1, f"{[tus_metadata(p['headers']) for p in phone.tus]}")
    if not posts:
        return {}
    headers, meta = posts[0]["headers"], tus_metadata(posts[0]["headers"])
    checks.check(f"{label}: the proxy's length is deferred (Upload-Defer-Length: 1, no Upload-Length)",
                 headers.get("upload-defer-length") == "1" and "upload-length" not in headers, f"{headers}")
    checks.check(f"{label}: the proxy names its clip (clip_id of 32 hex, clip_role proxy), with no whole-file sha256",
                 re.fullmatch(r"[0-9a-f]{32}", meta.get("clip_id", "")) is not None and "sha256" not in meta, f"{meta}")
    checks.check(f"{label}: the proxy carries the form's facts and the clip's length",
                 meta.get("speaker") and meta.get("consent") in ("true", "false") and meta.get("request")
                 and float(meta.get("duration") or 0) > 0 and meta.get("filename", "").endswith((".mp4", ".webm")), f"{meta}")
    patches = phone.tus_requests("PATCH", "proxy")
    checks.check(f"{label}: every PATCH of the proxy carries its SHA-256 (Upload-Checksum)",
                 patches and all(re.fullmatch(r"sha256 [A-Za-z0-9+/]{43}=", p["headers"].get("upload-checksum", "")) for p in patches),
                 f"{[p['headers'].get('upload-checksum') for p in patches][:4]}")
    told = [p for p in patches if "upload-length" in p["headers"]]
    checks.check(f"{label}: the proxy's length goes with its last PATCH", told and told[-1] is patches[-1]
                 and int(told[-1]["headers"]["upload-offset"]) <= int(told[-1]["headers"]["upload-length"]), f"{len(told)} of {len(patches)}")
    return meta


def check_proxy_file(checks, path, frame, label):
    """The proxy as ffprobe sees it: fragmented MP4 in the reply's frame, about 3 Mb/s, key
    frames, rotation baked, no GPS; and it decodes cleanly to the end."""
    boxes, in_moov = top_level_boxes(path)
    checks.check(f"{label}: the proxy is fragmented MP4 (moov with mvex, then moof/mdat)",
                 boxes[:2] == ["ftyp", "moov"] and "mvex" in in_moov and "moof" in boxes and "mdat" in boxes, f"{boxes[:8]} {in_moov}")
    probe = ffprobe(path)
    video = next((s for s in probe.get("streams", []) if s.get("codec_type") == "video"), {})
    audio = next((s for s in probe.get("streams", []) if s.get("codec_type") == "audio"), {})
    checks.check(f"{label}: the proxy is {frame[0]}x{frame[1]}, H.264 or VP9, rotation baked",
                 (video.get("width"), video.get("height")) == frame and video.get("codec_name") in ("h264", "vp9")
                 and not any("rotation" in d for d in video.get("side_data_list", [])), f"{video}")
    seconds = float(probe.get("format", {}).get("duration") or 0)
    rate = os.path.getsize(path) * 8 / seconds if seconds else 0
    checks.check(f"{label}: the proxy is about 3 Mb/s", 2.0e6 <= rate <= 4.5e6, f"{rate:.0f} b/s over {seconds} s")
    checks.check(f"{label}: the proxy's sound is AAC or Opus, 48 kHz", audio.get("codec_name") in ("aac", "opus")
                 and audio.get("sample_rate") == "48000", f"{audio}")
    tags = {k.lower() for k in probe.get("format", {}).get("tags", {})} | {k.lower() for k in video.get("tags", {})}
    checks.check(f"{label}: the proxy keeps no location or device metadata",
                 not any(k in tags for k in ("location", "location-eng", "com.apple.quicktime.location.iso6709", "make", "model",
                                              "com.android.manufacturer", "com.android.model")), f"{sorted(tags)}")
    clean, why = decodes_cleanly(path)
    checks.check(f"{label}: the proxy decodes cleanly to the end", clean, why)


def test_proxy(checks, browser, world):
    """A phone-like portrait clip (1080x1920, 12 Mb/s): the page makes a 720x1280 proxy and sends
    it while making it, then the original follows with the same clip id; both arrive."""
    clip = portrait_clip(12)
    request_id = world.requests["kakuma-proxy"]
    phone = Phone(browser, world, world.kakuma)
    try:
        page = phone.page
        phone.send(request_id, clip, speaker="Baraka", original="now")
        page.wait_for_selector("#preparing-bar:not([hidden])", timeout=60000)
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 0", timeout=60000)
        figures = phone.text("#sending-figures")
        checks.check("the proxy's progress says what is made and what is sent", fixed_part("en", "progress_proxy") in figures, figures)
        check_layout(checks, phone, "en sending a proxy")
        phone.screenshot("sending-proxy-en")
        phone.wait_sent(300)
        checks.check("after proxy and original the sent screen says the original is in too",
                     phone.visible("#sent-original") and phone.text("#sent-original") == phone.t("sent_original_in"), phone.text("#sent"))
        checks.check("the page loaded Mediabunny once, to send", sum(1 for m, u in phone.requests if u.endswith("/field/vendor/mediabunny.mjs")) == 1)
        meta = check_proxy_requests(checks, phone, "proxy")
        # A slow command centre may not have the proxy's reply yet when the original is offered
        # (409 no-proxy-for-original): the page offers it again, so the last offer is the one taken.
        originals = phone.tus_requests("POST", "original")
        original_meta = tus_metadata(originals[-1]["headers"]) if originals else {}
        checks.check("the original follows with the same clip id, clip_role original, its length and whole-file sha256",
                     bool(originals) and original_meta.get("clip_id") == meta.get("clip_id") and original_meta.get("request") == request_id
                     and original_meta.get("sha256") == sha256(clip) and originals[-1]["headers"].get("upload-length") == str(clip.stat().st_size)
                     and original_meta.get("filename") == clip.name,
                     f"{len(originals)} offers; {original_meta}; length {originals[-1]['headers'].get('upload-length') if originals else None}")
        s = world.service
        proxy = s.wait("the reply's job, made from the proxy", lambda: reply_source(world, request_id), timeout=180, interval=1)
        checks.check("the reply is made from the proxy, not the original", sha256(proxy) != sha256(clip), f"{proxy}")
        check_proxy_file(checks, proxy, (720, 1280), "proxy")
        kept = s.wait("the original in the archive", lambda: archived_original(world, clip), timeout=180, interval=1)
        checks.check("the archived original is byte-identical to the clip", len(kept) == 1)
        receipt = s.wait("the receipt to say the original is in",
                         lambda: (lambda r: r if r and r.get("original") == "in" else None)(world.receipt_for(world.kakuma, request_id)), timeout=120, interval=1)
        checks.check("the receipt says the reply is made from the proxy and the original is in",
                     receipt.get("made_from") == "proxy" and receipt.get("clip_id") == meta.get("clip_id"), f"{receipt}")
        page.click("#sent-receipts")
        card = phone.receipt(request_id)
        page.wait_for_selector(card + " .original-state[data-original=in]", timeout=60000)   # the list drawn before may be older
        checks.check("the receipt card says so in the worker's words",
                     phone.text(card + " .original-state") == phone.t("receipt_original_in"), phone.text(card))
        checks.check("no page errors", not phone.errors, f"{phone.errors}")
    finally:
        phone.close()


def test_proxy_of_a_real_clip(checks, browser, world):
    """A real Android clip (H.264, rotated 90°, GPS): its proxy is square like the server's frame
    for it (720x720), the rotation baked into the pictures, no GPS."""
    clip = MEDIA / "android6_h264_rot270_gps_vfr.mp4"
    request_id = world.requests["kakuma-proxy-real"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.send(request_id, clip, speaker="Wanjiru", original="now")
        phone.wait_sent(180)
        check_proxy_requests(checks, phone, "real clip")
        proxy = world.service.wait("the reply's job, made from the proxy", lambda: reply_source(world, request_id), timeout=180, interval=1)
        check_proxy_file(checks, proxy, (720, 720), "real clip")
    finally:
        phone.close()


def test_small_clip_goes_whole(checks, browser, world):
    """A clip whose proxy would not be clearly smaller (a 0.6 Mb/s iPhone clip) is sent as it is,
    as before proxies, and the page says why."""
    clip = MEDIA / "iphone6_h264_rot_gps.mov"
    request_id = world.requests["kakuma-small"]
    phone = Phone(browser, world, world.kakuma)
    try:
        phone.send(request_id, clip, speaker="Esther")
        phone.page.wait_for_selector("#sending-note:not([hidden])", timeout=60000)
        checks.check("the page says the clip is small and goes as it is", phone.text("#sending-note") == phone.t("note_proxy_not_smaller"),
                     phone.text("#sending-note"))
        phone.wait_sent(120)
        posts = phone.tus_requests("POST")
        meta = tus_metadata(posts[0]["headers"]) if posts else {}
        checks.check("the small clip went in one upload of known length, with its sha256 and no clip role",
                     len(posts) == 1 and posts[0]["headers"].get("upload-length") == str(clip.stat().st_size)
                     and meta.get("sha256") == sha256(clip) and "clip_role" not in meta and "clip_id" not in meta, f"{meta}")
    finally:
        phone.close()


def test_no_webcodecs(checks, browser, world):
    """Without WebCodecs (VideoEncoder removed) the page sends the original as before, says so
    in a small note, and does not load Mediabunny at all."""
    clip = portrait_clip(11)
    request_id = world.requests["kakuma-nowebcodecs"]
    phone = Phone(browser, world, world.kakuma, init_scripts=[NO_WEBCODECS])
    try:
        phone.send(request_id, clip, speaker="Ali")
        phone.page.wait_for_selector("#sending-note:not([hidden])", timeout=60000)
        checks.check("without WebCodecs the page says the whole clip is sent", phone.text("#sending-note") == phone.t("note_no_proxy"),
                     phone.text("#sending-note"))
        phone.wait_sent(240)
        posts = phone.tus_requests("POST")
        meta = tus_metadata(posts[0]["headers"]) if posts else {}
        checks.check("without WebCodecs one upload, the original, as before proxies",
                     len(posts) == 1 and meta.get("sha256") == sha256(clip) and "clip_role" not in meta
                     and "upload-defer-length" not in posts[0]["headers"], f"{meta}")
        checks.check("without WebCodecs Mediabunny is never loaded", not any(u.endswith("/field/vendor/mediabunny.mjs") for m, u in phone.requests))
        archived = world.service.wait("the original in the archive", lambda: archived_original(world, clip), timeout=120, interval=1)
        checks.check("the archived original is byte-identical to the clip", len(archived) == 1)
    finally:
        phone.close()


def test_original_later(checks, browser, world):
    """"Send the original: later" and "on Wi-Fi only": the choice is remembered; after the proxy
    the original waits; on Wi-Fi it goes by itself; "later" is sent from the receipt, after a
    reload by choosing the same clip again (another is refused)."""
    clip, later_clip = portrait_clip(10), portrait_clip(9)
    # In Swahili: the choice, the sent screen and the receipt in the worker's words.
    phone = Phone(browser, world, world.kakuma, locale="sw-KE", init_scripts=[FAKE_CONNECTION])
    try:
        page = phone.page
        # Wi-Fi only: the proxy goes, the original waits for Wi-Fi, then goes by itself.
        wifi_request = world.requests["kakuma-wifi"]
        phone.send(wifi_request, clip, speaker="Rehema", original="wifi")
        phone.wait_sent(240)
        checks.check("on mobile data the original waits for Wi-Fi, and the sent screen says so",
                     phone.text("#sent-original") == phone.t("sent_original_wifi") and not phone.tus_requests("POST", "original"),
                     phone.text("#sent"))
        page.evaluate("() => window.__connection.join('wifi')")
        page.wait_for_selector("#sending:not([hidden])", timeout=15000)
        phone.wait_sent(240)
        checks.check("on Wi-Fi the original goes by itself", len(phone.tus_requests("POST", "original")) == 1
                     and phone.text("#sent-original") == phone.t("sent_original_in"), phone.text("#sent"))
        page.click("#sent-list")
        # The choice is remembered on the phone.
        page.click(f"{phone.card(world.requests['kakuma-later'])} button.film")
        checks.check("the form remembers 'on Wi-Fi only'", page.is_checked("input[name=original-when][value=wifi]"))
        page.click("#film-back")

        # Later: the receipt offers to send it; after a reload the same clip must be chosen again.
        later_request = world.requests["kakuma-later"]
        posts_before = len(phone.tus_requests("POST", "original"))
        phone.send(later_request, later_clip, speaker="Juma", original="later")
        phone.wait_sent(240)
        checks.check("'later' leaves the original on the phone and says where to send it from",
                     phone.text("#sent-original") == phone.t("sent_original_later") and len(phone.tus_requests("POST", "original")) == posts_before)
        page.reload()
        page.wait_for_selector("#home:not([hidden])")
        card = phone.receipt(later_request)
        page.wait_for_selector(card + " button.send-original", timeout=30000)
        checks.check("the receipt says the original is not sent yet and offers to send it",
                     phone.text(card + " .original-state") == phone.t("receipt_original_not_sent")
                     and phone.text(card + " button.send-original") == phone.t("send_original_now", file=later_clip.name), phone.text(card))
        checks.check("the choice 'later' is remembered after a reload",
                     page.evaluate("localStorage.getItem('mediaorch.field.original-when')") == "later")
        phone.screenshot(f"receipt-original-not-sent-{phone.code}")
        page.click(card + " button.send-original")
        page.wait_for_selector("#resume:not([hidden])")
        page.set_input_files("#resume-clip", str(MEDIA / "iphone_rotated.mov"))
        checks.check("another clip is refused for the original", fixed_part(phone.code, "not_same_clip") in phone.text("#resume-error"))
        page.set_input_files("#resume-clip", str(later_clip))
        phone.wait_sent(240)
        later_posts = [p for p in phone.tus_requests("POST", "original") if tus_metadata(p["headers"]).get("request") == later_request]
        checks.check("the same clip chosen again sends the original", len(later_posts) == 1 and phone.text("#sent-original") == phone.t("sent_original_in"),
                     phone.text("#sent"))
    finally:
        phone.close()


def test_proxy_bad_link(checks, browser, world):
    """A proxy over a throttled link that drops for a few seconds: sending waits and carries on
    from where the server says, each piece checked; the proxy arrives whole and plays."""
    clip = portrait_clip(13)
    request_id = world.requests["kakuma-proxy-badlink"]
    # In Arabic: the proxy's screens right to left, in the worker's words.
    phone = Phone(browser, world, world.kakuma, locale="ar")
    try:
        page = phone.page
        session = harness.throttle(page, 1000)
        phone.send(request_id, clip, speaker="Amani", original="later")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 1500000", timeout=240000)
        checks.check("ar: the proxy's progress is in Arabic, right to left", page.evaluate("document.documentElement.dir") == "rtl"
                     and phone.text("#sending-phase") == phone.t("phase_proxy"), phone.text("#sending"))
        check_layout(checks, phone, "ar sending a proxy")
        phone.screenshot("sending-proxy-ar")
        phone.context.set_offline(True)
        time.sleep(1)
        checks.check("with no signal during a proxy the page says sending waits", phone.text("#sending-status") == phone.t("status_offline"),
                     phone.text("#sending-status"))
        time.sleep(5)
        phone.context.set_offline(False)
        session.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300, "downloadThroughput": 125000, "uploadThroughput": 125000})
        phone.wait_sent(400)
        checks.check("the proxy over a bad link is sent", phone.text("#sent-original") == phone.t("sent_original_later"), phone.text("#sent"))
        check_proxy_requests(checks, phone, "bad link")
        checks.check("after the drop the page asked where the proxy stands (HEAD)", bool(phone.tus_requests("HEAD", "proxy")))
        sent = page.evaluate("window.__sent")
        proxy = world.service.wait("the reply's job, made from the proxy", lambda: reply_source(world, request_id), timeout=180, interval=1)
        size = proxy.stat().st_size
        print(f"     {SUITE}: proxy over a bad link: {size} bytes, {sent['bytes']} handed to send() in {len(sent['chunks'])} chunks", flush=True)
        # Rendered while it arrived, and ready for the command centre before the original is in.
        s = world.service
        ready = s.wait("the request's reply to be ready", lambda: (lambda v: v if v.get("state") == "ready" else None)(
            s.api(world.producer, "GET", f"/api/requests/{request_id}")[1] or {}), timeout=180, interval=0.5)
        receipt = world.receipt_for(world.kakuma, request_id) or {}
        checks.check("the request's reply is ready before the original is in", receipt.get("original") == "not_sent", f"{receipt}")
        detail = s.api(world.producer, "GET", f"/api/jobs/{ready['job_id']}")[1] or {}
        manifest = detail.get("manifest") or {}
        checks.check("the reply was rendered while the proxy arrived, from the proxy",
                     manifest.get("rendered_while_arriving") is True and manifest.get("made_from") == "proxy",
                     f"{ {k: manifest.get(k) for k in ('made_from', 'rendered_while_arriving', 'stage_seconds')} }")
        checks.check("no byte of the proxy went twice beyond the chunk in flight at the drop",
                     size <= sent["bytes"] <= size + max(sent["chunks"] or [0]), f"sent {sent['bytes']} for {size}")
        check_proxy_file(checks, proxy, (720, 1280), "bad link")
    finally:
        phone.close()


def test_proxy_reload(checks, browser, world):
    """A reload while the proxy is on its way: the bytes made went with the page, so choosing the
    clip again drops the half-sent proxy (DELETE) and makes a new one, under a new clip id. Cancel
    then stops the conversion, deletes that upload too and frees the request."""
    clip = portrait_clip(14)
    request_id = world.requests["kakuma-proxy-reload"]
    phone = Phone(browser, world, world.kakuma)
    try:
        page = phone.page
        harness.throttle(page, 512)
        phone.send(request_id, clip, speaker="Fatuma", original="later")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 200000", timeout=120000)
        page.reload()
        page.wait_for_selector(f"{phone.card(request_id)} button.carry-on", timeout=30000)
        page.click(f"{phone.card(request_id)} button.carry-on")
        page.set_input_files("#resume-clip", str(clip))
        page.wait_for_selector("#sending:not([hidden])")
        page.wait_for_function("() => +(document.getElementById('sending-bar').dataset.sent || 0) > 100000", timeout=120000)
        posts = phone.tus_requests("POST", "proxy")
        ids = [tus_metadata(p["headers"]).get("clip_id") for p in posts]
        checks.check("after a reload the proxy is made again in a new upload with a new clip id", len(posts) == 2 and ids[0] != ids[1], f"{ids}")
        first = posts[0]["request"].response().headers.get("location", "?")
        checks.check("the half-sent proxy was deleted", any(d["url"].endswith(first) for d in phone.tus_requests("DELETE")))
        page.click("#cancel")
        checks.check("Cancel during a proxy asks first", phone.visible("#cancel-confirm")
                     and phone.text("#cancel-question") == phone.t("cancel_question"), phone.text("#cancel-confirm"))
        page.click("#cancel-yes")
        page.wait_for_selector("#home:not([hidden])")
        second = posts[1]["request"].response().headers.get("location", "?")
        checks.check("Cancel deletes the proxy's upload", any(d["url"].endswith(second) for d in phone.tus_requests("DELETE")))
        page.wait_for_selector(f"{phone.card(request_id)} button.film", timeout=30000)
        checks.check("the cancelled request can be filmed again, and the phone keeps no record of the proxy",
                     page.evaluate("localStorage.getItem('mediaorch.field.uploads')") in (None, "{}"))
        before = (page.evaluate("window.__sent.bytes"), len(phone.tus_requests("PATCH")))
        time.sleep(3)
        after = (page.evaluate("window.__sent.bytes"), len(phone.tus_requests("PATCH")))
        checks.check("nothing more is sent after Cancel", before == after, f"{before} -> {after}")
    finally:
        phone.close()


def test_languages(checks, browser, world):
    """The page in each language: attributes, the catalogue's words (no English leaking), names of
    caption languages, layout (mirrored in Arabic, within 390 px, 44 px targets), axe."""
    english = CATALOGUES["en"]
    request_id = world.requests["kakuma-open"]
    for code, locale in LOCALES.items():
        phone = Phone(browser, world, world.kakuma, locale=locale)
        try:
            page = phone.page
            page.wait_for_selector("#request-list article")
            if world.receipts(world.kakuma):   # the earlier tests' clips, when they ran
                page.wait_for_selector("#receipt-list article")
            attrs = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
            checks.check(f"{code}: chosen from the phone's language, <html lang dir>", attrs == [code, CATALOGUES[code]["_dir"]], f"{attrs}")
            shown = {"title": phone.text("h1"), "requests_title": phone.text("#requests-title"), "receipts_title": phone.text("#receipts-title"),
                     "signout": phone.text("#sign-out")}
            checks.check(f"{code}: headings and buttons are the catalogue's", all(shown[k] == CATALOGUES[code][k] for k in shown), f"{shown}")
            film = phone.text(f"{phone.card(request_id)} button.film")
            checks.check(f"{code}: the film button names the handle", film == words(code, "film_for", handle=world.handles["kakuma-open"]), film)
            meta = phone.text(f"{phone.card(request_id)} .meta")
            names = page.evaluate("l => ['sw', 'en'].map(c => new Intl.DisplayNames([l], {type: 'language'}).of(c))", code)
            checks.check(f"{code}: caption languages by name, not code", all(n in meta for n in names) and "sw, en" not in meta, meta)
            states = page.eval_on_selector_all("#receipt-list article .state", "es => es.map(e => [e.closest('article').dataset.state, e.textContent])")
            if states:
                checks.check(f"{code}: receipt states in the catalogue's words",
                             all(text == CATALOGUES[code]["state_" + state] for state, text in states), f"{states}")
            body = page.inner_text("body")
            if code != "en":
                leaks = [v for k, v in english.items() if not k.startswith("_") and v != CATALOGUES[code][k]
                         for part in re.split(r"\{\w+\}", v) if len(part.strip()) >= 8 and part.strip() in body]
                checks.check(f"{code}: no English leaks into the page", not leaks, f"{leaks[:5]}")
            tweet_dir = page.eval_on_selector_all(".tweet, .note", "es => es.every(e => e.dir === 'auto')")
            checks.check(f"{code}: people's words are dir=auto", tweet_dir)
            if CATALOGUES[code]["_dir"] == "rtl":
                mirrored = page.evaluate("""() => {
                    const h1 = document.querySelector('h1').getBoundingClientRect(), lang = document.getElementById('language').getBoundingClientRect();
                    const card = document.querySelector('#receipt-list article');
                    const receipt = card ? getComputedStyle(card) : {borderRightWidth: '1', borderLeftWidth: '0'};
                    return h1.left > lang.left && parseFloat(receipt.borderRightWidth) > 0 && parseFloat(receipt.borderLeftWidth) === 0; }""")
                checks.check(f"{code}: the layout is mirrored (title on the right, receipt bar on the right)", mirrored)
            check_layout(checks, phone, f"{code} list")
            phone.screenshot(f"list-{code}")

            phone.choose_clip(request_id, MEDIA / "iphone6_h264_rot_gps.mov")
            facts = phone.text("#clip-facts")
            checks.check(f"{code}: clip length and data cost in the worker's language",
                         fixed_part(code, "clip_cost") in facts and fixed_part(code, "clip_length") in facts, facts)
            check_layout(checks, phone, f"{code} form")
            phone.screenshot(f"form-{code}")
            page.click("#film-back")

            page.click("#sign-out")
            checks.check(f"{code}: sign out asks first", phone.visible("#sign-out-confirm") and phone.visible("#home"))
            page.click("#sign-out-yes")
            page.wait_for_selector("#sign-in:not([hidden])")
            checks.check(f"{code}: the sign-in form in the catalogue's words", phone.text("#sign-in h2") == CATALOGUES[code]["signin_title"]
                         and page.evaluate("document.querySelector('label[for=token]').textContent") == CATALOGUES[code]["signin_label"])
            check_layout(checks, phone, f"{code} sign-in")
            phone.screenshot(f"sign-in-{code}")
        finally:
            phone.close()


def test_language_switch(checks, browser, world):
    """The switch changes the page at once and is remembered on the phone."""
    phone = Phone(browser, world, world.kakuma, locale="en-GB")
    try:
        label = phone.page.evaluate("document.querySelector('label[for=language]').textContent")
        checks.check("the language switch is labelled in all three languages", all(w in label for w in ("Language", "اللغة", "Lugha")), label)
        options = phone.page.eval_on_selector_all("#language option", "os => os.map(o => o.textContent)")
        checks.check("the switch names each language in itself", sorted(options) == sorted(c["_name"] for c in CATALOGUES.values()), f"{options}")
        phone.page.select_option("#language", "sw")
        phone.page.wait_for_function("() => document.documentElement.lang === 'sw'")
        checks.check("choosing Kiswahili changes the page", phone.text("h1") == CATALOGUES["sw"]["title"])
        phone.page.reload()
        phone.page.wait_for_selector("#home:not([hidden])")
        checks.check("the choice is remembered after a reload", phone.code == "sw" and phone.text("h1") == CATALOGUES["sw"]["title"])
    finally:
        phone.close()


def check_layout(checks, phone, where):
    page = phone.page
    wide = page.evaluate("document.documentElement.scrollWidth")
    boxes = page.evaluate(TOO_WIDE)
    checks.check(f"{where}: nothing wider than {WIDTH} px", wide <= WIDTH and not boxes, f"scrollWidth {wide}, {boxes}")
    small = page.evaluate(SMALL_TARGETS)
    checks.check(f"{where}: every target at least 44 px", not small, f"{small}")
    violations = harness.axe_violations(page)
    checks.check(f"{where}: axe finds no serious or critical violation", not violations, f"{violations}")


# ==== running ==================================================================================

def run(binary):
    checks = harness.Checks(SUITE)
    test_catalogues(checks)
    world = World(binary)
    folder = harness.OUTPUT / "field"
    try:
        for key in ("kakuma-open", "kakuma-long", "kakuma-form", "kakuma-posted", "kakuma-broken", "kakuma-consent",
                    "kakuma-badlink", "kakuma-mismatch", "kakuma-pause", "kakuma-revoked",
                    "kakuma-proxy", "kakuma-proxy-real", "kakuma-small", "kakuma-nowebcodecs", "kakuma-wifi", "kakuma-later",
                    "kakuma-proxy-badlink", "kakuma-proxy-reload"):
            world.new_request(key, "Kakuma", note="Film near the school, in the shade." if key == "kakuma-open" else None)
        world.new_request("shatila-1", "Shatila", languages="ar,en", text="ماذا تفعلون من أجل اللاجئين؟")
        with harness.chromium() as browser:
            step(checks, "camp scope", test_camp_scope, browser, world)
            step(checks, "a clip too long", test_too_long, browser, world)
            step(checks, "the form's questions", test_form_questions, browser, world)
            step(checks, "receipts to posted", test_receipts_to_posted, browser, world)
            step(checks, "film again", test_film_again, browser, world, folder)
            step(checks, "consent from a receipt", test_consent_from_receipt, browser, world)
            step(checks, "a bad link", test_bad_link, browser, world)
            step(checks, "whole-file mismatch", test_whole_file_mismatch, browser, world)
            step(checks, "pause, reload, cancel", test_pause_reload_cancel, browser, world)
            step(checks, "a revoked token", test_revoked_token, browser, world)
            step(checks, "a proxy made on the phone", test_proxy, browser, world)
            step(checks, "a proxy of a real clip", test_proxy_of_a_real_clip, browser, world)
            step(checks, "a small clip goes whole", test_small_clip_goes_whole, browser, world)
            step(checks, "no WebCodecs: the original as before", test_no_webcodecs, browser, world)
            step(checks, "the original later or on Wi-Fi", test_original_later, browser, world)
            step(checks, "a proxy over a bad link", test_proxy_bad_link, browser, world)
            step(checks, "a proxy cut by a reload", test_proxy_reload, browser, world)
            step(checks, "languages", test_languages, browser, world)
            step(checks, "language switch", test_language_switch, browser, world)
    finally:
        world.service.stop()
    return checks


if __name__ == "__main__":
    binary = sys.argv[1] if len(sys.argv) > 1 else str(harness.ROOT / ".build" / "debug" / "mediaorch")
    harness.finish([run(binary)])
