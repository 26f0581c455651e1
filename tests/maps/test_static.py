"""The offline map image for documents."""
from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from maps.static import _nice_length, mercator, spread_markers, static_map_png

BOUNDARY = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9575, 57.7190], [11.9575, 57.7240], [11.9480, 57.7240], [11.9480, 57.7190]]]}
POINTS = [(57.7200, 11.9500, "1", "#c0392b"), (57.7230, 11.9560, "2", "#1f6fb2")]


def open_png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(BytesIO(data)).convert("RGB")


def test_size_and_colours_of_points():
    image = open_png(static_map_png(POINTS, BOUNDARY, width=600, height=400))
    assert image.size == (600, 400)
    colours = {image.getpixel((x, y)) for y in range(0, 400, 2) for x in range(0, 600, 2)}
    assert any(abs(r - 0xc0) < 12 and abs(g - 0x39) < 12 and abs(b - 0x2b) < 12 for r, g, b in colours)
    assert any(abs(r - 0x1f) < 12 and abs(g - 0x6f) < 12 and abs(b - 0xb2) < 12 for r, g, b in colours)


def test_points_sit_where_the_projection_puts_them():
    """Point 1 is south-west of point 2: it is drawn lower and further left."""
    image = open_png(static_map_png(POINTS, None, width=600, height=400))

    def centre_of(colour):
        hits = [(x, y) for y in range(400) for x in range(600)
                if all(abs(a - b) < 10 for a, b in zip(image.getpixel((x, y)), colour))]
        assert hits
        return sum(x for x, _ in hits) / len(hits), sum(y for _, y in hits) / len(hits)

    red, blue = centre_of((0xc0, 0x39, 0x2b)), centre_of((0x1f, 0x6f, 0xb2))
    assert red[0] < blue[0] and red[1] > blue[1]


@pytest.mark.parametrize("points, boundary", [([], None), ([], BOUNDARY), ([POINTS[0]], None),
                                              ([(57.72, 11.95, "<b>&</b>", "not a colour")], None)])
def test_degenerate_inputs_still_give_an_image(points, boundary):
    assert open_png(static_map_png(points, boundary, width=300, height=200)).size == (300, 200)


def test_web_mercator_and_scale_steps():
    assert mercator(0, 0) == (0.5, 0.5)
    x, y = mercator(57.72, 11.95)
    assert 0.5 < x < 0.54 and 0.3 < y < 0.32
    assert [_nice_length(v) for v in (7, 180, 260, 999, 4100)] == [5, 100, 200, 500, 2000]


def centre_of(image, colour):
    hits = [(x, y) for y in range(image.height) for x in range(image.width)
            if all(abs(a - b) < 10 for a, b in zip(image.getpixel((x, y)), colour))]
    assert hits, colour
    return sum(x for x, _ in hits) / len(hits), sum(y for _, y in hits) / len(hits)


def test_two_items_at_the_same_place_are_both_drawn_apart():
    same = [(57.7215, 11.9525, "1", "#c0392b"), (57.7215, 11.9525, "2", "#1f6fb2")]
    image = open_png(static_map_png(same, None, width=480, height=300))
    (rx, ry), (bx, by) = centre_of(image, (0xc0, 0x39, 0x2b)), centre_of(image, (0x1f, 0x6f, 0xb2))
    assert ((rx - bx) ** 2 + (ry - by) ** 2) ** 0.5 >= 24  # two marker radii: neither covers the other


@pytest.mark.parametrize("count", [2, 3, 7])
def test_spread_markers_keeps_every_pair_at_least_the_gap_apart(count):
    placed = spread_markers([(100.0, 100.0)] * count + [(300.0, 100.0)], 26)
    assert placed[-1] == (300.0, 100.0)  # a marker alone stays where it is
    for i in range(count):
        for j in range(i + 1, count):
            assert ((placed[i][0] - placed[j][0]) ** 2 + (placed[i][1] - placed[j][1]) ** 2) ** 0.5 >= 26 - 1e-9
