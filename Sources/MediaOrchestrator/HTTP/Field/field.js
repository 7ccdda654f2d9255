// The field page: a camp worker's phone lists the requests her camp has to film, checks a clip
// on the phone before a single byte is sent, sends it through tus over whatever link there is,
// and shows what became of every clip the camp sent ("My sent clips").
//
// Where the browser can (WebCodecs), the phone first makes a proxy of the clip (fitted to the
// reply's frame, about 3 Mb/s, fragmented MP4) with Mediabunny, loaded only then, and sends it
// through tus while it is being made; the original follows for the editors, now, later or on
// Wi-Fi, as the worker chose. Where it cannot, the original goes alone, as it always did.
//
// Written for a cheap phone on a link that crawls (64 kb/s) and drops:
//  - every word comes from /field/lang/<code>.json (English, Arabic right to left, Swahili);
//  - the original's SHA-256 is computed here, in pieces, and sent once as metadata, so its
//    chunks need no checksum of their own and every byte that arrived before a drop is kept;
//    a proxy's bytes are not known up front, so each of its chunks carries its own checksum;
//  - chunks grow and shrink with the measured speed; a chunk with no progress for 30 s is
//    abandoned and HEAD says where to carry on (no fixed timeout: a slow link is not a dead one);
//  - the upload's address is kept in localStorage under the clip's fingerprint, so after a
//    reload, a lost token or a flat battery the same clip carries on where it stopped.
// Text that people wrote (tweets, notes, names, file names) is set as text, never as HTML, and
// marked dir="auto" so Arabic and English each read in their own direction.
"use strict";

const TOKEN_KEY = "mediaorch.field.token";
const UPLOADS_KEY = "mediaorch.field.uploads";
const LANG_KEY = "mediaorch.field.lang";
const CATALOGUE_KEY = "mediaorch.field.catalogue.";   // + code: the last catalogue, for a visit with no signal
const ORIGINALS_KEY = "mediaorch.field.originals";    // clip id → an original still to send after its proxy
const ORIGINAL_WHEN_KEY = "mediaorch.field.original-when";   // now | later | wifi: the worker's last choice

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
const MAX_BYTES = 4 * GiB;             // the server's ceiling for one clip
const MAX_SECONDS = 140;               // X's longest video; a longer clip would fail at render
const CLIP_EXTENSIONS = ["mp4", "mov", "m4v", "3gp", "3g2", "mkv", "webm", "avi", "mts", "m2ts", "ts"];
const EXTENSION_OF_TYPE = { "video/mp4": "mp4", "video/quicktime": "mov", "video/3gpp": "3gp", "video/3gpp2": "3g2",
                            "video/webm": "webm", "video/x-matroska": "mkv", "video/x-msvideo": "avi", "video/mp2t": "ts" };
const CHUNK_START = 64 * KiB;          // small enough to get through on the worst link, then it adapts
const CHUNK_MIN = 16 * KiB;
const CHUNK_MAX = 8 * MiB;
const CHUNK_AIM_SECONDS = 15;          // long enough to be efficient, short enough to lose little to a drop
const STALL_MS = 30000;                // no upload progress for this long: the chunk is given up
const ANSWER_MS = 120000;              // all bytes sent, no answer: the server may be hashing a big clip
const RETRY_SECONDS = [1, 2, 4, 8, 15, 30];
const REFRESH_MS = 30000;
const HASH_PIECE = 2 * MiB;

// The proxy: what the server renders the reply from while the original follows.
const MEDIABUNNY = "/field/vendor/mediabunny.mjs";
const PROXY_VIDEO_BITRATE = 3_000_000;
const PROXY_AUDIO_BITRATE = 128_000;
const PROXY_KEY_FRAME_SECONDS = 2;     // the reply's GOP: the server can cut anywhere on a 2 s grid
const PROXY_WORTH = 0.9;               // a proxy not clearly smaller than the clip is not made: the clip goes as it is
const PROXY_WRITE_CHUNK = 64 * KiB;    // Mediabunny hands the made bytes over in pieces of this size
const PROXY_MEMORY = 64 * MiB;         // made but not yet acknowledged: beyond this the conversion waits

const $ = (id) => document.getElementById(id);

// ==== words: catalogues, formatting ===========================================================

let ui = { code: "en", dir: "ltr", strings: {} };
let languages = [{ code: "en", name: "English", dir: "ltr" }];

