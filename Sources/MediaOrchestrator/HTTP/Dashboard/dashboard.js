// The command centre's screen. Plain JS, no build step: it loads the job list from the API,
// then follows /api/events (server-sent events, read through fetch so the bearer token can be
// sent) and redraws what changed. Text from jobs is always set as text, never as HTML.
"use strict";

const TOKEN_KEY = "mediaorch.token";
// Columns: a job's state, except that finished replies are split into the to-do list of replies
// not yet posted, the posted ones, and editors' cuts (which are never posted).
const STATES = ["running", "queued", "failed", "dead", "succeeded", "posted", "cuts", "cancelled"];
const jobs = new Map();          // id -> job as /api/jobs returns it
const requests = new Map();      // id -> reply request (for the time since it was made)
let session = null;              // { name, role, permissions }
let openJobId = null;            // the job in the detail panel
let eventsAbort = null;

const $ = (id) => document.getElementById(id);
const may = (permission) => !!session && session.permissions.includes(permission);

// ---- token -------------------------------------------------------------------------------
// A link may carry the token after '#' (never sent to the server); it moves into this tab's
// session storage and out of the address bar at once.
function takeTokenFromAddress() {
  const match = location.hash.match(/token=([^&]+)/);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}
const token = () => sessionStorage.getItem(TOKEN_KEY);

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  if (options.body && typeof options.body !== "string") {
    options.body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) { signOut("Your token was not accepted (revoked or mistyped)."); throw new Error("unauthorised"); }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error((body && body.error && body.error.message) || `${response.status} ${response.statusText}`);
  return body;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (eventsAbort) eventsAbort.abort();
  session = null;
  $("board").hidden = true; $("detail").hidden = true; $("sign-out").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  setStatus("offline");
}

// ---- start -------------------------------------------------------------------------------
async function start() {
  if (!token()) { signOut(); return; }
  try {
    session = await api("/api/session");
  } catch (e) {
    if (e.message !== "unauthorised") $("sign-in-error").textContent = e.message;
    return;
  }
  $("sign-in").hidden = true;
  $("status").hidden = false;
  $("who").textContent = `${session.name} · ${session.role}`;
  $("sign-out").hidden = false;
  $("upload-panel").hidden = !may("upload");
  $("field-link").hidden = !may("upload");
  if (!may("readJobs")) {
    // An uploader's token: the upload form is all there is.
    $("board").hidden = true;
    $("status").hidden = true; // no live stream for this role
    $("upload-panel").open = true;
    return;
  }
  $("board").hidden = false;
  await reload();
  followEvents();
  showNodes();
}

// ---- nodes: which machines render, which leads maintenance, which went silent ---------------
async function showNodes() {
  if (!session || !may("readJobs")) return;
  try {
    const nodes = await api("/api/nodes");
    const box = $("nodes");
    box.replaceChildren(el("span", {}, "Nodes"), ...nodes.map((n) => el("span", {
      class: `node node-${n.state}`,
      title: `${n.name}: ${n.state}, last heartbeat ${ago(Date.now() / 1000 - n.heartbeat_age)}, version ${n.version}, ${n.workers} worker(s)` +
             (n.jobs.length ? `, rendering ${n.jobs.join(", ")}` : "") + (n.leader ? ", leads maintenance" : ""),
    }, `${n.state === "up" ? "●" : "○"} ${n.name}${n.leader ? " ★" : ""}${n.state === "up" ? "" : " " + n.state}${n.jobs.length ? ` (${n.jobs.length})` : ""}`)));
  } catch (e) {
    // Shown by the health check and the live status; the strip keeps its last state.
  }
}

async function reload() {
  // The newest 500 are plenty for a live screen; older jobs are one filter away in the API.
  const [list, asked] = await Promise.all([api("/api/jobs?limit=500"), api("/api/requests?limit=500")]);
  jobs.clear();
  for (const job of list) jobs.set(job.id, job);
  requests.clear();
  for (const request of asked) requests.set(request.id, request);
  renderAll();
}

// ---- live events ---------------------------------------------------------------------------
async function followEvents() {
  if (eventsAbort) eventsAbort.abort();
  eventsAbort = new AbortController();
  const signal = eventsAbort.signal;
  try {
    const response = await fetch("/api/events", { headers: { Authorization: `Bearer ${token()}` }, signal });
    if (!response.ok) throw new Error(`${response.status}`);
    setStatus("live");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    if (signal.aborted) return;
  }
  // The line dropped (restart, network): catch up on what was missed, then follow again.
  setStatus("reconnecting");
  setTimeout(async () => { try { await reload(); } catch (e) {} followEvents(); }, 2000);
}

