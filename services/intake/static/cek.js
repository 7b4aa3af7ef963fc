// The applicants' status page: a tracking code typed, or in the URL fragment (/cek/#JB-…),
// which the browser never sends to the server. Nothing personal is asked or shown.
const T = {
  id: {
    title: "Cek status permohonan", label: "Kode pada tanda terima",
    hint: "Contoh: JB-7K3M9-QX2PD. Kami tidak meminta nama atau NIK Anda.",
    check: "Cek", status: "Status", switch: "EN", switchName: "English",
    submitted: "Diajukan", checking: "Sedang memeriksa…",
    bad_code: "Kode terdiri dari JB- lalu dua kelompok lima huruf atau angka, mis. JB-7K3M9-QX2PD.",
    not_found: "Kode ini tidak kami temukan. Periksa lagi tanda terima Anda.",
    too_many: (s) => `Terlalu sering mencoba. Tunggu ${s} detik, lalu coba lagi.`,
    failed: "Layanan sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
    kinds: { ektp_recording: "Perekaman e-KTP", birth_certificate: "Akta kelahiran", skds: "Surat Keterangan Domisili Sementara (SKDS)" },
    statuses: { submitted: "Sedang diproses", documents_requested: "Perlu dokumen tambahan",
      manual_review: "Diperiksa petugas", verified: "Disetujui", rejected: "Ditolak", withdrawn: "Dibatalkan" },
  },
  en: {
    title: "Check a request's status", label: "Code on your receipt",
    hint: "For example JB-7K3M9-QX2PD. We never ask for your name or NIK.",
    check: "Check", status: "Status", switch: "ID", switchName: "Bahasa Indonesia",
    submitted: "Submitted", checking: "Checking…",
    bad_code: "A code is JB- and two groups of five letters or digits, e.g. JB-7K3M9-QX2PD.",
    not_found: "We cannot find this code. Please check your receipt again.",
    too_many: (s) => `Too many tries. Please wait ${s} seconds, then try again.`,
    failed: "The service cannot be reached right now. Please try again shortly.",
    kinds: { ektp_recording: "e-KTP recording", birth_certificate: "Birth certificate", skds: "Temporary domicile letter (SKDS)" },
    statuses: { submitted: "Being processed", documents_requested: "More documents needed",
      manual_review: "With an officer", verified: "Approved", rejected: "Rejected", withdrawn: "Withdrawn" },
  },
};
const CODE = /^JB-[0-9A-Z]{5}-[0-9A-Z]{5}$/;
const $ = (id) => document.getElementById(id);
let lang = navigator.language.startsWith("en") ? "en" : "id";
let chosen = false; // once the reader switches, their choice beats the applicant's language
let shown = null;

function render() {
  const t = T[lang];
  document.documentElement.lang = lang;
  document.title = t.title;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t];
  $("lang").textContent = t.switch;
  $("lang").lang = lang === "id" ? "en" : "id";
  $("lang").setAttribute("aria-label", t.switchName);
  if (shown) show(shown);
}

function say(text, bad = false) {
  $("message").textContent = text;
  $("message").className = bad ? "bad" : "";
}

function show(view) {
  const t = T[lang];
  shown = view;
  $("kind").textContent = `${t.kinds[view.kind] ?? view.kind} · ${view.tracking_code}`;
  $("status").textContent = t.statuses[view.status] ?? view.status;
  $("status").className = view.status;
  $("next").textContent = view.next_step;
  $("reasons").replaceChildren(...view.reasons.map((r) => {
    const li = document.createElement("li");
    li.textContent = r.message;
    return li;
  }));
  const when = new Date(view.submitted_at);
  $("since").textContent = `${t.submitted}: ${when.toLocaleDateString(lang === "id" ? "id-ID" : "en-GB", { dateStyle: "long" })}`;
  $("result").hidden = false;
}

async function check(raw) {
  const code = raw.trim().toUpperCase();
  $("code").value = code;
  shown = null;
  $("result").hidden = true;
  if (!CODE.test(code)) return say(T[lang].bad_code, true);
  say(T[lang].checking);
  history.replaceState(null, "", `#${code}`);
  let response;
  try {
    // The code in the body, not the URL: no proxy's access log learns it.
    const body = JSON.stringify(chosen ? { tracking_code: code, lang } : { tracking_code: code });
    response = await fetch("/v1/status", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  } catch {
    return say(T[lang].failed, true);
  }
  if (response.status === 404) return say(T[lang].not_found, true);
  if (response.status === 429) return say(T[lang].too_many(response.headers.get("Retry-After") ?? "60"), true);
  if (!response.ok) return say(T[lang].failed, true);
  const view = await response.json();
  if (!chosen) lang = view.language;
  say("");
  render();
  show(view);
  $("result").focus?.();
}

$("ask").addEventListener("submit", (e) => { e.preventDefault(); check($("code").value); });
$("lang").addEventListener("click", () => {
  lang = lang === "id" ? "en" : "id";
  chosen = true;
  render();
  if (shown) check(shown.tracking_code);
});
window.addEventListener("hashchange", () => check(decodeURIComponent(location.hash.slice(1))));
render();
if (location.hash.length > 1) check(decodeURIComponent(location.hash.slice(1)));
