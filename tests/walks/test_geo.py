import json

import pytest

# Messages are Swedish: the default locale.

from walks import geo

SQUARE = [[11.0, 57.0], [12.0, 57.0], [12.0, 58.0], [11.0, 58.0], [11.0, 57.0]]
HOLE = [[11.4, 57.4], [11.6, 57.4], [11.6, 57.6], [11.4, 57.6], [11.4, 57.4]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


@pytest.mark.parametrize("data, message", [
    ({"type": "Point", "coordinates": [11.9, 57.7]}, "Förväntade en Polygon"),
    (polygon(SQUARE[:-1]), "inte sluten"),
    (polygon([[11, 57], [12, 57], [11, 57]]), "minst fyra"),
    (polygon([[11, 95], [12, 95], [12, 96], [11, 95]]), "utanför giltigt område"),
    (polygon([[200, 100], [201, 100], [201, 101], [200, 100]]), "utanför giltigt område"),
    (polygon([["a", 57], [12, 57], [12, 58], ["a", 57]]), "två tal"),
    ({"type": "Polygon", "coordinates": []}, "saknar ringar"),
    ({"type": "MultiPolygon", "coordinates": []}, "inte en lista med polygoner"),
    ({"type": "FeatureCollection", "features": []}, "inga objekt"),
    ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}, "Förväntade en Polygon"),
])
def test_validate_polygon_refuses(app, data, message):
    with pytest.raises(geo.GeoJSONError, match=message):
        geo.validate_polygon(data)


@pytest.mark.parametrize("data, kind", [
    (polygon(SQUARE), "Polygon"),
    (polygon(SQUARE, HOLE), "Polygon"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, "MultiPolygon"),
    ({"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)}, "Polygon"),
    ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)},
        {"type": "Feature", "properties": {}, "geometry": polygon(HOLE)}]}, "MultiPolygon"),
])
def test_validate_polygon_accepts(app, data, kind):
    assert geo.validate_polygon(data)["type"] == kind


@pytest.mark.parametrize("raw, message", [
    (b"not json", "inte giltig JSON"),
    (b"\xff\xfe", "inte giltig JSON"),
    (b"[1, 2]", "inte ett GeoJSON-objekt"),
    (b" " * (11 * 1024 * 1024), "för stor"),
])
def test_parse_geojson_refuses(app, raw, message):
    with pytest.raises(geo.GeoJSONError, match=message):
        geo.parse_geojson(raw, max_bytes=10 * 1024 * 1024)


def test_parse_geojson_reads_text(app):
    assert geo.parse_geojson(json.dumps(polygon(SQUARE)), 1024)["type"] == "Polygon"


@pytest.mark.parametrize("lat, lon, message", [
    (91, 0, "Latitud"), (-91, 0, "Latitud"), (0, 181, "Longitud"),
    ("abc", 0, "två tal"), ("nan", 0, "två tal"), (None, 0, "två tal"),
])
def test_check_lat_lon_refuses(app, lat, lon, message):
    with pytest.raises(geo.GeoJSONError, match=message):
        geo.check_lat_lon(lat, lon)


def test_check_lat_lon_parses_strings():
    assert geo.check_lat_lon("57.7", "11.95") == (57.7, 11.95)


@pytest.mark.parametrize("lat, lon, inside", [
    (57.2, 11.2, True), (57.5, 11.5, False), (58.5, 11.5, False), (57.9, 11.9, True)])
def test_contains_respects_holes(lat, lon, inside):
    assert geo.contains(polygon(SQUARE, HOLE), lat, lon) is inside


def test_bounds_and_centre():
    assert geo.bounds(polygon(SQUARE)) == [[57.0, 11.0], [58.0, 12.0]]
    assert geo.centre(polygon(SQUARE)) == (57.5, 11.5)


def test_linestring_validation(app):
    line = {"type": "LineString", "coordinates": [[11.9, 57.7], [11.95, 57.72]]}
    assert geo.validate_linestring({"type": "Feature", "geometry": line})["coordinates"] == line["coordinates"]
    with pytest.raises(geo.GeoJSONError, match="minst två"):
        geo.validate_linestring({"type": "LineString", "coordinates": [[11.9, 57.7]]})
    with pytest.raises(geo.GeoJSONError, match="Förväntade en LineString"):
        geo.validate_linestring(polygon(SQUARE))


def test_sweref99tm_of_a_known_point():
    # Göteborg central station, about N 6 402 000 / E 319 600 in SWEREF 99 TM.
    northing, easting = geo.to_sweref99tm(57.7089, 11.9735)
    assert 6_400_000 < northing < 6_404_000
    assert 318_000 < easting < 321_500


def test_distance_of_one_degree_of_latitude():
    assert geo.distance_m(57.0, 11.0, 58.0, 11.0) == pytest.approx(111_195, rel=1e-3)
