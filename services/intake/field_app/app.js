// The officers' field app: enrol, unlock, capture offline, send when the signal allows.
// Screens: enrol -> unlock -> (outreach point, form, outbox, receipt). Everything the
// officer types about an applicant is sealed before it touches storage (vault.js).
import { checkForm } from "./checks.js";
import { clearForm, drawChoices, fillForm, option, readForm, showErrors, showKind } from "./form.js";
import { WORDS } from "./i18n.js";
import { localToday } from "./nik.js";
import { drawCounts, drawEntries } from "./outbox_view.js";
import { showReceipt } from "./receipt.js";
import { checkKey, DEVICE_ID, enrol, EnrolError, enrolled, rekey, unlock } from "./session.js";
import { allEntries, changes, deleteEntry, getEntry, getMeta, putEntry, putMeta } from "./store.js";
import { Sync } from "./sync.js";
import { randomBytes, seal, unseal } from "./vault.js";

const IDLE_LOCK_MS = 10 * 60 * 1000, POLL_MS = 30000;
const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("jemput.field.language") ?? "id";
let data = null, session = null, sync = null, editing = null, idleTimer = null, rekeying = false;

const t = (key, n) => (WORDS[lang][key] ?? key).replace("{n}", n ?? "");
const checkWords = (error) => (data.checks[error.code]?.[lang] ?? error.message ?? error.code).replace("{n}", error.n ?? "");
const show = (...ids) => { for (const id of ["enrol", "unlock", "main"]) $(id).hidden = !ids.includes(id); };

async function loadData() {
  const cached = await getMeta("appdata");
  try { // ask whether the server's version changed; keep the copy if it did not or if offline
    const response = await fetch("/v1/app-data", { headers: cached ? { "If-None-Match": `"${cached.version}"` } : {}, cache: "no-store" });
    if (response.status === 200) {
      const fresh = await response.json();
      await putMeta({ name: "appdata", version: fresh.version, data: fresh });
      return fresh;
    }
  } catch { /* offline: the kept copy */ }
  return cached?.data ?? null;
}

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("language").textContent = t("language");
  $("language").lang = lang === "id" ? "en" : "id";
  if (data) { drawChoices(data, lang); drawShiftChoices(); }
  render();
}

function drawShiftChoices() {
  const kind = $("point-kind"), kec = $("point-kecamatan"), keep = [kind.value, kec.value];
  kind.replaceChildren(...Object.entries(data.labels.point_kinds).map(([v, l]) => option(v, l[lang])));
  const city = data.rules.city_regency_code;
  kec.replaceChildren(...Object.entries(data.regions).filter(([c]) => c.startsWith(city)).map(([c, [name]]) => option(c, `${name} (${c})`)));
  if (keep[0]) kind.value = keep[0];
  if (keep[1]) kec.value = keep[1];
}

async function render() {
  if (!session || !data) return;
  const entries = await allEntries();
  if (sync?.refused !== null && sync?.refused !== undefined) $("sync-status").textContent = t("refused", entries.filter((e) => e.state === "pending").length);
  drawCounts(entries, data, t, lang);
  drawEntries(entries, data, t, lang);
  const shift = await getMeta("shift");
  $("shift-form").hidden = Boolean(shift) && !$("shift-form").dataset.open;
  $("shift-change").hidden = !$("shift-form").hidden;
  $("capture").hidden = !shift;
  if (shift) $("shift-summary").textContent = `${data.labels.point_kinds[shift.point.kind][lang]} · ${shift.point.name} · ${shift.point.kelurahan} · ${data.regions[shift.point.kecamatan_code]?.[0] ?? ""}`;
}

function report(state) {
  const status = $("sync-status");
  status.hidden = false;
  status.dataset.phase = state.phase;
  if (state.phase === "refused") openRekey(); // render() says how many wait
  else status.textContent = state.phase === "sending" ? t("sending", state.count) : state.phase === "waiting" ? t("waiting", state.seconds) : t("idle");
  render();
}

function start(unlocked) {
  session = unlocked;
  sync = new Sync(session, report);
  show("main");
  $("lock").hidden = false;
  render();
  sync.now();
  $("main").focus();
  touch();
}

function lock() {
  sync?.stop();
  session = sync = null;
  $("lock").hidden = true;
  $("receipt").hidden = true;
  clearForm();
  show("unlock");
  $("unlock-pin").focus();
}

function touch() { // an idle tablet locks itself: the key leaves memory
  clearTimeout(idleTimer);
  if (session) idleTimer = setTimeout(lock, IDLE_LOCK_MS);
}

function openRekey() {
  rekeying = true;
  show("enrol", "main");
  $("enrol-title").dataset.i18n = "rekey";
  document.querySelector("#enrol p[data-i18n]").dataset.i18n = "rekey_help";
  for (const el of $("enrol").querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const id of ["enrol-pin", "enrol-pin2"]) { $(id).hidden = true; $(id).labels[0].hidden = true; }
  $("enrol-device").value = session.deviceId;
  $("enrol-device").readOnly = true;
}

$("enrol-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const deviceId = $("enrol-device").value.trim(), key = $("enrol-key").value, pin = $("enrol-pin").value;
  const fail = (key) => { $("enrol-error").textContent = t(key); };
  if (!DEVICE_ID.test(deviceId)) return fail("device_bad");
  if (!rekeying && !/^[0-9]{6,}$/.test(pin)) return fail("pin_short");
  if (!rekeying && pin !== $("enrol-pin2").value) return fail("pin_mismatch");
  try {
    await checkKey(deviceId, key);
  } catch (error) {
    return fail(error instanceof EnrolError ? error.message : "enrol_offline");
  }
  $("enrol-form").reset();
  $("enrol-error").textContent = "";
  if (rekeying) {
    rekeying = false;
    $("enrol").hidden = true;
    session = await rekey(session, key);
    sync.stop();
    return start(session);
  }
  start(await enrol(deviceId, key, pin));
});

