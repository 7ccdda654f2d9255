// The command centre's screen. Plain JS, no build step: it loads the jobs and the reply requests
// from the API, then follows /api/events (server-sent events, read through fetch so the bearer
// token can be sent) and redraws what changed. Text from jobs and requests is always set as
// text, never as HTML, and text a person wrote gets dir="auto" (Arabic tweets, speakers' names).
//
// Everything the screen shows is drawn from state kept here (jobs, requests, notes, the open
// panel), never read back from the page: a live redraw can replace any card at any moment, so
// a message or a half-answered confirmation that lived only in the DOM would be wiped.
"use strict";

const TOKEN_KEY = "mediaorch.token";
const SOON_SECONDS = 30 * 60;            // a deadline closer than this is shown in red
const NOTE_SECONDS = 120;                // how long "Queued again." stays on a card

const jobs = new Map();          // id -> job as /api/jobs returns it
const requests = new Map();      // id -> reply request as /api/requests returns it
const notes = new Map();         // job id -> { text, error, until }: a card's last action message
let confirming = null;           // { jobId, action, place }: a risky button waiting for its second click
let panel = null;                // the open detail panel: { jobId, openerKey, detail, messages, overrideOpen }
let session = null;              // { name, role, permissions }
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

// An API refusal: the status and the server's Mediaorch-Reason code let the page say what
// happened in plain words; the server's own message is kept for the cases it does not know.
class ApiError extends Error {
  constructor(status, reason, message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  if (options.body && typeof options.body !== "string") {
    options.body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    signOut("Your token was not accepted (revoked or mistyped).");
    throw new ApiError(401, "unauthorised", "unauthorised");
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!response.ok) {
    const message = (body && body.error && body.error.message) || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, response.headers.get("Mediaorch-Reason"), message);
  }
  return body;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (eventsAbort) eventsAbort.abort();
  session = null;
  if (panel) closeDetail();
  $("board").hidden = true; $("sign-out").hidden = true;
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
    if (e.status !== 401) $("sign-in-error").textContent = e.message;
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
  // A wall screen or an editor sees no requests (the API would refuse them): no lane for them.
  $("lane-requests").hidden = !may("seeOpenRequests");
  await reload();
  followEvents();
  showNodes();
}

async function reload() {
  // The newest 500 jobs are plenty for a live screen; older ones are one filter away in the API.
  const [list] = await Promise.all([api("/api/jobs?limit=500"), reloadRequests(false)]);
  jobs.clear();
  for (const job of list) jobs.set(job.id, job);
  renderAll();
}

// Only requests still in play: the posted and called-off ones would crowd out the open ones.
async function reloadRequests(render = true) {
  if (!may("seeOpenRequests")) return;
  const asked = await api("/api/requests?state=open,uploading,failed,rendering,ready&limit=1000");
  requests.clear();
  for (const request of asked) requests.set(request.id, request);
  if (render) renderAll();
}

