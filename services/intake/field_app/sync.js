// Sending the outbox. An entry leaves "pending" only when the server has answered for it
// (accepted or duplicate: its form is deleted from the device; invalid or conflict: it
// waits for the officer). Anything else (no network, a cut connection, 5xx, 503 with
// Retry-After) leaves it pending and tries again later, with exponential backoff and full
// jitter so that a room of tablets coming back online does not arrive all at once.
// One tab sends at a time (a Web Lock); the same request ids sent again after a reload or
// a cut answer come back `duplicate` with the same tracking code.
import { allEntries, changes, updateEntry } from "./store.js";
import { unseal } from "./vault.js";

const BATCH = 10, BASE_MS = 1000, CAP_MS = 60000;
const LOCK = "jemput-field-sync";

export class Sync {
  /** `session` holds the unlocked AES key and device key; `report(state)` tells the page. */
  constructor(session, report) {
    this.session = session;
    this.report = report;
    this.attempt = 0;
    this.timer = null;
    this.batch = BATCH;
    this.refused = null; // the server refused the device key: nothing is sent until re-enrolled
  }

  /** Send now (the button, coming online, a new entry): forget the backoff. */
  now() {
    this.attempt = 0;
    this.schedule(0);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
  }

  stop() {
    clearTimeout(this.timer);
    this.session = null;
  }

  async run() {
    if (!this.session || this.refused) return;
    await navigator.locks.request(LOCK, { ifAvailable: true }, async (lock) => {
      if (!lock) { this.schedule(2000); return; } // another tab is sending: look again soon
      try {
        while (this.session && await this.sendOnce()) { /* the next batch */ }
      } catch (error) {
        this.failed(error);
      }
    });
  }

  /** One batch; true if there may be more to send right away. */
  async sendOnce() {
    const pending = (await allEntries()).filter((e) => e.state === "pending")
      .sort((x, y) => x.captured_at.localeCompare(y.captured_at)).slice(0, this.batch);
    if (pending.length === 0) { this.report({ phase: "idle" }); return false; }
    this.report({ phase: "sending", count: pending.length });
    const items = [];
    for (const entry of pending) items.push(await unseal(this.session.aesKey, entry.sealed, entry.request_id));
    const response = await fetch("/v1/requests/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": this.session.deviceKey },
      body: JSON.stringify({ items }),
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) {
      const detail = (await response.json().catch(() => ({}))).detail ?? "";
      this.refused = detail;
      this.report({ phase: "refused", detail });
      return false;
    }
    if (response.status === 413 && this.batch > 1) { this.batch = Math.ceil(this.batch / 2); return true; }
    if (!response.ok) {
      throw new Unavailable(response.status, Number(response.headers.get("Retry-After")) || 0);
    }
    const answer = await response.json();
    for (const item of answer.items) await record(pending[item.index], item);
    changes.postMessage("outbox");
    this.attempt = 0;
    return true;
  }

  failed(error) {
    this.attempt += 1;
    const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** this.attempt);
    const retryAfter = error instanceof Unavailable ? error.retryAfter * 1000 : 0;
    const wait = Math.max(retryAfter, Math.random() * ceiling);
    this.report({ phase: "waiting", seconds: Math.ceil(wait / 1000), status: error instanceof Unavailable ? error.status : 0 });
    this.schedule(wait);
  }
}

class Unavailable extends Error {
  constructor(status, retryAfter) {
    super(`HTTP ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The server's answer for one entry. Accepted: the form is deleted, the code kept. */
async function record(entry, item) {
  await updateEntry(entry.request_id, (current) => {
    if (current.state !== "pending") return current;
    const answered = { ...current, answered_at: new Date().toISOString() };
    if (item.result === "accepted" || item.result === "duplicate") {
      delete answered.sealed;
      return { ...answered, state: "accepted", result: item.result, tracking_code: item.tracking_code, errors: [] };
    }
    return { ...answered, state: item.result === "conflict" ? "conflict" : "invalid", errors: item.errors ?? [] };
  });
}
