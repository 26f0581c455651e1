/* The difference map of the before/after page: points come as JSON data, never as code.
   Every text from a walker goes into the popup with textContent. */
(function () {
  "use strict";
  var dataNode = document.getElementById("compare-data");
  var mapNode = document.getElementById("compare-map");
  if (!dataNode || !mapNode || typeof L === "undefined") { return; }
  var data = JSON.parse(dataNode.textContent);

  var STYLES = {
    before: { radius: 8, color: "#1f6fb2", weight: 3, dashArray: "3 3", fillColor: "#ffffff", fillOpacity: 0.9 },
    after: { radius: 7, color: "#7a3000", weight: 1, fillColor: "#d35400", fillOpacity: 0.9 },
    open: { radius: 13, color: "#c0392b", weight: 4, fill: false, interactive: false, className: "marker-open-ring" }
  };

  function popup(point) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var heading = document.createElement("strong");
    heading.textContent = (point.which === "before" ? data.labels.before : data.labels.after) + ": " + point.category;
    box.appendChild(heading);
    if (point.text) {
      var text = document.createElement("p");
      text.textContent = point.text;
      box.appendChild(text);
    }
    var facts = document.createElement("p");
    facts.textContent = data.labels.safety + ": " + point.safety + " · " + data.labels.status + ": " +
      (data.status_labels[point.status] || point.status) + (point.open_fault ? " · " + data.labels.open : "");
    box.appendChild(facts);
    if (point.url) {
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = data.labels.open_link;
      box.appendChild(link);
    }
    return box;
  }

  var map = L.map(mapNode, { scrollWheelZoom: false });
  L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
  var bounds = [];
  ["before", "after"].forEach(function (which) {
    data.points[which].forEach(function (point) {
      var at = [point.lat, point.lon];
      if (point.open_fault) {
        L.circleMarker(at, STYLES.open).addTo(map);
      }
      var style = Object.assign({ className: "marker-" + which + (point.open_fault ? " marker-open" : "") }, STYLES[which]);
      L.circleMarker(at, style).addTo(map).bindPopup(popup(point));
      bounds.push(at);
    });
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
  } else if (data.centre) {
    map.setView(data.centre, 16);
  } else {
    map.setView([62, 15], 4);
  }
})();
