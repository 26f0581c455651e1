/* The walk map on "My observations": everyone's points, no names. */
(function () {
  "use strict";
  var el = document.getElementById("capture-walk-map");
  var configEl = document.getElementById("capture-map-config");
  if (!el || !configEl || !window.L) return;
  var config = JSON.parse(configEl.textContent);
  /* A tooltip given as a string is parsed as HTML: give Leaflet a node holding the name as text. */
  function tooltipText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  var map = L.map(el);
  L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution }).addTo(map);
  map.setView(config.centre || [59.3293, 18.0686], 16);
  if (config.boundary) {
    L.geoJSON(config.boundary, { style: { color: "#1b3a4b", weight: 2, fill: false } }).addTo(map);
  }
  fetch(config.pointsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : { points: [] }; })
    .then(function (data) {
      var layer = L.featureGroup();
      (data.points || []).forEach(function (p) {
        L.circleMarker([p.lat, p.lon], {
          radius: p.mine ? 9 : 7, color: p.mine ? "#000" : "#fff", weight: 2, fillColor: p.color, fillOpacity: 0.9
        }).bindTooltip(tooltipText(p.icon + " " + p.name)).addTo(layer);
      });
      layer.addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 18 });
    })
    .catch(function () {});
})();