// ---- nodes: which machines render, which leads maintenance, which went silent ---------------
async function showNodes() {
  if (!session || !may("readJobs")) return;
  try {
    const nodes = await api("/api/nodes");
    $("nodes").replaceChildren(el("span", {}, "Nodes"), ...nodes.map((n) => el("span", {
      class: `node node-${n.state}`,
      title: `${n.name}: ${n.state}, last heartbeat ${ago(Date.now() / 1000 - n.heartbeat_age)}, version ${n.version}, ${n.workers} worker(s)` +
             (n.jobs.length ? `, rendering ${n.jobs.join(", ")}` : "") + (n.leader ? ", leads maintenance" : ""),
    }, `${n.state === "up" ? "●" : "○"} ${n.name}${n.leader ? " ★" : ""}${n.state === "up" ? "" : " " + n.state}${n.jobs.length ? ` (${n.jobs.length})` : ""}`)));
  } catch (e) {
    // Shown by the health check and the live status; the strip keeps its last state.
  }
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
    // Events carry no thumbnail link for every token; keep the one the list gave.
    if (known && !payload.thumbnail_url && known.thumbnail_url) payload.thumbnail_url = known.thumbnail_url;
    jobs.set(payload.id, payload);
    renderAll();
    if (panel && panel.jobId === payload.id) {
      // A new state brings new outputs or a manifest: fetch them; otherwise redraw from state.
      if (!known || known.state !== payload.state) refreshDetail(); else renderDetail();
    }
  } else if (type === "request") {
    requests.set(payload.id, payload);
    renderAll();
    if (panel) renderDetail();
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

// ---- what a job or request is, in the producer's words -------------------------------------
function isCut(job) { return !!job.parent_id || job.template.startsWith("bts-cut"); }
function isPosted(job) { return !!job.posted_url; }
// Consent from the ticket, or recorded later from the field's receipt.
function hasConsent(job) { return job.consent === true || !!job.consent_added_by; }
function override(job) {
  if (job.consent_override) return job.consent_override;
  return job.consent_override_by ? { by: job.consent_override_by, reason: job.consent_override_reason } : null;
}

// Which lane a job is drawn in.
function laneOf(job) {
  switch (job.state) {
    case "succeeded": return isCut(job) ? "cuts" : isPosted(job) ? "posted" : "ready";
    case "queued": case "running": case "failed": return "making";
    case "dead": return "stopped";
    default: return "cancelled";
  }
}

// Requests still waiting for footage: never filmed, arriving, or filmed but unusable.
const WAITING = ["open", "uploading", "failed"];

const FILM_AGAIN = {
  too_long: "the clip is longer than a reply may be (140 s)",
  too_short: "the clip is too short",
  unreadable: "the clip could not be read",
  no_picture: "the clip has no picture",
  other: "the clip could not be used",
};

function requestStateText(request) {
  if (request.state === "open") return "Waiting for a clip";
  if (request.state === "uploading") return "Clip arriving from the camp";
  if (request.state === "failed") return `Film again: ${FILM_AGAIN[request.film_again_reason] || FILM_AGAIN.other}`;
  return request.state;
}

function jobStateText(job) {
  switch (laneOf(job)) {
    case "ready": return "ready to post";
    case "posted": return "posted";
    case "cuts": return "editors' cut ready";
    case "stopped": return "could not be made";
    case "cancelled": return "called off";
  }
  if (job.state === "running") return "being made";
  if (job.state === "failed") return "failed; trying again";
  return "waiting to be made";
}

function requestOf(job) { return (job.request_id && requests.get(job.request_id)) || null; }
function deadlineOf(request) {
  const at = request && request.deadline ? Date.parse(request.deadline) : NaN;
  return Number.isFinite(at) ? at : null;
}
function handleOf(job) { return job.handle || (requestOf(job) && requestOf(job).handle) || null; }
function campOf(job) { return job.camp || (requestOf(job) && requestOf(job).camp) || null; }

// When the reply was asked for: its request's time, else when its clip was queued.
function askedAt(job) {
  const request = requestOf(job);
  return request ? request.created_at : job.created_at;
}

// ---- time words ------------------------------------------------------------------------------
function span(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

// "due in 25 min" / "overdue by 3 min", and how urgent that is.
function due(deadline, now = Date.now()) {
  const left = (deadline - now) / 1000;
  if (left < 0) return { text: `overdue by ${span(-left)}`, urgency: "overdue" };
  return { text: `due in ${span(left)}`, urgency: left < SOON_SECONDS ? "soon" : "later" };
}

// The deadline as the wall clock in the command centre shows it.
function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

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

// A deadline chip; the one-second ticker rewrites every chip from its data-deadline.
function dueChip(deadline) {
  if (deadline == null) return el("span", { class: "due no-deadline" }, "no deadline");
  const chip = el("span", { class: "due", "data-deadline": String(deadline), title: `deadline ${clock(deadline)}` });
  paintDue(chip);
  return chip;
}
function paintDue(chip) {
  const deadline = Number(chip.getAttribute("data-deadline"));
  const { text, urgency } = due(deadline);
  if (chip.textContent !== text) chip.textContent = text;
  chip.className = `due ${urgency}`;
}
function tickDeadlines() {
  for (const chip of document.querySelectorAll("[data-deadline]")) paintDue(chip);
}

// ---- DOM helpers ---------------------------------------------------------------------------------
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role" || key === "dir") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null && child !== false) node.append(child);
  return node;
}
// Text a person wrote (a tweet, a name, a file name): its own direction.
const written = (tag, cls, text) => el(tag, { class: cls, dir: "auto" }, text);

// A button that stays disabled while its action runs. `key` names it across redraws, so focus
// can be put back on the same button after the card it sits on was replaced.
function button(label, kind, key, action, accessibleName) {
  const b = el("button", { type: "button", class: kind, "data-key": key, "aria-label": accessibleName }, label);
  b.addEventListener("click", async (event) => {
    event.stopPropagation();
    b.disabled = true;
    try { await action(b); } finally { b.disabled = false; }
  });
  return b;
}

// ---- the board -------------------------------------------------------------------------------
function matchesFilters(camp, template) {
  const wantCamp = $("filter-camp").value.trim().toLowerCase();
  const wantTemplate = $("filter-template").value.trim().toLowerCase();
  return (!wantCamp || (camp || "").toLowerCase().includes(wantCamp)) &&
         (!wantTemplate || (template == null ? false : template.toLowerCase().includes(wantTemplate)));
}
const jobShown = (job) => matchesFilters(campOf(job), job.template);
// A request has no template yet: while a template filter is set, the requests lane is empty.
const requestShown = (request) => !$("filter-template").value.trim() && matchesFilters(request.camp, "");

// Soonest deadline first; without one, the longest-waiting first.
function byDeadline(deadlineA, deadlineB, tieA, tieB) {
  if (deadlineA != null && deadlineB != null && deadlineA !== deadlineB) return deadlineA - deadlineB;
  if ((deadlineA == null) !== (deadlineB == null)) return deadlineA == null ? 1 : -1;
  return tieA - tieB;
}
const MAKING_ORDER = { running: 0, failed: 1, queued: 2 };
const ORDER = {
  ready: (a, b) => byDeadline(deadlineOf(requestOf(a)), deadlineOf(requestOf(b)), askedAt(a), askedAt(b)),
  making: (a, b) => MAKING_ORDER[a.state] - MAKING_ORDER[b.state] || a.priority - b.priority || a.created_at - b.created_at,
  stopped: (a, b) => b.updated_at - a.updated_at,
  posted: (a, b) => (b.posted_at || 0) - (a.posted_at || 0),
  cuts: (a, b) => b.updated_at - a.updated_at,
  cancelled: (a, b) => b.updated_at - a.updated_at,
};
const JOB_LANES = Object.keys(ORDER);

function renderAll() {
  if (!session) return;
  const focused = document.activeElement && document.activeElement.getAttribute("data-key");
  const now = Date.now() / 1000;
  for (const [id, note] of notes) if (note.until < now) notes.delete(id);

  const byLane = Object.fromEntries(JOB_LANES.map((lane) => [lane, []]));
  for (const job of jobs.values()) if (jobShown(job)) byLane[laneOf(job)].push(job);
  for (const lane of JOB_LANES) byLane[lane].sort(ORDER[lane]);
  const waiting = [...requests.values()].filter((r) => WAITING.includes(r.state) && requestShown(r))
    .sort((a, b) => byDeadline(deadlineOf(a), deadlineOf(b), a.created_at, b.created_at));

  const names = accessibleNames([...byLane.ready, ...byLane.making, ...byLane.stopped, ...byLane.posted, ...byLane.cuts, ...byLane.cancelled]);
  for (const lane of JOB_LANES) fillLane(lane, byLane[lane].map((job) => jobCard(job, lane, names.get(job.id))));
  fillLane("requests", waiting.map(requestCard));
  showCounts(byLane, waiting);

  if (focused) {
    const again = document.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again && again !== document.activeElement) again.focus();
  }
}

