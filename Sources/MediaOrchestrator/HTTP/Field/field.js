// The field page: a camp's phone lists the requests its camp still has to film, and sends the
// reply through tus in chunks. Each upload's address is kept in this browser's storage under
// the file's fingerprint, so after a reload or a lost signal the same clip carries on from the
// offset HEAD reports instead of starting again. Text from requests is set as text, never HTML.
"use strict";

const TOKEN_KEY = "mediaorch.field.token";
const UPLOADS_KEY = "mediaorch.field.uploads";
const CHUNK = 2 * 1024 * 1024;          // small enough to finish between drops on a weak link
const RETRY_DELAYS = [1, 2, 4, 8, 15];  // seconds; the last one repeats until the link is back

const $ = (id) => document.getElementById(id);
let requests = [];
let sending = false;

// ---- storage -----------------------------------------------------------------------------
const token = () => localStorage.getItem(TOKEN_KEY);
function unfinished() {
  try { return JSON.parse(localStorage.getItem(UPLOADS_KEY) || "{}"); } catch { return {}; }
}
function remember(fingerprint, record) {
  const all = unfinished();
  if (record) all[fingerprint] = record; else delete all[fingerprint];
  localStorage.setItem(UPLOADS_KEY, JSON.stringify(all));
}
const fingerprintOf = (file, requestId) => [requestId, file.name, file.size, file.lastModified].join("|");

// ---- API ---------------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) { signOut("This token is not accepted any more: ask the command centre for a new one."); throw new Error("unauthorised"); }
  const text = await response.text();
  const body = text && (response.headers.get("content-type") || "").includes("json") ? JSON.parse(text) : null;
  if (!response.ok) throw new Error((body && body.error && body.error.message) || `${response.status} ${response.statusText}`);
  return { body, response };
}

function signOut(message) {
  localStorage.removeItem(TOKEN_KEY);
  $("field").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("who").textContent = "";
}

// ---- start -------------------------------------------------------------------------------
async function start() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  if (!token()) { signOut(); return; }
  let session;
  try { session = (await api("/api/session")).body; } catch (e) {
    if (e.message !== "unauthorised") { $("sign-in").hidden = false; $("sign-in-error").textContent = e.message; }
    return;
  }
  if (!session.permissions.includes("upload")) { signOut(`A ${session.role} token cannot send clips; use the dashboard.`); return; }
  $("sign-in").hidden = true;
  $("field").hidden = false;
  $("who").textContent = session.camp ? `${session.name} · ${session.camp}` : session.name;
  await loadRequests();
  showUnfinished();
  setInterval(() => { if (!sending) loadRequests().catch(() => {}); }, 30000);
}

async function loadRequests() {
  try {
    requests = (await api("/api/requests")).body || [];
  } catch (e) {
    if (e.message === "unauthorised") return;
    $("requests-empty").hidden = false;
    $("requests-empty").textContent = `Could not load requests (${e.message}); try Refresh.`;
    return;
  }
  const list = $("request-list");
  list.replaceChildren(...requests.map((r) => requestCard(r, true)));
  $("requests-empty").hidden = requests.length > 0;
  $("requests-empty").textContent = "Nothing to film right now.";
}

function requestCard(r, withButton) {
  const card = document.createElement("article");
  card.className = "request";
  card.dataset.requestId = r.id;
  card.dataset.camp = r.camp;
  const handle = document.createElement("div");
  handle.className = "handle";
  handle.textContent = `Reply to ${r.handle}`;
  const tweet = document.createElement("p");
  tweet.className = "tweet";
  tweet.textContent = r.tweet_text;
  card.append(handle, tweet);
  if (r.note) {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = r.note;
    card.append(note);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  const parts = [`captions: ${r.languages.join(", ")}`, r.camp];
  if (r.deadline) {
    const left = (Date.parse(r.deadline) - Date.now()) / 1000;
    const due = document.createElement("span");
    due.textContent = left > 0 ? `due in ${duration(left)}` : "past its deadline";
    if (left < 3600) due.className = "due-soon";
    meta.append(due, document.createTextNode(" · "));
  }
  meta.append(document.createTextNode(parts.join(" · ")));
  card.append(meta);
  if (withButton) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "film";
    button.textContent = "Film a reply";
    button.addEventListener("click", () => openForm(r));
    card.append(button);
  }
  return card;
}

