// The supervisors' dashboard: log in with the key (kept in sessionStorage, sent as
// X-API-Key, never in a URL), fetch the summary, draw tables and SVG charts, refresh.
// A refresh starts 10 s after the last one ended (never two at once); the live region
// speaks only when the figures changed or loading starts to fail, not at every refresh.
"use strict";
const KEY = "jemput.supervisorKey", LANG = "jemput.language", REFRESH_MS = 10000;
const T = {
  id: { skip: "Langsung ke isi", title: "Dasbor Jemput Bola", logout: "Keluar", login_title: "Masuk sebagai supervisor",
    key_label: "Kunci API supervisor", login: "Masuk", since: "Dari tanggal", until: "Sampai tanggal", kind: "Jenis permohonan",
    all_kinds: "Semua jenis", kind_ektp_recording: "Perekaman e-KTP", kind_birth_certificate: "Akta kelahiran", kind_skds: "SKDS",
    apply: "Terapkan", live: "Perbarui otomatis (10 detik)", taken: "Permohonan kampanye", target: "Target", days_left: "Hari tersisa",
    total: "Permohonan (filter)", today: "Hari ini", backlog: "Antrean pemeriksaan", bars_title: "Permohonan per kecamatan terhadap target",
    burnup_title: "Kemajuan kampanye menuju tenggat", csv: "Unduh CSV", by_kecamatan: "Per kecamatan", by_kelurahan: "Per kelurahan",
    by_point: "Per lokasi layanan", updated: "Diperbarui", bad_key: "Kunci tidak dikenal atau bukan kunci supervisor.",
    failed: "Data tidak dapat dimuat; dicoba lagi.", changed: "Angka diperbarui.", kecamatan: "Kecamatan", kelurahan: "Kelurahan", point: "Lokasi", point_kind: "Jenis lokasi",
    total_col: "Total", today_col: "Hari ini", verified: "Disetujui", rejected: "Ditolak", manual_review: "Diperiksa petugas",
    documents_requested: "Menunggu dokumen", submitted: "Diproses", withdrawn: "Dibatalkan", approved_rate: "Tingkat setuju",
    top_reasons: "Alasan teratas", review_backlog: "Antrean", oldest_review: "Tertua (kode)", median_decision: "Median ke keputusan (mnt)",
    median_notification: "Median ke pemberitahuan (mnt)", failed_notifications: "Pemberitahuan gagal", progress: "Capaian",
    kelurahan_office: "Kantor kelurahan", school: "Sekolah", government_office: "Kantor pemerintah", night_service: "Layanan malam", counter: "Loket",
    cumulative: "Kumulatif", target_line: "Target", language: "English" },
  en: { skip: "Skip to content", title: "Jemput Bola dashboard", logout: "Log out", login_title: "Log in as a supervisor",
    key_label: "Supervisor API key", login: "Log in", since: "From", until: "Until", kind: "Request kind",
    all_kinds: "All kinds", kind_ektp_recording: "e-KTP recording", kind_birth_certificate: "Birth certificate", kind_skds: "SKDS",
    apply: "Apply", live: "Refresh automatically (10 s)", taken: "Campaign requests", target: "Target", days_left: "Days left",
    total: "Requests (filtered)", today: "Today", backlog: "Review backlog", bars_title: "Requests per kecamatan against target",
    burnup_title: "Campaign progress to the deadline", csv: "Download CSV", by_kecamatan: "By kecamatan", by_kelurahan: "By kelurahan",
    by_point: "By outreach point", updated: "Updated", bad_key: "Unknown key, or not a supervisor's.",
    failed: "Could not load the data; trying again.", changed: "The figures changed.", kecamatan: "Kecamatan", kelurahan: "Kelurahan", point: "Outreach point", point_kind: "Point kind",
    total_col: "Total", today_col: "Today", verified: "Approved", rejected: "Rejected", manual_review: "In review",
    documents_requested: "Awaiting documents", submitted: "In progress", withdrawn: "Withdrawn", approved_rate: "Approval rate",
    top_reasons: "Top reasons", review_backlog: "Backlog", oldest_review: "Oldest (code)", median_decision: "Median to decision (min)",
    median_notification: "Median to notification (min)", failed_notifications: "Failed notifications", progress: "Progress",
    kelurahan_office: "Kelurahan office", school: "School", government_office: "Government office", night_service: "Night service", counter: "Counter",
    cumulative: "Cumulative", target_line: "Target", language: "Bahasa Indonesia" },
};
let lang = localStorage.getItem(LANG) || "id", last = null, timer = null;
let loading = null, again = false, failing = false;
const $ = (id) => document.getElementById(id);
const t = (k) => T[lang][k] ?? k;
const key = () => sessionStorage.getItem(KEY);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const num = (n) => (n == null ? "–" : Number(n).toLocaleString(lang === "id" ? "id-ID" : "en-GB"));
const pct = (r) => (r == null ? "–" : `${Math.round(r * 100)}%`);

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("language").textContent = lang === "id" ? "EN" : "ID";
  $("language").setAttribute("aria-label", t("language"));
  if (last) render(last);
  stamp();
}

