// The request form: drawn from the app data (kinds, documents, marital statuses), read
// into the body POST /v1/requests/batch takes, filled back in to correct an entry, and
// marked with the checks' messages (checks.js) next to each field.
const $ = (id) => document.getElementById(id);
const form = () => $("request-form");

export function drawChoices(data, lang) {
  const labels = data.labels;
  const kind = selectedKind() ?? "ektp_recording";
  $("kinds").replaceChildren(...Object.keys(labels.kinds).map((k) => choice("radio", "details.kind", k, labels.kinds[k][lang], k === kind)));
  const ticked = new Set(checkedDocuments());
  $("documents").replaceChildren(...Object.keys(labels.documents).map((d) => {
    const wrap = choice("checkbox", "documents", d, labels.documents[d][lang], ticked.has(d));
    // The kinds whose rules name this document: only those show it.
    wrap.dataset.kinds = Object.entries(data.rules.documents).filter(([, need]) => [...need.always, ...need.if_married].includes(d)).map(([k]) => k).join(" ");
    return wrap;
  }));
  const marital = $("f-marital"), current = marital.value || "single";
  marital.replaceChildren(...Object.entries(labels.marital_status).map(([v, l]) => option(v, l[lang])));
  marital.value = current;
  showKind();
}

function choice(type, name, value, text, checked) {
  const wrap = document.createElement("div"), input = document.createElement("input"), label = document.createElement("label");
  input.type = type; input.name = name; input.value = value; input.id = `c-${name}-${value}`; input.checked = checked;
  label.htmlFor = input.id; label.textContent = text;
  wrap.className = "field check";
  wrap.append(input, label);
  return wrap;
}

export function option(value, text) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text;
  return o;
}

const selectedKind = () => form().querySelector('input[name="details.kind"]:checked')?.value;
const checkedDocuments = () => [...form().querySelectorAll('input[name="documents"]:checked')]
  .filter((i) => !i.closest(".field").hidden).map((i) => i.value); // another kind's stay unsent

/** Only the kind's own fields are shown (and read). */
export function showKind() {
  const kind = selectedKind();
  for (const set of form().querySelectorAll("fieldset[data-kind]")) set.hidden = set.dataset.kind !== kind;
  const documents = [...$("documents").children];
  for (const wrap of documents) wrap.hidden = !wrap.dataset.kinds.split(" ").includes(kind);
  $("documents").closest("fieldset").hidden = documents.every((wrap) => wrap.hidden);
}

/** The body as the server takes it, without request id, time, device or place. */
export function readForm() {
  const body = { applicant: {}, details: { kind: selectedKind() }, documents: checkedDocuments() };
  for (const el of form().querySelectorAll("input[name], select[name]")) {
    const [part, field] = el.name.split(".");
    if (!field || field === "kind" || el.closest("fieldset")?.hidden) continue;
    let value = el.type === "checkbox" ? el.checked : el.value.trim();
    if (el.type === "number") value = value === "" ? "" : Number(value);
    if (value === "" && el.type !== "checkbox") continue; // optional fields are left out, required ones are checked
    body[part][field] = value;
  }
  return body;
}

export function fillForm(body) {
  form().reset();
  for (const el of form().querySelectorAll("input[name], select[name]")) {
    const [part, field] = el.name.split(".");
    if (part === "documents") { el.checked = body.documents.includes(el.value); continue; }
    const value = body[part]?.[field];
    if (field === "kind") el.checked = el.value === body.details.kind;
    else if (el.type === "checkbox") el.checked = Boolean(value);
    else el.value = value ?? "";
  }
  showKind();
}

/** Marks each field with its messages; returns the first field at fault (to focus). */
export function showErrors(errors, words) {
  for (const p of form().querySelectorAll("p.error[id^='e-']")) p.textContent = "";
  for (const el of form().querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  let first = null;
  for (const error of errors) {
    const place = $(`e-${error.field}`) ?? $("form-error");
    place.textContent = [place.textContent, words(error)].filter(Boolean).join(" ");
    const input = form().querySelector(`[name="${error.field}"]`);
    if (input) { input.setAttribute("aria-invalid", "true"); first ??= input; }
  }
  return first;
}

export function clearForm() {
  const kind = selectedKind(), language = $("f-language").value;
  form().reset();
  showErrors([], () => "");
  const radio = form().querySelector(`input[name="details.kind"][value="${kind}"]`);
  if (radio) radio.checked = true; // the kind stays chosen for the next applicant
  $("f-language").value = language;
  showKind();
}
