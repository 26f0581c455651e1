/* A small canvas heat layer for Leaflet: how unsafe places felt.
 *
 * Each point is [lat, lon, unsafety] with unsafety = (3 - rating) / 3: rating 0 ("very unsafe") is 1,
 * rating 3 ("safe") is 0. On a grid of small screen cells, every point spreads a gaussian weight;
 * a cell's colour is the weighted MEAN unsafety around it (red hot … blue cold) and its opacity
 * grows with how many observations are near. So a crowd of "safe" ratings shows cold, not hot:
 * the layer maps feeling, not just where many people clicked.
 */
(function () {
  "use strict";

  var RAMP = [[0, [69, 117, 180]], [0.35, [254, 224, 144]], [0.65, [244, 109, 67]], [1, [165, 0, 38]]];

  function rampColour(t) {
    for (var i = 1; i < RAMP.length; i++) {
      if (t <= RAMP[i][0]) {
        var a = RAMP[i - 1], b = RAMP[i], f = (t - a[0]) / (b[0] - a[0]);
        return [0, 1, 2].map(function (c) { return Math.round(a[1][c] + (b[1][c] - a[1][c]) * f); });
      }
    }
    return RAMP[RAMP.length - 1][1];
  }

  var HeatLayer = L.Layer.extend({
    /* radius: how far one observation's feeling reaches, in metres (drawn 10–90 px wide). */
    options: { radius: 30, maxOpacity: 0.7, pane: "overlayPane" },

    initialize: function (points, options) {
      L.setOptions(this, options);
      this._points = points;
    },

    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "map-heat-layer leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      this._canvas.setAttribute("aria-hidden", "true");
      map.getPane(this.options.pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._redraw, this);
      this._redraw();
    },

    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this._redraw, this);
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },

    _redraw: function () {
      if (!this._map || !this._canvas) return;
      var map = this._map, size = map.getSize(), canvas = this._canvas, o = this.options;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = size.x; canvas.height = size.y;
      var metresPerPx = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
      var radius = Math.max(10, Math.min(90, o.radius / metresPerPx)), cell = Math.max(4, Math.round(radius / 5));
      var cols = Math.ceil(size.x / cell) + 1, rows = Math.ceil(size.y / cell) + 1;
      if (cols < 2 || rows < 2) return;
      var weight = new Float32Array(cols * rows), heat = new Float32Array(cols * rows);
      var reach = Math.ceil(radius * 1.6 / cell), sigma2 = 2 * Math.pow(radius / cell / 1.5, 2);
      var kernel = [];
      for (var ky = -reach; ky <= reach; ky++) {
        for (var kx = -reach; kx <= reach; kx++) {
          var d2 = kx * kx + ky * ky;
          if (d2 <= reach * reach) kernel.push([kx, ky, Math.exp(-d2 / sigma2)]);
        }
      }
      var bounds = map.getBounds().pad(0.25);
      for (var i = 0; i < this._points.length; i++) {
        var p = this._points[i];
        if (!bounds.contains([p[0], p[1]])) continue;
        var pt = map.latLngToContainerPoint([p[0], p[1]]);
        var cx = Math.round(pt.x / cell), cy = Math.round(pt.y / cell);
        for (var k = 0; k < kernel.length; k++) {
          var x = cx + kernel[k][0], y = cy + kernel[k][1];
          if (x < 0 || y < 0 || x >= cols || y >= rows) continue;
          var idx = y * cols + x;
          weight[idx] += kernel[k][2];
          heat[idx] += kernel[k][2] * p[2];
        }
      }
      var grid = document.createElement("canvas");
      grid.width = cols; grid.height = rows;
      var gctx = grid.getContext("2d"), image = gctx.createImageData(cols, rows), px = image.data;
      for (var j = 0; j < weight.length; j++) {
        if (weight[j] < 0.02) continue;
        var colour = rampColour(heat[j] / weight[j]);
        px[j * 4] = colour[0]; px[j * 4 + 1] = colour[1]; px[j * 4 + 2] = colour[2];
        px[j * 4 + 3] = Math.round(255 * o.maxOpacity * Math.min(1, weight[j] / 1.5));
      }
      gctx.putImageData(image, 0, 0);
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(grid, -cell / 2, -cell / 2, cols * cell, rows * cell);
    }
  });

  window.TryggHeat = {
    HeatLayer: HeatLayer,
    layer: function (points, options) { return new HeatLayer(points, options); }
  };
})();
