// Read and write the field app's IndexedDB from a test, raw (no app code involved).
// `dump` gives every store as JSON text; `restore` puts such a text back.
({
  async open() {
    return new Promise((ok, no) => {
      const request = indexedDB.open("jemput-field");
      request.onsuccess = () => ok(request.result);
      request.onerror = () => no(request.error);
    });
  },
  async dump() {
    const db = await this.open(), out = {};
    for (const name of db.objectStoreNames) {
      out[name] = await new Promise((ok) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => ok(request.result);
      });
    }
    db.close();
    return JSON.stringify(out);
  },
  async restore(text) {
    const db = await this.open();
    for (const [name, rows] of Object.entries(JSON.parse(text))) {
      await new Promise((ok, no) => {
        const tx = db.transaction(name, "readwrite"), store = tx.objectStore(name);
        store.clear();
        for (const row of rows) store.put(row);
        tx.oncomplete = ok;
        tx.onerror = () => no(tx.error);
      });
    }
    db.close();
  },
})