// ---- the form ----------------------------------------------------------------------------
let current = null;
function openForm(request) {
  current = request;
  $("film-request").replaceChildren(...requestCard(request, false).childNodes);
  $("film-form").reset();
  $("film-error").textContent = "";
  $("requests").hidden = true;
  $("film").hidden = false;
  window.scrollTo(0, 0);
}

function closeForm() {
  current = null;
  $("film").hidden = true;
  $("sending").hidden = true;
  $("requests").hidden = false;
  showUnfinished();
  loadRequests();
}

async function submitForm(event) {
  event.preventDefault();
  const file = $("clip").files[0];
  if (!file || !current) return;
  const record = {
    request: current.id, handle: current.handle, name: file.name, size: file.size,
    speaker: $("speaker").value.trim(), consent: $("consent").checked,
    languages: current.languages, captions: null, url: null,
  };
  const fingerprint = fingerprintOf(file, current.id);
  const existing = unfinished()[fingerprint];
  $("film").hidden = true;
  await send(file, fingerprint, existing || record, [...$("captions").files]);
}

// ---- sending -----------------------------------------------------------------------------
async function send(file, fingerprint, record, captionFiles = []) {
  sending = true;
  $("requests").hidden = true;
  $("unfinished").hidden = true;
  $("sending").hidden = false;
  $("sending-done").hidden = true;
  $("sending-title").textContent = `${file.name} → ${record.handle}`;
  const status = (text) => { $("sending-status").textContent = text; };
  status("Sending…");
  try {
    if (!record.captions) {
      record.captions = await sendCaptions(captionFiles, record);
      remember(fingerprint, record);
    }
    let offset = 0;
    if (record.url) {
      // Where the server stands; with no signal yet, wait for it rather than give up.
      for (let tries = 0; ; tries++) {
        try { offset = await headOffset(record.url); break; } catch (e) {
          const wait = RETRY_DELAYS[Math.min(tries, RETRY_DELAYS.length - 1)];
          status(`Waiting for the link (${e.message}); trying again in ${wait} s…`);
          await sleep(wait * 1000);
        }
      }
      if (offset === null) { record.url = null; } else { status(`Carrying on from ${mb(offset)} MB.`); }
    }
    if (!record.url) {
      record.url = await create(file, record);
      remember(fingerprint, record);
      offset = 0;
    }
    const meter = new Meter(file.size, offset);
    let failures = 0;
    while (offset < file.size) {
      try {
        offset = await patch(record.url, file, offset, (sent) => meter.show(sent));
        failures = 0;
        meter.show(offset);
      } catch (e) {
        if (e.fatal) throw e;
        const wait = RETRY_DELAYS[Math.min(failures, RETRY_DELAYS.length - 1)];
        failures += 1;
        status(`Link lost (${e.message}); trying again in ${wait} s…`);
        await sleep(wait * 1000);
        const known = await headOffset(record.url).catch(() => undefined);
        if (known === null) throw Object.assign(new Error("the server no longer has this upload (it expired); send the clip again"), { fatal: true });
        if (typeof known === "number") { offset = known; meter.show(offset); status(`Carrying on from ${mb(offset)} MB.`); }
      }
    }
    remember(fingerprint, null);
    status("Sent. The command centre has it and the reply is being made.");
    $("sending-status").dataset.done = "true";
  } catch (e) {
    status(`Not sent: ${e.message}`);
    $("sending-status").dataset.failed = "true";
  } finally {
    sending = false;
    $("sending-done").hidden = false;
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
    await api(`/api/uploads/${encodeURIComponent(name)}`, { method: "PUT", body: file });
    out.push({ file: name, language, burn: language === (record.languages[0] || language) });
  }
  return out;
}