let updatedAt = null;
function stamp() {  // "updated at", in the language chosen now
  if (updatedAt) $("updated").textContent = `${t("updated")} ${updatedAt.toLocaleTimeString(lang === "id" ? "id-ID" : "en-GB")}`;
}

function query() {
  const p = new URLSearchParams();
  for (const name of ["since", "until", "kind"]) if ($(name).value) p.set(name, $(name).value);
  return p.toString();
}

async function get(path) {
  const response = await fetch(path, { headers: { "X-API-Key": key() } });
  if (response.status === 401 || response.status === 403) { logout(t("bad_key")); throw new Error("key"); }
  if (!response.ok) throw new Error(String(response.status));
  return response;
}

function announce(text) { $("announce").textContent = text; }  // the only live region

// One load at a time. Asked for while one runs: a refresh waits for it; a filter that
// changed meanwhile runs once more after it (with the new filter).
async function load(refresh = false) {
  if (loading) { again = again || !refresh; return loading; }
  loading = fetchAndShow();
  try { await loading; } finally { loading = null; }
  if (again) { again = false; await load(); }
}

async function fetchAndShow() {
  try {
    const fresh = await (await get(`/v1/dashboard/summary?${query()}`)).json();
    const changed = JSON.stringify(fresh) !== JSON.stringify(last);
    if (changed) {
      if (last) announce(t("changed"));
      last = fresh;
      render(last);  // only when changed: a redraw loses the reader's place in a table
    }
    failing = false;
    updatedAt = new Date();
    stamp();
  } catch (e) {
    if (e.message === "key") return;
    $("updated").textContent = t("failed");
    if (!failing) announce(t("failed"));
    failing = true;
  }
}

function render(s) {
  const c = s.campaign;
  $("campaign-name").textContent = `${c.name} (${c.start} – ${c.deadline})`;
  $("campaign-taken").textContent = `${num(c.taken)} (${pct(c.progress)})`;
  $("campaign-target").textContent = num(c.target);
  $("campaign-days-left").textContent = num(c.days_left);
  $("total-count").textContent = num(s.totals.total);
  $("today-count").textContent = num(s.totals.today);
  $("backlog-count").textContent = num(s.totals.review_backlog);
  if (!$("since").value) $("since").value = s.since;
  if (!$("until").value) $("until").value = s.until;
  table("kecamatan-table", s.kecamatan, [["kecamatan", (g) => `${g.kecamatan_name} (${g.kecamatan})`, true], ["target", (g) => num(g.target)], ["progress", (g) => pct(g.progress)]]);
  table("kelurahan-table", s.kelurahan, [["kecamatan", (g) => g.kecamatan_name, true], ["kelurahan", (g) => g.kelurahan, true]]);
  table("points-table", s.points, [["point", (g) => g.point_name, true], ["point_kind", (g) => t(g.point_kind), true], ["kelurahan", (g) => g.kelurahan, true]]);
  bars(s.kecamatan);
  burnup(c);
}

const STATUSES = ["submitted", "documents_requested", "manual_review", "verified", "rejected", "withdrawn"];
function table(id, groups, place) {
  const cols = [...place,
    ["total_col", (g) => num(g.total)], ["today_col", (g) => num(g.today)],
    ...STATUSES.map((st) => [st, (g) => num(g.by_status[st] || 0)]),
    ["approved_rate", (g) => pct(g.approved_rate)],
    ["top_reasons", (g) => g.top_reasons.map((r) => `${r.message[lang] || r.code} (${r.count})`).join(" "), true],
    ["review_backlog", (g) => num(g.review_backlog)], ["oldest_review", (g) => g.oldest_review || "–", true],
    ["median_decision", (g) => num(g.median_minutes_to_decision)], ["median_notification", (g) => num(g.median_minutes_to_notification)],
    ["failed_notifications", (g) => num(g.failed_notifications)]];
  const head = cols.map(([k]) => `<th scope="col">${esc(t(k))}</th>`).join("");
  const body = groups.map((g) => `<tr data-key="${esc(g.key)}">${cols.map(([, f, text], i) =>
    i === 0 ? `<th scope="row">${esc(f(g))}</th>` : `<td${text ? ' class="text"' : ""}>${esc(f(g))}</td>`).join("")}</tr>`).join("");
  $(id).innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
}

