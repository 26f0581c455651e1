/* Appended to Leaflet by the app's one Leaflet route (walks/assets.py), so every map in the app has its
   controls in the page's language: the texts come from <meta name="leaflet-texts"> in base.html. */
(function (L) {
  "use strict";
  var meta = document.querySelector('meta[name="leaflet-texts"]');
  if (!L || !meta) return;
  var texts = JSON.parse(meta.content);
  L.Control.Zoom.prototype.options.zoomInTitle = texts.zoomIn;
  L.Control.Zoom.prototype.options.zoomOutTitle = texts.zoomOut;
  L.Marker.prototype.options.alt = texts.marker;
  var link = document.createElement("a");
  link.href = "https://leafletjs.com";
  link.title = texts.library;
  link.textContent = "Leaflet";
  L.Control.Attribution.prototype.options.prefix = link.outerHTML;
  var initLayout = L.Control.Layers.prototype._initLayout;
  L.Control.Layers.prototype._initLayout = function () {
    initLayout.call(this);
    this._layersLink.title = texts.layers;
    this._layersLink.setAttribute("aria-label", texts.layers);
  };
}(window.L));
