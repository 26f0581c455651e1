"""The map builders are pure: rows in, folium.Map out, tested without Flask."""
from __future__ import annotations

import json
import re

import folium
import pytest

from maps import builders
from maps.builders import CategoryStyle, MapPoint

from .hosts import hosts_in

TILE = "https://tiles.example.org/{z}/{x}/{y}.png"
BOUNDARY = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9575, 57.7190], [11.9575, 57.7240], [11.9480, 57.7240], [11.9480, 57.7190]]]}
ROUTE = {"type": "LineString", "coordinates": [[11.9490, 57.7195], [11.9600, 57.7250]]}
CATEGORIES = [CategoryStyle("lighting", "Belysning", "💡", "#c0392b", "safety"),
              CategoryStyle("graffiti", "Klotter", "🎨", "#7d5ba6", "clean"),
              CategoryStyle("positive", "Bra", "👍", "#2e8540", "positive")]
POINTS = [MapPoint(1, 57.7200, 11.9500, "safety", "lighting", 0),
          MapPoint(2, 57.7230, 11.9560, "clean", "graffiti", 2),
          MapPoint(3, 57.7210, 11.9300, "positive", "positive", 3)]


def build(points=POINTS, **kwargs):
    kwargs.setdefault("tile_url", TILE)
    kwargs.setdefault("attribution", "&copy; OpenStreetMap contributors")
    return builders.build_map(points, CATEGORIES, builders.MapSettings(**kwargs))


def render(m) -> str:
    return m.get_root().render()


def embedded_data(html: str) -> dict:
    match = re.search(r"TryggMap\.observations\(\w+,\s*(\{.*?\}),\s*\{", html, re.S)
    assert match, "no embedded observation data"
    return json.loads(match.group(1))


def test_returns_a_folium_map_with_the_points_as_data():
    m = build()
    assert isinstance(m, folium.Map)
    data = embedded_data(render(m))
    assert data["p"] == [[1, 57.72, 11.95, 0, 0, 0], [2, 57.723, 11.956, 1, 1, 2], [3, 57.721, 11.93, 3, 2, 3]]
    assert [k[0] for k in data["k"]] == ["lighting", "graffiti", "positive"]
    assert [t[0] for t in data["t"]] == ["safety", "clean", "access", "positive"]


def test_no_python_marker_per_point():
    m = build([MapPoint(i, 57.72, 11.95, "safety", "lighting", 1) for i in range(500)])
    markers = [c for c in m._children.values() if isinstance(c, folium.Marker)]
    assert markers == []
    assert render(m).count("L.marker(") == 0


def test_bounds_cover_points_boundary_and_route():
    bounds = builders.data_bounds(POINTS, BOUNDARY, [builders.route_latlons(ROUTE)])
    assert bounds == [[57.719, 11.93], [57.725, 11.96]]
    html = render(build(boundary=BOUNDARY, routes=[ROUTE]))
    match = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.S)
    assert match and json.loads(match.group(1)) == [[57.719, 11.93], [57.725, 11.96]]


def test_bounds_of_nothing_is_none_and_the_map_uses_the_centre():
    assert builders.data_bounds([], None, []) is None
    m = build([], centre=(59.33, 18.06))
    html = render(m)
    assert "fitBounds" not in html
    assert m.location == [59.33, 18.06]


def test_layers_and_layer_control():
    html = render(build(boundary=BOUNDARY, routes=[ROUTE], tracks=[[(57.72, 11.95), (57.721, 11.951)]],
                        labels=builders.MapLabels.english()))
    control = re.search(r"var layer_control_\w+_layers = \{(.*?)\};", html, re.S).group(1)
    names = {json.loads(key) for key in re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*(?:feature_group|theme_layer|heat_layer)_\w+,',
                                                    control)}
    assert names == {"Safety", "Clean and tidy", "Accessibility and ease of movement", "Positive",
                     "Heat map of perceived unsafety", "Walkers' tracks", "Planned route", "Area boundary"}
    assert "TryggHeat.layer(" in html
    assert html.count(".themeLayer(") == 4
    assert html.count("L.polyline(") == 2  # the route and one track