function fillLane(lane, cards) {
  const section = $(`lane-${lane}`);
  section.querySelector(".cards").replaceChildren(...cards);
  section.querySelector(".count").textContent = `(${cards.length})`;
  // An empty lane folds to one line so the full ones rise up the screen.
  section.classList.toggle("empty", cards.length === 0);
}

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

function showCounts(byLane, waiting) {
  const overdue = waiting.filter((r) => deadlineOf(r) != null && deadlineOf(r) < Date.now()).length;
  const parts = [
    `${byLane.ready.length} ready to post`,
    `${byLane.making.length} being made`,
    `${byLane.stopped.length} could not be made`,
  ];
  if (may("seeOpenRequests")) {
    parts.push(plural(waiting.length, "request waiting for a clip", "requests waiting for a clip") + (overdue ? ` (${overdue} overdue)` : ""));
  }
  $("counts").textContent = parts.join(" · ");
}

// "Open reply for @handle" on every card; where two cards would say the same, the file name
// tells them apart (a screen reader lists buttons by name).
function accessibleNames(list) {
  const base = (job) => isCut(job) ? `Open editors' cut of ${job.source_name}`
                      : handleOf(job) ? `Open reply for ${handleOf(job)}` : `Open reply from ${job.source_name}`;
  const seen = new Map();
  for (const job of list) seen.set(base(job), (seen.get(base(job)) || 0) + 1);
  return new Map(list.map((job) => [job.id, seen.get(base(job)) > 1 ? `${base(job)}, ${job.source_name} (${job.id})` : base(job)]));
}

function thumbnail(job) {
  return job.thumbnail_url ? el("img", { class: "thumb", src: job.thumbnail_url, alt: "" })
                           : el("div", { class: "thumb no-picture", "aria-hidden": "true" });
}

function jobCard(job, lane, openName) {
  // An editors' cut answers no tweet: its parent's request and deadline are not its own.
  const request = isCut(job) ? null : requestOf(job);
  const card = el("article", { class: `card job lane-${lane}`, "data-job-id": job.id, "data-state": job.state, "data-lane": lane });
  const top = el("div", { class: "card-top" }, el("div", { class: "who" }, ...cardTitle(job)),
    request && ["ready", "making", "stopped"].includes(lane) ? dueChip(deadlineOf(request)) : null);
  const body = el("div", { class: "card-body" }, top);
  if (request) body.append(written("p", "tweet", request.tweet_text));
  body.append(el("p", { class: "meta" }, ...jobMeta(job, lane)));
  if (lane === "ready" && !hasConsent(job)) body.append(el("p", { class: "consent-banner small" }, el("strong", {}, "Do not post: no consent")));
  if (lane === "posted") body.append(...postedLines(job));
  if (job.state === "running") body.append(...progressBar(job));
  if (job.state === "failed" && job.next_attempt_at) body.append(el("p", { class: "meta" }, `next try ${inSeconds(job.next_attempt_at)}`));
  // An old error is history once the job runs again: shown only while it stands.
  if (job.last_error && (job.state === "dead" || job.state === "failed")) body.append(written("p", "reason", job.last_error));
  const note = notes.get(job.id);
  if (note) body.append(el("p", { class: note.error ? "note error" : "note", role: "status" }, note.text));
  card.append(thumbnail(job), body, cardActions(job, lane, openName));
  return card;
}

