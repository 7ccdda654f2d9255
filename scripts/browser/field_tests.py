#!/usr/bin/env python3
"""Browser tests of the field page (/field), as a camp worker on a cheap phone would meet it:
390x844, the phone in English, Arabic or Swahili, a link that crawls at 64 kb/s and drops.

One `mediaorch watch` in a workspace of its own serves every test; each test opens its own
phone (a fresh browser context) and judges what the worker sees, and the server's side of it
(the archived original byte for byte, the receipts, the tus requests the page made).

Run alone:  PYTHONPATH=.build-python python3 scripts/browser/field_tests.py .build/debug/mediaorch
or through scripts/browser/run.py, which calls run(binary).
"""
import hashlib
import json
import os
import pathlib
import re
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

    def __init__(self, browser, world, token, locale="en-GB", sign_in=True):
        self.world = world
        self.context, self.page = harness.phone(browser, locale)
        self.page.set_default_timeout(30000)
        harness.serve_assets_from_disk(self.page)
        self.page.add_init_script(COUNT_SENT)
        self.requests = []
        self.errors = []
        self.page.on("request", lambda r: self.requests.append((r.method, r.url)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(world.service.url + "/field" + (f"#token={token}" if sign_in else ""))
        # Predicates are functions: the page's CSP forbids eval, which a string expression needs.
        self.page.wait_for_function("() => document.body.classList.contains('ready')")
        if sign_in:
            self.page.wait_for_selector("#home:not([hidden])")

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

    def send(self, request_id, clip, speaker="Amina", consent=True):
        self.choose_clip(request_id, clip)
        self.page.fill("#speaker", speaker)
        self.page.check(f"input[name=consent][value={'yes' if consent else 'no'}]")
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
    used -= {"state_", "reason_"}   # completed with the receipt's state or reason, below
    used |= {"state_" + s for s in ("sending", "received", "making", "ready", "posted", "film_again", "stopped")}
    used |= {"reason_" + r for r in ("too_long", "unreadable", "no_picture", "too_short", "other")}
    checks.check("every key the page names is in the catalogues", used <= english, f"missing {sorted(used - english)}")


def test_camp_scope(checks, browser, world):
    for token, camp, other in ((world.kakuma, "Kakuma", "Shatila"), (world.shatila, "Shatila", "Kakuma")):
        phone = Phone(browser, world, token)
        try:
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
    the upload is deleted and the request can be filmed again."""
    clip = MEDIA / "android6_h264_rot270_gps_vfr.mp4"
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
        checks.check("the upload record is kept on the phone", any(r.get("request") == request_id and r.get("url") for r in record.values()), f"{record}")
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
                    "kakuma-badlink", "kakuma-mismatch", "kakuma-pause", "kakuma-revoked"):
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
            step(checks, "languages", test_languages, browser, world)
            step(checks, "language switch", test_language_switch, browser, world)
    finally:
        world.service.stop()
    return checks


if __name__ == "__main__":
    binary = sys.argv[1] if len(sys.argv) > 1 else str(harness.ROOT / ".build" / "debug" / "mediaorch")
    harness.finish([run(binary)])