function handleEvent(block) {
  let type = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const payload = JSON.parse(data);
  if (type === "job") {
    const known = jobs.get(payload.id);
    if (known && known.state === payload.state && payload.state === "running" && !payload.progress) payload.progress = known.progress;
    jobs.set(payload.id, payload);
    renderAll();
    if (openJobId === payload.id) openDetail(payload.id);
  } else if (type === "request") {
    requests.set(payload.id, payload);
    renderAll();
  } else if (type === "progress") {
    const job = jobs.get(payload.job_id);
    if (!job) return;
    job.progress = payload;
    updateProgress(payload.job_id);
  }
}

function setStatus(state) {
  const status = $("status");
  status.className = `status ${state}`;
  status.textContent = state;
}

// ---- the board -------------------------------------------------------------------------------
function visible(job) {
  const camp = $("filter-camp").value.trim().toLowerCase();
  const template = $("filter-template").value.trim().toLowerCase();
  return (!camp || (job.camp || "").toLowerCase().includes(camp)) &&
         (!template || job.template.toLowerCase().includes(template));
}

function renderAll() {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const state of STATES) {
    const section = $(`state-${state}`);
    const list = section.querySelector(".jobs");
    const rows = [...jobs.values()].filter((j) => column(j) === state && visible(j))
      .sort((a, b) => state === "queued" ? a.priority - b.priority || a.created_at - b.created_at
                    : state === "succeeded" ? askedAt(a) - askedAt(b) // the longest-waiting reply first
                    : b.updated_at - a.updated_at);
    counts[state] = rows.length;
    list.replaceChildren(...rows.map(row));
    section.classList.toggle("empty", rows.length === 0);
  }
  $("counts").textContent = STATES.map((s) => `${s} ${counts[s]}`).join(" · ");
}

