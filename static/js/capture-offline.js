/* The capture page with no signal: register the service worker (/sw.js), ask it to keep this page and
   the walker's list, show a banner while the phone is offline, and let Background Sync (where there is
   one) wake the outbox when the network returns. The outbox itself is capture-queue.js. */
(function () {
  "use strict";
  var Q = window.CaptureQueue;
  var banner = document.querySelector("[data-capture-offline]");
  var configEl = document.getElementById("capture-config");
  var config = configEl ? JSON.parse(configEl.textContent) : {};
  var SYNC_TAG = "capture-outbox";

  function showBanner() {
    if (banner) banner.hidden = navigator.onLine !== false;
  }
  window.addEventListener("online", showBanner);
  window.addEventListener("offline", showBanner);
  showBanner();

  /* A page loaded from the worker's copy can carry a CSRF token from an older session (the session
     cookie may be gone when the browser was closed). Fetch the page afresh and take its token. */
  function refreshCsrfToken() {
    return fetch(location.pathname, { credentials: "same-origin", cache: "no-store",
                                      headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var match = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
        var meta = document.querySelector('meta[name="csrf-token"]');
        if (!match || !meta) return false;
        meta.setAttribute("content", match[1]);
        return true;
      })
      .catch(function () { return false; });
  }
  if (Q) Q.refreshCsrfToken = refreshCsrfToken;

  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;

  function askForSync(registration) {
    if (!registration.sync || !Q) return;
    Q.onChange(function (list) {
      if (list.some(function (r) { return !r.error; })) {
        registration.sync.register(SYNC_TAG).catch(function () {});
      }
    });
  }

  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "flush-outbox" && Q) Q.flush();
  });

  function ready() { document.documentElement.setAttribute("data-offline-ready", ""); }

  /* With signal, ask the worker to keep the walk area's map (the server sends the list only when the
     tile server allows fetching ahead) and tell the walker whether all of it is kept. */
  function keepTiles(registration) {
    var urls = config.prefetchTiles || [];
    var statusEl = document.querySelector("[data-capture-map-status]");
    if (!urls.length || navigator.onLine === false || !statusEl) return;
    var msg = config.messages || {};
    var channel = new MessageChannel();
    channel.port1.onmessage = function (event) {
      var report = event.data || {};
      if (report.type !== "tiles-kept") return;
      statusEl.textContent = report.full ? msg.mapStorageFull :
        report.failed ? msg.mapPartial.replace("{n}", report.failed).replace("{total}", report.total) : msg.mapKept;
      document.documentElement.setAttribute("data-tiles-kept", report.failed || report.full ? "partial" : "all");
    };
    registration.active.postMessage({ type: "keep-tiles", urls: urls }, [channel.port2]);
  }

  // A page that came through the worker is kept already; the first one did not, so ask for it.
  var controlled = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.register(config.swUrl || "/sw.js", { scope: config.swScope || "/" })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function (registration) {
      askForSync(registration);
      if (controlled) ready();
      if (!registration.active) return;
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        if (event.data && event.data.type === "pages-kept" && event.data.kept[0]) ready();
      };
      var urls = controlled ? [] : [location.pathname];
      if (config.mineUrl) urls.push(config.mineUrl);
      registration.active.postMessage({ type: "keep-pages", urls: urls }, [channel.port2]);
      keepTiles(registration);
    })
    .catch(function () {});
})();