function cardTitle(job) {
  const camp = campOf(job) ? el("span", { class: "camp" }, ` · ${campOf(job)}`) : null;
  if (isCut(job)) return [el("strong", {}, "Editors' cut of "), written("strong", "file", job.source_name), camp];
  return [written("strong", "handle", handleOf(job) || job.source_name), camp];
}

function jobMeta(job, lane) {
  const parts = [];
  if (job.speaker) parts.push(el("span", {}, "speaker "), written("span", "speaker", job.speaker), " · ");
  parts.push(written("span", "file", job.source_name), ` · ${job.template}`);
  if (job.made_from === "proxy") parts.push(originalOf(job) ? " · from the phone's proxy · original in" : " · from the phone's proxy · original not in yet");
  if (job.rendered_while_arriving) parts.push(" · made while it arrived");
  if (lane === "ready") parts.push(` · made ${ago(job.updated_at)}`);
  else if (lane === "making" && job.state === "queued") parts.push(" · waiting to start");
  else if (lane !== "posted") parts.push(` · ${ago(job.updated_at)}`);
  if (job.attempts > 1) parts.push(` · try ${job.attempts} of ${job.max_attempts}`);
  return parts;
}

function postedLines(job) {
  const lines = [el("a", { class: "posted-link", href: job.posted_url, target: "_blank", rel: "noopener", title: job.posted_url }, job.posted_url),
                 el("p", { class: "meta" }, `posted ${ago(job.posted_at)} by ${job.posted_by || "?"}`)];
  if (override(job)) lines.push(el("p", { class: "override-note small" }, `Posted without recorded consent (decided by ${override(job).by})`));
  return lines;
}

