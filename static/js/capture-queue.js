/* The outbox: every observation (with its photos) is kept in IndexedDB until the server has
   acknowledged it. Retries are safe because the server deduplicates on the observation's UUID. */
(function () {
  "use strict";
  var DB_NAME = "tryggvandring-capture";
  var STORE = "outbox";
  var memory = {};  // used only when IndexedDB is not available (some private modes)
  var dbPromise = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve) {
      if (!window.indexedDB) return resolve(null);
      var request;
      try { request = indexedDB.open(DB_NAME, 1); } catch (e) { return resolve(null); }
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "uuid" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
      request.onblocked = function () { resolve(null); };
    });
    return dbPromise;
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      if (!db) return work(null);
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function put(record) {
    return withStore("readwrite", function (store) {
      if (!store) { memory[record.uuid] = record; return null; }
      return store.put(record);
    }).catch(function () { memory[record.uuid] = record; });
  }

  function remove(uuid) {
    delete memory[uuid];
    return withStore("readwrite", function (store) { return store ? store.delete(uuid) : null; })
      .catch(function () {});
  }

  function all() {
    return withStore("readonly", function (store) { return store ? store.getAll() : null; })
      .then(function (rows) {
        var list = (rows || []).concat(Object.keys(memory).map(function (k) { return memory[k]; }));
        list.sort(function (a, b) { return (a.createdAt || "") < (b.createdAt || "") ? -1 : 1; });
        return list;
      })
      .catch(function () { return Object.keys(memory).map(function (k) { return memory[k]; }); });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Send one record as multipart; resolves {status, body}; status 0 means no network. */
  function send(record, onProgress) {
    return new Promise(function (resolve) {
      var data = new FormData();
      Object.keys(record.fields).forEach(function (key) {
        var value = record.fields[key];
        if (value !== null && value !== undefined && value !== "") data.append(key, value);
      });
      (record.photos || []).forEach(function (photo, i) {
        data.append("photos", photo, photo.name || ("photo-" + i + ".jpg"));
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", record.url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 120000;
      if (xhr.upload && onProgress) {
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        };
      }
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        resolve({ status: xhr.status, body: body });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve({ status: 0, body: null }); };
      xhr.send(data);
    });
  }

  function isFinalRefusal(status) {
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  var flushing = false;
  var listeners = [];
  var retryTimer = null;

  function notify() {
    return all().then(function (list) {
      listeners.forEach(function (fn) { fn(list); });
      return list;
    });
  }

  /* Send everything waiting, oldest first; stop at the first network failure and retry later. */
  function flush(onProgress, onSent) {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all().then(function (list) {
      var waiting = list.filter(function (r) { return !r.error; });
      var chain = Promise.resolve(true);
      var tokenRefreshed = false;
      waiting.forEach(function (record) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          return send(record, onProgress).then(function (answer) {
            // A page kept for offline use may carry a CSRF token of an older session: once per round,
            // take a fresh token (capture-offline.js) and send again before treating a 400 as final.
            if (answer.status !== 400 || tokenRefreshed || !api.refreshCsrfToken) return answer;
            tokenRefreshed = true;
            return api.refreshCsrfToken().then(function (fresh) { return fresh ? send(record, onProgress) : answer; });
          }).then(function (answer) {
            if (answer.status >= 200 && answer.status < 300) {
              return remove(record.uuid).then(function () { if (onSent) onSent(record, answer.body); return true; });
            }
            if (isFinalRefusal(answer.status)) {
              record.error = (answer.body && answer.body.error) || ("HTTP " + answer.status);
              return put(record).then(function () { return true; });
            }
            return false;  // offline, server trouble or an expired session: keep it and try again later
          });
        });
      });
      return chain;
    }).then(function () {
      flushing = false;
      return notify();
    }, function () {
      flushing = false;
      return notify();
    });
  }

  function startRetrying(onProgress, onSent) {
    if (retryTimer) return;
    retryTimer = setInterval(function () { flush(onProgress, onSent); }, 20000);
    window.addEventListener("online", function () { flush(onProgress, onSent); });
  }

  function newUuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* Shrink a photo to maxSide on its long side as JPEG; resolve the original when that is not possible. */
  function shrinkPhoto(file, maxSide) {
    if (typeof createImageBitmap !== "function") return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg") { bitmap.close && bitmap.close(); return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close && bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  /* The GPS position in a JPEG's EXIF, as {lat, lon}, or null. Reads only the first 128 kB. */
  function exifPosition(file) {
    if (!file || !file.slice || !/jpe?g$/i.test(file.type || file.name || "")) return Promise.resolve(null);
    return file.slice(0, 131072).arrayBuffer().then(function (buffer) {
      return readExifGps(new DataView(buffer));
    }).catch(function () { return null; });
  }

  function readExifGps(view) {
    if (view.getUint16(0) !== 0xFFD8) return null;
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset), size = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && view.getUint32(offset + 4) === 0x45786966) return readTiffGps(view, offset + 10);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;
      offset += 2 + size;
    }
    return null;
  }

  function readTiffGps(view, tiff) {
    var little = view.getUint16(tiff) === 0x4949;
    function u16(at) { return view.getUint16(tiff + at, little); }
    function u32(at) { return view.getUint32(tiff + at, little); }
    function entries(ifd) {
      var found = {}, count = u16(ifd);
      for (var i = 0; i < count; i++) {
        var at = ifd + 2 + i * 12;
        found[u16(at)] = { type: u16(at + 2), count: u32(at + 4), valueAt: at + 8 };
      }
      return found;
    }
    function degrees(entry) {
      if (!entry || entry.type !== 5 || entry.count !== 3) return null;
      var at = u32(entry.valueAt), parts = [];
      for (var i = 0; i < 3; i++) {
        var den = u32(at + i * 8 + 4);
        if (!den) return null;
        parts.push(u32(at + i * 8) / den);
      }
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    }
    function ref(entry) { return entry ? String.fromCharCode(view.getUint8(tiff + entry.valueAt)) : ""; }
    var gpsPointer = entries(u32(4))[0x8825];
    if (!gpsPointer) return null;
    var gps = entries(u32(gpsPointer.valueAt));
    var lat = degrees(gps[2]), lon = degrees(gps[4]);
    if (lat === null || lon === null || lat > 90 || lon > 180) return null;
    return { lat: ref(gps[1]) === "S" ? -lat : lat, lon: ref(gps[3]) === "W" ? -lon : lon };
  }

  var api = window.CaptureQueue = {
    put: put, remove: remove, all: all, flush: flush, notify: notify, send: send,
    startRetrying: startRetrying, newUuid: newUuid, shrinkPhoto: shrinkPhoto, csrfToken: csrfToken,
    exifPosition: exifPosition,
    onChange: function (fn) { listeners.push(fn); }
  };
})();
