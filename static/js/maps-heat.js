/* A small canvas heat layer for Leaflet: perceived unsafety.
 *
 * Each point is [lat, lon, weight] with weight = (3 - rating) / 3, so rating 0 ("very unsafe")
 * is hottest and rating 3 ("safe") adds nothing. Blobs are drawn as grey-scale alpha, then
 * coloured through a ramp (transparent → yellow → orange → red).
 */
(function () {
  "use strict";

  function makeBlob(radius, blur) {
    var r = radius + blur, blob = document.createElement("canvas");
    blob.width = blob.height = r * 2;
    var ctx = blob.getContext("2d");
    /* A shadow offset far away draws a blurred circle without its sharp edge. */
    ctx.shadowOffsetX = ctx.shadowOffsetY = r * 2;
    ctx.shadowBlur = blur;
    ctx.shadowColor = "black";
    ctx.beginPath();
    ctx.arc(-r, -r, radius, 0, Math.PI * 2, true);
    ctx.closePath();
    ctx.fill();
    return blob;
  }

  function makeRamp() {
    var canvas = document.createElement("canvas");
    canvas.width = 1; canvas.height = 256;
    var ctx = canvas.getContext("2d"), grad = ctx.createLinearGradient(0, 0, 0, 256);
    grad.addColorStop(0.15, "rgba(255,237,160,0)");
    grad.addColorStop(0.35, "#fed976");
    grad.addColorStop(0.6, "#fd8d3c");
    grad.addColorStop(0.8, "#e31a1c");
    grad.addColorStop(1.0, "#800026");
    ctx.fillStyle = grad;
    ctx.fillRect(0, 0, 1, 256);
    return ctx.getImageData(0, 0, 1, 256).data;
  }

  var HeatLayer = L.Layer.extend({
    options: { radius: 28, blur: 18, maxOpacity: 0.75, pane: "overlayPane" },

    initialize: function (points, options) {
      L.setOptions(this, options);
      this._points = points;
    },

    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "map-heat-layer leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      this._canvas.setAttribute("aria-hidden", "true");
      map.getPane(this.options.pane).appendChild(this._canvas);
      this._blob = this._blob || makeBlob(this.options.radius, this.options.blur);
      this._ramp = this._ramp || makeRamp();
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
      var map = this._map, size = map.getSize(), canvas = this._canvas;
      L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
      canvas.width = size.x; canvas.height = size.y;
      var ctx = canvas.getContext("2d"), r = this.options.radius + this.options.blur;
      var bounds = map.getBounds().pad(0.2);
      /* Blobs add up; zoomed out, many points overlap, so each one counts for less. */
      var scale = Math.min(1, Math.pow(2, map.getZoom() - 16) + 0.15);
      ctx.clearRect(0, 0, size.x, size.y);
      for (var i = 0; i < this._points.length; i++) {
        var p = this._points[i];
        if (p[2] <= 0 || !bounds.contains([p[0], p[1]])) continue;
        var pt = map.latLngToContainerPoint([p[0], p[1]]);
        ctx.globalAlpha = Math.min(1, p[2] * scale);
        ctx.drawImage(this._blob, pt.x - r, pt.y - r);
      }
      if (!size.x || !size.y) return;
      var image = ctx.getImageData(0, 0, size.x, size.y), px = image.data, ramp = this._ramp;
      var maxAlpha = Math.round(this.options.maxOpacity * 255);
      for (var j = 0; j < px.length; j += 4) {
        var a = px[j + 3];
        if (!a) continue;
        var k = a * 4;
        px[j] = ramp[k]; px[j + 1] = ramp[k + 1]; px[j + 2] = ramp[k + 2];
        px[j + 3] = Math.min(maxAlpha, ramp[k + 3] ? Math.max(a, 90) : 0);
      }
      ctx.putImageData(image, 0, 0);
    }
  });

  window.TryggHeat = {
    HeatLayer: HeatLayer,
    layer: function (points, options) { return new HeatLayer(points, options); }
  };
})();