function progressBar(job) {
  const fraction = job.progress ? job.progress.fraction : 0;
  const bar = el("div", { class: "progress-bar", "data-fraction": fraction.toFixed(3) });
  bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  return [el("div", { class: "progress", role: "progressbar", "aria-label": `Progress of ${job.source_name}`,
                      "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(fraction * 100)) }, bar),
          el("p", { class: "eta" }, progressText(job.progress))];
}

function cardActions(job, lane, openName) {
  const actions = el("div", { class: "actions" });
  if (may("controlJobs") && canRunAgain(job)) actions.append(...confirmable(job, "retry", "card"));
  const toPost = lane === "ready" && hasConsent(job);
  actions.append(button(toPost ? "Open to post" : "Open", toPost ? "open primary" : "open",
                        `open:${job.id}`, () => openDetail(job.id, `open:${job.id}`), openName));
  return actions;
}

// Run again only where the server can do it: a job that stopped for good or was called off.
// Never on a ready or posted reply (it would make the reply again, and it fails on posted ones).
function canRunAgain(job) { return job.state === "dead" || job.state === "cancelled"; }
const canStop = (job) => ["queued", "running", "failed"].includes(job.state);

function requestCard(request) {
  const deadline = deadlineOf(request);
  const card = el("article", { class: `card request request-${request.state}`, "data-request-id": request.id, "data-state": request.state });
  const top = el("div", { class: "card-top" },
    el("div", { class: "who" }, written("strong", "handle", request.handle), el("span", { class: "camp" }, ` · ${request.camp}`)),
    dueChip(deadline));
  const body = el("div", { class: "card-body" }, top,
    written("p", "tweet", request.tweet_text),
    el("p", { class: `request-state ${request.state}` }, requestStateText(request)));
  if (request.note) body.append(el("p", { class: "meta" }, "Note: ", written("span", "note-text", request.note)));
  const link = el("a", { class: "tweet-link", href: request.tweet_url, target: "_blank", rel: "noopener",
                         "aria-label": `Open the tweet by ${request.handle} (new tab)` }, "Open the tweet ↗");
  body.append(el("div", { class: "card-foot" },
    el("p", { class: "meta" }, `${(request.languages || []).join(", ") || "en"} · ${request.priority} · asked ${ago(request.created_at)}`), link));
  card.append(body);
  return card;
}

function updateProgress(id) {
  const job = jobs.get(id);
  const card = document.querySelector(`article.job[data-job-id="${CSS.escape(id)}"]`);
  if (!job || !card || job.state !== "running") return;
  const bar = card.querySelector(".progress-bar");
  if (!bar) { renderAll(); return; }
  bar.style.width = `${(job.progress.fraction * 100).toFixed(1)}%`;
  bar.setAttribute("data-fraction", job.progress.fraction.toFixed(3));
  card.querySelector(".progress").setAttribute("aria-valuenow", String(Math.round(job.progress.fraction * 100)));
  card.querySelector(".eta").textContent = progressText(job.progress);
}

function progressText(p) {
  if (!p) return "starting…";
  const left = p.estimated_seconds_left == null ? "" : `, about ${Math.ceil(p.estimated_seconds_left)} s left`;
  return `${p.stage} ${Math.round(p.fraction * 100)}% (${p.position.toFixed(1)} of ${p.duration.toFixed(1)} s${left})`;
}

// ---- risky actions: a second click to confirm --------------------------------------------------
const ACTIONS = {
  retry: { label: "Run again…", kind: "retry", name: (job) => `Run ${job.source_name} again…`,
           question: (job) => `Make ${job.source_name} again from the start?`, yes: "Yes, run it again", run: runAgain },
  cancel: { label: "Stop making it…", kind: "cancel", name: (job) => `Stop making ${job.source_name}…`,
            question: (job) => `Stop making ${job.source_name}? It goes to "Called off".`, yes: "Yes, stop it", run: stopJob },
  remake: { label: "Make again from the original…", kind: "remake", name: (job) => `Make the reply from ${job.source_name} again from the camera's original…`,
            question: () => "Make this reply again from the camera's original? The request then follows the new reply.",
            yes: "Yes, make it from the original", run: remakeFromOriginal },
};

// The action's button, or (after its first click) the question with Yes / No. The pending
// question is state, so a live redraw in between keeps it.
function confirmable(job, action, place) {
  const spec = ACTIONS[action];
  const asking = confirming && confirming.jobId === job.id && confirming.action === action && confirming.place === place;
  if (!asking) {
    return [button(spec.label, spec.kind, `${action}:${place}:${job.id}`, () => {
      confirming = { jobId: job.id, action, place };
      redraw();
      focusKey(`yes:${action}:${place}:${job.id}`);
    }, spec.name(job))];
  }
  const no = () => { confirming = null; redraw(); focusKey(`${action}:${place}:${job.id}`); };
  return [el("div", { class: "confirm", role: "group", "aria-label": spec.question(job) },
    el("p", {}, spec.question(job)),
    button(spec.yes, `${spec.kind} yes`, `yes:${action}:${place}:${job.id}`, () => spec.run(job.id, place)),
    button("No, keep it", "no", `no:${action}:${place}:${job.id}`, no))];
}

function redraw() { renderAll(); if (panel) renderDetail(); }
function focusKey(key) {
  const target = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (target) target.focus();
}

// Says how an action went, where it was asked: on the card, or in the open panel. Kept in
// state so the live redraw that follows (the job's own event) does not wipe it.
function say(jobId, place, text, error = false) {
  if (place === "detail" && panel && panel.jobId === jobId) panel.messages.note = { text, error };
  else notes.set(jobId, { text, error, until: Date.now() / 1000 + NOTE_SECONDS });
}

async function runAgain(id, place) {
  confirming = null;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/retry`, { method: "POST" });
    jobs.set(job.id, job);
    say(id, place, "Queued again: it will be made from the start.");
  } catch (e) {
    if (e.status === 401) return;
    say(id, place, e.status === 409 ? `Not queued: only a job that stopped or was called off can run again (${e.message}).`
                                    : `Not queued: ${e.message}`, true);
  }
  redraw();
  focusKey(place === "detail" ? "close" : `open:${id}`);
}

// A reply made from the phone's proxy, made again from the camera's original once it is in.
async function remakeFromOriginal(id, place) {
  confirming = null;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/from-original`, { method: "POST" });
    jobs.set(job.id, job);
    say(id, place, "Queued: the reply is being made again from the original.");
  } catch (e) {
    if (e.status === 401) return;
    const why = { "original-not-in": "the original has not arrived yet", "already-posted": "this reply is posted already" }[e.reason];
    say(id, place, `Not queued: ${why || e.message}`, true);
  }
  redraw();
  focusKey(place === "detail" ? "close" : `open:${id}`);
}

// The editors' cut made from the camera's original that followed a proxy's reply, once it is in.
function originalOf(job) {
  for (const other of jobs.values()) if (other.parent_id === job.id && other.made_from === "original") return other;
  return null;
}

// A proxy's reply can be made again once its original is in, until it is posted.
function canRemake(job) { return job.made_from === "proxy" && job.state === "succeeded" && !isPosted(job) && !!originalOf(job); }

async function stopJob(id, place) {
  confirming = null;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" });
    jobs.set(job.id, job);
    say(id, place, "Stopped: it is under \"Called off\".");
  } catch (e) {
    if (e.status === 401) return;
    say(id, place, `Not stopped: ${e.message}`, true);
  }
  redraw();
  focusKey(place === "detail" ? "close" : `open:${id}`);
}

// ---- detail panel (a modal dialog) ---------------------------------------------------------------
// Opening a job starts from clean forms: what was typed for one job never carries to another.
function resetDetailForms() {
  for (const id of ["posted-form", "override-form", "retry-form", "cut-form"]) $(id).reset();
  for (const id of ["posted-url", "override-url", "override-reason"]) $(id).removeAttribute("aria-invalid");
  $("copy-done").textContent = "";
}

async function openDetail(id, openerKey) {
  if (confirming && confirming.place === "detail") confirming = null;
  if (!panel || panel.jobId !== id) resetDetailForms();
  panel = { jobId: id, openerKey, detail: null, messages: {}, overrideOpen: false };
  const dialog = $("detail");
  renderDetail();
  if (!dialog.open) dialog.showModal();
  $("detail-title").focus();
  await refreshDetail();
}

