// NIK structure, as shared/domain/nik.py reads it: `PP KK CC DDMMYY SSSS`, the day + 40 for
// women. Kept line for line with the Python (tests/unit/test_field_app_nik.py feeds both
// the same cases), so the form and the server cannot disagree on what a NIK is.

/** @returns {{code: string}|{kecamatan: string, birthDate: string, sex: "F"|"M", serial: number}} */
export function parseNik(value, today) {
  if (!/^[0-9]{16}$/.test(value)) return { code: "nik_format" };
  let day = Number(value.slice(6, 8));
  const month = Number(value.slice(8, 10)), year2 = Number(value.slice(10, 12));
  const sex = day > 40 ? "F" : "M";
  if (sex === "F") day -= 40;
  const born = birthDate(day, month, year2, today);
  if (born === null) return { code: "nik_birth_date" };
  const serial = Number(value.slice(12));
  if (serial === 0) return { code: "nik_serial" };
  return { kecamatan: value.slice(0, 6), birthDate: born, sex, serial };
}

// The latest valid date with these digits that is not after `today` (ISO "YYYY-MM-DD").
function birthDate(day, month, year2, today) {
  for (const century of [2000, 1900]) {
    const year = century + year2;
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) continue;
    const iso = `${year}-${pad(month)}-${pad(day)}`;
    if (iso <= today) return iso;
  }
  return null;
}

function daysIn(year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n) => String(n).padStart(2, "0");

/** Whole years between two ISO dates. */
export function ageOn(born, day) {
  const [by, bm, bd] = born.split("-").map(Number), [y, m, d] = day.split("-").map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** Today on this device, as an ISO date in its own time zone (what an officer sees). */
export function localToday(now = new Date()) {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
