#!/usr/bin/env python3
"""Drives headless Chromium through the field page at a phone's size, as a camp's team would,
and prints what it saw as one JSON object.

Usage: field-page-check.py BASE_URL TOKEN CLIP SCREENSHOT_FOLDER

Signs in with a field token, lists the camp's requests, films a reply to the first (chooses
CLIP, names the speaker, ticks consent), sends it over a link slowed to a phone's upload speed,
reloads the page a quarter of the way through, chooses the same clip again and lets it carry
on to the end. Screenshots of each step go to SCREENSHOT_FOLDER. The test that runs it makes
the judgements (and checks the archived original byte for byte).
"""
import importlib.util, json, os, sys, time

spec = importlib.util.spec_from_file_location("dashboard_check", os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard-check.py"))
dashboard_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dashboard_check)
Chromium, until = dashboard_check.Chromium, dashboard_check.until

WIDTH, HEIGHT = 390, 844
CARDS = "JSON.stringify([...document.querySelectorAll('#request-list article.request')].map(a => ({id: a.dataset.requestId, camp: a.dataset.camp, text: a.querySelector('.tweet').textContent})))"
WIDE = "document.documentElement.scrollWidth"


def main():
    base, token, clip, folder = sys.argv[1:5]
    os.makedirs(folder, exist_ok=True)
    out = {"widths": {}}
    browser = Chromium(width=WIDTH, height=HEIGHT)
    try:
        browser.open("about:blank")
        browser.send("Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True})
        browser.send("Network.enable")
        # A phone's upload on a camp's mobile link: about 4 Mbit/s.
        browser.send("Network.emulateNetworkConditions", {"offline": False, "latency": 40, "downloadThroughput": -1,
                                                          "uploadThroughput": 500 * 1024})
        browser.send("Page.navigate", {"url": f"{base}/field#token={token}"})
        cards = until(lambda: (lambda c: c if c else None)(json.loads(browser.evaluate(CARDS) if browser.evaluate("!!document.getElementById('request-list')") else "[]")), 30)
        out["requests"] = cards or []
        out["who"] = browser.evaluate("document.getElementById('who').textContent")
        out["token_in_address"] = browser.evaluate("location.href").find("token=") >= 0
        out["widths"]["list"] = browser.evaluate(WIDE)
        browser.screenshot(os.path.join(folder, "1-requests.png"))
        if not cards:
            return out
        browser.evaluate("document.querySelector('#request-list button.film').click()")
        until(lambda: browser.evaluate("!document.getElementById('film').hidden"), 10)
        browser.set_files("#clip", [os.path.abspath(clip)])
        browser.evaluate("document.getElementById('speaker').value = 'Abu Omar'; document.getElementById('consent').checked = true")
        out["widths"]["form"] = browser.evaluate(WIDE)
        browser.screenshot(os.path.join(folder, "2-film.png"))
        browser.evaluate("document.querySelector('#film-form button[type=submit]').click()")
        fraction = lambda: float(browser.evaluate("(document.getElementById('sending-bar').dataset.fraction) || '0'"))
        out["before_reload"] = until(lambda: (lambda f: f if f >= 0.25 else None)(fraction()), 120)
        out["figures"] = browser.evaluate("document.getElementById('sending-figures').textContent")
        out["widths"]["sending"] = browser.evaluate(WIDE)
        browser.screenshot(os.path.join(folder, "3-sending.png"))

        # The page is reloaded mid-upload (the phone closed the tab, the battery saver killed it).
        browser.send("Page.reload", {"ignoreCache": True})
        shown = until(lambda: browser.evaluate("!!document.getElementById('unfinished') && !document.getElementById('unfinished').hidden"), 30)
        out["unfinished_after_reload"] = bool(shown)
        out["unfinished_text"] = browser.evaluate("document.getElementById('unfinished-list').textContent") if shown else ""
        browser.screenshot(os.path.join(folder, "4-after-reload.png"))
        if not shown:
            return out
        browser.set_files(".pending input.resume", [os.path.abspath(clip)])
        out["resumed"] = until(lambda: (lambda t: t if "Carrying on from" in t else None)(
            browser.evaluate("document.getElementById('sending-status').textContent")), 30)
        # Full speed for the rest: the point was made.
        browser.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        out["final"] = until(lambda: (lambda s: s if s.get("done") or s.get("failed") else None)(
            browser.evaluate("JSON.stringify(Object.assign({text: document.getElementById('sending-status').textContent}, document.getElementById('sending-status').dataset))") and
            json.loads(browser.evaluate("JSON.stringify(Object.assign({text: document.getElementById('sending-status').textContent}, document.getElementById('sending-status').dataset))"))), 180)
        out["left_in_storage"] = browser.evaluate("localStorage.getItem('mediaorch.field.uploads')")
        out["widths"]["sent"] = browser.evaluate(WIDE)
        browser.screenshot(os.path.join(folder, "5-sent.png"))
        return out
    finally:
        browser.close()
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