async function refreshDetail() {
  if (!panel) return;
  const id = panel.jobId;
  try {
    const detail = await api(`/api/jobs/${encodeURIComponent(id)}`);
    if (!panel || panel.jobId !== id) return; // another job was opened meanwhile
    panel.detail = detail;
    if (detail.job) jobs.set(id, Object.assign({}, jobs.get(id) || {}, detail.job));
  } catch (e) {
    if (panel && panel.jobId === id && e.status !== 401) panel.messages.note = { text: `Could not load the job: ${e.message}`, error: true };
  }
  renderDetail();
}

function closeDetail() {
  const dialog = $("detail");
  const opener = panel && panel.openerKey;
  panel = null;
  if (confirming && confirming.place === "detail") confirming = null;
  $("player").pause();
  if (dialog.open) dialog.close();
  // Back to the card that opened the panel: looked up by key, since the card it was may have
  // been redrawn meanwhile.
  const back = opener && document.querySelector(`[data-key="${CSS.escape(opener)}"]`);
  if (back) back.focus();
  else focusLaneHeading(); // the card left the board (filtered away): the first lane instead
}

function focusLaneHeading() {
  const heading = $("lane-ready-title");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}

function renderDetail() {
  if (!panel) return;
  const job = jobs.get(panel.jobId) || (panel.detail && panel.detail.job);
  if (!job) return;
  const lane = laneOf(job);
  const request = requestOf(job);
  const title = isCut(job) ? `Editors' cut of ${job.source_name}` : handleOf(job) ? `Reply for ${handleOf(job)}` : `Reply from ${job.source_name}`;
  $("detail-title").textContent = title;
  $("detail-meta").replaceChildren(...detailMeta(job));

  $("detail-consent").hidden = isCut(job) || hasConsent(job) || isPosted(job);
  const decided = override(job);
  $("detail-override").hidden = !decided;
  $("detail-override").replaceChildren(...(decided ? [el("strong", {}, "Posted without recorded consent. "),
    `Decided by ${decided.by}: `, written("span", "", decided.reason || "")] : []));
  const error = job.last_error && (job.state === "dead" || job.state === "failed") ? job.last_error : "";
  $("detail-error").hidden = !error;
  $("detail-error").textContent = error;
  showMessage("detail-note", panel.messages.note);

  renderRequest(request, lane);
  renderMedia(job);
  renderPosting(job, lane);
  renderDetailActions(job);
  renderForms(job);
  renderOutputs();
}

function detailMeta(job) {
  const parts = [written("span", "file", job.source_name)];
  if (campOf(job)) parts.push(` · ${campOf(job)}`);
  if (job.speaker) parts.push(" · speaker ", written("span", "speaker", job.speaker));
  parts.push(` · ${jobStateText(job)} · ${job.template} · ${job.id}`);
  return parts;
}

function renderRequest(request, lane) {
  $("detail-request").hidden = !request;
  if (!request) return;
  $("detail-tweet").textContent = request.tweet_text;
  const link = $("detail-tweet-link");
  link.href = request.tweet_url;
  link.textContent = `The tweet by ${request.handle} ↗`;
  link.setAttribute("aria-label", `Open the tweet by ${request.handle} (new tab)`);
  const chip = $("detail-due");
  const deadline = deadlineOf(request);
  // A posted or called-off reply has no deadline left to chase.
  if (deadline != null && ["ready", "making", "stopped"].includes(lane)) {
    chip.setAttribute("data-deadline", String(deadline));
    paintDue(chip);
  } else {
    chip.removeAttribute("data-deadline");
    chip.className = "due no-deadline";
    chip.textContent = deadline == null ? "no deadline" : "";
  }
  $("detail-request-note").textContent = request.note ? `Note: ${request.note}` : "";
}

function renderMedia(job) {
  const outputs = (panel.detail && panel.detail.outputs) || [];
  const reply = outputs.find((o) => o.name === "reply.mp4") || outputs.find((o) => o.name === "bts.mp4");
  const player = $("player");
  if (reply) {
    // Only a new file reloads the player: a redraw must not restart what the producer watches.
    if (player.getAttribute("data-for") !== reply.name + job.id) { player.src = reply.url; player.setAttribute("data-for", reply.name + job.id); }
    player.hidden = false;
  } else {
    player.hidden = true; player.removeAttribute("src"); player.removeAttribute("data-for");
  }
  const thumb = $("detail-thumb");
  thumb.hidden = !!reply || !job.thumbnail_url;
  if (!thumb.hidden && thumb.getAttribute("src") !== job.thumbnail_url) thumb.src = job.thumbnail_url;
  const manifest = panel.detail && panel.detail.manifest;
  const draft = manifest && manifest.post_draft;
  $("post").hidden = !draft || isCut(job);
  if (draft && $("post-text").value !== draft.text) $("post-text").value = draft.text;
  if (draft && !manifest.ready_to_post && !isPosted(job) && !$("copy-done").textContent) {
    $("copy-done").textContent = `Not ready: ${manifest.not_ready_reasons.join("; ")}`;
  }
}