function isCut(job) { return !!job.parent_id || job.template.startsWith("bts-cut"); }
function column(job) {
  if (job.state !== "succeeded") return job.state;
  if (isCut(job)) return "cuts";
  return job.posted_url ? "posted" : "succeeded";
}
// When the reply was asked for: its request's time, else when its clip was queued.
function askedAt(job) {
  const request = job.request_id && requests.get(job.request_id);
  return request ? request.created_at : job.created_at;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function row(job) {
  const title = [job.source_name, job.handle, job.camp].filter(Boolean).join(" · ");
  const article = el("article", { class: "job", "data-job-id": job.id, "data-state": job.state });
  const thumb = job.thumbnail_url ? el("img", { class: "thumb", src: job.thumbnail_url, alt: `Frame of ${job.source_name}` })
                                  : el("div", { class: "thumb none" }, job.state === "succeeded" ? "no picture" : "");
  const where = column(job);
  const when = where === "succeeded" ? `asked ${ago(askedAt(job))}`
             : where === "posted" ? `posted ${ago(job.posted_at)} by ${job.posted_by}` : ago(job.updated_at);
  const titleLine = el("div", { class: "title" }, title);
  if (!isCut(job) && !job.consent) titleLine.append(el("span", { class: "badge no-consent", title: "the speaker's consent is not recorded: do not post" }, "no consent"));
  const info = el("div", { class: "info" },
    titleLine,
    el("div", { class: "meta" }, `${job.template} · try ${job.attempts}/${job.max_attempts} · ${when}`));
  if (where === "posted") info.append(el("a", { class: "meta posted-link", href: job.posted_url, target: "_blank", rel: "noopener", textContent: job.posted_url }));
  if (job.state === "running") {
    const fraction = job.progress ? job.progress.fraction : 0;
    info.append(el("div", { class: "progress", role: "progressbar" },
      el("div", { class: "progress-bar", "data-fraction": fraction.toFixed(3) })),
      el("div", { class: "eta" }, progressText(job.progress)));
    info.querySelector(".progress-bar").style.width = `${(fraction * 100).toFixed(1)}%`;
  }
  if (job.state === "failed" && job.next_attempt_at) {
    info.append(el("div", { class: "meta" }, `next try ${inSeconds(job.next_attempt_at)}`));
  }
  if (job.last_error && job.state !== "succeeded") info.append(el("div", { class: "reason" }, job.last_error));
  const actions = el("div", { class: "actions" });
  if (may("controlJobs") && ["failed", "dead", "cancelled", "succeeded"].includes(job.state)) {
    actions.append(button(job.state === "succeeded" ? "Run again" : "Retry", "retry", () => act(job.id, "retry")));
  }
  if (may("controlJobs") && ["queued", "running", "failed"].includes(job.state)) {
    actions.append(button("Cancel", "cancel", () => act(job.id, "cancel")));
  }
  if (may("markPosted") && where === "succeeded") {
    actions.append(button("Posted…", "post", () => markPosted(job.id)));
  }
  actions.append(button("Details", "details", () => openDetail(job.id)));
  article.append(thumb, info, actions);
  return article;
}

function button(label, kind, action) {
  const b = el("button", { type: "button", class: kind, textContent: label });
  b.addEventListener("click", async (event) => {
    event.stopPropagation();
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}

function updateProgress(id) {
  const job = jobs.get(id);
  const article = document.querySelector(`article.job[data-job-id="${CSS.escape(id)}"]`);
  if (!job || !article || job.state !== "running") return;
  const bar = article.querySelector(".progress-bar");
  const eta = article.querySelector(".eta");
  if (!bar) { renderAll(); return; }
  bar.style.width = `${(job.progress.fraction * 100).toFixed(1)}%`;
  bar.setAttribute("data-fraction", job.progress.fraction.toFixed(3));
  eta.textContent = progressText(job.progress);
}

function progressText(p) {
  if (!p) return "starting…";
  const left = p.estimated_seconds_left == null ? "" : `, about ${Math.ceil(p.estimated_seconds_left)} s left`;
  return `${p.stage} ${Math.round(p.fraction * 100)}% (${p.position.toFixed(1)} of ${p.duration.toFixed(1)} s${left})`;
}

function ago(seconds) {
  const d = Math.max(0, Date.now() / 1000 - seconds);
  if (d < 60) return `${Math.round(d)} s ago`;
  if (d < 3600) return `${Math.round(d / 60)} min ago`;
  return new Date(seconds * 1000).toLocaleString();
}
function inSeconds(seconds) {
  const d = seconds - Date.now() / 1000;
  return d <= 0 ? "now" : `in ${Math.ceil(d)} s`;
}

async function act(id, action) {
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/${action}`, { method: "POST" });
    jobs.set(job.id, job);
    renderAll();
    toast(action === "retry" ? `${id}: queued again` : `${id}: cancelled`);
  } catch (e) {
    if (e.message !== "unauthorised") toast(e.message);
  }
}

// The command centre posted the reply on X: record where (the job and its request move to Posted).
async function markPosted(id) {
  const url = window.prompt("Address of the posted reply on X (https://x.com/…/status/…)");
  if (!url) return;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/posted`, { method: "POST", body: { url } });
    jobs.set(job.id, job);
    renderAll();
    toast(`${id}: posted`);
  } catch (e) {
    if (e.message !== "unauthorised") toast(e.message);
  }
}

// ---- detail panel -------------------------------------------------------------------------------
async function openDetail(id) {
  openJobId = id;
  let detail;
  try { detail = await api(`/api/jobs/${encodeURIComponent(id)}`); } catch (e) { toast(e.message); return; }
  const job = detail.job;
  $("detail").hidden = false;
  $("detail-title").textContent = job.source_name;
  $("detail-meta").textContent = [job.id, job.state, job.template, job.handle, job.speaker, job.camp].filter(Boolean).join(" · ");
  $("detail-error").textContent = job.state === "succeeded" ? "" : (job.last_error || "");
  const outputs = detail.outputs || [];
  const reply = outputs.find((o) => o.name === "reply.mp4") || outputs.find((o) => o.name === "bts.mp4");
  const player = $("player");
  if (reply) {
    if (player.getAttribute("data-for") !== reply.name + id) { player.src = reply.url; player.setAttribute("data-for", reply.name + id); }
    player.hidden = false;
  } else { player.hidden = true; player.removeAttribute("src"); player.removeAttribute("data-for"); }
  const draft = detail.manifest && detail.manifest.post_draft;
  $("post").hidden = !draft;
  if (draft) {
    $("post-text").value = draft.text;
    $("copy-done").textContent = detail.manifest.ready_to_post ? "" : `Not ready: ${detail.manifest.not_ready_reasons.join("; ")}`;
  }
  $("downloads").hidden = outputs.length === 0;
  $("output-list").replaceChildren(...outputs.map((o) =>
    el("li", {}, el("a", { href: o.url, download: o.name, textContent: o.name }), ` ${(o.bytes / 1e6).toFixed(2)} MB · ${o.content_type}`)));
  $("cut-form").hidden = !may("requestCuts") || job.template.startsWith("bts-cut");
  $("retry-form").hidden = !may("controlJobs") || !["failed", "dead", "cancelled", "succeeded"].includes(job.state);
  $("retry-result").textContent = "";
  $("attempts").replaceChildren(...detail.attempts.map((a) =>
    el("li", {}, `${new Date(a.started_at * 1000).toLocaleTimeString()} on ${a.worker}: ${a.outcome || "running"}${a.error ? " — " + a.error : ""}`)));
}

async function copyPost() {
  const text = $("post-text").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // Plain http on a LAN address is not a secure context: fall back to selecting the text.
    $("post-text").select();
    document.execCommand("copy");
  }
  $("copy-done").textContent = "Copied.";
}

