// Enrolment, PIN unlock and lock. The device key is held in clear only in this page's
// memory while unlocked; on the device it is AES-GCM ciphertext under the PIN's key.
// Wrong PINs: after 5, each further one pauses the form (30 s, doubling); nothing is wiped
// (wiping would lose requests), the pause makes guessing by hand impractical, and a lost
// tablet's key is revoked on the server (docs/adr/0014-officers-field-app.md).
import { deleteMeta, getMeta, putMeta } from "./store.js";
import { deriveKey, ITERATIONS, randomBytes, seal, toBase64, fromBase64, unseal } from "./vault.js";

export const DEVICE_ID = /^[a-z0-9][a-z0-9-]{2,39}$/;
const FREE_TRIES = 5, PAUSE_MS = 30000;

export class EnrolError extends Error {}

/** Asks the server whose key this is: the device id it answers for, or an EnrolError. */
export async function checkKey(deviceId, key) {
  let response;
  try {
    response = await fetch("/v1/devices/me", { headers: { "X-API-Key": key }, cache: "no-store" });
  } catch {
    throw new EnrolError("enrol_offline");
  }
  if (response.status === 401) throw new EnrolError("key_unknown");
  if (response.status === 403) throw new EnrolError("key_not_device"); // an officer's key, not a device's
  if (!response.ok) throw new EnrolError("enrol_offline");
  const me = await response.json();
  if (me.device_id !== deviceId) throw new EnrolError("key_other_device");
  return deviceId;
}

export async function enrol(deviceId, key, pin) {
  const salt = randomBytes(16);
  const aesKey = await deriveKey(pin, salt, ITERATIONS);
  await putMeta({
    name: "device", device_id: deviceId, salt: toBase64(salt), iterations: ITERATIONS,
    check: await seal(aesKey, "jemput", "pin-check"),
    key: await seal(aesKey, key, `device-key:${deviceId}`),
    enrolled_at: new Date().toISOString(),
  });
  await deleteMeta("pin");
  return { aesKey, deviceKey: key, deviceId };
}

/** A new key for the same device (the old one was revoked), sealed under the same PIN key. */
export async function rekey(session, key) {
  const device = await getMeta("device");
  await putMeta({ ...device, key: await seal(session.aesKey, key, `device-key:${device.device_id}`) });
  return { ...session, deviceKey: key };
}

/** {session} or {wrong: tries left} or {wait: seconds}. */
export async function unlock(pin, now = Date.now()) {
  const device = await getMeta("device");
  const tries = (await getMeta("pin")) ?? { name: "pin", failures: 0, paused_until: 0 };
  if (now < tries.paused_until) return { wait: Math.ceil((tries.paused_until - now) / 1000) };
  const aesKey = await deriveKey(pin, fromBase64(device.salt), device.iterations);
  try {
    await unseal(aesKey, device.check, "pin-check");
  } catch {
    const failures = tries.failures + 1;
    const over = failures - FREE_TRIES;
    const paused_until = over >= 0 ? now + PAUSE_MS * 2 ** over : 0;
    await putMeta({ name: "pin", failures, paused_until });
    return over >= 0 ? { wait: Math.ceil((paused_until - now) / 1000) } : { wrong: FREE_TRIES - failures };
  }
  await deleteMeta("pin");
  const deviceKey = await unseal(aesKey, device.key, `device-key:${device.device_id}`);
  return { session: { aesKey, deviceKey, deviceId: device.device_id } };
}

export const enrolled = () => getMeta("device");
