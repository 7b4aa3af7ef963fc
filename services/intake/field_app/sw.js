// The service worker: keeps the app's own files (never any API answer, never personal
// data) so that the app opens with no network. The server writes the release and the
// file list in when it serves this file; a new release replaces the old copy.
const RELEASE = "__VERSION__";
const FILES = ["__FILES__"];
const CACHE = `jemput-field-${RELEASE}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  // The app's files from this release's copy (fast on a weak signal, and the same with
  // none); anything not in it, from the network.
  event.respondWith(caches.match(event.request, { cacheName: CACHE, ignoreSearch: true })
    .then((cached) => cached ?? fetch(event.request)));
});
