/* The service worker for the walker's pages, served at /sw.js (see walks/capture/offline.py, which puts
   self.SW_CONFIG = {version, precache, root} in front of this file).
   - /j/<code>/capture and /j/<code>/mine: network first (a few seconds), else the last copy that loaded.
   - The capture screen's CSS, JS and the Leaflet files (the precache list): from the versioned cache.
   - Map tiles of the configured tile server (SW_CONFIG.tileUrl): from the tile cache, else the network,
     and every tile that loads is kept (at most SW_CONFIG.tileCacheMax, oldest dropped first). The page
     may ask for the walk area's tiles to be fetched ahead ("keep-tiles"); it only does so when the
     TILE_PREFETCH setting allows it (OpenStreetMap's own servers forbid bulk prefetching).
   - Everything else (the API, POSTs, photos, coordinator pages) is left to the network.
   The outbox itself lives in the page (capture-queue.js); this worker only asks open pages to send it. */
"use strict";

var CONFIG = self.SW_CONFIG || { version: "dev", precache: [], root: "/", tileUrl: "", tileCacheMax: 600 };
var PREFIX = "tryggvandring-";
var ASSETS = PREFIX + "assets-" + CONFIG.version;
var PAGES = PREFIX + "pages";            // not versioned: a new version must not forget the walker's page
var LAST_WALK = CONFIG.root + "__offline/last-walk";   // a cache key, never a real URL
var NETWORK_WAIT_MS = 5000;
var MAX_PAGES = 20;                      // capture + list pages of the latest ten walks
var SYNC_TAG = "capture-outbox";
var TILES = PREFIX + "tiles";            // not versioned either: a new app version keeps the map
var TILE_FETCHES_AT_ONCE = 4;

function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
var ROOT = escapeRegExp(CONFIG.root);
var PAGE_PATH = new RegExp("^" + ROOT + "j/[A-Za-z0-9_-]{1,32}/(capture|mine)$");
var PRECACHED = {};
// Precached URLs carry ?v=<content hash>; a page from an older version asks with an older hash.
CONFIG.precache.forEach(function (url) { PRECACHED[new URL(url, self.location.href).pathname] = true; });

/* The tile template as a pattern: {z}/{x}/{y} numbers, {s} a subdomain letter, {r} an optional "@2x". */
var TILE_PATTERN = CONFIG.tileUrl ? new RegExp("^" + escapeRegExp(CONFIG.tileUrl)
  .replace(/\\\{[zxy]\\\}/g, "\\d+").replace(/\\\{s\\\}/g, "[a-z]").replace(/\\\{r\\\}/g, "(@2x)?") + "$") : null;

function isTile(url) { return TILE_PATTERN !== null && TILE_PATTERN.test(url.href); }
function isPage(url) { return url.origin === self.location.origin && PAGE_PATH.test(url.pathname); }
// Only the files the capture screen needs: other pages' CSS and JS always come from the network.
function isAsset(url) { return url.origin === self.location.origin && PRECACHED[url.pathname] === true; }
function pageKey(url) { return url.origin + url.pathname; }  // one copy per page, whatever the query

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(ASSETS).then(function (cache) {
    // Content-hashed URLs cached as immutable: what the page has just loaded comes from the HTTP cache.
    return cache.addAll(CONFIG.precache);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX + "assets-") === 0 && name !== ASSETS;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* Keep a page and remember it as the walk to reopen when the app is started with no network. */
function storePage(url, response) {
  return caches.open(PAGES).then(function (cache) {
    var work = [cache.put(pageKey(url), response)];
    if (/\/capture$/.test(url.pathname)) {
      work.push(cache.put(LAST_WALK, new Response(pageKey(url), { headers: { "Content-Type": "text/plain" } })));
    }
    return Promise.all(work).then(function () { return trimPages(cache); });
  });
}

/* Keep the pages of the latest few walks only (cache keys come oldest first). */
function trimPages(cache) {
  return cache.keys().then(function (requests) {
    var pages = requests.filter(function (r) { return r.url.indexOf("/__offline/") === -1; });
    return Promise.all(pages.slice(0, Math.max(0, pages.length - MAX_PAGES)).map(function (r) {
      return cache.delete(r);
    }));
  });
}

function cachedPage(url) {
  return caches.open(PAGES).then(function (cache) { return cache.match(pageKey(url), { ignoreVary: true }); });
}

/* Network first; after NETWORK_WAIT_MS (weak signal) or on failure, the stored copy if there is one. */
function pageFirstFromNetwork(event, url) {
  var fromNetwork = fetch(event.request).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      event.waitUntil(storePage(url, copy));
    }
    return response;
  });
  event.waitUntil(fromNetwork.catch(function () {}));
  return new Promise(function (resolve, reject) {
    var settled = false;
    function fallback(error) {
      cachedPage(url).then(function (cached) {
        if (settled) return;
        if (cached) { settled = true; resolve(cached); }
        else if (error) { settled = true; reject(error); }
      });
    }
    var timer = setTimeout(function () { fallback(null); }, NETWORK_WAIT_MS);
    fromNetwork.then(function (response) {
      clearTimeout(timer);
      if (response.status >= 500) return cachedPage(url).then(function (cached) {
        if (!settled) { settled = true; resolve(cached || response); }
      });
      if (!settled) { settled = true; resolve(response); }
    }, function (error) {
      clearTimeout(timer);
      fallback(error);
    });
  });
}