function metadata(pairs) {
  const b64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  return Object.entries(pairs).filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k} ${b64(String(v))}`).join(",");
}

async function create(file, record) {
  const { response } = await api("/api/tus/", {
    method: "POST",
    headers: {
      "Tus-Resumable": "1.0.0", "Upload-Length": String(file.size),
      "Upload-Metadata": metadata({
        filename: file.name, request: record.request, speaker: record.speaker, consent: record.consent ? "true" : "false",
        captions: record.captions.length ? JSON.stringify(record.captions) : null,
      }),
    },
  });
  return response.headers.get("Location");
}

// The server's offset; null when it no longer knows the upload (expired, removed).
async function headOffset(url) {
  const response = await fetch(url, { method: "HEAD", headers: { Authorization: `Bearer ${token()}`, "Tus-Resumable": "1.0.0" }, cache: "no-store" });
  if (response.status === 404 || response.status === 410) return null;
  if (!response.ok) throw new Error(`${response.status}`);
  return parseInt(response.headers.get("Upload-Offset"), 10);
}

// One chunk by XMLHttpRequest (fetch reports no upload progress); resolves with the new offset.
async function patch(url, file, offset, progress) {
  const chunk = file.slice(offset, Math.min(offset + CHUNK, file.size));
  let checksum = null;
  if (window.crypto && crypto.subtle) { // only in a secure context (https or localhost)
    const digest = await crypto.subtle.digest("SHA-256", await chunk.arrayBuffer());
    checksum = "sha256 " + btoa(String.fromCharCode(...new Uint8Array(digest)));
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PATCH", url);
    xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("Upload-Offset", String(offset));
    xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
    if (checksum) xhr.setRequestHeader("Upload-Checksum", checksum);
    xhr.timeout = 120000;
    xhr.upload.onprogress = (e) => progress(offset + e.loaded);
    xhr.onload = () => {
      if (xhr.status === 204) { resolve(parseInt(xhr.getResponseHeader("Upload-Offset"), 10)); return; }
      let message = `${xhr.status}`;
      try { message = JSON.parse(xhr.responseText).error.message; } catch {}
      // A wrong offset, a checksum mismatch, a busy upload or a full disk: ask HEAD and go on.
      const fatal = [400, 403, 404, 410, 413, 415].includes(xhr.status);
      reject(Object.assign(new Error(message), { fatal }));
    };
    xhr.onerror = () => reject(new Error("no connection"));
    xhr.ontimeout = () => reject(new Error("timed out"));
    xhr.send(chunk);
  });
}

// Progress, speed over the last few seconds, time left.
class Meter {
  constructor(total, start) { this.total = total; this.samples = [[Date.now(), start]]; this.show(start); }
  show(done) {
    const now = Date.now();
    this.samples.push([now, done]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 8000) this.samples.shift();
    const [t0, b0] = this.samples[0];
    const speed = now > t0 ? Math.max(0, (done - b0) / ((now - t0) / 1000)) : 0;
    const fraction = this.total ? done / this.total : 1;
    $("sending-bar").style.width = `${(fraction * 100).toFixed(1)}%`;
    $("sending-bar").dataset.fraction = fraction.toFixed(4);
    const left = speed > 0 ? `${duration((this.total - done) / speed)} left` : "";
    $("sending-figures").textContent = `${mb(done)} of ${mb(this.total)} MB · ${(speed / 1048576).toFixed(2)} MB/s${left ? " · " + left : ""}`;
  }
}

// ---- unfinished uploads after a reload ---------------------------------------------------
function showUnfinished() {
  const entries = Object.entries(unfinished());
  $("unfinished").hidden = entries.length === 0 || sending;
  $("unfinished-list").replaceChildren(...entries.map(([fingerprint, record]) => {
    const row = document.createElement("div");
    row.className = "pending";
    row.dataset.fingerprint = fingerprint;
    const text = document.createElement("p");
    text.textContent = `${record.name} (${mb(record.size)} MB) → ${record.handle}, spoken by ${record.speaker || "?"}`;
    const input = document.createElement("input");
    input.type = "file";
    input.accept = "video/*";
    input.className = "resume";
    const forget = document.createElement("button");
    forget.type = "button";
    forget.className = "link";
    forget.textContent = "Forget this upload";
    forget.addEventListener("click", async () => {
      if (record.url) await fetch(record.url, { method: "DELETE", headers: { Authorization: `Bearer ${token()}`, "Tus-Resumable": "1.0.0" } }).catch(() => {});
      remember(fingerprint, null);
      showUnfinished();
    });
    const error = document.createElement("p");
    error.className = "error";
    input.addEventListener("change", () => {
      const file = input.files[0];
      if (!file) return;
      if (fingerprintOf(file, record.request) !== fingerprint) {
        error.textContent = `That is not ${record.name}; choose the same clip.`;
        return;
      }
      send(file, fingerprint, record);
    });
    row.append(text, input, forget, error);
    return row;
  }));
}

// ---- helpers -----------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => (bytes / 1048576).toFixed(1);
function duration(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(TOKEN_KEY, $("token").value.trim());
    start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("refresh").addEventListener("click", () => loadRequests());
  $("film-back").addEventListener("click", closeForm);
  $("film-form").addEventListener("submit", submitForm);
  $("sending-done").addEventListener("click", closeForm);
  const online = () => { $("offline").hidden = navigator.onLine; };
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  online();
  start();
});