async function fetchJSON(path) {
  const response = await fetch(path, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// The list of languages and one catalogue, each kept in localStorage so that a phone that once
// loaded the page still speaks the worker's language when it opens with no signal.
async function loadLanguages() {
  try {
    languages = await fetchJSON("/field/lang/index.json");
    localStorage.setItem(CATALOGUE_KEY + "index", JSON.stringify(languages));
  } catch {
    const kept = localStorage.getItem(CATALOGUE_KEY + "index");
    if (kept) languages = JSON.parse(kept);
  }
}

async function loadCatalogue(code) {
  try {
    const strings = await fetchJSON(`/field/lang/${encodeURIComponent(code)}.json`);
    localStorage.setItem(CATALOGUE_KEY + code, JSON.stringify(strings));
    return strings;
  } catch {
    const kept = localStorage.getItem(CATALOGUE_KEY + code);
    return kept ? JSON.parse(kept) : null;
  }
}

// The worker's choice if she made one, else the first of the phone's languages we have.
function preferredLanguage() {
  const known = new Set(languages.map((l) => l.code));
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && known.has(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (known.has(base)) return base;
  }
  return known.has("en") ? "en" : languages[0].code;
}

async function useLanguage(code) {
  const strings = await loadCatalogue(code);
  if (!strings) return false;
  ui = { code, dir: strings._dir === "rtl" ? "rtl" : "ltr", strings };
  document.documentElement.lang = code;
  document.documentElement.dir = ui.dir;
  applyStaticWords();
  return true;
}

// A string of the catalogue with {name} placeholders filled in. A missing key shows as the key,
// so a gap in a catalogue is seen (and caught by the tests) instead of falling back to English.
function t(key, params = {}) {
  const text = ui.strings[key];
  if (typeof text !== "string") return key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

// The same as nodes: each value put in a <bdi>, so a Latin @handle or a file name inside an
// Arabic sentence neither reorders the sentence nor is reordered by it.
function tNodes(key, params = {}) {
  const text = typeof ui.strings[key] === "string" ? ui.strings[key] : key;
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    nodes.push(document.createTextNode(text.slice(last, match.index)));
    if (match[1] in params) {
      const value = params[match[1]];
      if (value instanceof Node) nodes.push(value); else nodes.push(bdi(String(value)));
    } else nodes.push(document.createTextNode(match[0]));
    last = match.index + match[0].length;
  }
  nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function bdi(text) {
  const element = document.createElement("bdi");
  element.textContent = text;
  return element;
}

function applyStaticWords() {
  for (const element of document.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  document.title = t("page_title");
  const select = $("language");
  select.replaceChildren(...languages.map((l) => {
    const option = document.createElement("option");
    option.value = l.code;
    option.textContent = l.name;
    option.lang = l.code;
    option.dir = l.dir;
    return option;
  }));
  select.value = ui.code;
  $("poster").setAttribute("aria-label", t("poster_label"));
  $("preparing-bar").setAttribute("aria-label", t("preparing_label"));
}

// Numbers in the worker's language. Browsers before 2019 know no units: they get "3.4 MB".
const SHORT_UNITS = { megabyte: "MB", "kilobyte-per-second": "kB/s", second: "s", minute: "min", hour: "h", day: "d" };
function numberIn(value, options) {
  try { return new Intl.NumberFormat(ui.code, options).format(value); } catch {
    const plain = new Intl.NumberFormat(ui.code, { maximumFractionDigits: options.maximumFractionDigits }).format(value);
    return options.unit ? `${plain} ${SHORT_UNITS[options.unit] || options.unit}` : plain;
  }
}
const megabytes = (bytes) => numberIn(bytes / 1e6, { style: "unit", unit: "megabyte", maximumFractionDigits: bytes < 10e6 ? 1 : 0 });
const percent = (fraction) => numberIn(Math.max(0, Math.min(1, fraction)), { style: "percent", maximumFractionDigits: 0 });
const speed = (bytesPerSecond) => numberIn(bytesPerSecond / 1000, { style: "unit", unit: "kilobyte-per-second", maximumFractionDigits: 1 });
const unit = (value, name) => numberIn(value, { style: "unit", unit: name, unitDisplay: "long", maximumFractionDigits: 0 });

// "2 minutes, 25 seconds" in the worker's language.
function clipLength(seconds) {
  const whole = Math.round(seconds);
  if (whole < 60) return unit(whole, "second");
  const parts = [unit(Math.floor(whole / 60), "minute")];
  if (whole % 60) parts.push(unit(whole % 60, "second"));
  return listOf(parts, "unit");
}

// A rough time ("about 3 minutes") for what is left to send or a deadline.
function roughDuration(seconds) {
  if (seconds < 90) return unit(Math.max(1, Math.round(seconds)), "second");
  if (seconds < 5400) return unit(Math.round(seconds / 60), "minute");
  if (seconds < 172800) return unit(Math.round(seconds / 3600), "hour");
  return unit(Math.round(seconds / 86400), "day");
}

function relativeTime(date) {
  const seconds = (date.getTime() - Date.now()) / 1000;
  if (!window.Intl || !Intl.RelativeTimeFormat) return date.toLocaleString(ui.code);
  const format = new Intl.RelativeTimeFormat(ui.code, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(Math.round(seconds), "second");
  if (abs < 3600) return format.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return format.format(Math.round(seconds / 3600), "hour");
  return format.format(Math.round(seconds / 86400), "day");
}

function listOf(items, type = "conjunction") {
  try { return new Intl.ListFormat(ui.code, { style: "long", type }).format(items); } catch { return items.join(", "); }
}

// Caption languages by name ("Swahili and English"), in the worker's language, not as codes.
function languageNames(codes) {
  let names;
  try {
    const display = new Intl.DisplayNames([ui.code], { type: "language" });
    names = codes.map((code) => display.of(code) || code);
  } catch { names = codes; }
  return listOf(names);
}

// ==== storage ================================================================================

const token = () => localStorage.getItem(TOKEN_KEY);

function uploadRecords() {
  try { return JSON.parse(localStorage.getItem(UPLOADS_KEY) || "{}"); } catch { return {}; }
}
function remember(fingerprint, record) {
  const all = uploadRecords();
  if (record) all[fingerprint] = record; else delete all[fingerprint];
  localStorage.setItem(UPLOADS_KEY, JSON.stringify(all));
}
const fingerprintOf = (file, requestId) => [requestId, file.name, file.size, file.lastModified].join("|");
const recordForRequest = (id) => Object.entries(uploadRecords()).find(([, record]) => record.request === id);

// Originals still to send, by clip id, once their proxy is in: they are no longer "unfinished
// clips" (the request has its clip) but the receipt offers "Send the original now".
function originalRecords() {
  try { return JSON.parse(localStorage.getItem(ORIGINALS_KEY) || "{}"); } catch { return {}; }
}
function rememberOriginal(clipId, record) {
  const all = originalRecords();
  if (record) all[clipId] = record; else delete all[clipId];
  localStorage.setItem(ORIGINALS_KEY, JSON.stringify(all));
}
// The Files of those originals while the page lives (after a reload the worker picks it again).
const originalFiles = new Map();

// 32 lowercase hex: one id for a proxy and the original it was made from.
function newClipId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function originalWhenChoice() {
  const saved = localStorage.getItem(ORIGINAL_WHEN_KEY);
  return ["now", "later", "wifi"].includes(saved) ? saved : "now";
}

// ==== the API ================================================================================

// What went wrong, kept apart: `status` and `reason` (Mediaorch-Reason) decide what the worker is
// told; `server` is the server's own sentence, shown only folded away "for the command centre".
class Failure extends Error {
  constructor(status, reason, server) {
    super(server || `status ${status}`);
    this.status = status;
    this.reason = reason || "";
    this.server = server || "";
  }
}

async function failureOf(response) {
  let server = "";
  try { server = JSON.parse(await response.text()).error.message; } catch {}
  return new Failure(response.status, response.headers.get("Mediaorch-Reason"), server || `${response.status} ${response.statusText}`);
}

// One API call with the phone's token. A lost connection is status 0. 401/403 send the worker to
// the sign-in form (uploads in progress handle it themselves, in place).
async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  let response;
  try {
    response = await fetch(path, Object.assign({ cache: "no-store" }, options, { headers }));
  } catch (e) {
    throw new Failure(0, "offline", String(e && e.message || e));
  }
  if (!response.ok) {
    const failure = await failureOf(response);
    if ((failure.status === 401 || failure.status === 403) && !options.quiet) askForToken(t("error_token"));
    throw failure;
  }
  const text = await response.text();
  const body = text && (response.headers.get("content-type") || "").includes("json") ? JSON.parse(text) : null;
  return { body, response };
}

// The worker's words for a failure, and the server's sentence behind a fold.
function explain(failure, fallbackKey = "error_general") {
  const key = wordsFor(failure) || fallbackKey;
  const box = document.createElement("div");
  const words = document.createElement("p");
  words.textContent = failure && failure.words ? failure.words : t(key);   // words already filled in, if any
  box.append(words);
  if (failure && failure.server) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = t("details_summary");
    const code = document.createElement("code");
    code.dir = "ltr";
    code.textContent = [failure.status || "", failure.reason, failure.server].filter(Boolean).join(" · ");
    details.append(summary, code);
    box.append(details);
  }
  return box;
}

function wordsFor(failure) {
  if (!failure) return null;
  const reasons = { "request-busy": "error_request_busy", "request-closed": "error_request_closed",
                    "whole-file-mismatch": "error_mismatch", "already-posted": "error_already_posted",
                    "no-proxy-for-original": "error_server_busy" };
  if (reasons[failure.reason]) return reasons[failure.reason];
  const statuses = { 0: "error_offline", 401: "error_token", 403: "error_token", 404: "error_gone", 410: "error_expired",
                     413: "error_too_big", 415: "error_not_video", 429: "error_allowance", 503: "error_server_busy",
                     507: "error_server_full", 423: "error_server_busy" };
  return statuses[failure.status] || null;
}

function showError(element, failure, fallbackKey) {
  element.replaceChildren(failure ? explain(failure, fallbackKey) : "");
}

// ==== screens ================================================================================

const SCREENS = ["sign-in", "home", "film", "resume", "sending", "sent"];
function show(screen) {
  for (const id of SCREENS) $(id).hidden = id !== screen;
  window.scrollTo(0, 0);
}

let session = null;
let requests = [];
let receipts = [];
let receiptsAvailable = true;

function askForToken(message) {
  if (sender && sender.running) return;     // the upload asks in place, without leaving its screen
  session = null;
  show("sign-in");
  $("sign-in-error").textContent = message || "";
  $("who").textContent = "";
}

async function start() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  if (!token()) { askForToken(""); return; }
  try {
    session = (await api("/api/session", { quiet: true })).body;
  } catch (e) {
    if (e.status === 401 || e.status === 403) { askForToken(t("error_token")); return; }
    show("sign-in");
    showError($("sign-in-error"), e);
    return;
  }
  if (!session.permissions.includes("upload")) { askForToken(t("error_not_field_token")); return; }
  showWho();
  show("home");
  await Promise.all([loadRequests(), loadReceipts()]);
}

function showWho() {
  if (!session) return;
  $("who").replaceChildren(...tNodes(session.camp ? "who_camp" : "who", { name: session.name, camp: session.camp || "" }));
}

// ==== requests ===============================================================================

async function loadRequests() {
  try {
    requests = (await api("/api/requests")).body || [];
  } catch (e) {
    if (e.status === 401 || e.status === 403) return;
    $("requests-empty").hidden = false;
    showError($("requests-empty"), e, "error_load_requests");
    return;
  }
  renderRequests();
}

function renderRequests() {
  $("request-list").replaceChildren(...requests.map((r) => requestCard(r, true)));
  $("requests-empty").hidden = requests.length > 0;
  $("requests-empty").textContent = t("requests_empty");
  renderUnfinished();
  renderReceipts();   // "Film again" on a receipt depends on the request still waiting
}

function requestCard(r, withAction) {
  const card = document.createElement("article");
  card.className = "request";
  card.dataset.requestId = r.id;
  card.dataset.state = r.state;
  card.dataset.camp = r.camp;
  const handle = document.createElement("h3");
  handle.className = "handle";
  handle.append(...tNodes("reply_to", { handle: r.handle }));
  const tweet = document.createElement("p");
  tweet.className = "tweet";
  tweet.dir = "auto";
  tweet.textContent = r.tweet_text;
  card.append(handle, tweet);
  if (r.note) {
    const note = document.createElement("p");
    note.className = "note";
    note.dir = "auto";
    note.textContent = r.note;
    card.append(note);
  }
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.append(...tNodes("captions_in", { languages: languageNames(r.languages || []) }));
  if (r.deadline) {
    const left = (Date.parse(r.deadline) - Date.now()) / 1000;
    const due = document.createElement("span");
    due.className = left < 3600 ? "due due-soon" : "due";
    due.textContent = left > 0 ? t("due_in", { time: roughDuration(left) }) : t("past_deadline");
    meta.append(document.createElement("br"), due);
  }
  card.append(meta);
  if (withAction) card.append(...requestAction(r));
  return card;
}

// What the worker can do with a request: film it, carry on sending it from this phone, wait for
// another phone that is sending it, or film it again after the command centre could not use it.
function requestAction(r) {
  const mine = recordForRequest(r.id);
  const out = [];
  if (r.state === "failed") {
    const why = document.createElement("p");
    why.className = "film-again";
    why.textContent = `${t("state_film_again")}: ${t("reason_" + (r.film_again_reason || "other"))}`;
    out.push(why);
  }
  if (mine) {
    out.push(button("carry_on_sending_for", { handle: r.handle }, "primary carry-on", () => openResume(mine[0])));
  } else if (r.state === "uploading") {
    const other = document.createElement("p");
    other.className = "other-phone";
    other.textContent = t("other_phone");
    out.push(other);
  } else {
    const key = r.state === "failed" ? "film_again_for" : "film_for";
    out.push(button(key, { handle: r.handle }, "primary film", () => openForm(r)));
  }
  return out;
}

// A button whose words (and so its accessible name) name what it acts on: "Film a reply to @x".
function button(key, params, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.append(...tNodes(key, params));
  element.addEventListener("click", onClick);
  return element;
}

// Uploads kept on this phone whose request is not in the list (closed, or another camp's now).
function renderUnfinished() {
  const listed = new Set(requests.map((r) => r.id));
  const orphans = Object.entries(uploadRecords()).filter(([, record]) => !listed.has(record.request));
  $("unfinished").hidden = orphans.length === 0;
  $("unfinished-list").replaceChildren(...orphans.map(([fingerprint, record]) => {
    const row = document.createElement("div");
    row.className = "pending";
    const text = document.createElement("p");
    text.append(...tNodes("unfinished_row", { file: record.name, handle: record.handle || "", size: megabytes(record.size) }));
    row.append(text, button("carry_on_sending_for", { handle: record.handle || record.name }, "carry-on", () => openResume(fingerprint)));
    return row;
  }));
}

// ==== receipts: what became of the camp's clips ================================================

async function loadReceipts() {
  try {
    receipts = (await api("/api/receipts?limit=50")).body || [];
    receiptsAvailable = true;
  } catch (e) {
    if (e.status === 401 || e.status === 403) return;
    receiptsAvailable = false;
    $("receipts-empty").hidden = false;
    showError($("receipts-empty"), e, "error_load_receipts");
    return;
  }
  renderReceipts();
}

function renderReceipts() {
  if (!receiptsAvailable) return;
  forgetArrivedOriginals();
  $("receipt-list").replaceChildren(...receipts.map(receiptCard));
  $("receipts-empty").hidden = receipts.length > 0;
  $("receipts-empty").textContent = t("receipts_empty");
}

function receiptCard(r) {
  const card = document.createElement("article");
  card.className = `receipt state-${r.state}`;
  card.dataset.receiptId = r.id;
  card.dataset.requestId = r.request_id || "";
  card.dataset.state = r.state;
  const title = document.createElement("h3");
  title.append(...tNodes(r.handle ? "receipt_title" : "receipt_title_no_request",
                         { file: r.file_name, handle: r.handle || "" }));
  const state = document.createElement("p");
  state.className = "state";
  state.textContent = t("state_" + r.state);
  card.append(title, state);

  if (r.state === "sending" && r.progress && r.progress.total) {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = r.progress.received / r.progress.total;
    bar.setAttribute("aria-label", t("state_sending"));
    const figures = document.createElement("p");
    figures.className = "figures";
    figures.textContent = t("progress_figures", { done: megabytes(r.progress.received), total: megabytes(r.progress.total),
                                                  percent: percent(r.progress.received / r.progress.total) });
    card.append(bar, figures);
  }
  if (r.state === "posted" && r.posted_url) {
    const link = document.createElement("a");
    link.href = r.posted_url;
    link.className = "posted-link";
    link.rel = "noopener";
    link.target = "_blank";
    link.append(...tNodes("see_post", { handle: r.handle || "" }));
    card.append(link);
  }
  if (r.state === "film_again") card.append(...filmAgainPart(r));
  card.append(...originalPart(r));

  const meta = document.createElement("p");
  meta.className = "meta";
  const who = r.speaker ? tNodes("receipt_speaker", { speaker: r.speaker }) : [];
  meta.append(...who, ...(who.length ? [document.createTextNode(" · ")] : []),
              document.createTextNode(t("sent_when", { when: relativeTime(new Date(r.sent_at)) })));
  card.append(meta);
  // Consent matters only for a clip that can still be posted.
  if (!r.consent && ["sending", "received", "making", "ready"].includes(r.state)) card.append(...consentPart(r));
  return card;
}

// A reply made from a proxy: is the original in too? And, on the phone that has the clip, the way
// to send it now. Nothing for a clip that went whole (made_from "original").
function originalPart(r) {
  if (r.made_from !== "proxy" || !["not_sent", "sending", "in"].includes(r.original)) return [];
  const line = document.createElement("p");
  line.className = "original-state";
  line.dataset.original = r.original;
  line.textContent = t("receipt_original_" + r.original);
  const out = [line];
  // "sending" too: after a reload nothing sends it any more, and it carries on where it stopped.
  const mine = r.clip_id && originalRecords()[r.clip_id];
  if (mine && r.original !== "in" && !sender) {
    out.push(button("send_original_now", { file: mine.name }, "send-original", () => sendOriginalOf(r.clip_id)));
  }
  return out;
}

// Originals the server has (or that it no longer expects) need no record on the phone any more.
function forgetArrivedOriginals() {
  const records = originalRecords();
  for (const r of receipts) {
    if (r.clip_id && records[r.clip_id] && (r.original === "in" || r.original === null)) {
      rememberOriginal(r.clip_id, null);
      originalFiles.delete(r.clip_id);
    }
  }
}

function filmAgainPart(r) {
  const why = document.createElement("p");
  why.className = "reason";
  why.textContent = t("reason_" + (r.film_again_reason || "other"));
  const out = [why];
  // Only while the request still waits for a clip (another clip may have been sent since).
  const request = requests.find((q) => q.id === r.request_id && (q.state === "failed" || q.state === "open"));
  if (request && !recordForRequest(request.id)) {
    out.push(button("film_again_for", { handle: request.handle }, "primary film-again-button", () => openForm(request)));
  }
  return out;
}

// "Add consent": asked twice on purpose (a tap by mistake must not publish someone's face).
// Receipts whose question is open stay open when the list is drawn again (a refresh).
const askingConsent = new Set();
function consentPart(r) {
  const note = document.createElement("p");
  note.className = "no-consent";
  note.textContent = t("no_consent");
  const ask = button("add_consent_for", { speaker: r.speaker || r.file_name }, "add-consent", () => {
    askingConsent.add(r.id);
    ask.hidden = true;
    confirm.hidden = false;
    confirm.querySelector("button").focus();
  });
  const confirm = document.createElement("div");
  confirm.className = "confirm consent-confirm";
  confirm.hidden = !askingConsent.has(r.id);
  ask.hidden = askingConsent.has(r.id);
  const question = document.createElement("p");
  question.append(...tNodes("consent_confirm_question", { speaker: r.speaker || r.file_name }));
  const error = document.createElement("div");
  error.className = "error";
  error.setAttribute("role", "alert");
  const yes = button("consent_confirm_yes", {}, "primary consent-yes", async () => {
    yes.disabled = true;
    try {
      const updated = (await api(`/api/receipts/${encodeURIComponent(r.id)}/consent`, { method: "POST" })).body;
      askingConsent.delete(r.id);
      receipts = receipts.map((x) => (x.id === r.id ? Object.assign({}, x, updated || { consent: true }) : x));
      renderReceipts();
      setNotice(t("consent_added", { speaker: r.speaker || r.file_name }));
    } catch (e) {
      yes.disabled = false;
      showError(error, e);
    }
  });
  const no = button("consent_confirm_no", {}, "consent-no", () => {
    askingConsent.delete(r.id);
    confirm.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(yes, no);
  confirm.append(question, buttons, error);
  return [note, ask, confirm];
}

function setNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

// ==== the form: checks on the phone before anything is sent ===================================

let current = null;    // the request being filmed
let chosen = null;     // { file, verdict } once the clip has been looked at

function openForm(request) {
  current = request;
  chosen = null;
  $("film-request").replaceChildren(...requestCard(request, false).childNodes);
  $("film-form").reset();
  $("film-error").textContent = "";
  $("clip-check").hidden = true;
  const when = document.querySelector(`input[name=original-when][value=${originalWhenChoice()}]`);
  if (when) when.checked = true;
  showWifiHint();
  show("film");
}

// "On Wi-Fi only" needs the phone to tell Wi-Fi from mobile data (navigator.connection.type, on
// Android); where it cannot, the choice acts as "later", and the form says so.
const knowsWifi = () => !!navigator.connection && typeof navigator.connection.type === "string";
const onWifi = () => knowsWifi() && navigator.connection.type === "wifi";
function showWifiHint() {
  const chosen = document.querySelector("input[name=original-when]:checked");
  $("original-wifi-unknown").hidden = !(chosen && chosen.value === "wifi" && !knowsWifi());
}
function onOriginalWhenChosen(event) {
  localStorage.setItem(ORIGINAL_WHEN_KEY, event.target.value);
  showWifiHint();
}

function closeScreens() {
  current = null;
  chosen = null;
  setNotice("");
  show("home");
  loadRequests();
  loadReceipts();
  sendOriginalsOnWifi();
}

async function onClipChosen() {
  const file = $("clip").files[0];
  chosen = null;
  $("film-error").textContent = "";
  if (!file) { $("clip-check").hidden = true; return; }
  $("clip-check").hidden = false;
  $("poster").hidden = true;
  $("clip-again").hidden = true;
  $("clip-facts").replaceChildren(fact(t("clip_looking")));
  $("clip-problem").textContent = "";
  const verdict = await lookAtClip(file);
  if ($("clip").files[0] !== file) return;   // another clip was chosen meanwhile
  chosen = { file, verdict };
  showVerdict(verdict);
}

function fact(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

// What the phone can tell about the clip: is it a video, how big, how long, what it looks like.
async function lookAtClip(file) {
  const verdict = { problem: null, duration: null, poster: null, cost: file.size };
  if (!uploadName(file)) { verdict.problem = "check_not_video"; return verdict; }
  if (file.size === 0) { verdict.problem = "check_empty"; return verdict; }
  if (file.size > MAX_BYTES) { verdict.problem = "check_too_big"; return verdict; }
  const seen = await videoFacts(file);
  verdict.duration = seen.duration;
  verdict.poster = seen.poster;
  if (verdict.duration === null) verdict.duration = await mp4Duration(file).catch(() => null);
  if (verdict.duration !== null && verdict.duration > MAX_SECONDS) verdict.problem = "check_too_long";
  return verdict;
}

function showVerdict(verdict) {
  const facts = [];
  if (verdict.duration !== null) facts.push(fact(t("clip_length", { length: clipLength(verdict.duration) })));
  facts.push(fact(t("clip_cost", { size: megabytes(verdict.cost) })));
  if (!verdict.problem && verdict.duration === null) facts.push(fact(t("clip_unknown_length")));
  $("clip-facts").replaceChildren(...facts);
  if (verdict.poster) {
    const canvas = $("poster");
    canvas.width = verdict.poster.width;
    canvas.height = verdict.poster.height;
    canvas.getContext("2d").drawImage(verdict.poster, 0, 0);
    canvas.hidden = false;
  }
  if (verdict.problem) {
    $("clip-problem").textContent = t(verdict.problem, {
      length: verdict.duration !== null ? clipLength(verdict.duration) : "", limit: clipLength(MAX_SECONDS),
      size: megabytes(verdict.cost), max: megabytes(MAX_BYTES),
    });
    $("clip-again").hidden = false;
  }
}

// The name the server gets: the clip's own, or one with the extension its type implies (some
// phones' pickers give names like "video:1234").
function uploadName(file) {
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  if (file.name.includes(".") && CLIP_EXTENSIONS.includes(ext)) return file.name;
  const implied = EXTENSION_OF_TYPE[(file.type || "").toLowerCase()];
  if (implied) return `${file.name.replace(/[^\w.-]+/g, "-") || "clip"}.${implied}`;
  return null;
}

// A hidden <video> reads the clip's length; its picture at about 1 s becomes the poster.
// A phone that cannot decode the clip (HEVC on an old Android) gives neither: the server can
// still read it, so that alone does not stop the clip.
function videoFacts(file) {
  return new Promise((resolve) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const out = { duration: null, poster: null };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      video.removeAttribute("src");
      video.load();
      URL.revokeObjectURL(url);
      resolve(out);
    };
    const timer = setTimeout(finish, 15000);
    video.muted = true;
    video.playsInline = true;
    video.preload = "metadata";
    video.addEventListener("loadedmetadata", () => {
      if (Number.isFinite(video.duration) && video.duration > 0) out.duration = video.duration;
      if (!video.videoWidth) { finish(); return; }
      video.currentTime = Math.min(1, (out.duration || 2) / 2);
    });
    video.addEventListener("seeked", () => {
      try {
        const scale = Math.min(1, 240 / Math.max(video.videoWidth, video.videoHeight));
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
        canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        out.poster = canvas;
      } catch {}
      finish();
    });
    video.addEventListener("error", finish);
    video.src = url;
  });
}

// The length written in an MP4/MOV/3GP file's movie header (mvhd), for when <video> cannot open
// the clip. Walks the top-level boxes (moov may be at the end) without reading the media data.
async function mp4Duration(file) {
  const read = async (at, length) => new DataView(await file.slice(at, at + length).arrayBuffer());
  let at = 0;
  while (at + 8 <= file.size) {
    const head = await read(at, 16);
    let size = head.getUint32(0);
    const type = String.fromCharCode(head.getUint8(4), head.getUint8(5), head.getUint8(6), head.getUint8(7));
    let headerSize = 8;
    if (size === 1) { size = head.getUint32(8) * 2 ** 32 + head.getUint32(12); headerSize = 16; }
    if (size === 0) size = file.size - at;
    if (size < headerSize) return null;
    if (type === "moov") {
      const moov = await read(at + headerSize, Math.min(size - headerSize, 8 * MiB));
      for (let i = 0; i + 8 <= moov.byteLength;) {
        const boxSize = moov.getUint32(i);
        const boxType = String.fromCharCode(moov.getUint8(i + 4), moov.getUint8(i + 5), moov.getUint8(i + 6), moov.getUint8(i + 7));
        if (boxType === "mvhd") {
          const version = moov.getUint8(i + 8);
          const scale = moov.getUint32(i + (version === 1 ? 28 : 20));
          const length = version === 1 ? moov.getUint32(i + 32) * 2 ** 32 + moov.getUint32(i + 36) : moov.getUint32(i + 24);
          return scale ? length / scale : null;
        }
        if (boxSize < 8) return null;
        i += boxSize;
      }
      return null;
    }
    at += size;
  }
  return null;
}

async function submitForm(event) {
  event.preventDefault();
  const error = $("film-error");
  const file = $("clip").files[0];
  const consent = document.querySelector("input[name=consent]:checked");
  const speaker = $("speaker").value.trim();
  // The first thing missing is said and focused; nothing is sent until all is there.
  const missing = !file ? ["need_clip", $("clip")]
    : !chosen || chosen.file !== file ? ["clip_still_looking", $("clip")]
    : chosen.verdict.problem ? [chosen.verdict.problem, $("clip")]
    : !speaker ? ["need_speaker", $("speaker")]
    : !consent ? ["need_consent", document.querySelector("input[name=consent]")]
    : null;
  if (missing) {
    error.textContent = t(missing[0], { length: chosen && chosen.verdict.duration ? clipLength(chosen.verdict.duration) : "",
                                        limit: clipLength(MAX_SECONDS), size: file ? megabytes(file.size) : "", max: megabytes(MAX_BYTES) });
    missing[1].focus();
    return;
  }
  // stage: "proxy" (a proxy is tried first), "whole" (the original alone, as before proxies),
  // "original" (the proxy is in; the original follows, with the same clip id).
  const record = {
    request: current.id, handle: current.handle, name: uploadName(file), size: file.size, lastModified: file.lastModified,
    speaker, consent: consent.value === "yes", languages: current.languages || [], captions: null, url: null, sha256: null,
    clipId: newClipId(), stage: "proxy", proxyUrl: null, originalWhen: originalWhenChoice(), duration: chosen.verdict.duration,
  };
  const fingerprint = fingerprintOf(file, current.id);
  const existing = uploadRecords()[fingerprint];
  startSending(file, fingerprint, existing || record, [...$("captions").files]);
}

// ==== carrying on after a reload ==============================================================

let resuming = null;           // the fingerprint of an unfinished clip, chosen again to carry on
let resumingOriginal = null;   // or the clip id of an original to send after its proxy

function openResume(fingerprint) {
  const record = uploadRecords()[fingerprint];
  if (!record) { closeScreens(); return; }
  resuming = fingerprint;
  resumingOriginal = null;
  $("resume-title").textContent = t("resume_title");
  $("resume-what").replaceChildren(...tNodes("resume_what", { file: record.name, size: megabytes(record.size),
                                                             handle: record.handle || "", speaker: record.speaker || "" }));
  $("resume-clip").value = "";
  $("resume-error").textContent = "";
  $("resume-forget").hidden = false;
  $("resume-forget-confirm").hidden = true;
  show("resume");
}

// "Send the original now" from a receipt: at once if the page still holds the clip, else the
// worker picks it again (after a reload the page has only its name and size).
function sendOriginalOf(clipId) {
  const record = originalRecords()[clipId];
  if (!record || sender) return;
  const file = originalFiles.get(clipId);
  if (file) { startSending(file, fingerprintOf(file, record.request), record, []); return; }
  resuming = null;
  resumingOriginal = clipId;
  $("resume-title").textContent = t("original_pick_title");
  $("resume-what").replaceChildren(...tNodes("original_pick_what", { file: record.name, size: megabytes(record.size),
                                                                    handle: record.handle || "" }));
  $("resume-clip").value = "";
  $("resume-error").textContent = "";
  $("resume-forget").hidden = true;      // nothing to throw away: the reply's proxy stays
  $("resume-forget-confirm").hidden = true;
  show("resume");
}

function onResumeChosen() {
  const file = $("resume-clip").files[0];
  if (resumingOriginal) { onOriginalChosen(file); return; }
  const record = uploadRecords()[resuming];
  if (!file || !record) return;
  if (fingerprintOf(file, record.request) !== resuming) {
    $("resume-error").replaceChildren(...tNodes("not_same_clip", { file: record.name }));
    return;
  }
  startSending(file, resuming, record, []);
}

// The same clip by name and size; its SHA-256, if one was worked out before, is checked again
// before a byte goes (and the server checks the whole file against it at the end).
function onOriginalChosen(file) {
  const record = originalRecords()[resumingOriginal];
  if (!file || !record) return;
  if (uploadName(file) !== record.name || file.size !== record.size) {
    $("resume-error").replaceChildren(...tNodes("not_same_clip", { file: record.name }));
    return;
  }
  originalFiles.set(resumingOriginal, file);
  startSending(file, fingerprintOf(file, record.request), Object.assign({}, record, { mustMatch: record.sha256 || null }), []);
}

async function forgetResume() {
  const record = uploadRecords()[resuming];
  if (record && record.url) await deleteUpload(record.url);
  if (record && record.proxyUrl) await deleteUpload(record.proxyUrl);
  remember(resuming, null);
  closeScreens();
}

// tus termination: the server throws the bytes away and frees the request at once.
async function deleteUpload(url) {
  await fetch(url, { method: "DELETE", headers: { Authorization: `Bearer ${token()}`, "Tus-Resumable": "1.0.0" } }).catch(() => {});
}

// ==== sending ================================================================================

let sender = null;

function startSending(file, fingerprint, record, captionFiles) {
  sender = new Sender(file, fingerprint, record, captionFiles);
  $("sending-title").replaceChildren(...tNodes("sending_title", { file: record.name, handle: record.handle || "" }));
  for (const id of ["sending-error", "sending-figures", "sending-status", "sending-note"]) $(id).textContent = "";
  for (const id of ["cancel-confirm", "again", "restart", "sending-back", "carry-on", "sending-note", "preparing-bar"]) $(id).hidden = true;
  $("sending-buttons").hidden = false;
  $("pause").hidden = false;
  show("sending");
  sender.render();
  sender.run();
}

// One clip on its way. run() goes through: captions; then, where the phone can, the proxy, made
// and sent at once; then the original (its SHA-256 first), now or later as the worker chose.
// Each upload is created (or asked where it stands), then PATCH after PATCH until the server has
// every byte. Pause, cancel, offline and online act on it from outside; a lost token stops it in
// place.
class Sender {
  constructor(file, fingerprint, record, captionFiles) {
    Object.assign(this, { file, fingerprint, record, captionFiles });
    if (!record.stage) record.stage = "whole";   // a record kept by a page from before proxies
    this.state = "running";        // running | paused | offline | stopped
    this.running = false;
    this.chunk = CHUNK_START;
    this.xhr = null;
    this.wakeUp = null;
    this.mismatches = 0;
    this.damaged = 0;
    this.done = 0;
    this.meter = new Meter();
    this.bytes = null;             // what the current upload sends: OriginalBytes or MadeBytes
    this.proxy = null;             // the proxy being made: { conversion, made, extension }
    this.prepared = 0;             // how much of the proxy is made, 0…1
    this.lengthDeclared = false;   // the server knows the proxy's length (Upload-Length went through)
    this.noteKey = null;
    this.proxiedHere = false;      // the proxy went in this run, so the sent screen speaks of both
  }

  // The current upload's address: the proxy's while the proxy is tried, else the original's.
  get url() { return this.record.stage === "proxy" ? this.record.proxyUrl : this.record.url; }

  // Where the phone keeps the clip: among the unfinished clips until the proxy (or the whole
  // clip) is in; among the originals still to send once the proxy is in.
  save() {
    const { mustMatch, ...record } = this.record;
    if (record.stage === "original") {
      remember(this.fingerprint, null);
      rememberOriginal(record.clipId, record);
    } else remember(this.fingerprint, record);
  }

  // ---- control from outside ----
  pause(offline) {
    if (this.state !== "running") return;   // a pause the worker chose stays hers, signal or not
    this.state = offline ? "offline" : "paused";
    this.abortChunk("paused");
    this.render();
  }
  resume() {
    if (this.state !== "paused" && this.state !== "offline") return;
    this.state = "running";
    this.render();
    this.wake();
  }
  // Stopping a proxy or a whole clip throws it away and frees the request. Stopping an original
  // that follows its proxy leaves the proxy (and the reply) alone: it can be sent again later.
  async cancel() {
    this.state = "stopped";
    this.abortChunk("cancelled");
    this.wake();
    this.stopProxy();
    if (this.url) await deleteUpload(this.url);
    if (this.record.stage === "original") {
      this.record.url = null;
      this.record.originalWhen = "later";   // not straight back on the next Wi-Fi: she stopped it
      this.save();
      originalFiles.set(this.record.clipId, this.file);
    } else remember(this.fingerprint, null);
  }
  wake() { if (this.wakeUp) { const w = this.wakeUp; this.wakeUp = null; w(); } }
  abortChunk(why) { if (this.xhr) { this.xhr.abortedFor = why; this.xhr.abort(); } }

  // Waits while paused or offline; a sleep that a resume cuts short.
  async gate() {
    while (this.state === "paused" || this.state === "offline") await new Promise((r) => { this.wakeUp = r; });
    if (this.state === "stopped") throw new Stop();
  }
  async sleep(seconds) {
    await new Promise((r) => { this.wakeUp = r; setTimeout(() => this.wake(), seconds * 1000); });
    await this.gate();
  }

  // Paused by the worker: "Carry on" is hers to press. Waiting for the signal: nothing to press,
  // it carries on by itself. Either way no speed or time left is shown while nothing moves.
  // (A proxy goes on being made meanwhile: that needs no signal.)
  render() {
    const paused = this.state === "paused", offline = this.state === "offline";
    $("pause").hidden = paused || offline;
    $("carry-on").hidden = !paused;
    $("cancel-question").textContent = t(this.record.stage === "original" ? "cancel_original_question" : "cancel_question");
    if (this.noteKey) this.note(this.noteKey);
    if (paused || offline) {
      this.phase(paused ? "phase_paused" : "phase_waiting");
      this.status(t(paused ? "status_paused" : "status_offline"));
      this.still();
    }
  }
  still() { this.meter.start(this.done); this.showProgress(this.done); }
  status(text) { $("sending-status").textContent = text; }
  phase(key, params) { $("sending-phase").textContent = t(key, params); }
  // A line that stays while the clip goes: why the whole clip is sent instead of a proxy.
  note(key) {
    this.noteKey = key;
    $("sending-note").textContent = t(key);
    $("sending-note").hidden = false;
  }
  sendingPhase() {
    return this.record.stage === "proxy" ? "phase_proxy" : this.record.stage === "original" ? "phase_original" : "phase_sending";
  }

  // ---- the whole journey ----
  async run() {
    this.running = true;
    $("sending-error").textContent = "";
    try {
      if (!navigator.onLine) this.pause(true);
      await this.sendCaptions();
      if (this.record.stage === "proxy") {
        if (!(await this.sendProxy())) {
          this.record.stage = "whole";   // from here on exactly as before proxies
          this.save();
          this.render();
        } else if (!this.originalGoesNow()) {
          this.end("original_waits");
          return;
        }
      }
      await this.sendOriginal();
      this.end("sent");
    } catch (e) {
      this.running = false;
      if (e instanceof Stop) return;
      this.stopWith(e);
    }
  }

  // The end of the journey: the sent screen, and what the phone still keeps of the clip.
  end(how) {
    this.running = false;
    sender = null;
    if (how === "sent") {
      remember(this.fingerprint, null);
      if (this.record.clipId) {
        rememberOriginal(this.record.clipId, null);
        originalFiles.delete(this.record.clipId);
      }
    } else {
      this.save();
      originalFiles.set(this.record.clipId, this.file);
    }
    showSent(this.record, { waits: how === "original_waits", proxiedHere: this.proxiedHere });
  }

  // Where a run stops before the end: ask for a token in place, offer to start again, or say why.
  stopWith(e) {
    $("pause").hidden = true;
    $("carry-on").hidden = true;
    this.phase("phase_stopped");
    this.still();
    if (e.status === 401 || e.status === 403) {
      // The record stays: with a new code the clip carries on (or starts again) from here,
      // or later from "Carry on sending" in the list. A proxy goes on being made meanwhile.
      this.status(t("status_need_token"));
      $("sending-buttons").hidden = true;   // Cancel would need a code that works
      $("sending-back").hidden = false;
      $("again").hidden = false;
      $("again-error").textContent = "";
      $("again-token").value = "";
      $("again-token").focus();
      return;
    }
    this.stopProxy();
    if (this.record.stage === "original") originalFiles.set(this.record.clipId, this.file);   // "Send the original now" on the receipt
    $("sending-buttons").hidden = true;
    $("sending-back").hidden = false;
    this.status("");
    showError($("sending-error"), e, "error_not_sent");
  }

  async sendCaptions() {
    if (!this.record.captions) {
      this.phase("phase_captions");
      this.record.captions = await sendCaptions(this.captionFiles, this.record);
      this.save();
    }
  }

  // ---- the proxy ----

  // The proxy, made and sent at once. True once the server has all of it. False when this phone
  // cannot make it, or making it failed: nothing of it is left on the server then, and the
  // original goes alone, as before proxies.
  async sendProxy() {
    if (this.record.proxyUrl && !this.proxy) {
      // Chosen again after a reload: the bytes made before went with the page, and a new
      // conversion need not give the same bytes, so the half-sent proxy is dropped and made anew.
      await deleteUpload(this.record.proxyUrl);
      this.record.proxyUrl = null;
      this.record.clipId = newClipId();
      this.save();
    }
    if (!this.proxy) {
      await this.gate();   // with no signal Mediabunny cannot load: wait for it rather than give up the proxy
      this.phase("phase_preparing");
      const plan = await planProxy(this.file, this.record.duration);
      await this.gate();
      if (plan.why) {
        this.note({ not_smaller: "note_proxy_not_smaller", error: "note_proxy_failed" }[plan.why] || "note_no_proxy");
        return false;
      }
      this.startProxy(plan);
    }
    $("preparing-bar").hidden = false;
    try {
      await this.sendAll(this.proxy.made, () => this.createProxy());
    } catch (e) {
      if (this.state === "stopped") throw new Stop();   // cancelled: stopping the proxy is what failed it
      if (!(e instanceof ProxyFailed)) throw e;
      console.warn("the proxy failed; sending the original instead", e.cause || e);
      await this.dropProxy();
      this.note("note_proxy_failed");
      return false;
    }
    $("preparing-bar").hidden = true;
    this.proxy = null;
    this.proxiedHere = true;
    this.record.stage = "original";
    this.record.proxyUrl = null;
    this.save();
    this.render();
    this.status(t("status_proxy_in"));
    return true;
  }

  startProxy(plan) {
    this.proxy = plan;
    this.prepared = 0;
    plan.conversion.onProgress = (fraction) => {
      this.prepared = fraction;
      if (this.bytes === plan.made && this.state === "running") this.showProgress(this.done);
    };
    plan.conversion.execute().then(() => plan.made.finish(), (e) => plan.made.fail(e));
  }

  // Stops making the proxy and lets go of its bytes (the upload, if any, is left as it is).
  stopProxy() {
    if (!this.proxy) return;
    const { conversion, made } = this.proxy;
    this.proxy = null;
    made.fail(new Error("stopped"));
    Promise.resolve().then(() => conversion.cancel()).catch(() => {});
  }

  async dropProxy() {
    this.stopProxy();
    if (this.record.proxyUrl) await deleteUpload(this.record.proxyUrl);
    this.record.proxyUrl = null;
    this.lengthDeclared = false;
    $("preparing-bar").hidden = true;
  }

  // POST with the form's facts, the length deferred (it is known only when the conversion ends),
  // once the first bytes are made: a phone that fails at the very start leaves nothing behind.
  async createProxy() {
    const made = this.proxy.made;
    await made.waitForBytes();
    if (made.base > 0) throw new ProxyFailed(new Error("the proxy's first bytes are gone"));
    this.phase("phase_proxy");
    let response;
    try {
      ({ response } = await api("/api/tus/", {
        method: "POST", quiet: true,
        headers: {
          "Tus-Resumable": "1.0.0", "Upload-Defer-Length": "1",
          "Upload-Metadata": tusMetadata({
            filename: proxyName(this.record.name, this.proxy.extension), request: this.record.request,
            speaker: this.record.speaker, consent: this.record.consent ? "true" : "false",
            captions: this.record.captions && this.record.captions.length ? JSON.stringify(this.record.captions) : null,
            clip_id: this.record.clipId, clip_role: "proxy",
            duration: String(Math.round(this.proxy.seconds * 1000) / 1000),   // a fragmented stream does not say; the render plans by it
          }),
        },
      }));
    } catch (e) {
      // A server that takes no proxies says so at once: the original goes as before.
      if ([400, 412, 415, 501].includes(e.status)) throw new ProxyFailed(e);
      throw e;
    }
    this.record.proxyUrl = response.headers.get("Location");
    this.lengthDeclared = false;
    this.save();
    return 0;
  }

  // After the proxy: the original now, or later (kept in memory and on the receipt), or when the
  // phone is on Wi-Fi. A phone that cannot tell Wi-Fi treats "on Wi-Fi only" as "later".
  originalGoesNow() {
    const when = this.record.originalWhen || "now";
    return when === "now" || (when === "wifi" && onWifi());
  }

  // ---- the original ----

  async sendOriginal() {
    const mustMatch = this.record.mustMatch;
    if (mustMatch) this.record.sha256 = null;    // picked again after a reload: work it out again
    if (!this.record.sha256) {
      this.record.sha256 = await sha256OfFile(this.file, (fraction) => {
        this.phase("phase_checking", { percent: percent(fraction) });
        $("sending-bar").value = fraction;
      }, () => this.gate());
    }
    if (mustMatch) {
      delete this.record.mustMatch;
      if (mustMatch !== this.record.sha256) {
        this.record.sha256 = mustMatch;
        throw Object.assign(new Failure(0, "not-same-clip", ""), { words: t("not_same_clip", { file: this.record.name }) });
      }
    }
    this.save();
    await this.sendAll(new OriginalBytes(this.file), () => this.createOriginal());
  }

  // POST with the whole clip's SHA-256; returns offset 0. An original that follows its proxy
  // names the clip it belongs to, and carries no captions (they went with the proxy, for the
  // reply); its consent is the receipt's if the page has it (it may have been added since).
  async createOriginal() {
    this.phase(this.sendingPhase());
    const r = this.record;
    const metadata = { filename: r.name, request: r.request, speaker: r.speaker, consent: r.consent ? "true" : "false", sha256: r.sha256 };
    if (r.stage === "original") {
      const receipt = receipts.find((x) => x.clip_id && x.clip_id === r.clipId);
      if (receipt && typeof receipt.consent === "boolean") metadata.consent = receipt.consent ? "true" : "false";
      Object.assign(metadata, { clip_id: r.clipId, clip_role: "original" });
    } else if (r.captions && r.captions.length) metadata.captions = JSON.stringify(r.captions);
    for (let tries = 0; ; tries++) {
      try {
        const { response } = await api("/api/tus/", {
          method: "POST", quiet: true,
          headers: { "Tus-Resumable": "1.0.0", "Upload-Length": String(this.file.size), "Upload-Metadata": tusMetadata(metadata) },
        });
        r.url = response.headers.get("Location");
        break;
      } catch (e) {
        // A moment after the proxy's last byte the reply made from it may not be on the
        // command centre's books yet; the original waits for it a few minutes.
        if (e.reason !== "no-proxy-for-original" || tries >= 9) throw e;
        const wait = RETRY_SECONDS[Math.min(tries, RETRY_SECONDS.length - 1)];
        this.status(t("status_proxy_settling", { seconds: unit(wait, "second") }));
        await this.sleep(wait);
      }
    }
    this.save();
    return 0;
  }

  // ---- one upload: PATCH after PATCH ----

  async sendAll(bytes, create) {
    this.bytes = bytes;
    this.createUpload = create;
    let offset = this.url ? await this.serverOffset() : null;
    if (offset === null) offset = await create();
    else if (offset > 0) this.status(t("status_carry_on_from", { done: megabytes(offset), total: megabytes(this.totalGuess()) }));
    bytes.acknowledged(offset);
    this.meter.start(offset);
    this.showProgress(offset);
    let failures = 0;
    while (!bytes.complete(offset, this.lengthDeclared)) {
      await this.gate();
      try {
        offset = await this.patch(offset);
        failures = 0;
      } catch (e) {
        if (e instanceof Stop || e instanceof ProxyFailed || e.status === 401 || e.status === 403) throw e;
        offset = await this.recover(e, failures++);
      }
      bytes.acknowledged(offset);
      this.showProgress(offset);
    }
  }

  // After a chunk failed: decide where to go on from, or give up with a reason for the worker.
  async recover(e, failures) {
    const wait = RETRY_SECONDS[Math.min(failures, RETRY_SECONDS.length - 1)];
    const proxy = this.bytes.role === "proxy";
    if (e.status === 460 && e.reason === "whole-file-mismatch") {
      // The server hashed what it got and it is not this clip: bytes were spoiled on the way.
      if (++this.mismatches > 2) throw e;
      this.status(t("status_mismatch"));
      return 0;
    }
    if (e.status === 460) {
      // One piece of the proxy arrived spoiled (its checksum did not match) and was refused whole:
      // it goes again. Piece after piece spoiled is a link worth waiting for, not a loop.
      this.status(t("status_piece_damaged"));
      if (++this.damaged > 3) await this.sleep(wait);
      return typeof e.offset === "number" && e.offset >= 0 ? e.offset : this.offsetOrCreate();
    }
    if (e.status === 409 && typeof e.offset === "number" && e.offset >= 0) return e.offset;
    if (proxy && [400, 413, 415].includes(e.status)) throw new ProxyFailed(e);
    if ([400, 413, 415, 429].includes(e.status)) throw e;
    if (e.status === 404 || e.status === 410) return this.createUpload();
    if (e.aborted === "paused") { await this.gate(); return this.offsetOrCreate(); }
    if (e.aborted === "stalled") {
      this.chunk = Math.max(CHUNK_MIN, Math.floor(this.chunk / 2));
      this.status(t("status_stalled"));
      return this.offsetOrCreate();
    }
    this.status(t(e.status === 507 ? "status_server_full" : "status_retrying", { seconds: unit(e.status === 507 ? 60 : wait, "second") }));
    await this.sleep(e.status === 507 ? 60 : wait);
    return this.offsetOrCreate();
  }

  async offsetOrCreate() {
    const offset = await this.serverOffset();
    if (offset === null) return this.createUpload();
    this.status(t("status_carry_on_from", { done: megabytes(offset), total: megabytes(this.totalGuess()) }));
    return offset;
  }

  // HEAD until it answers: the offset, or null when the server no longer knows the upload. For a
  // proxy it also tells whether the server has its length yet (Upload-Defer-Length: 1 if not).
  async serverOffset() {
    for (let tries = 0; ; tries++) {
      await this.gate();
      let response;
      try {
        response = await fetch(this.url, { method: "HEAD", cache: "no-store",
                                           headers: { Authorization: `Bearer ${token()}`, "Tus-Resumable": "1.0.0" } });
      } catch {
        response = null;
      }
      if (response && response.ok) {
        this.lengthDeclared = response.headers.get("Upload-Length") !== null && response.headers.get("Upload-Defer-Length") === null;
        return parseInt(response.headers.get("Upload-Offset"), 10);
      }
      if (response && (response.status === 404 || response.status === 410)) return null;
      if (response && (response.status === 401 || response.status === 403)) throw await failureOf(response);
      const wait = RETRY_SECONDS[Math.min(tries, RETRY_SECONDS.length - 1)];
      this.status(t("status_retrying", { seconds: unit(wait, "second") }));
      await this.sleep(wait);
    }
  }

  // One PATCH by XMLHttpRequest (fetch reports no upload progress). Resolves with the server's
  // new offset; rejects with a Failure carrying status, reason, the server's offset, or why it
  // was aborted (paused, stalled). A proxy's piece waits for the bytes to be made, carries its
  // own SHA-256 (Upload-Checksum), and the last one the proxy's length (Upload-Length).
  async patch(offset) {
    const piece = await this.bytes.piece(offset, this.chunk);
    if (this.state === "stopped") throw new Stop();
    await this.gate();
    const checksum = piece.checksum ? await checksumOf(piece.data) : null;
    const declare = piece.length !== null && !this.lengthDeclared;
    const size = piece.size;
    const started = Date.now();
    this.phase(this.sendingPhase());
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      let lastProgress = Date.now();
      let loaded = 0;
      // No fixed timeout: a chunk may take minutes on 64 kb/s. Only silence ends it.
      const watchdog = setInterval(() => {
        const silent = Date.now() - lastProgress;
        if (silent > (loaded < size ? STALL_MS : ANSWER_MS)) { xhr.abortedFor = "stalled"; xhr.abort(); }
      }, 2000);
      const done = () => { clearInterval(watchdog); if (this.xhr === xhr) this.xhr = null; };
      xhr.open("PATCH", this.url);
      xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("Upload-Offset", String(offset));
      xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
      if (checksum) xhr.setRequestHeader("Upload-Checksum", `sha256 ${checksum}`);
      if (declare) xhr.setRequestHeader("Upload-Length", String(piece.length));
      xhr.upload.onprogress = (e) => {
        lastProgress = Date.now();
        loaded = e.loaded;
        this.showProgress(offset + e.loaded);
      };
      xhr.onload = () => {
        done();
        if (xhr.status === 204) {
          const next = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
          if (declare) this.lengthDeclared = true;
          this.adapt(next - offset, (Date.now() - started) / 1000);
          resolve(next);
          return;
        }
        let server = "";
        try { server = JSON.parse(xhr.responseText).error.message; } catch {}
        const failure = new Failure(xhr.status, xhr.getResponseHeader("Mediaorch-Reason"), server || `${xhr.status}`);
        const at = xhr.getResponseHeader("Upload-Offset");
        failure.offset = at === null ? null : parseInt(at, 10);
        reject(failure);
      };
      const failed = () => {
        done();
        const failure = new Failure(0, "offline", xhr.abortedFor ? `aborted: ${xhr.abortedFor}` : "no connection");
        failure.aborted = xhr.abortedFor || null;
        if (xhr.abortedFor === "cancelled") { reject(new Stop()); return; }
        reject(failure);
      };
      xhr.onerror = failed;
      xhr.onabort = failed;
      xhr.send(piece.body);
    });
  }

  // The next chunk should take about CHUNK_AIM_SECONDS at the speed just measured; it moves at
  // most ×2 up or ÷4 down at a time, so one lucky or unlucky chunk does not swing it wildly.
  adapt(bytes, seconds) {
    if (bytes <= 0 || seconds <= 0) return;
    const target = (bytes / seconds) * CHUNK_AIM_SECONDS;
    const next = Math.min(this.chunk * 2, Math.max(this.chunk / 4, target));
    this.chunk = Math.round(Math.min(CHUNK_MAX, Math.max(CHUNK_MIN, next)));
  }

  // The size of what the current upload sends: a proxy's is known only once it is made, until
  // then it is guessed from the clip's length and the proxy's bitrate.
  totalGuess() {
    const bytes = this.bytes;
    if (!bytes) return this.file.size;
    return bytes.total !== null ? bytes.total : Math.max(bytes.estimate, bytes.end);
  }

  showProgress(done) {
    const total = this.totalGuess();
    this.done = done;
    $("sending-bar").value = total ? Math.min(1, done / total) : 1;
    $("sending-bar").dataset.sent = String(done);   // bytes the server has or is getting (for tests)
    this.meter.add(done);
    const parts = [];
    if (this.bytes && this.bytes.role === "proxy") {
      // Mediabunny tells its progress a fragment at a time; what is made runs at least as far as
      // what is sent, so "Preparing" never shows behind "Sent".
      const prepared = this.bytes.total !== null ? 1 : Math.min(0.99, Math.max(this.prepared, total ? this.bytes.end / total : 0));
      $("preparing-bar").value = prepared;
      parts.push(t("progress_proxy", { prepared: percent(prepared), sent: percent(total ? done / total : 0) }));
      parts.push(t(this.bytes.total !== null ? "progress_figures_short" : "progress_figures_about",
                   { done: megabytes(done), total: megabytes(total) }));
    } else {
      parts.push(t("progress_figures", { done: megabytes(done), total: megabytes(total), percent: percent(done / total) }));
    }
    const rate = this.meter.rate();
    if (rate > 0) parts.push(t("progress_speed", { speed: speed(rate), left: roughDuration(Math.max(0, total - done) / rate) }));
    $("sending-figures").textContent = parts.join(" · ");
  }

  // With a new token: carry on if the server lets this token see the upload; else (an upload
  // belongs to the token that made it) the clip has to go again from the start.
  async afterNewToken() {
    $("again").hidden = true;
    $("sending-back").hidden = true;
    $("sending-buttons").hidden = false;
    $("pause").hidden = false;
    if (this.url) {
      const offset = await this.serverOffset().catch((e) => { this.stopWith(e); return undefined; });
      if (offset === undefined) return;
      if (offset === null) {
        $("restart-text").textContent = t("restart_help");
        $("restart").hidden = false;
        $("pause").hidden = true;
        return;
      }
    }
    this.state = "running";
    this.run();
  }

  // Again from byte 0 in a new upload. A proxy is made again too: what was made before was let
  // go as the server acknowledged it.
  restartFromZero() {
    $("restart").hidden = true;
    if (this.record.stage === "proxy") {
      this.stopProxy();
      this.record.proxyUrl = null;
      this.record.clipId = newClipId();
    } else this.record.url = null;
    this.save();
    this.state = "running";
    this.run();
  }
}

class Stop extends Error {}

// Making or sending the proxy went wrong in a way that only the original can put right.
class ProxyFailed extends Error {
  constructor(cause) {
    super(`proxy failed: ${cause && cause.message || cause}`);
    this.cause = cause;
  }
}

// The original's bytes: the File itself, any piece of it at any time.
class OriginalBytes {
  constructor(file) {
    this.role = "original";
    this.file = file;
    this.total = file.size;
    this.estimate = file.size;
    this.end = file.size;
  }
  async piece(offset, max) {
    const size = Math.min(max, this.file.size - offset);
    return { body: this.file.slice(offset, offset + size), size, checksum: false, length: null };
  }
  acknowledged() {}
  complete(offset) { return offset >= this.file.size; }
}

// The proxy's bytes between Mediabunny and tus: what is made waits here, in memory, until the
// server has acknowledged it. Fragmented MP4 is written append-only; a write anywhere else is put
// in its place if those bytes have not gone out yet, and otherwise ends the proxy (the server may
// already hold the old bytes there). Beyond PROXY_MEMORY unacknowledged bytes the conversion waits.
class MadeBytes {
  constructor(estimate) {
    this.role = "proxy";
    this.estimate = estimate;  // a guess at the size, for progress until the conversion ends
    this.base = 0;             // the first byte held: the server has acknowledged all before it
    this.end = 0;              // the end of the bytes made so far, without a gap
    this.handedOut = 0;        // the end of the bytes given to a PATCH at least once
    this.pieces = [];          // Uint8Arrays, back to back from `base` to `end`
    this.ahead = [];           // writes beyond `end`, until the gap before them is filled
    this.finished = false;
    this.failed = null;
    this.waiters = [];
  }

  get total() { return this.finished ? this.end : null; }

  // Mediabunny's StreamTarget writes { type: "write", data, position } chunks into this.
  writable() {
    return new WritableStream({
      write: (chunk) => { this.put(chunk.data, chunk.position); return this.room(); },
      close: () => this.finish(),
      abort: (reason) => this.fail(reason || new Error("aborted")),
    });
  }

  put(data, position) {
    if (this.failed) throw this.failed;
    if (position === this.end) {
      this.pieces.push(data);
      this.end += data.byteLength;
      this.takeAhead();
    } else if (position > this.end) {
      this.ahead.push({ data, position });
    } else if (position < this.handedOut) {
      this.fail(new Error(`a write at ${position} into bytes already sent (up to ${this.handedOut})`));
      throw this.failed;
    } else {
      this.overwrite(data, position);
    }
    this.notify();
  }

  overwrite(data, position) {
    const within = Math.min(data.byteLength, this.end - position);
    let at = this.base;
    for (const piece of this.pieces) {
      const from = Math.max(position, at), to = Math.min(position + within, at + piece.byteLength);
      if (from < to) piece.set(data.subarray(from - position, to - position), from - at);
      at += piece.byteLength;
    }
    if (within < data.byteLength) this.put(data.subarray(within), this.end);
  }

  takeAhead() {
    this.ahead.sort((a, b) => a.position - b.position);
    while (!this.failed && this.ahead.length && this.ahead[0].position <= this.end) {
      const { data, position } = this.ahead.shift();
      this.put(data, position);
    }
  }

  finish() {
    if (this.failed || this.finished) return;
    if (this.ahead.length) { this.fail(new Error("the proxy ended with a gap")); return; }
    this.finished = true;
    this.notify();
  }
  fail(error) {
    if (this.failed || this.finished) return;
    this.failed = error || new Error("failed");
    this.pieces = [];
    this.notify();
  }

  changed() { return new Promise((resolve) => this.waiters.push(resolve)); }
  notify() { const waiting = this.waiters; this.waiters = []; for (const w of waiting) w(); }

  // Backpressure for Mediabunny: resolves once the held bytes are below PROXY_MEMORY.
  async room() {
    while (!this.failed && this.end - this.base >= PROXY_MEMORY) await this.changed();
  }

  async waitForBytes() {
    while (!this.failed && !this.finished && this.end === 0) await this.changed();
    if (this.failed) throw new ProxyFailed(this.failed);
  }

  // The next piece from `offset`, at most `max` bytes: waits until a useful amount is made (a
  // write's worth, or what there is once the conversion has ended).
  async piece(offset, max) {
    while (!this.failed && !this.finished && this.end - offset < Math.min(max, PROXY_WRITE_CHUNK)) await this.changed();
    if (this.failed) throw new ProxyFailed(this.failed);
    if (offset < this.base || offset > this.end) throw new ProxyFailed(new Error(`offset ${offset} outside ${this.base}…${this.end}`));
    const size = Math.min(max, this.end - offset);
    const data = this.copy(offset, size);
    this.handedOut = Math.max(this.handedOut, offset + size);
    const last = this.finished && offset + size === this.end;
    return { body: new Blob([data]), data, size, checksum: true, length: last ? this.end : null };
  }

  copy(offset, size) {
    const out = new Uint8Array(size);
    let at = this.base;
    for (const piece of this.pieces) {
      const from = Math.max(offset, at), to = Math.min(offset + size, at + piece.byteLength);
      if (from < to) out.set(piece.subarray(from - at, to - at), from - offset);
      at += piece.byteLength;
      if (at >= offset + size) break;
    }
    return out;
  }

  // The server has everything before `offset`: let it go. An offset behind what was let go
  // cannot be served any more (the server lost bytes it had acknowledged).
  acknowledged(offset) {
    if (this.failed) throw new ProxyFailed(this.failed);
    if (offset < this.base) throw new ProxyFailed(new Error(`the server went back to ${offset}, behind ${this.base}`));
    while (this.pieces.length && this.base + this.pieces[0].byteLength <= offset) this.base += this.pieces.shift().byteLength;
    if (this.pieces.length && offset > this.base) {
      this.pieces[0] = this.pieces[0].subarray(offset - this.base);
      this.base = offset;
    }
    this.notify();
  }

  complete(offset, lengthDeclared) { return this.finished && offset === this.end && lengthDeclared; }
}

// ==== the proxy: a smaller copy made on the phone ================================================

// The reply's frame, as the server picks it (RenderPlan.canvas): portrait, landscape or square.
function replyFrame(width, height) {
  const aspect = width / height;
  if (aspect < 0.8) return [720, 1280];
  if (aspect > 1.25) return [1280, 720];
  return [720, 720];
}

// "abu.mov" → "abu.mp4": the proxy keeps the clip's name, with its own container's extension.
function proxyName(name, extension) {
  const dot = name.lastIndexOf(".");
  return `${dot > 0 ? name.slice(0, dot) : name}.${extension}`;
}

// Whether and how this phone can make the proxy: loads Mediabunny (only now, when a clip is sent:
// the page itself stays light), opens the clip, and sets the conversion up. Returns
// { conversion, made, seconds, extension }, or { why } when it cannot or need not.
async function planProxy(file, knownDuration) {
  if (typeof VideoDecoder === "undefined" || typeof VideoEncoder === "undefined" || typeof VideoFrame === "undefined") {
    return { why: "no_webcodecs" };
  }
  try {
    const mb = await import(MEDIABUNNY);
    const input = new mb.Input({ source: new mb.BlobSource(file), formats: [mb.MP4, mb.QTFF, mb.WEBM, mb.MATROSKA] });
    const video = await input.getPrimaryVideoTrack();
    if (!video || !(await video.canDecode())) return { why: "cannot_decode" };
    const audio = await input.getPrimaryAudioTrack();
    if (audio && !(await audio.canDecode())) return { why: "cannot_decode" };   // a reply without its sound is no reply
    const seconds = knownDuration || await input.computeDuration();
    if (!(seconds > 0) || seconds > MAX_SECONDS) return { why: "length" };
    // Only worth it when clearly smaller than the clip: on a 64 kb/s link every byte counts, and
    // the clip then goes as it is (a clip already small enough needs no copy).
    const estimate = Math.ceil(seconds * (PROXY_VIDEO_BITRATE + (audio ? PROXY_AUDIO_BITRATE : 0)) / 8);
    if (estimate > file.size * PROXY_WORTH) return { why: "not_smaller" };

    const [width, height] = replyFrame(video.displayWidth, video.displayHeight);
    const videoCodec = await mb.getFirstEncodableVideoCodec(["avc", "vp9"], { width, height, bitrate: PROXY_VIDEO_BITRATE });
    if (!videoCodec) return { why: "cannot_encode" };
    const sound = audio ? await audioPlan(mb, audio) : null;
    if (audio && !sound) return { why: "cannot_encode" };

    // Fragmented MP4 is written append-only, so it can go while it is made; WebM (append-only
    // too) only if MP4 could not carry the codecs this phone can encode.
    const mp4 = new mb.Mp4OutputFormat({ fastStart: "fragmented" });
    const inMp4 = mp4.getSupportedVideoCodecs().includes(videoCodec) && (!sound || mp4.getSupportedAudioCodecs().includes(sound.codec));
    const format = inMp4 ? mp4 : new mb.WebMOutputFormat({ appendOnly: true });
    const made = new MadeBytes(estimate);
    const output = new mb.Output({ format, target: new mb.StreamTarget(made.writable(), { chunked: true, chunkSize: PROXY_WRITE_CHUNK }) });
    const conversion = await mb.Conversion.init({
      input, output,
      tags: {},   // none of the phone's metadata (GPS, make, model) goes into the proxy
      video: (track) => (track.id !== video.id ? { discard: true } : {
        width, height, fit: "contain",            // padded, never cropped, as the server does
        allowRotationMetadata: false,             // the rotation is baked into the pictures
        codec: videoCodec, bitrate: PROXY_VIDEO_BITRATE, keyFrameInterval: PROXY_KEY_FRAME_SECONDS,
      }),
      audio: (track) => (!audio || track.id !== audio.id ? { discard: true } : Object.assign({ bitrate: PROXY_AUDIO_BITRATE }, sound)),
    });
    const used = new Set(conversion.utilizedTracks.map((track) => track.id));
    if (!conversion.isValid || !used.has(video.id) || (audio && !used.has(audio.id))) return { why: "cannot_encode" };
    return { conversion, made, seconds, extension: inMp4 ? "mp4" : "webm" };
  } catch (e) {
    console.warn("no proxy:", e);
    return { why: "error" };
  }
}

// AAC, else Opus; 48 kHz stereo where the phone's encoder takes it, else the clip's own layout.
async function audioPlan(mb, audio) {
  for (const layout of [{ numberOfChannels: 2, sampleRate: 48000 },
                        { numberOfChannels: audio.numberOfChannels, sampleRate: audio.sampleRate }]) {
    const codec = await mb.getFirstEncodableAudioCodec(["aac", "opus"], Object.assign({ bitrate: PROXY_AUDIO_BITRATE }, layout));
    if (codec) return Object.assign({ codec }, layout);
  }
  return null;
}

// An original kept for Wi-Fi goes by itself when the phone is on Wi-Fi, if the page holds the
// clip and the worker is not in the middle of something (the list or the sent screen shows).
function sendOriginalsOnWifi() {
  if (!onWifi() || sender || ($("home").hidden && $("sent").hidden)) return;
  for (const [clipId, record] of Object.entries(originalRecords())) {
    const file = originalFiles.get(clipId);
    if (record.originalWhen === "wifi" && file) {
      startSending(file, fingerprintOf(file, record.request), record, []);
      return;
    }
  }
}

// Speed over the last few seconds, for "8 KB/s, about 3 minutes left".
class Meter {
  constructor() { this.samples = []; }
  start(done) { this.samples = [[Date.now(), done]]; }
  add(done) {
    const now = Date.now();
    this.samples.push([now, done]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 20000) this.samples.shift();
  }
  rate() {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0], [t1, b1] = this.samples[this.samples.length - 1];
    return t1 - t0 > 1000 ? Math.max(0, (b1 - b0) / ((t1 - t0) / 1000)) : 0;
  }
}