/* The home-screen icon opens the site root: with no network, go to the walk the walker had open. */
function rootOrLastWalk(event) {
  return fetch(event.request).catch(function (error) {
    return caches.open(PAGES).then(function (cache) { return cache.match(LAST_WALK); })
      .then(function (last) { return last ? last.text() : null; })
      .then(function (target) {
        if (!target) throw error;
        return Response.redirect(target, 302);
      });
  });
}

/* Cache first: the cache's name carries a version computed from these very files, so a changed file
   means a new worker, a fresh precache and the old cache dropped. */
function asset(event) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(event.request, { ignoreVary: true, ignoreSearch: true }).then(function (cached) {
      if (cached) return cached;
      return fetch(event.request).then(function (response) {
        if (cacheable(response)) event.waitUntil(cache.put(event.request, response.clone()));
        return response;
      });
    });
  });
}

/* ---- map tiles ------------------------------------------------------------------------------- */

/* A tile asked for with CORS, so the worker can see that it loaded (an opaque answer could be an
   error page, and browsers count each one as megabytes of storage). */
function fetchTile(href) {
  return fetch(new Request(href, { mode: "cors", credentials: "omit" }));
}

var tilesSinceTrim = 0;
function trimTiles(cache) {
  return cache.keys().then(function (requests) {
    return Promise.all(requests.slice(0, Math.max(0, requests.length - CONFIG.tileCacheMax)).map(function (r) {
      return cache.delete(r);
    }));
  });
}

/* A tile the map shows: the kept copy, else the network (and keep it: the tiles a walker has seen
   stay on the phone even when fetching ahead is off). */
function tile(event) {
  var href = event.request.url;
  return caches.open(TILES).then(function (cache) {
    return cache.match(href).then(function (cached) {
      if (cached) return cached;
      return fetchTile(href).then(function (response) {
        if (response.ok) {
          event.waitUntil(cache.put(href, response.clone()).then(function () {
            tilesSinceTrim += 1;
            if (tilesSinceTrim >= 20) { tilesSinceTrim = 0; return trimTiles(cache); }
          }).catch(function () {}));  // storage full: the map still shows, it is just not kept
        }
        return response;
      }, function () { return fetch(event.request); });  // a tile server without CORS: not kept
    });
  });
}

function isQuotaError(error) {
  return error && (error.name === "QuotaExceededError" || error.code === 22);
}

/* Fetch the walk area's tiles ahead (a list made by the server, bounded by TILE_PREFETCH_MAX), a few at
   a time. Answers {total, failed, full}: failed counts tiles the server did not give (down, 404),
   full says the phone's storage ran out (and fetching stopped). */
function keepTiles(hrefs) {
  var wanted = hrefs.filter(function (href) { return isTile(new URL(href)); });
  var report = { type: "tiles-kept", total: wanted.length, failed: 0, full: false };
  return caches.open(TILES).then(function (cache) {
    var next = 0;
    function one(href) {
      return cache.match(href).then(function (cached) {
        if (cached) return;
        return fetchTile(href).then(function (response) {
          if (!response.ok) { report.failed += 1; return; }
          return cache.put(href, response).catch(function (error) {
            report.failed += 1;
            if (isQuotaError(error)) report.full = true;
          });
        }, function () { report.failed += 1; });
      });
    }
    function worker() {
      if (report.full || next >= wanted.length) return Promise.resolve();
      var href = wanted[next++];
      return one(href).then(worker);
    }
    var workers = [];
    for (var i = 0; i < TILE_FETCHES_AT_ONCE; i++) workers.push(worker());
    return Promise.all(workers).then(function () {
      if (report.full) report.failed += wanted.length - next;
      return trimTiles(cache);
    });
  }).catch(function (error) {
    if (isQuotaError(error)) report.full = true;
    else report.failed = wanted.length;
  }).then(function () { return report; });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (isTile(url)) {
    event.respondWith(tile(event));
    return;
  }
  if (url.origin !== self.location.origin) return;       // other sites' files: not ours to keep
  if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(pageFirstFromNetwork(event, url));
  } else if (request.mode === "navigate" && url.pathname === CONFIG.root) {
    event.respondWith(rootOrLastWalk(event));
  } else if (isAsset(url)) {
    event.respondWith(asset(event));
  }
});

/* The capture page asks for its own copy (and its list's) to be kept: the first visit was loaded
   before this worker was in control, so it went past the cache. The page the walker has open comes
   from the browser's HTTP cache (it has just been loaded: no second download), the list from the
   network. Answered on the message port. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  if (data.type === "keep-tiles" && Array.isArray(data.urls)) {
    event.waitUntil(keepTiles(data.urls).then(function (report) { if (port) port.postMessage(report); }));
    return;
  }
  if (data.type !== "keep-pages" || !Array.isArray(data.urls)) return;
  var urls = data.urls.map(function (u) { return new URL(u, self.location.href); }).filter(isPage);
  var sender = event.source && event.source.url ? pageKey(new URL(event.source.url)) : "";
  event.waitUntil(Promise.all(urls.map(function (url) {
    var init = { credentials: "same-origin", redirect: "manual" };
    if (pageKey(url) === sender) init.cache = "force-cache";
    return fetch(url.href, init).then(function (response) {
      return cacheable(response) ? storePage(url, response).then(function () { return true; }) : false;
    }, function () { return false; });
  })).then(function (kept) {
    if (port) port.postMessage({ type: "pages-kept", kept: kept });
  }));
});

/* Background Sync: the network is back. Open capture pages send their outbox (capture-queue.js). */
self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "flush-outbox" }); });
  }));
});