// Posting: the plain form when consent is recorded; for an admin, the override form when it is
// not; and, once posted, where and by whom.
function renderPosting(job, lane) {
  const ready = lane === "ready" && may("markPosted");
  $("posted-form").hidden = !(ready && hasConsent(job));
  $("override").hidden = !(ready && !hasConsent(job) && may("overrideConsent"));
  $("override-form").hidden = !panel.overrideOpen;
  $("override-toggle").setAttribute("aria-expanded", String(panel.overrideOpen));
  showMessage("posted-error", panel.messages.posted, "posted-url");
  showMessage("override-error", panel.messages.override, panel.messages.overrideField || "override-url");
  const info = $("posted-info");
  info.hidden = lane !== "posted";
  if (lane === "posted") {
    info.replaceChildren(el("h3", {}, "Posted"),
      el("a", { class: "posted-link wrap", href: job.posted_url, target: "_blank", rel: "noopener" }, job.posted_url),
      el("p", { class: "meta" }, `by ${job.posted_by || "?"}, ${ago(job.posted_at)}`));
  }
}

// A message next to its field; an error marks the field invalid for screen readers too.
function showMessage(id, message, fieldId) {
  const box = $(id);
  box.textContent = message ? message.text : "";
  box.classList.toggle("error", !!(message && message.error));
  box.classList.toggle("ok", !!(message && !message.error));
  if (fieldId) {
    if (message && message.error) $(fieldId).setAttribute("aria-invalid", "true");
    else $(fieldId).removeAttribute("aria-invalid");
  }
}

function renderDetailActions(job) {
  const box = $("detail-actions");
  const actions = [];
  if (may("controlJobs") && canRunAgain(job)) actions.push(...confirmable(job, "retry", "detail"));
  if (may("controlJobs") && canStop(job)) actions.push(...confirmable(job, "cancel", "detail"));
  if (may("controlJobs") && canRemake(job)) actions.push(...confirmable(job, "remake", "detail"));
  const focused = document.activeElement && box.contains(document.activeElement) && document.activeElement.getAttribute("data-key");
  box.replaceChildren(...actions);
  if (focused) focusKey(focused);
}

function renderForms(job) {
  $("retry-form").hidden = !may("controlJobs") || !canRunAgain(job);
  $("cut-form").hidden = !may("requestCuts") || isCut(job);
  showMessage("retry-result", panel.messages.retry);
  showMessage("cut-result", panel.messages.cut);
}

function renderOutputs() {
  const detail = panel.detail;
  const outputs = (detail && detail.outputs) || [];
  $("downloads").hidden = outputs.length === 0;
  $("output-list").replaceChildren(...outputs.map((o) =>
    el("li", {}, el("a", { href: o.url, download: o.name }, o.name), ` ${(o.bytes / 1e6).toFixed(2)} MB · ${o.content_type}`)));
  $("attempts").replaceChildren(...((detail && detail.attempts) || []).map((a) =>
    el("li", {}, `${new Date(a.started_at * 1000).toLocaleTimeString()} on ${a.worker}: ${a.outcome || "running"}`,
       a.error ? written("span", "", ` — ${a.error}`) : null)));
}

// Keeps Tab inside the open panel (the board behind is inert, but Tab could still leave for
// the browser's own controls).
function trapFocus(event) {
  if (event.key !== "Tab") return;
  const focusable = [...$("detail").querySelectorAll("button, [href], input, select, textarea, video[controls], [tabindex]:not([tabindex='-1'])")]
    .filter((node) => !node.disabled && node.offsetParent !== null);
  if (!focusable.length) return;
  const first = focusable[0], last = focusable[focusable.length - 1];
  const inside = $("detail").contains(document.activeElement);
  if (event.shiftKey && (document.activeElement === first || !inside)) { event.preventDefault(); last.focus(); }
  else if (!event.shiftKey && (document.activeElement === last || !inside)) { event.preventDefault(); first.focus(); }
}

// ---- posting --------------------------------------------------------------------------------------
// What went wrong in words a producer can act on; the server's own message where it is the
// clearest thing there is.
function postedError(e) {
  if (e.reason === "no-consent") return "Not recorded: the server has no consent from the speaker, so this reply must not be on X. If it was posted, take it down.";
  if (e.status === 403) return "Not recorded: your token may not post a reply without the speaker's consent. Ask an admin.";
  if (e.status === 400 && e.message.startsWith("consent_override")) return `The reason was not accepted: ${e.message.replace(/^consent_override: /, "")}.`;
  if (e.status === 400) return `That address was not accepted: ${e.message.replace(/^url: /, "")}. Copy the address of the posted reply; it looks like https://x.com/name/status/1234567890.`;
  if (e.status === 409) return `Not recorded: ${e.message}`;
  return `Not recorded: ${e.message}. Try again.`;
}

