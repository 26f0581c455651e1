"""Geometry helpers: GeoJSON validation, point-in-polygon, bounds, SWEREF 99 TM.

Pure functions, no Flask. Coordinates follow GeoJSON: [longitude, latitude].
"""
from __future__ import annotations

import math
from functools import lru_cache

import geojson
from flask_babel import lazy_gettext as _l

from . import jsonload
from .web import DomainError


class GeoJSONError(DomainError):
    """Bad GeoJSON input; str(error) is a message a person understands."""


NOT_AN_OBJECT = _l("The geometry is not a GeoJSON object with a type.")
BAD_FEATURE_GEOMETRY = _l("A Feature's “geometry” is not a GeoJSON object.")


def parse_geojson(raw: str | bytes, max_bytes: int) -> dict:
    try:
        data = jsonload.loads(raw, max_bytes=max_bytes)
    except jsonload.JSONInputError as error:
        raise GeoJSONError(error.message) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise GeoJSONError(_l("The JSON is not a GeoJSON object."))
    return data


def _object(value, message) -> dict:
    """A GeoJSON member that must be an object with a "type"; GeoJSONError(message) otherwise."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise GeoJSONError(message)
    return value


def _features(data: dict) -> list[dict]:
    features = data.get("features")
    if not isinstance(features, list):
        raise GeoJSONError(_l("The FeatureCollection's “features” is not a list."))
    if not all(isinstance(feature, dict) and feature.get("type") == "Feature" for feature in features):
        raise GeoJSONError(_l("Every member of “features” must be a Feature."))
    return features


def _number(value) -> bool:
    return isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)
                                        and abs(value) < 2**53)


def _check_position(position) -> None:
    if (not isinstance(position, (list, tuple)) or not 2 <= len(position) <= 3
            or not all(_number(c) for c in position)):
        raise GeoJSONError(_l("A coordinate is not a pair of numbers."))
    lon, lat = position[0], position[1]
    if not all(math.isfinite(c) for c in position) or not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise GeoJSONError(_l("Coordinate (%(lon)s, %(lat)s) is out of range: longitude must be within ±180 "
                              "and latitude within ±90.", lon=lon, lat=lat))


def _check_ring(ring) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise GeoJSONError(_l("A polygon ring needs at least four positions."))
    for position in ring:
        _check_position(position)
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise GeoJSONError(_l("A polygon ring is not closed: its first and last positions differ."))


def _polygons_of(geometry: dict) -> list:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [coords]
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise GeoJSONError(_l("The MultiPolygon's coordinates are not a list of polygons."))
        return coords
    raise GeoJSONError(_l("Expected a Polygon or MultiPolygon, got %(kind)s.", kind=str(kind)[:40]))


def validate_polygon(data: dict) -> dict:
    """A Polygon, a MultiPolygon, or a Feature/FeatureCollection of them -> one geometry dict."""
    kind = _object(data, NOT_AN_OBJECT).get("type")
    if kind == "Feature":
        return validate_polygon(_object(data.get("geometry"), BAD_FEATURE_GEOMETRY))
    if kind == "FeatureCollection":
        features = _features(data)
        if not features:
            raise GeoJSONError(_l("The FeatureCollection has no features."))
        polygons = []
        for feature in features:
            polygons.extend(_polygons_of(validate_polygon(feature)))
        return validate_polygon({"type": "MultiPolygon", "coordinates": polygons}) if len(polygons) > 1 \
            else {"type": "Polygon", "coordinates": polygons[0]}
    polygons = _polygons_of(data)
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise GeoJSONError(_l("A polygon has no rings."))
        for ring in polygon:
            _check_ring(ring)
    geometry = geojson.GeoJSON.to_instance(data, strict=True)
    if not geometry.is_valid:
        raise GeoJSONError(_l("The geometry is not valid GeoJSON: %(errors)s", errors=geometry.errors()))
    return {"type": kind, "coordinates": data["coordinates"]}


def validate_linestring(data: dict) -> dict:
    """A LineString (or a Feature/one-feature collection of one) -> the geometry dict."""
    kind = _object(data, NOT_AN_OBJECT).get("type")
    if kind == "Feature":
        return validate_linestring(_object(data.get("geometry"), BAD_FEATURE_GEOMETRY))
    if kind == "FeatureCollection":
        features = _features(data)
        if len(features) != 1:
            raise GeoJSONError(_l("Send one LineString, not a collection of %(n)d features.", n=len(features)))
        return validate_linestring(features[0])
    if kind != "LineString":
        raise GeoJSONError(_l("Expected a LineString, got %(kind)s.", kind=kind[:40]))
    coords = data.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise GeoJSONError(_l("A line needs at least two positions."))
    for position in coords:
        _check_position(position)
    return {"type": "LineString", "coordinates": coords}


def check_lat_lon(lat, lon) -> tuple[float, float]:
    """Parse and range-check a latitude and longitude given as numbers or strings."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise GeoJSONError(_l("The position is not a pair of numbers.")) from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise GeoJSONError(_l("The position is not a pair of numbers."))
    if not -90 <= lat <= 90:
        raise GeoJSONError(_l("Latitude must be between -90 and 90."))
    if not -180 <= lon <= 180:
        raise GeoJSONError(_l("Longitude must be between -180 and 180."))
    return lat, lon


def _in_ring(lon: float, lat: float, ring) -> bool:
    inside = False
    for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def contains(geometry: dict | None, lat: float, lon: float) -> bool:
    """Whether the point lies inside a Polygon/MultiPolygon (holes respected)."""
    if not geometry:
        return False
    for polygon in _polygons_of(geometry):
        outer, *holes = polygon
        if _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, hole) for hole in holes):
            return True
    return False


def bounds(geometry: dict | None) -> list[list[float]] | None:
    """[[south, west], [north, east]] of any geometry, for Leaflet's fitBounds."""
    if not geometry:
        return None
    positions = list(_positions(geometry.get("coordinates")))
    if not positions:
        return None
    lons = [p[0] for p in positions]
    lats = [p[1] for p in positions]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def _positions(coords):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        yield coords
    elif isinstance(coords, (list, tuple)):
        for part in coords:
            yield from _positions(part)


def centre(geometry: dict | None) -> tuple[float, float] | None:
    box = bounds(geometry)
    if not box:
        return None
    return (box[0][0] + box[1][0]) / 2, (box[0][1] + box[1][1]) / 2


@lru_cache(maxsize=1)
def _to_sweref():
    from pyproj import Transformer
    return Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


def to_sweref99tm(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 -> SWEREF 99 TM as (northing N, easting E) in metres, as Swedish authorities write it."""
    easting, northing = _to_sweref().transform(lon, lat)
    return round(northing, 1), round(easting, 1)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def distance_outside_m(geometry: dict | None, lat: float, lon: float) -> float | None:
    """How far (metres) a point lies outside a Polygon/MultiPolygon: 0 inside, None without a geometry.

    Measured to the nearest edge in a flat projection around the point: exact enough for the few
    hundred metres that matter when asking "is this point really in the walk's area?".
    """
    if not geometry:
        return None
    if contains(geometry, lat, lon):
        return 0.0
    metres_per_degree = 6_371_000 * math.pi / 180
    scale_x = metres_per_degree * math.cos(math.radians(lat))
    best = math.inf
    for polygon in _polygons_of(geometry):
        for ring in polygon:
            points = [((p[0] - lon) * scale_x, (p[1] - lat) * metres_per_degree) for p in ring]
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                best = min(best, _segment_distance(0.0, 0.0, ax, ay, bx, by))
    return best
