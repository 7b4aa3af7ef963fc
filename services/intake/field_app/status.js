// The status page a receipt's QR code opens (for the applicant, usually on a phone): the
// status and next step, in the applicant's language, from GET /v1/status/{code}.
const $ = (id) => document.getElementById(id);
const code = new URLSearchParams(location.search).get("code") ?? "";
$("status-code").textContent = code;
try {
  const response = await fetch(`/v1/status/${encodeURIComponent(code)}`, { cache: "no-store" });
  if (response.status === 404) $("status-text").textContent = "Nomor pelacakan tidak dikenal. / Unknown tracking code.";
  else if (!response.ok) $("status-text").textContent = "Status belum dapat dimuat; coba lagi nanti. / Could not load the status; try again later.";
  else {
    const status = await response.json();
    $("status-text").textContent = status.status;
    $("status-next").textContent = status.next_step;
    $("status-reasons").replaceChildren(...status.reasons.map((r) => Object.assign(document.createElement("li"), { textContent: r.message })));
  }
} catch {
  $("status-text").textContent = "Tidak ada jaringan; coba lagi nanti. / No network; try again later.";
}
