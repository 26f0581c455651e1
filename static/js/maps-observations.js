/* Observation markers for the maps (maps/builders.py embeds the data; this file draws it).
 *
 * Markers carry only ids, numbers and category codes. A click fetches the observation's details
 * as JSON and writes them with textContent / DOM properties: no walker's text is ever parsed as
 * HTML or evaluated as script.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* One icon object per category; each marker gets its own element built from it. */
  var CategoryIcon = L.Icon.extend({
    options: { iconSize: [34, 34], iconAnchor: [17, 17], popupAnchor: [0, -14], className: "map-marker" },
    createIcon: function (oldIcon) {
      var div = (oldIcon && oldIcon.tagName === "DIV") ? oldIcon : document.createElement("div");
      div.textContent = "";
      div.style.background = this.options.colour;
      div.appendChild(el("span", "map-marker-glyph", this.options.glyph));
      div.setAttribute("role", "button");
      div.setAttribute("aria-label", this.options.label);
      div.title = this.options.label;
      this._setIconStyles(div, "icon");
      return div;
    },
    createShadow: function () { return null; }
  });

  /* A cluster shows its count on a ring split by theme colours (one cluster group for all themes). */
  function clusterIconFor(themes) {
    return function (cluster) {
      var markers = cluster.getAllChildMarkers(), counts = themes.map(function () { return 0; });
      for (var i = 0; i < markers.length; i++) counts[markers[i].options.theme] += 1;
      var stops = [], start = 0;
      counts.forEach(function (n, t) {
        if (!n) return;
        var end = start + 360 * n / markers.length;
        stops.push(themes[t][1] + " " + start.toFixed(1) + "deg " + end.toFixed(1) + "deg");
        start = end;
      });
      var count = markers.length;
      var size = count < 10 ? 38 : count < 100 ? 44 : count < 1000 ? 52 : 60;
      var ring = el("div", "map-cluster-ring");
      ring.style.background = "conic-gradient(" + stops.join(", ") + ")";
      ring.appendChild(el("span", "map-cluster-count", count));
      return L.divIcon({ html: ring, className: "map-cluster", iconSize: [size, size] });
    };
  }

  /* One switchable layer per theme: adding it puts its markers into the shared cluster group. */
  var ThemeSubLayer = L.Layer.extend({
    initialize: function (cluster, markers) { this._cluster = cluster; this._markers = markers; },
    onAdd: function (map) {
      if (!map.hasLayer(this._cluster)) map.addLayer(this._cluster);
      this._cluster.addLayers(this._markers);
    },
    onRemove: function () { this._cluster.removeLayers(this._markers); }
  });

  function row(dl, label, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", null, label));
    dl.appendChild(el("dd", null, value));
  }

  function renderDetails(d, texts, onImageLoad) {
    var box = el("div", "map-popup");
    var head = el("p", "map-popup-category");
    var glyph = el("span", "map-popup-icon", d.category.icon);
    glyph.style.background = d.category.colour;
    head.appendChild(glyph);
    head.appendChild(el("strong", null, d.category.name));
    box.appendChild(head);
    if (d.thumbnail_url) {
      var img = document.createElement("img");
      img.className = "map-popup-photo";
      img.alt = texts.photo || "";
      img.loading = "lazy";
      if (onImageLoad) img.addEventListener("load", onImageLoad);
      img.src = d.thumbnail_url;  /* a property, never markup */
      box.appendChild(img);
    }
    if (d.text) box.appendChild(el("p", "map-popup-text", d.text));
    var dl = el("dl", "map-popup-facts");
    (d.facts || []).forEach(function (pair) { row(dl, pair[0], pair[1]); });
    box.appendChild(dl);
    if (d.url) {
      var link = el("a", "map-popup-link", texts.open || "Open");
      link.href = d.url;
      box.appendChild(link);
    }
    return box;
  }

  function showDetails(map, marker, id, options) {
    var texts = options.texts || {};
    var popup = L.popup({ maxWidth: 280, minWidth: 200, autoPanPadding: [16, 16] })
      .setLatLng(marker.getLatLng())
      .setContent(el("p", "map-popup-loading", texts.loading || "…"))
      .openOn(map);
    if (!options.detailUrl) return;
    fetch(options.detailUrl.replace("{id}", encodeURIComponent(id)), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (details) {
      /* Pan again once the photo has its size, so the whole popup is on screen. */
      popup.setContent(renderDetails(details, texts, function () { if (popup.isOpen()) popup.update(); }));
    }).catch(function () {
      popup.setContent(el("p", "map-popup-error", texts.failed || "Could not load the observation."));
    });
  }

  function observations(map, data, options) {
    options = options || {};
    var themes = data.t, categories = data.k, points = data.p;
    var icons = categories.map(function (c) {
      var colour = themes[c[4]] ? themes[c[4]][1] : c[3];
      return new CategoryIcon({ glyph: c[2], colour: colour, label: c[1] });
    });
    var fallback = new CategoryIcon({ glyph: "•", colour: "#555555", label: "" });
    var cluster = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50, spiderfyDistanceMultiplier: 1.6,
      iconCreateFunction: clusterIconFor(themes)
    });
    cluster.on("click", function (event) {  /* Leaflet also fires click on Enter for a focused marker */
      var marker = event.layer;
      if (marker && marker.options.obsId !== undefined) showDetails(map, marker, marker.options.obsId, options);
    });
    var perTheme = themes.map(function () { return []; });
    for (var i = 0; i < points.length; i++) {
      var p = points[i], theme = perTheme[p[3]] ? p[3] : 0;
      perTheme[theme].push(L.marker([p[1], p[2]], {
        icon: icons[p[4]] || fallback, obsId: p[0], theme: theme, keyboard: true, riseOnHover: true
      }));
    }
    var layers = perTheme.map(function (markers) { return new ThemeSubLayer(cluster, markers); });
    return {
      count: points.length,
      themeLayer: function (index) { return layers[index]; },
      heatPoints: function () {
        return points.map(function (p) { return [p[1], p[2], (3 - p[5]) / 3]; });
      }
    };
  }

  window.TryggMap = { observations: observations, renderDetails: renderDetails };
})();
