#!/usr/bin/env python3
"""Browser tests of the command centre's board (the dashboard at /), as a night producer uses it
(GitHub issue 26, items 5–8, board side).

A workspace of its own with `mediaorch watch`, reply requests with deadlines (two still waiting for
a clip, three answered by clips dropped into the inbox: a reply with consent, one without, and a
broken clip that dies), then headless Chromium at a desk's size, signed in as a producer and as an
admin. It checks what the board shows (requests with their tweets and live deadlines, ready replies
first and by deadline, totals in plain words), that a reply without consent cannot be marked posted
(board and API) unless an admin gives a reason, the inline Posted form, forms that start clean for
each job, "Run again" only where it works and only after a confirmation, messages that survive the
live redraw, the panel as a proper dialog (focus in, Tab kept inside, Esc, focus back), touch
targets, names, and axe-core. Screenshots go to test-output/browser/screens/board/.

Run alone: PYTHONPATH=.build-python python3 scripts/browser/board_tests.py .build/debug/mediaorch
"""
import datetime
import json
import pathlib
import re
import shutil
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import harness  # noqa: E402

SUITE = "board"
BROKEN = bytes((i * 31) % 256 for i in range(2048))  # 2 KB that no demuxer accepts


# ---- the service side ------------------------------------------------------------------------
def deadline_in(minutes):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes_left(deadline):
    """Whole minutes until an ISO deadline, as the board counts them (rounded down)."""
    at = datetime.datetime.strptime(deadline, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int((at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() // 60)


def says_due(shown, deadline):
    """Whether a chip's "due in 1 h 5 min" is the time left to `deadline`, give or take the minute
    that may pass between reading the chip and the clock."""
    match = re.fullmatch(r"due in (?:(\d+) h)? ?(?:(\d+) min)?", shown or "")
    if not match or not any(match.groups()):
        return False
    shown_minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    return abs(shown_minutes - minutes_left(deadline)) <= 1


def drop(service, source, name, speaker, camp, consent, request, template="twitter-reply-fast"):
    """A clip and its ticket in the inbox, the way a field team's sync leaves them: the ticket
    first, the clip renamed into place whole (the source is read where it lies)."""
    inbox = service.workspace / "inbox"
    inbox.mkdir(exist_ok=True)
    ticket = {"template": template, "speaker": {"name": speaker, "camp": camp, "consent": consent}, "request": request}
    (inbox / f"{name.rsplit('.', 1)[0]}.job.json").write_text(json.dumps(ticket))
    hidden = inbox / f".{name}.part"
    if isinstance(source, bytes):
        hidden.write_bytes(source)
    else:
        shutil.copyfile(source, hidden)
    hidden.rename(inbox / name)


def call(service, token, method, path, body=None):
    """(status, JSON or text, headers) of one API call: harness.api without the headers cannot
    show the Mediaorch-Reason the board relies on."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(service.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None), dict(r.headers)
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return e.code, parsed, dict(e.headers)


def jobs_by_name(service, token):
    status, jobs = service.api(token, "GET", "/api/jobs?limit=200")
    return {j["source_name"]: j for j in jobs if not j["template"].startswith("bts-cut") and not j.get("parent_id")} if status == 200 else {}


def settled(service, token):
    """Every job finished (ready, posted, dead or called off): the board stops moving."""
    status, jobs = service.api(token, "GET", "/api/jobs?limit=200")
    return status == 200 and jobs and all(j["state"] not in ("queued", "running", "failed") for j in jobs)


# ---- the page side ---------------------------------------------------------------------------
def open_board(browser, service, token, errors, clock=False):
    context, page = harness.desk(browser)
    if clock:
        page.clock.install()
    harness.serve_assets_from_disk(page)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{service.url}/#token={token}")
    page.wait_for_function("() => document.getElementById('status').textContent === 'live'", timeout=20000)
    return context, page


def shot(page, name, full=True):
    """A screenshot into test-output/browser/screens/board/; the panel is shot as the screen shows
    it (it is fixed to the window), the board from top to bottom."""
    if full:
        return harness.screenshot(page, SUITE, name)
    folder = harness.OUTPUT / "screens" / SUITE
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))
    return folder / f"{name}.png"


def card(job_id):
    return f'article.job[data-job-id="{job_id}"]'


def request_card(request_id):
    return f'article.request[data-request-id="{request_id}"]'


def text(page, selector):
    node = page.query_selector(selector)
    return node.inner_text().strip() if node else None


def open_panel(page, job_id):
    """Opens a job's panel from its card with the keyboard, as a producer tabbing through would."""
    page.focus(f'{card(job_id)} button.open')
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('detail').open")
    page.wait_for_function(f"""() => {{ const a = document.querySelectorAll('#attempts li').length;
        return a > 0 && document.getElementById('detail-meta').textContent.includes({json.dumps(job_id)}); }}""", timeout=10000)


def close_panel(page):
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.getElementById('detail').open")


def focus_inside_panel(page):
    return page.evaluate("document.getElementById('detail').contains(document.activeElement)")


def small_targets(page, scope):
    """Visible buttons, links, fields and summaries under `scope` smaller than 44 px (checkboxes:
    their label is the target)."""
    return page.evaluate("""(scope) => [...document.querySelectorAll(scope)].flatMap(root =>
        [...root.querySelectorAll('button, a[href], input:not([type=checkbox]), select, textarea, summary')])
        .filter(n => n.offsetParent !== null)
        .map(n => { const r = n.getBoundingClientRect(); return {name: n.id || n.className || n.textContent.trim().slice(0, 30), w: r.width, h: r.height}; })
        .filter(r => r.h < 44 || r.w < 44)""", scope)


def duplicate_names(page, scope):
    """Buttons and links under `scope` whose accessible name another one has too."""
    return page.evaluate("""(scope) => {
        const names = [...document.querySelectorAll(scope)].flatMap(root => [...root.querySelectorAll('button, a[href]')])
          .filter(n => n.offsetParent !== null)
          .map(n => (n.getAttribute('aria-label') || n.textContent).trim());
        return names.filter((n, i) => names.indexOf(n) !== i); }""", scope)


def unlabelled_fields(page):
    return page.evaluate("""[...document.querySelectorAll('input, textarea, select')].filter(n => n.offsetParent !== null)
        .filter(n => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.getAttribute('aria-labelledby'))
        .map(n => n.id)""")


def no_dir_auto(page):
    """Text a person wrote, shown without dir="auto"."""
    return page.evaluate("""[...document.querySelectorAll('.tweet, .handle, .speaker, .file, .note-text, #detail-tweet, #detail-title')]
        .filter(n => n.getAttribute('dir') !== 'auto').map(n => n.className || n.id)""")


def run(binary):
    checks = harness.Checks(SUITE)
    service = harness.Service(binary, "board")
    errors = []
    try:
        with harness.chromium() as browser:
            scenario(service, browser, checks, errors)
    finally:
        service.stop()
    checks.check("no script errors on the page", not errors, "; ".join(errors[:5]))
    return checks


def scenario(service, browser, c, errors):
    producer = service.token("producer", "night producer")
    try:
        admin = service.token("admin", "duty admin")
    except RuntimeError as e:
        admin = None
        c.check("an admin token can be made (tokens add --role admin)", False, str(e))

    # Requests, oldest first: the one answered without consent is asked before the one with
    # consent but is due later, so "by deadline" and "by when asked" disagree.
    deadlines = {"late": deadline_in(180), "soon": deadline_in(40), "waiting": deadline_in(20), "later": deadline_in(240)}
    rq_late = service.request("https://x.com/layla_watch/status/1870000000000000101", "Who helps the families in Shatila this winter?",
                              "Shatila", deadline=deadlines["late"])
    rq_soon = service.request("https://x.com/sarabashiri/status/1870000000000000102", "Kakuma needs more than thoughts and prayers.",
                              "Kakuma", deadline=deadlines["soon"])
    rq_broken = service.request("https://x.com/omar_reports/status/1870000000000000103", "What is school like in the camp?",
                                "Kakuma", deadline=deadline_in(120))
    arabic = "لماذا لا يتحدث أحد عن مخيم كاكوما؟"
    rq_waiting = service.request("https://x.com/amina_k/status/1870000000000000104", arabic, "Kakuma", languages="ar,en",
                                 deadline=deadlines["waiting"])
    rq_later = service.request("https://x.com/hope4camps/status/1870000000000000105", "Thank you Shatila for the stories.",
                               "Shatila", deadline=deadlines["later"], note="Film near the school, not the clinic.")
    drop(service, harness.SAMPLES / "shatila_landscape.mp4", "layla.mp4", "Layla", "Shatila", False, rq_late)
    drop(service, harness.SAMPLES / "kakuma_portrait.mov", "abu.mov", "Abu", "Kakuma", True, rq_soon, template="twitter-reply")
    drop(service, BROKEN, "broken.mp4", "Omar", "Kakuma", True, rq_broken)
    service.wait("the replies made and the broken clip dead", lambda: settled(service, producer) and len(jobs_by_name(service, producer)) >= 3)
    jobs = jobs_by_name(service, producer)
    consented, unconsented, dead = jobs["abu.mov"]["id"], jobs["layla.mp4"]["id"], jobs["broken.mp4"]["id"]
    c.check("the service made both replies and the broken clip died",
            jobs["abu.mov"]["state"] == "succeeded" and jobs["layla.mp4"]["state"] == "succeeded" and jobs["broken.mp4"]["state"] == "dead",
            {k: v["state"] for k, v in jobs.items()})

    context, page = open_board(browser, service, producer, errors)
    first_look(page, c, deadlines, rq_waiting, rq_later, rq_broken, consented, unconsented, dead, arabic)
    due_seen_at, due_first = time.time(), text(page, f"{request_card(rq_waiting)} .due")
    accessibility(page, c, "board")
    dialog_focus(page, c, consented)
    posted_form(page, service, c, producer, consented, unconsented)
    run_again(page, service, c, producer, dead)
    consent_refused(page, service, c, producer, unconsented)
    long_address(page, c, consented)
    # The deadline counts down by itself (a minute's step at this distance).
    page.wait_for_timeout(max(0, 62 - (time.time() - due_seen_at)) * 1000)
    due_later = text(page, f"{request_card(rq_waiting)} .due")
    minutes = lambda t: int(re.search(r"(\d+) min", t or "0 min").group(1))
    c.check("'due in …' counts down live", due_first != due_later and minutes(due_later) < minutes(due_first), f"{due_first} then {due_later}")
    context.close()

    if admin:
        context, page = open_board(browser, service, admin, errors)
        admin_override(page, service, c, admin, producer, unconsented, rq_late)
        context.close()
    overdue(browser, service, c, producer, rq_waiting, errors)
    from_proxy(browser, service, c, producer, errors)


def first_look(page, c, deadlines, rq_waiting, rq_later, rq_broken, consented, unconsented, dead, arabic):
    page.wait_for_selector(card(consented))
    page.wait_for_selector(request_card(rq_waiting))
    shot(page, "board")

    # 5. The requests lane: the tweet, its link, the handle, the camp, a live deadline.
    waiting = request_card(rq_waiting)
    c.check("the requests lane shows the tweet's text", text(page, f"{waiting} .tweet") == arabic, text(page, f"{waiting} .tweet"))
    link = page.get_attribute(f"{waiting} a.tweet-link", "href")
    c.check("the requests lane links to the tweet", link == "https://x.com/amina_k/status/1870000000000000104", link)
    c.check("the requests lane shows handle and camp", "@amina_k" in (text(page, f"{waiting} .who") or "") and "Kakuma" in (text(page, f"{waiting} .who") or ""),
            text(page, f"{waiting} .who"))
    due = text(page, f"{waiting} .due")
    c.check("a request due in 20 min says how long is left, in red", says_due(due, deadlines["waiting"]) and
            "soon" in page.get_attribute(f"{waiting} .due", "class"), f"{due} {page.get_attribute(f'{waiting} .due', 'class')}")
    later_due = text(page, f"{request_card(rq_later)} .due")
    c.check("a request due in 4 h says so, not in red", says_due(later_due, deadlines["later"]) and later_due.startswith("due in 3 h") and
            "later" in page.get_attribute(f"{request_card(rq_later)} .due", "class"), later_due)
    c.check("a request's note is shown", "Film near the school" in (text(page, request_card(rq_later)) or ""))
    broken_text = text(page, request_card(rq_broken)) or ""
    c.check("a request whose clip could not be used waits for a new clip ('Film again')", "Film again" in broken_text, broken_text)
    c.check("text people wrote has dir=auto", not no_dir_auto(page), no_dir_auto(page))

    # Ready replies: first on the page, soonest deadline first, with their deadline.
    order = page.evaluate("[...document.querySelectorAll('#board .lane')].map(s => s.dataset.lane)")
    c.check("'Ready to post' is the first lane", order[:1] == ["ready"], order)
    tops = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#board .lane')].filter(s => s.offsetParent)
        .map(s => [s.dataset.lane, s.getBoundingClientRect().top]))""")
    c.check("'Ready to post' is at the top of the board", all(tops["ready"] <= top for top in tops.values()), tops)
    ready = page.evaluate("[...document.querySelectorAll('#lane-ready article.job')].map(a => a.dataset.jobId)")
    c.check("ready replies are sorted by their request's deadline", ready == [consented, unconsented], ready)
    c.check("a ready reply shows its deadline, not when it was asked",
            says_due(text(page, f"{card(consented)} .due"), deadlines["soon"]) and "asked" not in text(page, card(consented)),
            text(page, card(consented)))
    c.check("a ready reply shows its tweet", "Kakuma needs more" in (text(page, f"{card(consented)} .tweet") or ""))

    counts = text(page, "#counts")
    c.check("the totals are in plain words",
            counts == "2 ready to post · 0 being made · 1 could not be made · 3 requests waiting for a clip", counts)
    c.check("no internal state words on the board", not re.search(r"\b(succeeded|dead|queued)\b", page.inner_text("#board")),
            re.findall(r"\b(succeeded|dead|queued)\b", page.inner_text("#board")))
    making = page.evaluate("(() => { const s = document.getElementById('lane-making'); return [s.classList.contains('empty'), s.getBoundingClientRect().height]; })()")
    c.check("an empty lane folds to one line", making[0] and making[1] < 110, making)
    history = page.evaluate("[...document.querySelectorAll('#history details')].map(d => d.open)")
    c.check("posted, cuts and called-off work is folded away", history == [False, False, False], history)

    # 6. No consent: a banner, and nothing that marks it posted.
    banner = text(page, f"{card(unconsented)} .consent-banner")
    c.check("a reply without consent says 'Do not post: no consent' on its card", banner == "Do not post: no consent", banner)
    c.check("a reply without consent offers no posting", not page.query_selector(f"{card(unconsented)} button.primary, {card(unconsented)} button.post")
            and "post" not in (text(page, f"{card(unconsented)} .actions") or "").lower(), text(page, f"{card(unconsented)} .actions"))
    # 7. Run again only where it can work.
    c.check("no 'Run again' on ready replies", not page.query_selector(f"{card(consented)} button.retry, {card(unconsented)} button.retry"))
    c.check("'Run again…' on the reply that could not be made", text(page, f"{card(dead)} button.retry") == "Run again…")
    c.check("the reason a job died is on its card", "broken.mp4" in (text(page, f"{card(dead)} .reason") or ""), text(page, f"{card(dead)} .reason"))
    name = page.get_attribute(f"{card(consented)} button.open", "aria-label")
    c.check("buttons say whose reply they open", name == "Open reply for @sarabashiri", name)


def accessibility(page, c, where):
    violations = harness.axe_violations(page)
    c.check(f"axe: no serious or critical violations ({where})", not violations, violations)
    scope = "#detail" if where.startswith("panel") else "header, #board"
    small = small_targets(page, scope)
    c.check(f"touch targets at least 44 px ({where})", not small, small[:6])
    dupes = duplicate_names(page, scope)
    c.check(f"every button and link has a name of its own ({where})", not dupes, dupes[:6])
    c.check(f"every visible field has a label ({where})", not unlabelled_fields(page), unlabelled_fields(page))


def dialog_focus(page, c, job_id):
    open_panel(page, job_id)
    c.check("opening the panel moves focus into it", focus_inside_panel(page), page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
    page.wait_for_function("() => (() => { const v = document.getElementById('player'); return !v.hidden && v.readyState >= 1; })()", timeout=15000)
    inside = []
    for _ in range(30):
        page.keyboard.press("Tab")
        inside.append(focus_inside_panel(page))
    page.keyboard.press("Shift+Tab")
    inside.append(focus_inside_panel(page))
    c.check("Tab keeps focus inside the open panel", all(inside), inside)
    for _ in range(10):  # to a button: the video's own controls draw their focus themselves
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
        page.keyboard.press("Tab")
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.textContent, s.outlineStyle, s.outlineWidth]; })()")
    c.check("the focused button shows a visible focus ring", ring[1] != "none" and float(ring[2].rstrip("px") or 0) >= 2, ring)
    c.check("the panel shows the tweet, the player, the post text and the Posted form together",
            page.is_visible("#detail-tweet") and page.is_visible("#player") and page.is_visible("#post-text") and page.is_visible("#posted-url"))
    c.check("no 'Run again' in the panel of a ready reply", not page.query_selector("#detail-actions button.retry") and page.is_hidden("#retry-form"))
    shot(page, "panel-ready", full=False)
    accessibility(page, c, "panel open")
    close_panel(page)
    back = page.evaluate("document.activeElement.getAttribute('data-key')")
    c.check("Esc closes the panel and focus returns to the card that opened it", back == f"open:{job_id}", back)


def posted_form(page, service, c, producer, consented, unconsented):
    # 7. Forms start clean for each job: fill everything on one reply...
    open_panel(page, consented)
    page.fill("#cut-start", "1")
    page.fill("#cut-end", "3")
    page.check("#cut-captions")
    page.click("#cut-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('cut-result').textContent.startsWith('Queued as')")
    bad = "https://example.com/not-a-reply"
    page.fill("#posted-url", bad)
    page.click("#posted-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('posted-error').classList.contains('error')")
    error = text(page, "#posted-error")
    c.check("a bad address is refused with the reason beside the field", "not accepted" in error and "example.com" in error, error)
    c.check("the typed address is kept after the error", page.input_value("#posted-url") == bad, page.input_value("#posted-url"))
    c.check("the refused field is marked invalid", page.get_attribute("#posted-url", "aria-invalid") == "true")
    shot(page, "panel-posted-error", full=False)
    # A live redraw (as every event causes) keeps both the message and the typed text.
    page.evaluate("renderAll(); renderDetail();")
    c.check("the error and the typed address survive a live redraw", text(page, "#posted-error") == error and page.input_value("#posted-url") == bad)
    close_panel(page)

    # ...then another reply shows none of it.
    open_panel(page, unconsented)
    fields = page.evaluate("""({start: document.getElementById('cut-start').value, end: document.getElementById('cut-end').value,
        captions: document.getElementById('cut-captions').checked, result: document.getElementById('cut-result').textContent,
        url: document.getElementById('posted-url').value, error: document.getElementById('posted-error').textContent})""")
    c.check("another job's panel starts with clean forms", fields == {"start": "0", "end": "", "captions": False, "result": "", "url": "", "error": ""}, fields)
    c.check("the panel of a reply without consent says 'Do not post: no consent'",
            page.is_visible("#detail-consent") and "Do not post: no consent" in text(page, "#detail-consent"))
    c.check("a producer gets no Posted form for a reply without consent", page.is_hidden("#posted-form") and page.is_hidden("#override"))
    shot(page, "panel-no-consent", full=False)
    close_panel(page)

    # The same reply again starts clean too; then it is posted for real.
    open_panel(page, consented)
    c.check("reopening a job starts clean", page.input_value("#posted-url") == "" and text(page, "#posted-error") == "" and text(page, "#cut-result") == "")
    url = "https://x.com/commandcentre/status/1870000000000000042"
    page.fill("#posted-url", url + "?s=20")
    page.click("#posted-form button[type=submit]")
    page.wait_for_function("() => !document.getElementById('posted-info').hidden")
    c.check("the Posted form records the reply", text(page, "#detail-note") == "Recorded as posted." and url in text(page, "#posted-info"),
            text(page, "#detail-note"))
    status, job = service.api(producer, "GET", f"/api/jobs/{consented}")
    c.check("the store has the posted address and who posted", job["job"]["posted_url"] == url and job["job"]["posted_by"] == "night producer",
            {k: job["job"].get(k) for k in ("posted_url", "posted_by")})
    c.check("no 'Run again' on a posted reply (panel)", not page.query_selector("#detail-actions button.retry"))
    shot(page, "panel-posted", full=False)
    close_panel(page)
    page.click("#lane-posted summary")
    c.check("the posted reply moved to Posted", page.query_selector(f"#lane-posted {card(consented)}") is not None)
    c.check("no 'Run again' on a posted reply (card)", not page.query_selector(f"{card(consented)} button.retry"))


def run_again(page, service, c, producer, dead):
    attempts = service.api(producer, "GET", f"/api/jobs/{dead}")[1]["job"]["attempts"]
    page.click(f"{card(dead)} button.retry")
    page.wait_for_selector(f"{card(dead)} .confirm")
    c.check("'Run again' asks first", "again from the start" in text(page, f"{card(dead)} .confirm")
            and page.evaluate("document.activeElement.textContent") == "Yes, run it again")
    shot(page, "run-again-confirm")
    page.evaluate("renderAll()")
    c.check("the question survives a live redraw", page.query_selector(f"{card(dead)} .confirm") is not None)
    page.click(f"{card(dead)} button.no")
    still = service.api(producer, "GET", f"/api/jobs/{dead}")[1]["job"]
    c.check("'No' leaves the job alone", still["state"] == "dead" and still["attempts"] == attempts and
            text(page, f"{card(dead)} button.retry") == "Run again…")
    page.click(f"{card(dead)} button.retry")
    page.click(f"{card(dead)} button.retry.yes")
    page.wait_for_selector(f"{card(dead)} .note")
    c.check("'Yes' queues it again and says so on the card", "Queued again" in text(page, f"{card(dead)} .note"), text(page, f"{card(dead)} .note"))
    service.wait("the retried clip to die again", lambda: (lambda j: j["state"] == "dead" and j["attempts"] > attempts)(
        service.api(producer, "GET", f"/api/jobs/{dead}")[1]["job"]), timeout=60)
    page.wait_for_function(f"() => document.querySelector('{card(dead)}').dataset.state === 'dead'")
    page.evaluate("renderAll()")
    c.check("the 'Queued again' message survives the live redraws that followed", "Queued again" in (text(page, f"{card(dead)} .note") or ""))
    # While a retry renders, the last attempt's error is history: not shown.
    job = service.api(producer, "GET", f"/api/jobs/{dead}")[1]["job"]
    for state in ("queued", "running"):
        fake = dict(job, state=state, updated_at=time.time())
        page.evaluate("(job) => handleEvent('event: job\\ndata: ' + JSON.stringify(job))", fake)
        c.check(f"an old error is not shown while the job is {state}", page.query_selector(f"{card(dead)} .reason") is None)
    page.evaluate("(job) => handleEvent('event: job\\ndata: ' + JSON.stringify(job))", job)
    c.check("the error is back once the job is dead again", page.query_selector(f"{card(dead)} .reason") is not None)


def consent_refused(page, service, c, producer, unconsented):
    status, body, headers = call(service, producer, "POST", f"/api/jobs/{unconsented}/posted", {"url": "https://x.com/commandcentre/status/1870000000000000043"})
    c.check("the API refuses to mark a reply without consent posted (409 no-consent)",
            status == 409 and headers.get("Mediaorch-Reason") == "no-consent", (status, headers.get("Mediaorch-Reason"), body))
    status, body, _ = call(service, producer, "POST", f"/api/jobs/{unconsented}/posted",
                           {"url": "https://x.com/commandcentre/status/1870000000000000043", "consent_override": "a producer should not be able to"})
    c.check("a producer's consent override is refused (403)", status == 403, (status, body))
    # A board that believes consent was given (stale, or consent withdrawn meanwhile): the
    # server's refusal is said plainly beside the field.
    def consent_given(route):
        response = route.fetch()
        detail = response.json()
        detail["job"]["consent"] = True
        route.fulfill(response=response, json=detail)
    page.route(f"**/api/jobs/{unconsented}", consent_given)
    open_panel(page, unconsented)
    page.fill("#posted-url", "https://x.com/commandcentre/status/1870000000000000043")
    page.click("#posted-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('posted-error').classList.contains('error')")
    said = text(page, "#posted-error")
    c.check("the server's 409 no-consent is said plainly", said.startswith("Not recorded: the server has no consent") and "must not be on X" in said, said)
    close_panel(page)
    page.unroute(f"**/api/jobs/{unconsented}")
    page.reload()
    page.wait_for_function("() => document.getElementById('status').textContent === 'live'")


def long_address(page, c, job_id):
    """A posted address longer than its column is cut with an ellipsis, not run out of it."""
    job = page.evaluate(f"jobs.get({json.dumps(job_id)})")
    fake = dict(job, posted_url="https://x.com/commandcentre/status/1870000000000000042?" + "s=20&t=" + "x" * 300)
    page.evaluate("(job) => handleEvent('event: job\\ndata: ' + JSON.stringify(job))", fake)
    if not page.evaluate("document.getElementById('lane-posted').open"):
        page.click("#lane-posted summary")
    inside = page.evaluate(f"""(() => {{ const a = document.querySelector('{card(job_id)} a.posted-link');
        const box = document.querySelector('{card(job_id)}').getBoundingClientRect(), r = a.getBoundingClientRect();
        return r.right <= box.right + 0.5 && getComputedStyle(a).textOverflow === 'ellipsis'; }})()""")
    c.check("a long posted address stays inside its card", inside)
    shot(page, "posted-lane")
    page.evaluate("(job) => handleEvent('event: job\\ndata: ' + JSON.stringify(job))", job)


def admin_override(page, service, c, admin, producer, unconsented, request_id):
    open_panel(page, unconsented)
    c.check("an admin sees the no-consent banner and 'Post without consent…', not the Posted form",
            page.is_visible("#detail-consent") and page.is_visible("#override-toggle") and page.is_hidden("#posted-form"))
    page.click("#override-toggle")
    c.check("the override form opens with focus on the reason", page.evaluate("document.activeElement.id") == "override-reason")
    page.fill("#override-url", "https://x.com/commandcentre/status/1870000000000000044")
    page.click("#override-form button[type=submit]")
    c.check("the override needs a written reason", "at least 10 characters" in (text(page, "#override-error") or "") and
            page.get_attribute("#override-reason", "aria-invalid") == "true", text(page, "#override-error"))
    shot(page, "admin-override", full=False)
    accessibility(page, c, "panel, admin override")
    reason = "Layla confirmed consent by phone to the duty admin at 02:10."
    page.fill("#override-reason", reason)
    page.click("#override-form button[type=submit]")
    page.wait_for_function("() => !document.getElementById('posted-info').hidden")
    c.check("the panel says it was posted without recorded consent, by whom and why",
            "duty admin" in text(page, "#detail-override") and reason in text(page, "#detail-override"), text(page, "#detail-override"))
    job = service.api(producer, "GET", f"/api/jobs/{unconsented}")[1]["job"]
    recorded = job.get("consent_override") or {"by": job.get("consent_override_by"), "reason": job.get("consent_override_reason")}
    c.check("the job keeps the override and its reason", job.get("posted_url") and recorded == {"by": "duty admin", "reason": reason}, recorded)
    status, request = service.api(producer, "GET", f"/api/requests/{request_id}")
    c.check("the request keeps the override and its reason", request.get("state") == "posted" and request.get("consent_override_by") == "duty admin"
            and request.get("consent_override_reason") == reason, {k: request.get(k) for k in ("state", "consent_override_by", "consent_override_reason")})
    shot(page, "admin-override-posted", full=False)
    close_panel(page)
    page.click("#lane-posted summary")
    c.check("the Posted card says consent was overridden", "without recorded consent" in (text(page, card(unconsented)) or ""))


def overdue(browser, service, c, producer, rq_waiting, errors):
    """Half an hour later on the page's clock: the request due in 20 min is overdue, in words."""
    context, page = open_board(browser, service, producer, errors, clock=True)
    page.wait_for_selector(request_card(rq_waiting))
    page.clock.fast_forward("30:00")
    page.wait_for_function(f"() => document.querySelector('{request_card(rq_waiting)} .due').textContent.startsWith('overdue by')")
    due = text(page, f"{request_card(rq_waiting)} .due")
    c.check("past its deadline a request says 'overdue by …', in red", bool(re.fullmatch(r"overdue by \d+ min", due)) and
            "overdue" in page.get_attribute(f"{request_card(rq_waiting)} .due", "class"), due)
    page.evaluate("renderAll()")
    c.check("the totals count overdue requests", "(1 overdue)" in text(page, "#counts"), text(page, "#counts"))
    shot(page, "overdue")
    context.close()


# ---- a reply made from the phone's proxy -----------------------------------------------------
def tus_send(service, token, data, metadata, deferred):
    """One whole tus upload, as the field page sends it: a proxy with its length deferred and told
    with its last bytes, or a clip of known length. Returns the PATCH's status."""
    import base64
    meta = ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in metadata.items())
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", "Upload-Metadata": meta}
    headers.update({"Upload-Defer-Length": "1"} if deferred else {"Upload-Length": str(len(data))})
    with urllib.request.urlopen(urllib.request.Request(service.url + "/api/tus/", method="POST", headers=headers), timeout=30) as r:
        location = r.headers["Location"]
    patch = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
             "Upload-Offset": "0"}
    if deferred:
        patch["Upload-Length"] = str(len(data))
    with urllib.request.urlopen(urllib.request.Request(service.url + location, data=data, method="PATCH", headers=patch), timeout=60) as r:
        return r.status


