// The device's IndexedDB: `meta` (the enrolment, PIN attempts, the shift's outreach
// point, the app data) and `outbox` (one entry per request, keyed by its request id).
// Nothing personal is stored in clear: an entry's form is sealed (vault.js); what stays
// clear is the request id, kind, capture time, state and the server's answer.
const NAME = "jemput-field", VERSION = 1;
let opened = null;

export function openDb() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta", { keyPath: "name" });
      db.createObjectStore("outbox", { keyPath: "request_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(storeName, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = work(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const getMeta = (name) => run("meta", "readonly", (s) => s.get(name));
export const putMeta = (record) => run("meta", "readwrite", (s) => s.put(record));
export const deleteMeta = (name) => run("meta", "readwrite", (s) => s.delete(name));
export const allEntries = () => run("outbox", "readonly", (s) => s.getAll());
export const getEntry = (id) => run("outbox", "readonly", (s) => s.get(id));
export const putEntry = (entry) => run("outbox", "readwrite", (s) => s.put(entry));
export const deleteEntry = (id) => run("outbox", "readwrite", (s) => s.delete(id));

/** Change one entry inside one transaction (another tab may be writing too). */
export async function updateEntry(id, change) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("outbox", "readwrite");
    const store = tx.objectStore("outbox");
    const read = store.get(id);
    read.onsuccess = () => { if (read.result) store.put(change(read.result)); };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

/** Other tabs hear of every change and draw again. */
export const changes = new BroadcastChannel("jemput-field");