$("unlock-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await unlock($("unlock-pin").value);
  $("unlock-pin").value = "";
  if (answer.session) { $("unlock-error").textContent = ""; return start(answer.session); }
  $("unlock-error").textContent = answer.wait ? t("pin_wait", answer.wait) : t("pin_wrong", answer.wrong);
});

$("shift-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const point = { kind: $("point-kind").value, name: $("point-name").value.trim(), kelurahan: $("point-kelurahan").value.trim(), kecamatan_code: $("point-kecamatan").value };
  if (!point.name || !point.kelurahan || !point.kecamatan_code) { $("shift-error").textContent = WORDS[lang].need_shift; return; }
  $("shift-error").textContent = "";
  delete $("shift-form").dataset.open;
  await putMeta({ name: "shift", point, day: localToday() });
  render();
});

$("shift-change").addEventListener("click", () => { $("shift-form").dataset.open = "1"; render(); $("point-kind").focus(); });

function newRequestId() { // `<device>-<yyyymmdd>-<8 random letters/digits>`: made here, at capture
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const random = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join("");
  return `${session.deviceId}-${localToday().replaceAll("-", "")}-${random}`;
}

$("request-form").addEventListener("change", (event) => { if (event.target.name === "details.kind") showKind(); });

$("request-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const shift = await getMeta("shift");
  if (!shift) { $("form-error").textContent = t("need_shift"); return; }
  const form = readForm();
  const errors = checkForm(form, data, localToday());
  const first = showErrors(errors, checkWords);
  $("form-error").textContent = errors.length ? t("form_invalid") : "";
  if (errors.length) { first?.focus(); return; }
  const previous = editing ? await getEntry(editing) : null;
  const requestId = previous?.request_id ?? newRequestId();
  const capturedAt = previous?.captured_at ?? new Date().toISOString(); // the time of capture, kept on a correction
  const body = { request_id: requestId, occurred_at: capturedAt, ...form, outreach_point: previous?.point ?? shift.point, device_id: session.deviceId };
  const entry = { request_id: requestId, kind: form.details.kind, captured_at: capturedAt, day: previous?.day ?? localToday(), point: body.outreach_point, state: "pending", errors: [], sealed: await seal(session.aesKey, body, requestId) };
  await putEntry(entry);
  editing = null;
  $("editing").hidden = $("cancel-edit").hidden = true;
  clearForm();
  changes.postMessage("outbox");
  showReceipt(entry, data.labels.kinds[entry.kind][lang], t);
  sync.now();
  render();
});

$("cancel-edit").addEventListener("click", () => { editing = null; $("editing").hidden = $("cancel-edit").hidden = true; clearForm(); });

$("entries").addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const entry = await getEntry(button.dataset.requestId);
  if (button.dataset.action === "receipt") showReceipt(entry, data.labels.kinds[entry.kind][lang], t);
  if (button.dataset.action === "fix") { // correct and send again under the same id
    const body = await unseal(session.aesKey, entry.sealed, entry.request_id);
    fillForm(body);
    editing = entry.request_id;
    $("editing").textContent = `${t("editing")} ${entry.request_id}`;
    $("editing").hidden = $("cancel-edit").hidden = false;
    showErrors(entry.errors.map((e) => ({ field: e.field.replace(/^\d+\./, ""), message: e.message })), checkWords);
    $("f-nik").focus();
  }
  if (button.dataset.action === "new-id") { // the id was taken by another request: this one under a new id
    const body = await unseal(session.aesKey, entry.sealed, entry.request_id), id = newRequestId();
    await putEntry({ ...entry, request_id: id, state: "pending", errors: [], sealed: await seal(session.aesKey, { ...body, request_id: id }, id) });
    await deleteEntry(entry.request_id);
    sync.now();
    render();
  }
});

$("send-now").addEventListener("click", () => sync?.now());
$("lock").addEventListener("click", lock);
$("receipt-close").addEventListener("click", () => { $("receipt").hidden = true; $("request-form").querySelector("input")?.focus(); });
$("receipt-print").addEventListener("click", () => window.print());
$("language").addEventListener("click", () => { lang = lang === "id" ? "en" : "id"; localStorage.setItem("jemput.field.language", lang); translate(); });
for (const name of ["pointerdown", "keydown"]) document.addEventListener(name, touch, { passive: true });
changes.onmessage = () => render();
const online = () => { $("offline").hidden = navigator.onLine; if (navigator.onLine) sync?.now(); };
addEventListener("online", online);
addEventListener("offline", online);
setInterval(() => sync?.run(), POLL_MS);

// The offline copy: registered on every start (which also looks for a new release). An
// install fails if one file fails to arrive (a flapping signal, a busy server), so
// registering is tried again, less and less often, until a worker is active.
async function keepOfflineCopy() {
  for (let wait = 2000; ; wait = Math.min(wait * 2, 60000)) {
    await navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, wait));
    if ((await navigator.serviceWorker.getRegistration("./"))?.active) return;
  }
}

async function main() {
  if ("serviceWorker" in navigator) keepOfflineCopy();
  data = await loadData();
  translate();
  online();
  const device = await enrolled();
  if (!data) { $("sync-status").hidden = false; $("sync-status").textContent = t("no_data"); }
  if (!device) { show("enrol"); $("enrol-device").focus(); return; }
  $("unlock-device").textContent = `${t("device_id")}: ${device.device_id}`;
  show("unlock");
  $("unlock-pin").focus();
}

main();