def from_proxy(browser, service, c, producer, errors):
    """A reply made from a phone's proxy: the card says so and whether the original is in; once it
    is, 'Make again from the original…' asks first, then makes a new reply the request follows."""
    import subprocess
    field = service.token("uploader", "kakuma phone", camp="Kakuma")
    rq = service.request("https://x.com/nadia_w/status/1870000000000000106", "Is there enough water in Kakuma?", "Kakuma",
                         deadline=deadline_in(90))
    # A camera file of its own: the same bytes as a clip already in would be that clip's job.
    original = harness.OUTPUT / "board" / "nadia-camera.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(harness.SAMPLES / "kakuma_portrait.mov"),
                    "-c:v", "libx264", "-b:v", "6M", "-c:a", "aac", str(original)], check=True)
    proxy = harness.OUTPUT / "board" / "nadia-proxy.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(original), "-vf", "scale=720:-2", "-c:v", "libx264",
                    "-b:v", "3M", "-g", "60", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", str(proxy)], check=True)
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0",
                                    str(proxy)], capture_output=True, text=True).stdout.strip() or "0") or 5.0
    clip = "b0ard0123456789abcdef0123456789a"
    base = {"request": rq, "speaker": "Nadia", "consent": "true", "clip_id": clip}
    c.check("a proxy with its length deferred is taken whole",
            tus_send(service, field, proxy.read_bytes(), dict(base, filename="nadia-proxy.mp4", clip_role="proxy", duration=f"{seconds:.3f}"), True) == 204)
    reply = service.wait("the proxy's reply", lambda: (lambda r: r.get("job_id") if r.get("state") == "ready" else None)(
        service.api(producer, "GET", f"/api/requests/{rq}")[1] or {}), timeout=180)
    context, page = open_board(browser, service, producer, errors)
    page.wait_for_selector(card(reply))
    meta = text(page, f"{card(reply)} .meta")
    c.check("the card says the reply is from the phone's proxy, its original not in yet", "from the phone's proxy · original not in yet" in meta, meta)
    open_panel(page, reply)
    c.check("no 'Make again from the original' before the original is in", page.query_selector("#detail-actions button.remake") is None)
    close_panel(page)

    c.check("the original follows under the same clip id",
            tus_send(service, field, original.read_bytes(), dict(base, filename="IMG_0042.mp4", clip_role="original"), False) == 204)
    cut = service.wait("the editors' cut from the original", lambda: next((j for j in service.api(producer, "GET", "/api/jobs")[1]
                                                                             if j.get("parent_id") == reply and j["state"] == "succeeded"), None), timeout=180)
    c.check("the editors' cut is made from the original's bytes", cut.get("made_from") == "original", cut)
    page.wait_for_function(f"() => (document.querySelector('{card(reply)} .meta') || {{}}).textContent.includes('original in')", timeout=30000)
    shot(page, "proxy-reply-original-in")
    open_panel(page, reply)
    page.click("#detail-actions button.remake")
    page.wait_for_selector("#detail-actions .confirm")
    c.check("'Make again from the original' asks first", "camera's original" in text(page, "#detail-actions .confirm"))
    shot(page, "proxy-remake-confirm", full=False)
    page.click("#detail-actions button.remake.yes")
    page.wait_for_selector("#detail-note:not(:empty)")
    c.check("it says the reply is being made again", "made again from the original" in text(page, "#detail-note"), text(page, "#detail-note"))
    followed = service.api(producer, "GET", f"/api/requests/{rq}")[1]
    c.check("the request follows the new reply", followed.get("job_id") not in (None, reply), followed)
    close_panel(page)
    context.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: board_tests.py MEDIAORCH_BINARY")
    harness.finish([run(sys.argv[1])])
