"""Small offline map images for documents (fault reports, printouts): drawn with Pillow, no tiles.

The picture is schematic: the area boundary, numbered points in their colours, a scale bar and a
north arrow, in Web Mercator (the projection of web maps, so it looks like the map on screen).
"""
from __future__ import annotations

import io
import math
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

EARTH_CIRCUMFERENCE_M = 40_075_016.686
MIN_SPAN_M = 150  # a single point still gets a neighbourhood around it
BACKGROUND = (244, 246, 247)
GRID = (226, 230, 233)
BOUNDARY_LINE = (27, 58, 75)
BOUNDARY_FILL = (27, 58, 75, 22)
INK = (29, 37, 44)


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 -> Web Mercator in world units (0..1 each way; y grows southwards)."""
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = (lon + 180.0) / 360.0
    s = math.sin(math.radians(lat))
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def _rings(boundary: dict | None) -> list[list[tuple[float, float]]]:
    """Every ring of a Polygon/MultiPolygon as (lat, lon) pairs."""
    if not boundary:
        return []
    polygons = [boundary.get("coordinates") or []] if boundary.get("type") == "Polygon" \
        else boundary.get("coordinates") or [] if boundary.get("type") == "MultiPolygon" else []
    return [[(p[1], p[0]) for p in ring] for polygon in polygons for ring in polygon]


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _hex(colour: str, fallback=(85, 85, 85)) -> tuple[int, int, int]:
    colour = (colour or "").lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    try:
        return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return fallback


def spread_markers(positions: Sequence[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Marker centres (pixels) moved apart so that none covers another: markers closer than `min_gap`
    to a group's first one are set on a circle around the group's centre, `min_gap` from their
    neighbours, so that every number stays readable (two items at the same place, say)."""
    groups: list[list[int]] = []
    for index, (x, y) in enumerate(positions):
        for group in groups:
            gx, gy = positions[group[0]]
            if math.hypot(x - gx, y - gy) < min_gap:
                group.append(index)
                break
        else:
            groups.append([index])
    placed = list(positions)
    for group in groups:
        if len(group) < 2:
            continue
        cx = sum(positions[i][0] for i in group) / len(group)
        cy = sum(positions[i][1] for i in group) / len(group)
        radius = min_gap / (2 * math.sin(math.pi / len(group)))
        for n, index in enumerate(group):
            angle = -math.pi / 2 + 2 * math.pi * n / len(group)
            placed[index] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    return placed


def _nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 × 10^n metres that fits in max_m."""
    exponent = 10 ** math.floor(math.log10(max_m))
    for step in (5, 2, 1):
        if step * exponent <= max_m:
            return step * exponent
    return exponent


def static_map_png(points: Sequence[tuple], boundary: dict | None = None, width: int = 600,
                   height: int = 400) -> bytes:
    """A PNG of numbered points (lat, lon, label, colour_hex) and the boundary; works offline."""
    scale = 2  # draw at double size and shrink: smooth edges
    w, h = width * scale, height * scale
    rings = _rings(boundary)
    positions = [(lat, lon) for lat, lon, *_ in points] + [p for ring in rings for p in ring]
    if not positions:
        positions = [(57.7089, 11.9746)]
    projected = [mercator(lat, lon) for lat, lon in positions]
    xs, ys = [p[0] for p in projected], [p[1] for p in projected]
    mid_lat = sum(lat for lat, _ in positions) / len(positions)
    metres_per_unit = EARTH_CIRCUMFERENCE_M * math.cos(math.radians(mid_lat))
    min_span = MIN_SPAN_M / metres_per_unit
    span_x, span_y = max(max(xs) - min(xs), min_span), max(max(ys) - min(ys), min_span)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    margin = 0.12
    px_per_unit = min(w * (1 - 2 * margin) / span_x, h * (1 - 2 * margin) / span_y)

    def to_px(lat, lon):
        x, y = mercator(lat, lon)
        return w / 2 + (x - cx) * px_per_unit, h / 2 + (y - cy) * px_per_unit

    image = Image.new("RGB", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(image, "RGBA")
    for i in range(1, 8):
        draw.line([(w * i / 8, 0), (w * i / 8, h)], fill=GRID, width=scale)
        draw.line([(0, h * i / 8), (w, h * i / 8)], fill=GRID, width=scale)
    for ring in rings:
        outline = [to_px(lat, lon) for lat, lon in ring]
        if len(outline) >= 3:
            draw.polygon(outline, fill=BOUNDARY_FILL)
            draw.line(outline + [outline[0]], fill=BOUNDARY_LINE, width=3 * scale, joint="curve")

    font = _font(13 * scale)
    radius = 12 * scale
    where = [to_px(lat, lon) for lat, lon, *_ in points]
    markers = spread_markers(where, 2 * radius + 2 * scale)
    for (px, py), (x, y) in zip(where, markers):  # a moved marker points at its place
        if (px, py) != (x, y):
            draw.line([(px, py), (x, y)], fill=INK, width=scale)
            draw.ellipse([px - 2 * scale, py - 2 * scale, px + 2 * scale, py + 2 * scale], fill=INK)
    for (x, y), (_lat, _lon, label, colour) in zip(markers, points):
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=_hex(colour),
                     outline=(255, 255, 255), width=2 * scale)
        draw.text((x, y), str(label)[:4], fill=(255, 255, 255), font=font, anchor="mm")

    # Scale bar, bottom left: a round length of about a quarter of the width.
    metres_per_px = metres_per_unit / px_per_unit
    length_m = _nice_length(metres_per_px * w / 4)
    bar = length_m / metres_per_px
    x0, y0 = 14 * scale, h - 16 * scale
    small = _font(11 * scale)
    text = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    draw.rectangle([x0 - 6 * scale, y0 - 22 * scale, x0 + bar + 6 * scale, y0 + 8 * scale], fill=(255, 255, 255, 200))
    draw.line([(x0, y0), (x0 + bar, y0)], fill=INK, width=3 * scale)
    for tick in (x0, x0 + bar):
        draw.line([(tick, y0 - 6 * scale), (tick, y0 + 3 * scale)], fill=INK, width=2 * scale)
    draw.text((x0 + bar / 2, y0 - 6 * scale), text, fill=INK, font=small, anchor="mb")

    # North arrow, top right.
    ax, ay = w - 24 * scale, 14 * scale
    draw.polygon([(ax, ay), (ax - 9 * scale, ay + 24 * scale), (ax, ay + 18 * scale)], fill=INK)
    draw.polygon([(ax, ay), (ax + 9 * scale, ay + 24 * scale), (ax, ay + 18 * scale)], fill=(140, 150, 158))
    draw.text((ax, ay + 27 * scale), "N", fill=INK, font=small, anchor="mt")

    image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
