// The form's checks before saving, from the server's own rule inputs and region table
// (GET /v1/app-data): NIK structure and region, birth date and sex agreeing with the NIK,
// the age for e-KTP, who needs an SKDS, the documents each kind needs. The server stays
// the judge; these only spare a round trip and an applicant a rejection letter.
import { ageOn, parseNik } from "./nik.js";

const EMAIL = /^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[a-z]{2,}$/;
const PHONE = /^\+?[0-9]{8,15}$/;
const DIGITS16 = /^[0-9]{16}$/;

/** Errors as [{field, code, n?}]: `field` is the body's path, `code` a key of data.checks. */
export function checkForm(body, data, today) {
  const errors = [], a = body.applicant, d = body.details, rules = data.rules;
  const fail = (field, code, n) => errors.push(n === undefined ? { field, code } : { field, code, n });
  const required = (field, value) => { if (value === undefined || value === null || String(value).trim() === "") { fail(field, "required"); return false; } return true; };
  const pastDate = (field, value) => { if (required(field, value) && !(value >= "1900-01-01" && value <= today)) fail(field, "past_date"); };

  const nik = parseNik(a.nik ?? "", today);
  if (nik.code) fail("applicant.nik", nik.code);
  else if (!data.regions[nik.kecamatan]) fail("applicant.nik", "nik_unknown_region");
  required("applicant.full_name", a.full_name);
  required("applicant.address", a.address);
  pastDate("applicant.birth_date", a.birth_date);
  required("applicant.sex", a.sex);
  if (!nik.code && a.birth_date && a.birth_date !== nik.birthDate) fail("applicant.birth_date", "nik_birth_mismatch");
  if (!nik.code && a.sex && a.sex !== nik.sex) fail("applicant.sex", "nik_sex_mismatch");
  if (a.email && !EMAIL.test(a.email)) fail("applicant.email", "email");
  if (a.phone && !PHONE.test(a.phone)) fail("applicant.phone", "phone");

  if (d.kind === "ektp_recording" && a.birth_date && a.birth_date <= today
      && ageOn(a.birth_date, today) < rules.ektp_min_age && (a.marital_status ?? "single") === "single") {
    fail("applicant.birth_date", "ektp_under_age", rules.ektp_min_age);
  }
  if (d.kind === "birth_certificate") {
    for (const f of ["child_name", "place_of_birth", "birth_letter_reference", "child_sex"]) required(`details.${f}`, d[f]);
    pastDate("details.child_birth_date", d.child_birth_date);
    for (const f of ["family_card_number", "mother_nik"]) {
      if (required(`details.${f}`, d[f]) && !DIGITS16.test(d[f])) fail(`details.${f}`, "digits16");
    }
    if (d.mother_nik && DIGITS16.test(d.mother_nik) && parseNik(d.mother_nik, today).code) fail("details.mother_nik", parseNik(d.mother_nik, today).code);
    if (d.father_nik && !DIGITS16.test(d.father_nik)) fail("details.father_nik", "digits16");
  }
  if (d.kind === "skds") {
    required("details.city_address", d.city_address);
    if (!(d.stay_months >= 1 && d.stay_months <= rules.skds_max_months)) fail("details.stay_months", "skds_stay_too_long", rules.skds_max_months);
    const home = rules.skds_home === "province" ? rules.city_regency_code.slice(0, 2) : rules.city_regency_code;
    if (!nik.code && (a.nik ?? "").startsWith(home)) fail("applicant.nik", "skds_resident");
  }
  const need = requiredDocuments(d, data);
  if (need.some((doc) => !body.documents.includes(doc))) fail("documents", "documents_missing");
  return errors;
}

/** The documents a kind needs, from the rule set in force. */
export function requiredDocuments(details, data) {
  const docs = data.rules.documents[details.kind] ?? { always: [], if_married: [] };
  return [...docs.always, ...(details.parents_married ? docs.if_married : [])];
}
