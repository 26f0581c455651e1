"""Map tiles for the walker's phone: which tiles cover a walk's area, and whether the tile server
allows fetching them ahead. Pure functions; the service worker (static/js/capture-sw.js) does the
fetching and keeping."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from ..geo import bounds

# The zoom levels the capture map shows tiles of (it zooms one step further by enlarging zoom 18).
CAPTURE_MIN_ZOOM = 15
CAPTURE_MAX_NATIVE_ZOOM = 18
CAPTURE_ZOOMS = tuple(range(CAPTURE_MIN_ZOOM, CAPTURE_MAX_NATIVE_ZOOM + 1))
# OpenStreetMap's own servers: their tile usage policy forbids bulk prefetching.
NO_PREFETCH_HOSTS = ("tile.openstreetmap.org",)


def tile_host(template: str) -> str:
    return (urlsplit(template.replace("{s}", "a")).hostname or "").lower()


def prefetch_allowed(template: str, setting: bool | None) -> bool:
    """The TILE_PREFETCH setting, or by default: on unless the tiles come from OpenStreetMap's servers."""
    if setting is not None:
        return bool(setting)
    host = tile_host(template)
    return not any(host == h or host.endswith("." + h) for h in NO_PREFETCH_HOSTS)


def tile_xy(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The slippy-map tile (x, y) holding a point (Web Mercator)."""
    n = 2 ** zoom
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_for_bounds(bounds, zooms=CAPTURE_ZOOMS, limit: int = 300) -> list[tuple[int, int, int]]:
    """(z, x, y) of every tile covering bounds [[south, west], [north, east]], zoom level by zoom level
    from the widest; a level that does not fit whole within limit is left out, and so are the finer ones."""
    if not bounds:
        return []
    (south, west), (north, east) = bounds
    tiles: list[tuple[int, int, int]] = []
    for zoom in sorted(zooms):
        x0, y0 = tile_xy(north, west, zoom)
        x1, y1 = tile_xy(south, east, zoom)
        level = [(zoom, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        if len(tiles) + len(level) > limit:
            break
        tiles.extend(level)
    return tiles


def tile_urls(template: str, tiles) -> list[str]:
    """Leaflet's URL template filled in ({s} -> a, {r} -> standard resolution)."""
    return [template.replace("{s}", "a").replace("{r}", "").replace("{z}", str(z)).replace("{x}", str(x))
            .replace("{y}", str(y)) for z, x, y in tiles]


def walk_bounds(boundary: dict | None, route: dict | None, centre) -> list[list[float]] | None:
    """The box the walker's map must cover: the area's boundary and the planned route together, or a
    few hundred metres around the centre when the area has neither."""
    boxes = [b for b in (bounds(boundary), bounds(route)) if b]
    if boxes:
        return [[min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
                [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)]]
    if centre and centre[0] is not None:
        lat, lon = centre
        dlat, dlon = 0.003, 0.003 / max(math.cos(math.radians(lat)), 0.1)
        return [[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]]
    return None
