/* The capture screen: category, position (GPS, dragged pin or photo EXIF), safety rating, photos.
   Each observation goes to the outbox first (capture-queue.js) and is sent from there. */
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

  var position = null;       // {lat, lon, accuracy, source}
  var lastFix = null;        // the latest GPS fix, kept while the pin is placed by hand
  var placedByHand = false;
  var map = null, marker = null;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function show(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  // ---- map ----------------------------------------------------------------------------------
  function setMarker(lat, lon) {
    if (!map) return;
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, autoPan: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var ll = marker.getLatLng();
        placeByHand(ll.lat, ll.lng);
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
  }

  function placeByHand(lat, lon) {
    placedByHand = true;
    position = { lat: lat, lon: lon, accuracy: null, source: "map" };
    setMarker(lat, lon);
    accuracyEl.className = "capture-accuracy";
    show(accuracyEl, msg.placedOnMap);
  }

  function initMap() {
    if (!window.L) return;
    try {
      L.Icon.Default.imagePath = config.leafletImages;
      map = L.map("capture-map", { zoomControl: true, attributionControl: true });
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution }).addTo(map);
      var centre = config.centre || [59.3293, 18.0686];
      map.setView(centre, 17);
      if (config.boundary) {
        var outline = L.geoJSON(config.boundary, { style: { color: "#ffbf47", weight: 2, fill: false } }).addTo(map);
        if (!config.centre) map.fitBounds(outline.getBounds());
      }
      map.on("click", function (event) { placeByHand(event.latlng.lat, event.latlng.lng); });
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

  function onFix(fix) {
    var c = fix.coords;
    if (trackBox && trackBox.checked) rememberTrack(c);
    lastFix = fix;
    if (placedByHand) return;
    var accuracy = Math.round(c.accuracy);
    position = { lat: c.latitude, lon: c.longitude, accuracy: accuracy, source: "gps" };
    setMarker(c.latitude, c.longitude);
    if (map && !onFix.centred) { map.setView([c.latitude, c.longitude], 18); onFix.centred = true; }
    var poor = accuracy > config.warnAccuracy;
    accuracyEl.className = "capture-accuracy" + (poor ? " capture-accuracy-poor" : " capture-accuracy-good");
    show(accuracyEl, fmt(poor ? msg.poorAccuracy : msg.accuracy, { m: accuracy }));
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
  function showChosenPhotos() {
    thumbs.innerHTML = "";
    var files = Array.prototype.slice.call(photoInput.files || []);
    show(photoCount, files.length ? fmt(msg.photosChosen, { n: files.length }) : "");
    files.forEach(function (file) {
      var img = document.createElement("img");
      img.alt = "";
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      thumbs.appendChild(img);
    });
  }

  // ---- the outbox display -------------------------------------------------------------------
  function renderQueue(list) {
    var waiting = list.filter(function (r) { return !r.error; }).length;
    show(pendingEl, waiting ? fmt(msg.waiting, { n: waiting }) : "");
    failedEl.innerHTML = "";
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
    show(toastEl, msg.saved);
    setTimeout(function () { show(toastEl, ""); }, 4000);
  }

  function flush() {
    return Q.flush(progress, sent).then(function () { progressEl.hidden = true; });
  }

  // ---- saving -------------------------------------------------------------------------------
  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(errorEl, "");
    var category = checked("category"), safety = checked("safety");
    if (!category) { show(errorEl, msg.chooseCategory); form.querySelector('input[name="category"]').focus(); return; }
    if (safety === "") { show(errorEl, msg.chooseSafety); form.querySelector('input[name="safety"]').focus(); return; }
    var files = Array.prototype.slice.call(photoInput.files || []);
    if (!position && !files.length) { show(errorEl, msg.noPosition); return; }
    var fields = {
      uuid: Q.newUuid(), category: category, safety: safety,
      text: form.querySelector('[name="text"]').value,
      observed_at: new Date().toISOString()
    };
    if (position) {
      fields.lat = position.lat.toFixed(7);
      fields.lon = position.lon.toFixed(7);
      fields.location_source = position.source;
      if (position.accuracy !== null) fields.accuracy = position.accuracy;
    }
    Array.prototype.forEach.call(form.querySelectorAll('input[name^="rating_"]:checked'), function (el) {
      fields[el.name] = el.value;
    });
    var button = form.querySelector(".capture-save");
    button.disabled = true;
    // Without a position the server needs the photo's own EXIF position, so send the original then.
    var shrink = position ? files.map(function (f) { return Q.shrinkPhoto(f, config.maxSide); })
                          : files.map(function (f) { return Promise.resolve(f); });
    Promise.all(shrink).then(function (photos) {
      return Q.put({ uuid: fields.uuid, url: config.submitUrl, fields: fields, photos: photos,
                     createdAt: new Date().toISOString() });
    }).then(function () {
      form.reset();
      showChosenPhotos();
      if (placedByHand) {  // the next observation starts from the GPS again
        placedByHand = false;
        if (lastFix) onFix(lastFix); else { position = null; show(accuracyEl, msg.noPosition); }
      }
      if (trackBox) trackBox.checked = trackWanted;
      if (!navigator.onLine) show(toastEl, msg.offline);
      return Q.notify();
    }).then(flush).then(function () {
      button.disabled = false;
      window.scrollTo(0, 0);
    }, function () { button.disabled = false; });
  });

  var trackWanted = false;
  if (trackBox) {
    trackBox.addEventListener("change", function () { trackWanted = trackBox.checked; });
    setInterval(sendTrack, 30000);
  }
  photoInput.addEventListener("change", showChosenPhotos);
  // Ask the browser not to evict the outbox under storage pressure (iOS evicts unused sites' data).
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  Q.onChange(renderQueue);
  initMap();
  startGeolocation();
  Q.notify().then(flush);
  Q.startRetrying(progress, sent);
})();
