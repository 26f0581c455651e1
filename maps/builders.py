"""Folium map builders: plain rows in, a `folium.Map` out. No Flask, no database.

Two rules shape this module:
- No CDN. Every script and style sheet comes from `MapAssets` (URLs the app serves itself);
  Folium's own CDN defaults are never rendered.
- No user-written text in Folium's generated JavaScript. Folium puts popup and tooltip text into
  JavaScript template literals, where `${...}` runs as code. Markers carry only ids, numbers and
  category codes, embedded once as JSON; the browser fetches an observation's details on click
  and writes them with `textContent` (static/js/maps-observations.js).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

import folium
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer, LayerControl
from folium.template import Template

THEMES = ("safety", "clean", "access", "positive")
THEME_COLOURS = {"safety": "#c0392b", "clean": "#7d5ba6", "access": "#1f6fb2", "positive": "#2e8540"}
TRACK_COLOURS = ("#1b3a4b", "#b35c00", "#0b6e4f", "#8e44ad", "#a93226", "#1f618d", "#7d6608", "#4a235a")
DEFAULT_CENTRE = (57.7089, 11.9746)  # Göteborg, when there is nothing to show
MAX_FIT_ZOOM = 18


class MapPoint(NamedTuple):
    """One observation as the map needs it: numbers and codes only, never its text."""
    id: int
    lat: float
    lon: float
    theme: str
    category: str  # the category code
    safety: int  # 0 very unsafe .. 3 safe


class CategoryStyle(NamedTuple):
    code: str
    name: str
    icon: str
    colour: str
    theme: str


@dataclass(frozen=True)
class MapAssets:
    """Where the browser gets each script and style sheet: always this app, never a CDN."""
    leaflet_js: str = "/maps/assets/leaflet/leaflet.js"
    leaflet_css: str = "/maps/assets/leaflet/leaflet.css"
    markercluster_js: str = "/maps/assets/markercluster/leaflet.markercluster.js"
    markercluster_css: str = "/maps/assets/markercluster/MarkerCluster.css"
    markercluster_default_css: str = "/maps/assets/markercluster/MarkerCluster.Default.css"
    observations_js: str = "/static/js/maps-observations.js"
    heat_js: str = "/static/js/maps-heat.js"
    maps_css: str = "/static/css/maps.css"


@dataclass(frozen=True)
class MapLabels:
    """Layer names for the layer control, already translated by the caller."""
    themes: dict
    heat: str = "Heat map of perceived unsafety"
    tracks: str = "Walkers' tracks"
    route: str = "Planned route"
    boundary: str = "Area boundary"
    points: str = "Observations"

    @classmethod
    def english(cls) -> "MapLabels":
        return cls(themes={"safety": "Safety", "clean": "Clean and tidy",
                           "access": "Accessibility and ease of movement", "positive": "Positive"})


def script_json(value) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators left raw."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class RawScript(Element):
    """Script text placed as it is. Folium wraps each rendered script in a new Jinja template, which
    costs time on large data and would evaluate any `{{ ... }}` inside the data as template code."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class DataScriptMixin:
    """For elements that embed data: links as JSCSSMixin does, the script through RawScript."""

    def render(self, **kwargs):
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        figure.script.add_child(RawScript(self.script()), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class LocalMap(folium.Map):
    """A folium.Map whose page head holds only local assets and the map's own size.

    Folium's header also sets a viewport that forbids zooming and full-page body styles; the
    page around the map (our template) owns those, so they are left out here.
    """
    _template = Template("""
        {% macro header(this, kwargs) %}
            <style{% if this.nonce %} nonce="{{ this.nonce }}"{% endif %}>#{{ this.get_name() }} { position: relative; width: {{ this.width[0] }}{{ this.width[1] }};
                height: {{ this.height[0] }}{{ this.height[1] }}; }</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map({{ this.get_name()|tojson }}, {
                center: {{ this.location|tojson }},
                crs: L.CRS.{{ this.crs }},
                ...{{ this.options|tojavascript }}
            });
            {%- if this.control_scale %}
            L.control.scale({imperial: false}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, assets: MapAssets, **kwargs):
        super().__init__(**kwargs)
        self.nonce = None  # the page's CSP nonce for the size rule, set by render_parts
        # Instance attributes: Folium's class-level lists (CDN URLs) are never used.
        self.default_js = [("leaflet", assets.leaflet_js)]
        self.default_css = [("leaflet_css", assets.leaflet_css), ("maps_css", assets.maps_css)]


class ObservationData(DataScriptMixin, MacroElement):
    """The observations, embedded once as compact JSON, and the theme layers made from them.

    Format: {"t": [[theme, colour], ...], "k": [[code, name, icon, colour, themeIndex], ...],
             "p": [[id, lat, lon, themeIndex, categoryIndex, safety], ...]}
    """

    def __init__(self, points: Sequence[MapPoint], categories: Sequence[CategoryStyle], assets: MapAssets,
                 detail_url: str | None = None, texts: dict | None = None):
        super().__init__()
        self._name = "ObservationData"
        self.payload = compact_points(points, categories)
        self.options = script_json({"detailUrl": detail_url, "texts": texts or {}})
        self.default_js = [("markercluster", assets.markercluster_js),
                           ("maps_observations", assets.observations_js)]
        self.default_css = [("markercluster_css", assets.markercluster_css),
                            ("markercluster_default_css", assets.markercluster_default_css)]

    def script(self) -> str:
        return (f"var {self.get_name()} = TryggMap.observations({self._parent.get_name()}, "
                f"{self.payload}, {self.options});")


class ThemeLayer(Layer):
    """The clustered markers of one theme, made by ObservationData; one switch in the layer control."""
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.data.get_name() }}.themeLayer({{ this.index }});
        {% endmacro %}
    """)

    def __init__(self, data: ObservationData, index: int, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ThemeLayer"
        self.data = data
        self.index = index


class HeatLayer(JSCSSMixin, Layer):
    """Mean perceived unsafety drawn on a canvas by static/js/maps-heat.js: rating 0 hottest, 3 cold."""
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = TryggHeat.layer({{ this.data.get_name() }}.heatPoints(),
                {{ this.options }});
        {% endmacro %}
    """)

    def __init__(self, data: ObservationData, name: str, assets: MapAssets, show: bool = False):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "HeatLayer"
        self.data = data
        self.options = script_json({"radius": 30})  # metres
        self.default_js = [("maps_heat", assets.heat_js)]


def compact_points(points: Sequence[MapPoint], categories: Sequence[CategoryStyle]) -> str:
    """The embedded point data as JSON text: rows of numbers, categories as a lookup table.

    The rows hold numbers only, so they are formatted directly (much faster than json.dumps on
    10,000 lists); the names go through script_json.
    """
    index = {c.code: i for i, c in enumerate(categories)}
    theme_index = {t: i for i, t in enumerate(THEMES)}
    rows = ",".join("[%d,%.6f,%.6f,%d,%d,%d]" % (p.id, p.lat, p.lon, theme_index.get(p.theme, 0),
                                                  index.get(p.category, -1), p.safety) for p in points)
    lookup = script_json({
        "t": [[t, THEME_COLOURS[t]] for t in THEMES],
        "k": [[c.code, c.name, c.icon, c.colour, theme_index.get(c.theme, 0)] for c in categories],
    })
    return lookup[:-1] + ',"p":[' + rows + "]}"


def data_bounds(points: Sequence[MapPoint] = (), boundary: dict | None = None,
                lines: Iterable[Sequence[Sequence[float]]] = ()) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the points, the boundary and lines of (lat, lon)."""
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    for line in lines:
        lats += [lat for lat, _ in line]
        lons += [lon for _, lon in line]
    for lon, lat in _positions(boundary.get("coordinates") if boundary else None):
        lats.append(lat)
        lons.append(lon)
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _positions(coords):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        yield coords[0], coords[1]
    elif isinstance(coords, (list, tuple)):
        for part in coords:
            yield from _positions(part)


def route_latlons(route: dict | None) -> list[list[float]]:
    """A GeoJSON LineString ([lon, lat] pairs) as Leaflet's [lat, lon] pairs."""
    if not route or route.get("type") != "LineString":
        return []
    return [[round(p[1], 6), round(p[0], 6)] for p in route.get("coordinates") or []]


@dataclass(frozen=True)
class MapSettings:
    """Everything about a map but its points: where tiles and assets come from, what is drawn around
    the points, and the texts.

    boundary: a GeoJSON Polygon/MultiPolygon; routes: GeoJSON LineStrings; tracks: one list of
    (lat, lon) per walker; detail_url: the popup JSON URL with `{id}`; centre: (lat, lon) when there
    is nothing to fit the map to.
    """
    tile_url: str
    attribution: str
    assets: MapAssets = MapAssets()
    boundary: dict | None = None
    routes: Sequence[dict] = ()
    tracks: Sequence[Sequence[Sequence[float]]] = ()
    labels: MapLabels = field(default_factory=MapLabels.english)
    detail_url: str | None = None
    texts: dict | None = None
    centre: Sequence[float] | None = None
    show_heat: bool = False


def _base_map(settings: MapSettings, bounds, zoom: int) -> LocalMap:
    if bounds:
        location = ((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2)
    else:
        location = settings.centre or DEFAULT_CENTRE
    m = LocalMap(settings.assets, location=list(location), zoom_start=zoom, tiles=None, control_scale=True)
    folium.TileLayer(tiles=settings.tile_url, attr=settings.attribution, max_zoom=19, control=False).add_to(m)
    if bounds:
        m.fit_bounds(bounds, max_zoom=MAX_FIT_ZOOM, padding=(20, 20))
    return m


def build_map(points: Sequence[MapPoint], categories: Sequence[CategoryStyle],
              settings: MapSettings) -> folium.Map:
    """The map of a walk or an area: MapPoint rows, CategoryStyle rows (the lookup table), settings."""
    labels = settings.labels
    route_lines = [line for line in (route_latlons(r) for r in settings.routes) if len(line) >= 2]
    track_lines = [[[round(lat, 6), round(lon, 6)] for lat, lon in track] for track in settings.tracks
                   if len(track) >= 2]
    boundary = settings.boundary
    bounds = data_bounds(points, boundary, [*route_lines, *track_lines])
    m = _base_map(settings, bounds, 15)

    if boundary:
        group = folium.FeatureGroup(name=labels.boundary, overlay=True, control=True, show=True).add_to(m)
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": boundary},
            style_function=lambda feature: {"color": "#1b3a4b", "weight": 3, "fillOpacity": 0.04,
                                            "dashArray": "6 4"},
            interactive=False, control=False,
        ).add_to(group)
    if route_lines:
        group = folium.FeatureGroup(name=labels.route, overlay=True, control=True, show=True).add_to(m)
        for line in route_lines:
            folium.PolyLine(line, color="#0b6e4f", weight=5, opacity=0.8, dash_array="10 8",
                            interactive=False).add_to(group)
    if track_lines:
        group = folium.FeatureGroup(name=labels.tracks, overlay=True, control=True, show=True).add_to(m)
        for n, line in enumerate(track_lines):
            folium.PolyLine(line, color=TRACK_COLOURS[n % len(TRACK_COLOURS)], weight=3, opacity=0.75,
                            interactive=False).add_to(group)

    data = ObservationData(points, categories, settings.assets, detail_url=settings.detail_url,
                           texts=settings.texts)
    m.add_child(data)
    for index, theme in enumerate(THEMES):
        m.add_child(ThemeLayer(data, index, labels.themes.get(theme, theme)))
    m.add_child(HeatLayer(data, labels.heat, settings.assets, show=settings.show_heat))
    # Folded into a button on every screen, so it never covers popups and markers.
    LayerControl(position="topright", collapsed=True).add_to(m)
    return m


def render_parts(m: folium.Map, nonce: str | None = None) -> dict:
    """The map's head (links, style), body (its div) and script, for placing in our own template.

    nonce: the page's Content-Security-Policy nonce, given to the map's inline style rule.
    """
    m.nonce = nonce
    root = m.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render()}
