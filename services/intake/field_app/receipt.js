// The applicant's receipt: the tracking code as text and as a QR code of the status page's
// address, drawn here (vendored encoder, SVG elements: no inline style, works offline).
// Before the request is sent, a provisional receipt names the request id instead.
import qrcode from "./vendor/qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

// The applicants' status page (/cek/, served by intake): the code in the fragment, which a
// browser never sends to a server, so it stays out of every access log.
export function statusUrl(code) {
  return new URL(`/cek/#${encodeURIComponent(code)}`, location.origin).href;
}

/** A QR code as an SVG element: one path of dark modules, a quiet zone of 4. */
export function qrSvg(text) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount(), svg = document.createElementNS(SVG, "svg"), path = document.createElementNS(SVG, "path");
  let d = "";
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  svg.setAttribute("viewBox", `0 0 ${n + 8} ${n + 8}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("shape-rendering", "crispEdges");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

export function showReceipt(entry, kindName, t) {
  const accepted = entry.state === "accepted";
  $("receipt-title").textContent = accepted ? t("receipt") : t("provisional");
  $("receipt-kind").textContent = kindName;
  $("receipt-note").textContent = accepted ? t("tracking_note") : t("provisional_note");
  $("receipt-code").textContent = accepted ? entry.tracking_code : entry.request_id;
  $("receipt-qr").replaceChildren();
  $("receipt-link").textContent = "";
  if (accepted) {
    const url = statusUrl(entry.tracking_code), svg = qrSvg(url);
    svg.setAttribute("aria-label", url);
    $("receipt-qr").append(svg);
    $("receipt-link").textContent = url;
  }
  $("receipt").dataset.requestId = entry.request_id;
  $("receipt").hidden = false;
  $("receipt").focus();
}