def test_the_layer_control_is_folded_on_every_screen():
    """Opened, it covers popups and markers; walkers and coordinators open it with one tap."""
    html = render(build())
    assert re.search(r'L\.control\.layers\([^;]*"collapsed":\s*true', html, re.S)
    assert ".expand()" not in html


def test_heat_layer_is_off_until_switched_on():
    heat_off = render(build())
    name = re.search(r"var (heat_layer_\w+) = TryggHeat", heat_off).group(1)
    assert f"{name}.addTo(" not in heat_off
    heat_on = render(build(show_heat=True))
    name = re.search(r"var (heat_layer_\w+) = TryggHeat", heat_on).group(1)
    assert f"{name}.addTo(" in heat_on


def test_tracks_and_routes_shorter_than_two_points_are_left_out():
    html = render(build(routes=[{"type": "LineString", "coordinates": [[11.9, 57.7]]}], tracks=[[(57.7, 11.9)]]))
    assert "L.polyline(" not in html


@pytest.mark.parametrize("maker", [
    lambda: build(boundary=BOUNDARY, routes=[ROUTE], tracks=[[(57.72, 11.95), (57.73, 11.96)]]),
    lambda: build(centre=(57.72, 11.95)),
])
def test_no_host_but_the_tile_server(maker):
    html = render(maker())
    assert hosts_in(html) <= {"tiles.example.org"}
    assert "cdn" not in html.lower() and "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_assets_are_the_ones_given():
    assets = builders.MapAssets(leaflet_js="/x/leaflet.js", leaflet_css="/x/leaflet.css",
                                markercluster_js="/x/mc.js", observations_js="/x/obs.js", heat_js="/x/heat.js")
    html = render(build(assets=assets))
    for url in ("/x/leaflet.js", "/x/leaflet.css", "/x/mc.js", "/x/obs.js", "/x/heat.js"):
        assert f'"{url}"' in html
    assert html.index("/x/leaflet.js") < html.index("/x/mc.js") < html.index("/x/obs.js")


def test_category_names_are_escaped_for_a_script_element():
    evil = CategoryStyle("lighting", "</script><script>globalThis.pwned=1</script>`${x}`", "<b>", "#c00", "safety")
    html = render(builders.build_map(POINTS[:1], [evil], builders.MapSettings(tile_url=TILE, attribution="x")))
    assert "</script><script>globalThis" not in html
    assert "<b>" not in html
    assert embedded_data(html)["k"][0][1] == evil.name


def test_data_is_not_evaluated_as_a_template():
    """Folium compiles rendered scripts as Jinja templates; embedded data must not pass through that."""
    odd = CategoryStyle("lighting", "{{ 7*7 }} {% if true %}x{% endif %}", "{#", "#c00", "safety")
    html = render(builders.build_map(POINTS[:1], [odd], builders.MapSettings(tile_url=TILE, attribution="x")))
    assert embedded_data(html)["k"][0][1:3] == [odd.name, "{#"]


@pytest.mark.parametrize("text", ["</script>", "<!--", "a\u2028b", "&amp;", "<img src=x onerror=alert(1)>"])
def test_script_json_cannot_end_the_script(text):
    encoded = builders.script_json({"v": text})
    assert "<" not in encoded and ">" not in encoded and "\u2028" not in encoded
    assert json.loads(encoded) == {"v": text}


def test_render_parts_splits_the_document():
    parts = builders.render_parts(build())
    assert "leaflet.css" in parts["header"] and "<style>" in parts["header"]
    assert 'class="folium-map"' in parts["html"]
    assert "L.map(" in parts["script"] and "TryggMap.observations(" in parts["script"]
    assert "user-scalable=no" not in parts["header"]


def test_size_stays_small_for_many_points():
    points = [MapPoint(i, 57.7 + i * 1e-6, 11.9 + i * 1e-6, "safety", "lighting", i % 4) for i in range(10_000)]
    assert len(render(build(points)).encode()) < 800 * 1024
