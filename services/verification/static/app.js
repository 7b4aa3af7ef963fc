// The verifiers' workqueue: the review API's client, on the same origin. The key lives in
// this tab's sessionStorage only and travels in X-API-Key, never in a URL.
import { T } from "/app/texts.js";

const $ = (id) => document.getElementById(id);
const KEY = "jemput.verifier.key";
const REFRESH_MS = 15_000;
let lang = sessionStorage.getItem("jemput.verifier.lang") ?? "id";
let reviews = [];
let current = null; // the open case's tracking code
let refresher = null;

const t = (name, ...args) => {
  const text = T[lang][name] ?? name;
  return typeof text === "function" ? text(...args) : text;
};

function translate() {
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("lang").textContent = lang === "id" ? "EN" : "ID";
  $("lang").lang = lang === "id" ? "en" : "id";
  $("lang").setAttribute("aria-label", lang === "id" ? "English" : "Bahasa Indonesia");
}

async function api(method, path, body) {
  const headers = { "X-API-Key": sessionStorage.getItem(KEY) ?? "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 || response.status === 403) {
    logout(t("bad_key"));
    throw new Error("unauthorised");
  }
  return response;
}

function notice(text, bad = false) {
  $("notice").textContent = text;
  $("notice").className = bad ? "bad" : "";
}

// What a 409 says, in the reader's language: who holds the case, or who decided it how.
function conflictText(body) {
  // `outcome` since documents can be asked for; `approved` alone from an older service.
  if (body.decided_by) return t("decided_by", body.decided_by, body.outcome ?? (body.approved ? "approved" : "rejected"));
  if (body.claimed_by) return t("claimed_by", body.claimed_by, body.claimed_until);
  return t("claim_first");
}

const waited = (since) => {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(since)) / 60_000));
  return t("waited", Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60);
};