function bars(groups) {
  const rowH = 26, w = 560, left = 150, height = groups.length * rowH + 20;
  const max = Math.max(1, ...groups.map((g) => Math.max(g.total, g.target || 0)));
  const x = (n) => left + (n / max) * (w - left - 60);
  const items = groups.map((g, i) => {
    const y = 10 + i * rowH, label = `${g.kecamatan_name}: ${num(g.total)} / ${num(g.target)}`;
    return `<g><title>${esc(label)}</title>
      <text x="${left - 6}" y="${y + 15}" text-anchor="end">${esc(g.kecamatan_name)}</text>
      <rect x="${left}" y="${y + 3}" width="${Math.max(1, x(g.total) - left)}" height="16" fill="#0b4f8a" data-kecamatan="${esc(g.kecamatan)}" data-count="${g.total}"></rect>
      ${g.target ? `<line x1="${x(g.target)}" x2="${x(g.target)}" y1="${y}" y2="${y + 22}" stroke="#a3231f" stroke-width="2"></line>` : ""}
      <text x="${x(g.total) + 4}" y="${y + 15}">${esc(num(g.total))}</text></g>`;
  }).join("");
  $("bars").innerHTML = `<svg viewBox="0 0 ${w} ${height}" role="img" aria-labelledby="bars-title">${items}</svg>`;
}

function burnup(c) {
  const w = 560, h = 240, pad = 40, start = Date.parse(c.start), end = Date.parse(c.deadline);
  const span = Math.max(1, end - start), top = Math.max(c.target, c.taken, 1);
  const x = (day) => pad + ((Date.parse(day) - start) / span) * (w - 2 * pad);
  const y = (n) => h - pad + 10 - (n / top) * (h - 2 * pad);
  const points = c.days.map((d) => `${x(d.day).toFixed(1)},${y(d.cumulative).toFixed(1)}`).join(" ");
  const label = `${t("cumulative")}: ${num(c.taken)} / ${t("target_line")}: ${num(c.target)}`;
  $("burnup").innerHTML = `<svg viewBox="0 0 ${w} ${h}" role="img" aria-labelledby="burnup-title"><title>${esc(label)}</title>
    <line x1="${pad}" x2="${w - pad}" y1="${y(c.target)}" y2="${y(c.target)}" stroke="#a3231f" stroke-dasharray="6 4" stroke-width="2"></line>
    <text x="${w - pad}" y="${y(c.target) - 6}" text-anchor="end">${esc(t("target_line"))} ${esc(num(c.target))}</text>
    <line x1="${pad}" x2="${w - pad}" y1="${y(0)}" y2="${y(0)}" stroke="#4a4a4a"></line>
    <text x="${pad}" y="${h - 8}">${esc(c.start)}</text><text x="${w - pad}" y="${h - 8}" text-anchor="end">${esc(c.deadline)}</text>
    <polyline id="burnup-line" points="${points}" fill="none" stroke="#0b4f8a" stroke-width="3" data-cumulative="${c.taken}"></polyline>
    <text x="${pad + 4}" y="${pad - 12}">${esc(label)}</text></svg>`;
}

async function download(tableName) {
  try {
    const blob = await (await get(`/v1/dashboard/tables/${tableName}.csv?${query()}`)).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `jemput-${tableName}.csv`;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (e) { if (e.message !== "key") $("updated").textContent = t("failed"); }
}

function live() {  // the next refresh, REFRESH_MS after the last one ended
  clearTimeout(timer);
  timer = null;
  if ($("live").checked && key()) timer = setTimeout(async () => { await load(true); live(); }, REFRESH_MS);
}

function show(loggedIn) {
  $("login").hidden = loggedIn; $("main").hidden = !loggedIn; $("logout").hidden = !loggedIn;
  if (loggedIn) { load(); live(); }
}

function logout(message) {
  sessionStorage.removeItem(KEY); clearTimeout(timer); last = null; announce("");
  show(false); $("login-error").textContent = message || "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault(); sessionStorage.setItem(KEY, $("key").value); $("key").value = "";
    $("login-error").textContent = ""; show(true);
  });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("kind").addEventListener("change", () => load());
  $("live").addEventListener("change", live);
  $("logout").addEventListener("click", () => logout());
  $("language").addEventListener("click", () => { lang = lang === "id" ? "en" : "id"; localStorage.setItem(LANG, lang); translate(); });
  document.querySelectorAll("button.csv").forEach((b) => b.addEventListener("click", () => download(b.dataset.table)));
  translate();
  show(Boolean(key()));
});
