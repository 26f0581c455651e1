/* The capture screen: category, safety rating, photos, position (GPS, dragged pin, a listed place or
   the photo's EXIF). Each observation goes to the outbox first (capture-queue.js) and is sent from there.
   Everything the walker wrote is shown with textContent, never as HTML. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("capture-config").textContent);
  var msg = config.messages;
  var Q = window.CaptureQueue;
  var form = document.getElementById("capture-form");
  var accuracyEl = document.querySelector("[data-capture-accuracy]");
  var pendingEl = document.querySelector("[data-capture-pending]");
  var failedEl = document.querySelector("[data-capture-failed]");
  var errorEl = document.querySelector("[data-capture-error]");
  var toastEl = document.querySelector("[data-capture-toast]");
  var progressEl = document.querySelector("[data-capture-progress]");
  var photoInput = document.querySelector("[data-capture-photos]");
  var photoCount = document.querySelector("[data-capture-photo-count]");
  var thumbs = document.querySelector("[data-capture-thumbs]");
  var trackBox = document.querySelector("[data-capture-track]");
  var hereButton = document.querySelector("[data-capture-here]");
  var landmarkSelect = document.querySelector("[data-capture-landmark]");
  var outsidePanel = document.querySelector("[data-capture-outside]");
  var outsideText = document.querySelector("[data-capture-outside-text]");
  var saveButton = form.querySelector(".capture-save");

  var position = null;       // {lat, lon, accuracy, source}
  var lastFix = null;        // the latest GPS fix, kept while the point is placed another way
  var placedByHand = false;  // on the map, at a listed place or from a photo: the GPS no longer moves it
  var outsideConfirmed = false;
  var chosenPhotos = [];     // the photos this phone can open
  var fixWaiters = [];
  var map = null, marker = null;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function show(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  var toastTimer = null;
  function toast(text) {
    clearTimeout(toastTimer);
    toastEl.textContent = text;
    if (text) toastTimer = setTimeout(function () { toastEl.textContent = ""; }, 6000);
  }

  // ---- errors next to their fields ----------------------------------------------------------
  function fieldset(name) { return form.querySelector('[data-field="' + name + '"]'); }

  function setFieldError(name, text) {
    var el = form.querySelector('[data-error-for="' + name + '"]');
    el.textContent = text;
    if (text) fieldset(name).setAttribute("aria-invalid", "true");
    else fieldset(name).removeAttribute("aria-invalid");
  }

  function clearErrors() {
    ["category", "safety", "photos", "position"].forEach(function (name) { setFieldError(name, ""); });
    show(errorEl, "");
  }

  /* Show each error at its field; bring the first into view and put the focus on it. */
  function showErrors(errors) {
    errors.forEach(function (e) { setFieldError(e.field, e.text); });
    var first = fieldset(errors[0].field);
    first.scrollIntoView({ block: "start", behavior: "auto" });
    var controls = Array.prototype.filter.call(first.querySelectorAll("input, select, button"), function (el) {
      return el.getClientRects().length > 0;  // not the hidden "outside the area" buttons
    });
    var target = first.querySelector("input:checked") || controls[0];
    if (target) target.focus({ preventScroll: true });
  }

  // ---- geometry (the same rule as walks/geo.py: metres outside the area's polygon) ----------
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function polygons(geometry) {
    if (!geometry) return [];
    return geometry.type === "Polygon" ? [geometry.coordinates] :
      geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  }

  function metresOutside(geometry, lat, lon) {
    var list = polygons(geometry);
    if (!list.length) return 0;
    var inside = list.some(function (rings) {
      return inRing(lon, lat, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(lon, lat, hole); });
    });
    if (inside) return 0;
    var perDegree = 6371000 * Math.PI / 180, scaleX = perDegree * Math.cos(lat * Math.PI / 180);
    var best = Infinity;
    list.forEach(function (rings) {
      rings.forEach(function (ring) {
        for (var i = 1; i < ring.length; i++) {
          var ax = (ring[i - 1][0] - lon) * scaleX, ay = (ring[i - 1][1] - lat) * perDegree;
          var bx = (ring[i][0] - lon) * scaleX, by = (ring[i][1] - lat) * perDegree;
          var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
          var t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
          best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
        }
      });
    });
    return best;
  }

  function checkOutside() {
    outsidePanel.hidden = true;
    if (!position) return 0;
    var metres = metresOutside(config.boundary, position.lat, position.lon);
    return metres > config.outsideMargin ? Math.round(metres) : 0;
  }

  // ---- map ----------------------------------------------------------------------------------
  function setMarker(lat, lon, pan) {
    form.dispatchEvent(new CustomEvent("capture:position", { detail: { lat: lat, lon: lon } }));
    if (!map) return;
    if (!marker) {
      // A pin drawn by CSS (capture.css), not Leaflet's PNG icons: nothing more to download or keep offline.
      var pin = L.divIcon({ className: "capture-pin", html: "<span></span>", iconSize: [34, 34], iconAnchor: [17, 31] });
      marker = L.marker([lat, lon], { icon: pin, draggable: true, autoPan: true, keyboard: true,
                                      title: L.Marker.prototype.options.alt }).addTo(map);
      marker.on("dragend", function () {
        var ll = marker.getLatLng();
        placeByHand(ll.lat, ll.lng, "map", msg.placedOnMap);
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
    if (pan) map.panTo([lat, lon]);
  }

  function placeByHand(lat, lon, source, text) {
    placedByHand = true;
    outsideConfirmed = false;
    position = { lat: lat, lon: lon, accuracy: null, source: source };
    setMarker(lat, lon, source !== "map");
    if (source !== "landmark" && landmarkSelect) landmarkSelect.value = "";
    accuracyEl.className = "capture-accuracy";
    show(accuracyEl, text);
    setFieldError("position", "");
    checkOutside();
  }

  function initMap() {
    if (!window.L) return;
    try {
      map = L.map("capture-map", { zoomControl: true, attributionControl: true, minZoom: config.minZoom, maxZoom: 19 });
      // One subdomain, so a tile has one address: the one the service worker kept.
      L.tileLayer(config.tileUrl, { maxZoom: 19, maxNativeZoom: config.maxNativeZoom, subdomains: "a",
                                    attribution: config.tileAttribution }).addTo(map);
      var centre = config.centre || [59.3293, 18.0686];
      map.setView(centre, 17);
      if (config.boundary) {
        var outline = L.geoJSON(config.boundary, { style: { color: "#ffbf47", weight: 2, fill: false } }).addTo(map);
        if (!config.centre) map.fitBounds(outline.getBounds());
      }
      if (config.route) {
        L.geoJSON(config.route, { style: { color: "#9fd0ff", weight: 3, dashArray: "6 6" } }).addTo(map);
      }
      map.on("click", function (event) { placeByHand(event.latlng.lat, event.latlng.lng, "map", msg.placedOnMap); });
      loadPoints();
    } catch (e) {
      map = null;
    }
  }

  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function loadPoints() {
    fetch(config.pointsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { points: [] }; })
      .then(function (data) {
        (data.points || []).forEach(function (p) {
          L.circleMarker([p.lat, p.lon], { radius: 6, color: "#fff", weight: 1, fillColor: p.color, fillOpacity: 0.9 })
            .bindTooltip(textNode(p.icon + " " + p.name)).addTo(map);  /* a string would be parsed as HTML */
        });
      })
      .catch(function () {});
  }

  // ---- position -----------------------------------------------------------------------------
  var lastTrack = null, trackBuffer = [];

  function showAccuracy(accuracy) {
    var poor = accuracy > config.warnAccuracy, good = accuracy <= config.goodAccuracy;
    accuracyEl.className = "capture-accuracy" + (poor ? " capture-accuracy-poor" : good ? " capture-accuracy-good" : "");
    show(accuracyEl, fmt(poor ? msg.poorAccuracy : msg.accuracy, { m: accuracy }));
  }

  function onFix(fix) {
    var c = fix.coords;
    if (trackBox && trackBox.checked) rememberTrack(c);
    lastFix = fix;
    if (placedByHand) return;
    var accuracy = Math.round(c.accuracy);
    // While waiting for a good fix, a worse one does not replace a better one.
    if (position && position.source === "gps" && fixWaiters.length && accuracy > position.accuracy) return;
    position = { lat: c.latitude, lon: c.longitude, accuracy: accuracy, source: "gps" };
    setMarker(c.latitude, c.longitude, false);
    if (map && !onFix.centred) { map.setView([c.latitude, c.longitude], 18); onFix.centred = true; }
    setFieldError("position", "");
    if (fixWaiters.length) {
      show(accuracyEl, fmt(msg.waitingForFix, { m: accuracy }));
      if (accuracy <= config.goodAccuracy) releaseWaiters();
    } else {
      showAccuracy(accuracy);
    }
  }

  function releaseWaiters() {
    var waiters = fixWaiters;
    fixWaiters = [];
    waiters.forEach(function (resolve) { resolve(); });
    if (position && position.source === "gps") showAccuracy(position.accuracy);
  }

  /* A GPS fix worse than the good-accuracy setting: wait a few seconds for a better one, then take
     the best there is (a weak position is still better than none). */
  function waitForGoodFix() {
    if (!position || position.source !== "gps" || position.accuracy <= config.goodAccuracy) return Promise.resolve();
    show(accuracyEl, fmt(msg.waitingForFix, { m: position.accuracy }));
    return new Promise(function (resolve) {
      fixWaiters.push(resolve);
      setTimeout(releaseWaiters, config.fixWaitMs);
    });
  }

  function onGeoError() {
    if (placedByHand) return;
    accuracyEl.className = "capture-accuracy capture-accuracy-poor";
    show(accuracyEl, msg.geoDenied);
  }

  function startGeolocation() {
    if (!navigator.geolocation) return onGeoError();
    navigator.geolocation.watchPosition(onFix, onGeoError, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  /* Back to the GPS: after a save, or when the walker asks for "here". */
  function useGps() {
    placedByHand = false;
    outsideConfirmed = false;
    checkOutside();
    if (landmarkSelect) landmarkSelect.value = "";
    if (lastFix) onFix(lastFix);
    else { position = null; show(accuracyEl, msg.noPosition); }
  }

  function chooseLandmark() {
    var place = config.landmarks[Number(landmarkSelect.value)];
    if (landmarkSelect.value === "" || !place) return useGps();
    placeByHand(place.lat, place.lon, "landmark", fmt(msg.atLandmark, { name: place.name }));
  }

  // ---- optional route sharing (opt-in, thinned to about 20 m) --------------------------------
  function metres(a, b) {
    var rad = Math.PI / 180, dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 12742000 * Math.asin(Math.sqrt(h));
  }

  function rememberTrack(c) {
    var point = { lat: c.latitude, lon: c.longitude, accuracy: Math.round(c.accuracy), t: new Date().toISOString() };
    if (lastTrack && metres(lastTrack, point) < 20) return;
    lastTrack = point;
    trackBuffer.push(point);
  }

  function sendTrack() {
    if (!trackBuffer.length) return;
    var points = trackBuffer.splice(0, 500);
    fetch(config.trackUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": Q.csrfToken(), Accept: "application/json" },
      body: JSON.stringify({ points: points })
    }).then(function (r) { if (r.status >= 500) trackBuffer = points.concat(trackBuffer); })
      .catch(function () { trackBuffer = points.concat(trackBuffer); });
  }

  // ---- photos -------------------------------------------------------------------------------
  /* Whether this phone can open the photo (a HEIC on a browser without HEIC, a broken file). */
  function decodable(file) {
    if (typeof createImageBitmap !== "function") return Promise.resolve(true);
    return createImageBitmap(file).then(function (bitmap) {
      if (bitmap.close) bitmap.close();
      return true;
    }, function () { return false; });
  }

  function renderPhotos() {
    thumbs.textContent = "";
    show(photoCount, chosenPhotos.length ? fmt(msg.photosChosen, { n: chosenPhotos.length }) : "");
    chosenPhotos.forEach(function (file) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      thumbs.appendChild(img);
    });
  }

  function onPhotosChosen() {
    var files = Array.prototype.slice.call(photoInput.files || []);
    setFieldError("photos", "");
    return Promise.all(files.map(decodable)).then(function (ok) {
      chosenPhotos = files.filter(function (_, i) { return ok[i]; });
      var bad = files.filter(function (_, i) { return !ok[i]; });
      if (bad.length) {
        setFieldError("photos", bad.map(function (f) { return fmt(msg.badPhoto, { name: f.name }); }).join(" "));
      }
      photoInput.value = "";
      renderPhotos();
      if (!position && chosenPhotos.length) return positionFromPhoto(chosenPhotos);
    });
  }

  /* No GPS and nothing placed yet: take the first photo's EXIF position and show where it lands. */
  function positionFromPhoto(files) {
    return Promise.all(files.map(Q.exifPosition)).then(function (found) {
      var at = found.filter(Boolean)[0];
      if (at && !position) placeByHand(at.lat, at.lon, "exif", msg.fromPhoto);
    });
  }

  // ---- the outbox display -------------------------------------------------------------------
  function renderQueue(list) {
    var waiting = list.filter(function (r) { return !r.error; }).length;
    show(pendingEl, waiting ? fmt(msg.waiting, { n: waiting }) : "");
    failedEl.textContent = "";
    list.filter(function (r) { return r.error; }).forEach(function (record) {
      var li = document.createElement("li");
      li.className = "flash flash-error";
      var text = document.createElement("span");
      text.textContent = fmt(msg.failed, { reason: record.error }) + " ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button";
      discard.textContent = msg.discard;
      discard.addEventListener("click", function () { Q.remove(record.uuid).then(Q.notify); });
      li.appendChild(text);
      li.appendChild(discard);
      failedEl.appendChild(li);
    });
  }

  function progress(fraction) {
    progressEl.hidden = fraction >= 1;
    progressEl.firstElementChild.style.width = Math.round(fraction * 100) + "%";
  }

  function sent() {
    progressEl.hidden = true;
    toast(msg.saved);
  }

  function flush() {
    return Q.flush(progress, sent).then(function () { progressEl.hidden = true; });
  }

  // ---- saving -------------------------------------------------------------------------------
  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  function missing() {
    var errors = [];
    if (!checked("category")) errors.push({ field: "category", text: msg.chooseCategory });
    if (checked("safety") === "") errors.push({ field: "safety", text: msg.chooseSafety });
    if (!position) errors.push({ field: "position", text: msg.noPosition });
    return errors;
  }

  function resetForNext() {
    form.reset();
    chosenPhotos = [];
    renderPhotos();
    Array.prototype.forEach.call(form.querySelectorAll("details"), function (d) { d.open = false; });
    if (placedByHand) useGps();  // the next observation starts from the GPS again
    outsideConfirmed = false;
    if (trackBox) trackBox.checked = trackWanted;
    window.scrollTo(0, 0);
  }

  function save() {
    var fields = {
      uuid: Q.newUuid(), category: checked("category"), safety: checked("safety"),
      text: form.querySelector('[name="text"]').value, observed_at: new Date().toISOString(),
      lat: position.lat.toFixed(7), lon: position.lon.toFixed(7), location_source: position.source
    };
    if (position.accuracy !== null) fields.accuracy = position.accuracy;
    Array.prototype.forEach.call(form.querySelectorAll('input[name^="rating_"]:checked'), function (el) {
      fields[el.name] = el.value;
    });
    form.dispatchEvent(new CustomEvent("capture:fields", { detail: fields }));  // capture-metoo.js adds its choice
    saveButton.disabled = true;
    var shrink = chosenPhotos.map(function (f) { return Q.shrinkPhoto(f, config.maxSide); });
    return Promise.all(shrink).then(function (photos) {
      return Q.put({ uuid: fields.uuid, url: config.submitUrl, fields: fields, photos: photos,
                     createdAt: new Date().toISOString() });
    }).then(function () {
      resetForNext();
      if (!navigator.onLine) toast(msg.offline);
      return Q.notify();
    }).then(flush).then(function () { saveButton.disabled = false; },
                        function () { saveButton.disabled = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    toast("");
    var errors = missing();
    if (errors.length) return showErrors(errors);
    saveButton.disabled = true;
    waitForGoodFix().then(function () {
      saveButton.disabled = false;
      var outside = outsideConfirmed ? 0 : checkOutside();
      if (outside) {
        outsideText.textContent = fmt(msg.outside, { m: outside });
        outsidePanel.hidden = false;
        outsidePanel.scrollIntoView({ block: "center" });
        outsidePanel.querySelector("button").focus({ preventScroll: true });
        return;
      }
      return save();
    });
  });

  document.querySelector("[data-capture-outside-save]").addEventListener("click", function () {
    outsideConfirmed = true;
    outsidePanel.hidden = true;
    form.requestSubmit(saveButton);
  });
  document.querySelector("[data-capture-outside-move]").addEventListener("click", function () {
    outsidePanel.hidden = true;
    var mapEl = document.getElementById("capture-map");
    mapEl.scrollIntoView({ block: "center" });
    if (marker && marker.getElement()) marker.getElement().focus();
  });

  var trackWanted = false;
  if (trackBox) {
    trackBox.addEventListener("change", function () { trackWanted = trackBox.checked; });
    setInterval(sendTrack, 30000);
  }
  photoInput.addEventListener("change", onPhotosChosen);
  hereButton.addEventListener("click", useGps);
  if (landmarkSelect) landmarkSelect.addEventListener("change", chooseLandmark);
  // Ask the browser not to evict the outbox under storage pressure (iOS evicts unused sites' data).
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  Q.onChange(renderQueue);
  initMap();
  startGeolocation();
  Q.notify().then(flush);
  Q.startRetrying(progress, sent);
})();