function query() {
  const params = new URLSearchParams();
  if ($("f-kind").value) params.set("kind", $("f-kind").value);
  if (/^[0-9]{6}$/.test($("f-kecamatan").value)) params.set("kecamatan", $("f-kecamatan").value);
  if ($("f-reason").value) params.set("reason", $("f-reason").value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function refresh() {
  const response = await api("GET", `/v1/reviews${query()}`);
  if (!response.ok) return notice(t("failed"), true);
  reviews = await response.json();
  renderQueue();
}

function renderQueue() {
  const me = sessionStorage.getItem("jemput.verifier.name");
  $("count").textContent = reviews.length;
  $("empty").hidden = reviews.length > 0;
  const known = new Set([...$("f-reason").options].map((o) => o.value));
  for (const code of new Set(reviews.flatMap((r) => r.reasons))) {
    if (!known.has(code)) $("f-reason").add(new Option(code, code));
  }
  $("queue").replaceChildren(...reviews.map((r) => {
    const row = document.createElement("tr");
    row.dataset.code = r.tracking_code;
    if (r.tracking_code === current) row.className = "current";
    const cells = [r.tracking_code, t(`k_${r.kind}`), r.kecamatan_code ?? "", waited(r.since),
      r.claimed_by ? (r.claimed_by === me ? t("you") : r.claimed_by) : "—"];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const button = document.createElement("button");
    const theirs = r.claimed_by && r.claimed_by !== me && new Date(r.claimed_until) > Date.now();
    button.textContent = theirs ? t("open_anyway") : t("claim");
    button.className = theirs ? "claimed-other" : "";
    button.setAttribute("aria-label", `${button.textContent} ${r.tracking_code}`);
    button.addEventListener("click", () => claim(r.tracking_code));
    const cell = document.createElement("td");
    cell.append(button);
    row.append(cell);
    return row;
  }));
}

async function claim(code) {
  const response = await api("POST", `/v1/reviews/${encodeURIComponent(code)}/claim`);
  if (response.status === 409) {
    notice(conflictText(await response.json()), true);
    return refresh();
  }
  if (response.status === 404) {
    notice(t("gone"), true);
    return refresh();
  }
  if (!response.ok) return notice(t("failed"), true);
  const review = await response.json();
  sessionStorage.setItem("jemput.verifier.name", review.claimed_by);
  notice("");
  await open(code);
  await refresh();
}

function definitions(target, pairs) {
  target.replaceChildren(...pairs.flatMap(([name, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    return [dt, dd];
  }));
}

function list(target, items) {
  target.replaceChildren(...items.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

async function open(code) {
  const response = await api("GET", `/v1/reviews/${encodeURIComponent(code)}?lang=${lang}`);
  if (!response.ok) return notice(t(response.status === 404 ? "gone" : "failed"), true);
  const view = await response.json();
  current = code;
  const { applicant, details, outreach_point: point } = view.form;
  $("case-title").textContent = `${t(`k_${view.review.kind}`)} · ${code}`;
  $("case-claim").textContent = t("yours_until", view.review.claimed_until);
  list($("case-reasons"), view.reasons.map((r) => r.message));
  definitions($("case-applicant"), [
    [t("name"), applicant.full_name], ["NIK", applicant.nik], [t("born"), applicant.birth_date],
    [t("sex"), t(`sex_${applicant.sex}`)], [t("marital"), t(`m_${applicant.marital_status}`)],
    [t("address"), applicant.address],
  ]);
  const extra = Object.entries(details).filter(([k]) => k !== "kind").map(([k, v]) => [t(`d_${k}`), String(v)]);
  definitions($("case-details"), [
    ...extra, [t("point"), `${point.name}, ${point.kelurahan} (${point.kecamatan_code})`],
    [t("waiting"), waited(view.review.since)],
  ]);
  list($("case-documents"), view.documents.length ? view.documents.map((d) => t(`doc_${d}`)) : [t("no_documents")]);
  askable(view.documents_to_ask);
  $("decision").reset();
  $("ask-documents").hidden = true;
  $("decision-error").textContent = "";
  $("case").hidden = false;
  $("case").focus();
}

// One checkbox per document the rule set names: what the applicant may be asked to bring.
function askable(documents) {
  $("ask-list").replaceChildren(...documents.map((d) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "ask-document";
    box.value = d;
    const text = document.createElement("span");
    text.textContent = t(`doc_${d}`);
    label.append(box, " ", text);
    return label;
  }));
}

// The document list shows only while asking for documents.
function verdictChanged() {
  $("ask-documents").hidden = !$("ask").checked;
  $("decision-error").textContent = ""; // what it said was about the choice before
}

function close() {
  current = null;
  $("case").hidden = true;
  renderQueue();
}

async function decide(event) {
  event.preventDefault();
  const verdict = document.querySelector("input[name=verdict]:checked")?.value;
  const reason = $("reason").value.trim();
  if (!verdict) return ($("decision-error").textContent = t("choose"));
  const documents = [...document.querySelectorAll("input[name=ask-document]:checked")].map((b) => b.value);
  if (verdict === "ask" && !documents.length) {
    $("decision-error").textContent = t("ask_none");
    return document.querySelector("input[name=ask-document]")?.focus();
  }
  if (!reason) {
    $("decision-error").textContent = t("reason_required");
    return $("reason").focus();
  }
  const outcome = { approve: "approved", reject: "rejected", ask: "documents_requested" }[verdict];
  const body = outcome === "documents_requested" ? { outcome, documents, reason } : { outcome, reason };
  const response = await api("POST", `/v1/reviews/${encodeURIComponent(current)}/decision`, body);
  if (response.status === 409) return ($("decision-error").textContent = conflictText(await response.json()));
  if (response.status === 422) return ($("decision-error").textContent = t("reason_invalid"));
  if (!response.ok) return ($("decision-error").textContent = t("failed"));
  notice(t("saved", current, outcome));
  close();
  await refresh();
  $("next").focus();
}

async function next() {
  await refresh();
  const me = sessionStorage.getItem("jemput.verifier.name");
  const free = reviews.find((r) => r.tracking_code !== current &&
    (!r.claimed_by || r.claimed_by === me || new Date(r.claimed_until) < Date.now()));
  if (!free) return notice(t("none_free"));
  await claim(free.tracking_code);
}

function start() {
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = false;
  refresh();
  refresher = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
}

function logout(why = "") {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem("jemput.verifier.name");
  clearInterval(refresher);
  $("main").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = why;
  $("key").focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("key").value);
  $("key").value = "";
  const response = await api("GET", "/v1/reviews").catch(() => null);
  if (response?.ok) start();
});
$("logout").addEventListener("click", () => logout());
$("lang").addEventListener("click", () => {
  lang = lang === "id" ? "en" : "id";
  sessionStorage.setItem("jemput.verifier.lang", lang);
  translate();
  renderQueue();
  if (current) open(current);
});
$("filters").addEventListener("change", refresh);
$("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
$("decision").addEventListener("submit", decide);
$("decision").addEventListener("change", verdictChanged);
$("next").addEventListener("click", next);
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || $("main").hidden) return;
  if (event.key === "Escape" && current) return close();
  if (event.target.closest("input, textarea, select")) return; // typing, not a shortcut
  const key = event.key.toLowerCase();
  if (key === "n") { event.preventDefault(); next(); }
  if (current && (key === "a" || key === "r")) {
    event.preventDefault();
    $(key === "a" ? "approve" : "reject").checked = true;
    verdictChanged();
    $("reason").focus();
  }
  if (current && key === "d") { // dokumen: choose which, then the reason
    event.preventDefault();
    $("ask").checked = true;
    verdictChanged();
    document.querySelector("input[name=ask-document]")?.focus();
  }
});

translate();
if (sessionStorage.getItem(KEY)) start();