async function requestCut(event) {
  event.preventDefault();
  const end = $("cut-end").value;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(openJobId)}/cuts`, { method: "POST", body: {
      start: Number($("cut-start").value || 0), end: end === "" ? null : Number(end), captions: $("cut-captions").checked } });
    jobs.set(job.id, job);
    renderAll();
    $("cut-result").textContent = `Queued as ${job.id}.`;
  } catch (e) {
    $("cut-result").textContent = e.message;
  }
}

// A producer's fix: a new trim and/or corrected caption files (same names as the ticket's).
async function retryWithChanges(event) {
  event.preventDefault();
  const body = {};
  if ($("retry-start").value !== "") body.trim_start = Number($("retry-start").value);
  if ($("retry-end").value !== "") body.trim_end = Number($("retry-end").value);
  const files = [...$("retry-captions").files];
  if (files.length) body.captions = await Promise.all(files.map(async (f) => ({ file: f.name, text: await f.text() })));
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(openJobId)}/retry`, { method: "POST", body });
    jobs.set(job.id, job);
    renderAll();
    $("retry-result").textContent = "Queued again.";
  } catch (e) {
    $("retry-result").textContent = e.message;
  }
}

// PUT with upload progress (fetch cannot report it).
function put(name, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", `/api/uploads/${encodeURIComponent(name)}`);
    request.setRequestHeader("Authorization", `Bearer ${token()}`);
    if (onProgress) request.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    request.onload = () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch (e) {}
      if (request.status === 201) resolve(body);
      else reject(new Error((body && body.error && body.error.message) || `${name}: ${request.status}`));
    };
    request.onerror = () => reject(new Error(`${name}: the connection failed; upload it again`));
    request.send(blob);
  });
}

async function upload(event) {
  event.preventDefault();
  const clip = $("up-clip").files[0];
  if (!clip) return;
  const base = clip.name.replace(/\.[^.]+$/, "");
  const burn = $("up-burn").value.trim();
  const captions = [...$("up-captions").files].map((f) => {
    const parts = f.name.split(".");
    const language = parts.length >= 3 ? parts[parts.length - 2] : "und";
    return { file: f.name, language, burn: burn !== "" && language === burn, blob: f };
  });
  const value = (id) => $(id).value.trim() || undefined;
  const ticket = {
    template: value("up-template"), priority: $("up-priority").value,
    reply_to: { handle: value("up-handle"), tweet_id: value("up-tweet") },
    speaker: { name: value("up-speaker"), camp: value("up-camp"), consent: $("up-consent").checked },
    captions: captions.map(({ file, language, burn }) => ({ file, language, burn })),
  };
  const progress = $("up-progress");
  progress.hidden = false; progress.value = 0;
  $("up-result").textContent = "Uploading…";
  try {
    await put(`${base}.job.json`, new Blob([JSON.stringify(ticket)], { type: "application/json" }));
    for (const c of captions) await put(c.file, c.blob);
    await put(clip.name, clip, (f) => { progress.value = f; });
    $("up-result").textContent = may("readJobs") ? `${clip.name} is in the inbox; its job appears here within seconds.`
                                                 : `${clip.name} is in the inbox; the command centre sees its job within seconds.`;
    $("upload-form").reset();
  } catch (e) {
    $("up-result").textContent = e.message;
  } finally {
    progress.hidden = true;
  }
}

let toastTimer = null;
function toast(message) {
  const t = $("toast");
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
}

// ---- service health: a nearly full disk stops the queue, and the command centre must see why.
async function checkHealth() {
  const box = $("service-warning");
  try {
    const response = await fetch("/health", { cache: "no-store" });
    const health = await response.json();
    if (health.status === "disk_low") {
      box.textContent = `Disk nearly full — no new renders, uploads refused until space is freed: ${health.reason}`;
    } else if (health.status !== "ok") {
      box.textContent = `The service reports a problem: ${health.reason || health.status}`;
    } else {
      box.textContent = "";
    }
  } catch (e) {
    box.textContent = "The service does not answer its health check.";
  }
  box.hidden = box.textContent === "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("close-detail").addEventListener("click", () => { $("detail").hidden = true; openJobId = null; $("player").pause(); });
  $("copy-post").addEventListener("click", copyPost);
  $("cut-form").addEventListener("submit", requestCut);
  $("retry-form").addEventListener("submit", retryWithChanges);
  $("upload-form").addEventListener("submit", upload);
  $("filter-camp").addEventListener("input", renderAll);
  $("filter-template").addEventListener("input", renderAll);
  // "3 min ago" and "next try in 12 s" stay true.
  setInterval(() => { if (session) renderAll(); }, 15000);
  checkHealth();
  setInterval(checkHealth, 15000);
  setInterval(showNodes, 10000);
  takeTokenFromAddress();
  start();
});