async function submitPosted(event) {
  event.preventDefault();
  const url = $("posted-url").value.trim();
  if (!url) {
    panel.messages.posted = { text: "Paste the address of the reply you posted on X.", error: true };
    renderDetail();
    $("posted-url").focus();
    return;
  }
  await post({ url }, "posted", "posted-url");
}

async function submitOverride(event) {
  event.preventDefault();
  const reason = $("override-reason").value.trim();
  const url = $("override-url").value.trim();
  // The server keeps the reason for audit and wants a sentence, not a word.
  const missing = reason.length < 10 ? ["Write in a sentence (at least 10 characters) why this reply may be posted without the speaker's recorded consent.", "override-reason"]
                : !url ? ["Paste the address of the reply you posted on X.", "override-url"] : null;
  if (missing) {
    panel.messages.override = { text: missing[0], error: true };
    panel.messages.overrideField = missing[1];
    renderDetail();
    $(missing[1]).focus();
    return;
  }
  panel.messages.overrideField = "override-url";
  await post({ url, consent_override: reason }, "override", "override-url");
}

// Records the posted reply. On an error the typed address stays where it was, with the error
// beside it; on success the panel shows where the reply now is.
async function post(body, messageKey, fieldId) {
  const id = panel.jobId;
  panel.messages[messageKey] = { text: "Saving…" };
  renderDetail();
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/posted`, { method: "POST", body });
    jobs.set(job.id, job);
    if (panel && panel.jobId === id) {
      panel.messages[messageKey] = null;
      panel.overrideOpen = false;
      panel.messages.note = { text: "Recorded as posted." };
    }
    renderAll();
    renderDetail();
    if (panel && panel.jobId === id) $("detail-title").focus();
  } catch (e) {
    if (e.status === 401 || !panel || panel.jobId !== id) return;
    panel.messages[messageKey] = { text: postedError(e), error: true };
    renderDetail();
    $(fieldId).focus();
  }
}

function toggleOverride() {
  panel.overrideOpen = !panel.overrideOpen;
  renderDetail();
  if (panel.overrideOpen) $("override-reason").focus();
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
  const id = panel.jobId;
  const end = $("cut-end").value;
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/cuts`, { method: "POST", body: {
      start: Number($("cut-start").value || 0), end: end === "" ? null : Number(end), captions: $("cut-captions").checked } });
    jobs.set(job.id, job);
    if (panel && panel.jobId === id) panel.messages.cut = { text: `Queued as ${job.id}.` };
  } catch (e) {
    if (panel && panel.jobId === id && e.status !== 401) panel.messages.cut = { text: `Not queued: ${e.message}`, error: true };
  }
  redraw();
}

// A producer's fix: a new trim and/or corrected caption files (same names as the ticket's).
async function retryWithChanges(event) {
  event.preventDefault();
  const id = panel.jobId;
  const body = {};
  if ($("retry-start").value !== "") body.trim_start = Number($("retry-start").value);
  if ($("retry-end").value !== "") body.trim_end = Number($("retry-end").value);
  const files = [...$("retry-captions").files];
  if (files.length) body.captions = await Promise.all(files.map(async (f) => ({ file: f.name, text: await f.text() })));
  try {
    const job = await api(`/api/jobs/${encodeURIComponent(id)}/retry`, { method: "POST", body });
    jobs.set(job.id, job);
    if (panel && panel.jobId === id) panel.messages.note = { text: "Queued again with the changes." };
  } catch (e) {
    if (panel && panel.jobId === id && e.status !== 401) panel.messages.retry = { text: `Not queued: ${e.message}`, error: true };
  }
  redraw();
}

// ---- uploads (teams that cannot reach the inbox folder) ----------------------------------------------
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
  $("close-detail").setAttribute("data-key", "close");
  $("close-detail").addEventListener("click", closeDetail);
  // Esc: the dialog's own cancel, routed through closeDetail so focus goes back to the card.
  $("detail").addEventListener("cancel", (event) => { event.preventDefault(); closeDetail(); });
  $("detail").addEventListener("keydown", trapFocus);
  $("copy-post").addEventListener("click", copyPost);
  $("posted-form").addEventListener("submit", submitPosted);
  $("override-toggle").addEventListener("click", toggleOverride);
  $("override-form").addEventListener("submit", submitOverride);
  $("cut-form").addEventListener("submit", requestCut);
  $("retry-form").addEventListener("submit", retryWithChanges);
  $("upload-form").addEventListener("submit", upload);
  $("filter-camp").addEventListener("input", renderAll);
  $("filter-template").addEventListener("input", renderAll);
  // Deadlines count down every second; "3 min ago" and "next try in 12 s" stay true; requests
  // that expired at their deadline leave the lane (the server sends no event for that).
  setInterval(tickDeadlines, 1000);
  setInterval(() => { if (session) renderAll(); }, 15000);
  setInterval(() => { if (session && may("readJobs")) reloadRequests().catch(() => {}); }, 60000);
  checkHealth();
  setInterval(checkHealth, 15000);
  setInterval(showNodes, 10000);
  takeTokenFromAddress();
  start();
});
