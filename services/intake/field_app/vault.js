// Encryption at rest on the device. The PIN never leaves memory: PBKDF2-SHA256 (600,000
// iterations, a random salt per enrolment) turns it into a non-extractable AES-GCM key;
// the device key and every outbox entry are stored only as AES-GCM ciphertext, each bound
// (additional data) to what it belongs to, so that entries cannot be swapped around.
export const ITERATIONS = 600000;
const enc = new TextEncoder(), dec = new TextDecoder();

export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

export async function deriveKey(pin, salt, iterations = ITERATIONS) {
  const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** `value` (anything JSON) sealed under `key`, bound to the text `boundTo`. */
export async function seal(key, value, boundTo) {
  const iv = randomBytes(12);
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: enc.encode(boundTo) }, key, enc.encode(JSON.stringify(value)));
  return { iv: toBase64(iv), data: toBase64(new Uint8Array(data)) };
}

/** The value sealed by `seal`; throws if the key (the PIN) is wrong or the bytes changed. */
export async function unseal(key, sealed, boundTo) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(sealed.iv), additionalData: enc.encode(boundTo) }, key, fromBase64(sealed.data));
  return JSON.parse(dec.decode(plain));
}

export function toBase64(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
