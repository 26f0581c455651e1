"""maps/builders.py leans on Folium internals (LocalMap's template reads Map's attributes, the data
elements render through branca's figure parts, layers take Folium's constructor arguments).
pyproject.toml pins Folium to the minor version these were written against; when a new version is
installed, these tests say what to re-read instead of letting maps break quietly in a browser."""
from __future__ import annotations

import inspect

import folium
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.map import Layer, LayerControl

from maps import builders

PINNED_MINOR = "0.20"


def test_folium_is_the_minor_version_the_builders_were_written_for():
    assert folium.__version__.startswith(PINNED_MINOR + "."), (
        f"Folium {folium.__version__} is installed; maps/builders.py was written against {PINNED_MINOR}. "
        "Re-read folium.Map's template, LayerControl, JSCSSMixin and Layer against the new version, "
        "then change PINNED_MINOR here and the pin in pyproject.toml.")


def test_the_map_attributes_local_map_reads_are_there():
    m = folium.Map(location=[57.72, 11.95], zoom_start=15, tiles=None, control_scale=True)
    for name in ("location", "crs", "options", "control_scale", "width", "height", "default_js", "default_css"):
        assert hasattr(m, name), f"folium.Map no longer has {name!r}: LocalMap's template reads it"
    assert isinstance(folium.Map.default_js, list) and all(len(pair) == 2 for pair in folium.Map.default_js)


def test_the_constructors_and_hooks_the_builders_use_are_there():
    layer_args = inspect.signature(Layer.__init__).parameters
    assert {"name", "overlay", "control", "show"} <= set(layer_args)
    assert {"position", "collapsed"} <= set(inspect.signature(LayerControl.__init__).parameters)
    assert callable(getattr(JSCSSMixin, "render", None))
    figure = Figure()
    assert all(hasattr(figure, part) for part in ("header", "html", "script")), "branca's Figure parts moved"


def test_a_built_map_still_renders_with_local_assets_only():
    settings = builders.MapSettings(tile_url="https://tiles.example.org/{z}/{x}/{y}.png", attribution="x")
    parts = builders.render_parts(builders.build_map([builders.MapPoint(1, 57.72, 11.95, "safety", "lighting", 1)],
                                                     [builders.CategoryStyle("lighting", "Belysning", "💡",
                                                                             "#c0392b", "safety")], settings))
    assert "L.map(" in parts["script"] and "TryggMap.observations(" in parts["script"]
    assert "L.control.layers(" in parts["script"]
    assert "cdn" not in parts["header"].lower()