// Caption files are small: one PUT each, under a name of their own, before the clip.
async function sendCaptions(files, record) {
  const out = [];
  for (const [i, file] of files.entries()) {
    const m = file.name.toLowerCase().match(/\.([a-z]{2,3}(?:-[a-z0-9]+)?)\.(srt|vtt)$/);
    const language = m ? m[1] : record.languages[0] || "en";
    const ext = file.name.toLowerCase().endsWith(".vtt") ? "vtt" : "srt";
    const name = `field-${Date.now().toString(36)}-${i}.${language}.${ext}`;
    await api(`/api/uploads/${encodeURIComponent(name)}`, { method: "PUT", body: file, quiet: true });
    out.push({ file: name, language, burn: language === (record.languages[0] || language) });
  }
  return out;
}

function tusMetadata(pairs) {
  const b64 = (text) => {
    let binary = "";
    for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
    return btoa(binary);
  };
  return Object.entries(pairs).filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k} ${b64(String(v))}`).join(",");
}

// The sent screen. After a proxy it also says where the original stands: in too, or waiting for
// Wi-Fi or for the worker. An original sent on its own later says nothing of consent (that may
// have been added since, in My sent clips).
let sentShown = null;
function showSent(record, options = {}) {
  sentShown = [record, options];
  fillSent(record, options);
  show("sent");
  $("sent").focus();
  loadReceipts();
  loadRequests();
}

function fillSent(record, { waits = false, proxiedHere = false }) {
  $("sent-what").replaceChildren(...tNodes("sent_what", { file: record.name, handle: record.handle || "" }));
  $("sent-consent").hidden = !!record.consent || (record.stage === "original" && !proxiedHere);
  const original = $("sent-original");
  original.hidden = record.stage !== "original";
  original.textContent = !waits ? t("sent_original_in")
    : record.originalWhen === "wifi" && knowsWifi() ? t("sent_original_wifi") : t("sent_original_later");
}

// ==== SHA-256, streaming ======================================================================
// crypto.subtle cannot hash in pieces (and is missing over plain http), and a clip may be far
// bigger than a cheap phone's memory, so the file is read 2 MiB at a time through this.

const SHA256_K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

class Sha256 {
  constructor() {
    this.h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Int32Array(64);
    this.buffer = new Uint8Array(64);
    this.buffered = 0;
    this.length = 0;
  }

  update(bytes) {
    let i = 0;
    this.length += bytes.length;
    if (this.buffered > 0) {
      i = Math.min(64 - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, i), this.buffered);
      this.buffered += i;
      if (this.buffered < 64) return this;
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; i + 64 <= bytes.length; i += 64) this.block(bytes, i);
    if (i < bytes.length) { this.buffer.set(bytes.subarray(i)); this.buffered = bytes.length - i; }
    return this;
  }

  block(p, o) {
    const w = this.w, h = this.h, k = SHA256_K;
    for (let j = 0; j < 16; j++, o += 4) w[j] = (p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3];
    for (let j = 16; j < 64; j++) {
      const x = w[j - 15], y = w[j - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[j] = (w[j - 16] + s0 + w[j - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let j = 0; j < 64; j++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + k[j] + w[j]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }

  hex() {
    this.finish();
    return Array.from(this.h, (x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
  }

  digest() {
    this.finish();
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    this.h.forEach((x, i) => view.setUint32(i * 4, x >>> 0));
    return out;
  }

  finish() {
    const bits = this.length * 8;
    const tail = new Uint8Array(this.buffered < 56 ? 64 - this.buffered : 128 - this.buffered);
    tail[0] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.length - 4, bits >>> 0);
    this.update(tail);
  }
}

// The whole file's SHA-256, a piece at a time, telling progress; `gate` lets a pause hold it.
async function sha256OfFile(file, progress, gate) {
  const hash = new Sha256();
  for (let at = 0; at < file.size; at += HASH_PIECE) {
    await gate();
    hash.update(new Uint8Array(await readBlob(file.slice(at, at + HASH_PIECE))));
    progress(Math.min(1, (at + HASH_PIECE) / file.size));
  }
  return hash.hex();
}

// The base64 SHA-256 of one piece of a proxy, for tus's Upload-Checksum. WebCrypto where the page
// has it (https); this file's own SHA-256 over plain http.
async function checksumOf(bytes) {
  const digest = window.crypto && crypto.subtle
    ? new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))
    : new Sha256().update(bytes).digest();
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// Blob.arrayBuffer() is missing on older Android browsers; FileReader is everywhere.
function readBlob(blob) {
  if (blob.arrayBuffer) return blob.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

// ==== wiring =================================================================================

function confirmStep(openId, panelId, yesId, noId, onYes) {
  $(openId).addEventListener("click", () => { $(panelId).hidden = false; $(openId).hidden = true; $(yesId).focus(); });
  $(noId).addEventListener("click", () => { $(panelId).hidden = true; $(openId).hidden = false; $(openId).focus(); });
  $(yesId).addEventListener("click", () => { $(panelId).hidden = true; $(openId).hidden = false; onYes(); });
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  askForToken("");
}

async function signIn(value, errorElement) {
  localStorage.setItem(TOKEN_KEY, value.trim());
  try {
    session = (await api("/api/session", { quiet: true })).body;
  } catch (e) {
    showError(errorElement, e, "error_token");
    return false;
  }
  if (!session.permissions.includes("upload")) { errorElement.textContent = t("error_not_field_token"); return false; }
  showWho();
  return true;
}

async function changeLanguage(code) {
  localStorage.setItem(LANG_KEY, code);
  if (!(await useLanguage(code))) return;
  // Everything drawn from data is drawn again in the new words.
  showWho();
  renderRequests();
  renderReceipts();
  if (chosen && !$("film").hidden) showVerdict(chosen.verdict);
  if (current && !$("film").hidden) $("film-request").replaceChildren(...requestCard(current, false).childNodes);
  if (!$("sent").hidden && sentShown) fillSent(...sentShown);
  if (sender) sender.render();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("language").addEventListener("change", (e) => changeLanguage(e.target.value));
  $("sign-in").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!$("token").value.trim()) { $("sign-in-error").textContent = t("need_token"); $("token").focus(); return; }
    if (await signIn($("token").value, $("sign-in-error"))) { $("token").value = ""; start(); }
  });
  confirmStep("sign-out", "sign-out-confirm", "sign-out-yes", "sign-out-no", signOut);
  // Both refreshes fetch both lists: a receipt's "Film again" needs the request's latest state.
  const refresh = () => Promise.all([loadRequests(), loadReceipts()]);
  $("refresh").addEventListener("click", refresh);
  $("receipts-refresh").addEventListener("click", refresh);
  $("film-back").addEventListener("click", closeScreens);
  $("resume-back").addEventListener("click", closeScreens);
  $("clip").addEventListener("change", onClipChosen);
  $("clip-again").addEventListener("click", () => { $("clip").value = ""; onClipChosen(); $("clip").focus(); });
  $("film-form").addEventListener("submit", submitForm);
  for (const radio of document.querySelectorAll("input[name=original-when]")) radio.addEventListener("change", onOriginalWhenChosen);
  // Wi-Fi or not (Android): an original kept for Wi-Fi goes when the phone joins it.
  if (navigator.connection && navigator.connection.addEventListener) navigator.connection.addEventListener("change", sendOriginalsOnWifi);
  $("resume-clip").addEventListener("change", onResumeChosen);
  confirmStep("resume-forget", "resume-forget-confirm", "resume-forget-yes", "resume-forget-no", forgetResume);
  $("pause").addEventListener("click", () => { if (sender) { sender.pause(false); $("carry-on").focus(); } });
  $("carry-on").addEventListener("click", () => { if (sender) { sender.resume(); $("pause").focus(); } });
  confirmStep("cancel", "cancel-confirm", "cancel-yes", "cancel-no", async () => {
    if (!sender) return;
    await sender.cancel();
    sender = null;
    closeScreens();
  });
  $("again").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!$("again-token").value.trim()) { $("again-error").textContent = t("need_token"); $("again-token").focus(); return; }
    if (sender && await signIn($("again-token").value, $("again-error"))) sender.afterNewToken();
  });
  $("restart-yes").addEventListener("click", () => { if (sender) sender.restartFromZero(); });
  $("sending-back").addEventListener("click", () => {
    if (sender) sender.stopProxy();   // a proxy still being made behind a lost code is let go
    sender = null;
    closeScreens();
  });
  $("sent-list").addEventListener("click", closeScreens);
  $("sent-receipts").addEventListener("click", () => {
    closeScreens();
    $("receipts").scrollIntoView();
    $("receipts").focus();
  });
  // The phone's own idea of the signal: sending waits while it is gone and carries on when back.
  const signal = () => {
    $("offline").hidden = navigator.onLine;
    if (!sender || !sender.running) return;
    if (navigator.onLine) { if (sender.state === "offline") sender.resume(); } else sender.pause(true);
  };
  window.addEventListener("online", signal);
  window.addEventListener("offline", signal);
  setInterval(() => {
    if (!session || sender || $("home").hidden) return;
    loadRequests();
    loadReceipts();
  }, REFRESH_MS);

  await loadLanguages();
  await useLanguage(preferredLanguage());
  document.body.classList.add("ready");
  signal();
  start();
});
