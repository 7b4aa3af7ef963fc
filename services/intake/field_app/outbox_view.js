// The day at a glance (counts per kind; pending, sent, needs attention) and the outbox,
// each entry's outcome in plain words, with what the officer can do about it.
import { localToday } from "./nik.js";

const $ = (id) => document.getElementById(id);

/** Today's entries, and any earlier one still pending or needing attention (never hidden). */
export function visible(entries) {
  const today = localToday();
  return entries.filter((e) => e.day === today || e.state !== "accepted")
    .sort((x, y) => y.captured_at.localeCompare(x.captured_at));
}

export function drawCounts(entries, data, t, lang) {
  const today = entries.filter((e) => e.day === localToday());
  const rows = Object.keys(data.labels.kinds).map((k) => [data.labels.kinds[k][lang], today.filter((e) => e.kind === k).length, `kind-${k}`]);
  rows.push([t("count_pending"), entries.filter((e) => e.state === "pending").length, "pending"]);
  rows.push([t("count_sent"), today.filter((e) => e.state === "accepted").length, "sent"]);
  rows.push([t("count_attention"), entries.filter((e) => e.state === "invalid" || e.state === "conflict").length, "attention"]);
  $("counts").replaceChildren(...rows.flatMap(([label, n, id]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = label; dd.textContent = String(n); dd.id = `count-${id}`;
    return [dt, dd];
  }));
}

export function drawEntries(entries, data, t, lang) {
  $("entries").replaceChildren(...visible(entries).map((e) => {
    const li = document.createElement("li");
    li.className = `entry ${e.state}`;
    li.dataset.requestId = e.request_id;
    li.dataset.state = e.state;
    const time = new Date(e.captured_at).toLocaleTimeString(lang === "id" ? "id-ID" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    const head = document.createElement("p");
    head.textContent = `${time} · ${data.labels.kinds[e.kind]?.[lang] ?? e.kind} · ${t(`state_${e.state}`)}`;
    const code = document.createElement("p");
    code.className = "code";
    code.textContent = e.tracking_code ?? e.request_id;
    li.append(head, code);
    const window = data.rules.offline_window_days, age = (Date.now() - Date.parse(e.captured_at)) / 86400000;
    if (e.state === "pending" && window !== null && age > window) { // still sent: an officer looks at it
      const note = document.createElement("p");
      note.className = "note";
      note.textContent = t("expired", window);
      li.append(note);
    }
    for (const error of e.errors ?? []) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = `${error.field}: ${error.message}`;
      li.append(p);
    }
    const act = (action, label) => {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.action = action; b.dataset.requestId = e.request_id; b.textContent = label;
      li.append(b);
    };
    if (e.state === "accepted") act("receipt", t("receipt"));
    if (e.state === "pending") act("receipt", t("provisional"));
    if (e.state === "invalid") act("fix", t("fix"));
    if (e.state === "conflict") act("new-id", t("new_id"));
    return li;
  }));
}
