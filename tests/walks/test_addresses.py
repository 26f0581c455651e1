"""Street addresses from a file the municipality loads: nearest within 50 m, bad rows refused whole."""
from __future__ import annotations

import json

import pytest

from walks.addresses import service
from walks.extensions import db
from walks.models import Address

# Around Hjalmar Brantingsplatsen: one metre of latitude is about 0.000009 degrees.
CSV = ("gata;nummer;postnummer;ort;lat;lon\n"
       "Hjalmar Brantingsgatan;1;41705;Göteborg;57.72150;11.95250\n"
       "Vågmästareplatsen;3;41705;Göteborg;57.72200;11.95250\n")


@pytest.fixture
def loaded(app):
    service.load_addresses(service.parse_address_file(CSV.encode(), "adresser.csv"))
    return app


@pytest.mark.parametrize("lat, lon, expected", [
    (57.72150, 11.95250, "Hjalmar Brantingsgatan 1, 41705 Göteborg"),
    (57.72150 - 40 * 0.000009, 11.95250, "Hjalmar Brantingsgatan 1, 41705 Göteborg"),  # 40 m south
    (57.72200 - 10 * 0.000009, 11.95250, "Vågmästareplatsen 3, 41705 Göteborg"),       # nearer the second
    (57.72150 - 60 * 0.000009, 11.95250, None),                                          # 60 m: too far
])
def test_nearest_address_within_50_m(loaded, lat, lon, expected):
    assert service.nearest_address(lat, lon) == expected


def test_geojson_points_with_osm_tags(app):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [11.9525, 57.7215]},
         "properties": {"addr:street": "Färjenäsgatan", "addr:housenumber": "12", "addr:city": "Göteborg"}}]}
    rows = service.parse_address_file(json.dumps(data).encode(), "osm.geojson")
    assert service.load_addresses(rows) == 1
    assert service.nearest_address(57.7215, 11.9525) == "Färjenäsgatan 12, Göteborg"


@pytest.mark.parametrize("content, name, listed", [
    ("gata,lat,lon\nStorgatan,57.7,abc\n,57.7,11.9\nTorget,95,11.9\nBra,57.7,11.9\n", "a.csv",
     ["rad 2: positionen är inte ett tal", "rad 3: inget gatunamn", "rad 4: positionen ligger utanför kartan"]),
    ('{"type":"FeatureCollection","features":[5,{"type":"Feature","geometry":{"type":"LineString",'
     '"coordinates":[[1,2],[3,4]]},"properties":{}}]}', "a.geojson", ["rad 1: inte en punkt", "rad 2: inte en punkt"]),
])
def test_bad_rows_are_listed_in_swedish_and_nothing_is_loaded(loaded, content, name, listed):
    with pytest.raises(service.AddressFileError) as caught:
        service.parse_address_file(content.encode(), name)
    assert caught.value.rows == listed
    assert db.session.query(Address).count() == 2  # the earlier file stays


@pytest.mark.parametrize("content, name", [
    (b"\xff\xfe\x00", "a.csv"), (b"{not json", "a.geojson"), (b'{"type":"Point"}', "a.json"), (b"gata,lat,lon\n", "a.csv")])
def test_unreadable_files_are_refused(app, content, name):
    with pytest.raises(service.AddressFileError):
        service.parse_address_file(content, name)


def test_cli_loads_and_reports_row_errors(app, runner, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(CSV, encoding="utf-8")
    bad.write_text("gata;lat;lon\nStorgatan;x;11.9\n", encoding="utf-8")
    result = runner.invoke(args=["addresses", "load", str(good)])
    assert result.exit_code == 0 and "Loaded 2 addresses." in result.output
    result = runner.invoke(args=["addresses", "load", str(bad)])
    assert result.exit_code == 1 and "rad 2: positionen är inte ett tal" in result.output
    assert db.session.query(Address).count() == 2
    result = runner.invoke(args=["addresses", "lookup", "57.7215", "11.9525"])
    assert "Hjalmar Brantingsgatan 1" in result.output


def test_a_walkers_point_gets_the_nearest_address(loaded, make):
    from walks.capture import service as capture

    from .capture_samples import payload
    participant = make.participant()
    data = payload()
    data.update(lat=57.72150 - 20 * 0.000009, lon=11.95250)
    result = capture.create_observation(participant.walk, participant, data, [], loaded.config)
    assert result.observation.address == "Hjalmar Brantingsgatan 1, 41705 Göteborg"


def test_an_open311_request_without_an_address_gets_one(loaded, make):
    from walks.open311 import service as open311
    from werkzeug.datastructures import MultiDict
    key = open311.create_api_key("Stadens app")
    form = MultiDict({"api_key": key, "service_code": "lighting", "lat": "57.7220", "long": "11.9525",
                      "description": "Släckt"})
    assert open311.create_request(form).address == "Vågmästareplatsen 3, 41705 Göteborg"
