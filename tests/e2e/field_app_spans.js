// Injected by the browser test into every page before the app loads (Playwright's init
// script): when each batch request of this tab started and got its answer (or failed),
// so the test can check that two tabs never had one on the wire at the same time.
(() => {
  const real = window.fetch.bind(window);
  window.__batchSpans = [];
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (!url.endsWith("/v1/requests/batch")) return real(input, init);
    const span = { start: Date.now(), end: null };
    window.__batchSpans.push(span);
    try {
      return await real(input, init);
    } finally {
      span.end = Date.now();
    }
  };
})();
