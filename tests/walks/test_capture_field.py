"""The walker in the field (issue 11, items 1–5) on the server side: the outside-area flag, landmarks
on the walk form, the tiles a phone keeps, and what the capture page is given."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import csrf_token_from
from walks import geo, settings
from walks.capture import landmarks, tiles
from walks.extensions import db
from walks.models import Observation, Walk

from ..factories import BOUNDARY, CENTRE
from .capture_samples import jpeg_bytes, payload
from .test_capture_api import join, post_json, post_multipart

# BOUNDARY spans latitude 57.7190–57.7240 at longitude 11.9480–11.9575.
NORTH_EDGE = 57.7240
METRES_PER_DEGREE_LAT = 6_371_000 * 3.141592653589793 / 180


def north_of_area(metres: float) -> float:
    return NORTH_EDGE + metres / METRES_PER_DEGREE_LAT


# ---- geometry -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lat, lon, expected", [
    (CENTRE[0], CENTRE[1], 0.0),                   # inside
    (north_of_area(50), 11.9525, 50),              # straight north of the edge
    (north_of_area(600), 11.9525, 600),
    (57.7215, 11.9575 + 100 / 59_500, 100),        # east: about 59.5 km per degree of longitude here
])
def test_distance_outside_the_boundary(lat, lon, expected):
    assert geo.distance_outside_m(BOUNDARY, lat, lon) == pytest.approx(expected, abs=1.5)


def test_distance_outside_without_a_boundary_is_unknown():
    assert geo.distance_outside_m(None, 57.7, 11.9) is None


# ---- the outside-area flag: computed by the server, never taken from the client -------------------

@pytest.fixture
def walk(make):
    return make.walk()


@pytest.fixture
def headers(client, walk):
    return join(client, walk)


@pytest.mark.parametrize("lat, flagged", [
    (CENTRE[0], False),
    (north_of_area(60), False),   # within the 100 m margin: GPS error near the edge
    (north_of_area(600), True),
])
def test_point_outside_the_area_is_flagged(client, walk, headers, lat, flagged):
    response = post_json(client, walk, headers, payload(lat=lat, lon=11.9525, outside_area=not flagged))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["outside_area"] is flagged
    assert db.session.scalar(sa.select(Observation.outside_area)) is flagged


def test_margin_is_a_setting(app, client, walk, headers):
    app.config["OUTSIDE_AREA_MARGIN_M"] = 30
    response = post_json(client, walk, headers, payload(lat=north_of_area(60), lon=11.9525))
    assert response.get_json()["outside_area"] is True


def test_point_from_the_photos_exif_is_checked_too(client, walk, headers):
    photo = jpeg_bytes(gps=(north_of_area(800), 11.9525))
    response = post_multipart(client, walk, headers, payload(lat=None, lon=None, accuracy=None,
                                                             location_source=None), [("a.jpg", photo)])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["location_source"] == "exif" and body["outside_area"] is True


def test_moving_a_point_back_into_the_area_clears_the_flag(client, walk, headers):
    created = post_json(client, walk, headers, payload(lat=north_of_area(600), lon=11.9525)).get_json()
    moved = client.patch(f"/api/observations/{created['uuid']}", json={"lat": CENTRE[0], "lon": CENTRE[1]},
                         headers=headers)
    assert moved.status_code == 200 and moved.get_json()["outside_area"] is False


def test_area_without_a_boundary_flags_nothing(client, make):
    walk = make.walk(area=make.area(boundary=None))
    headers = join(client, walk)
    response = post_json(client, walk, headers, payload(lat=59.0, lon=18.0))
    assert response.get_json()["outside_area"] is False


def test_landmark_is_a_position_source(client, walk, headers):
    response = post_json(client, walk, headers, payload(location_source="landmark", accuracy=None))
    assert response.status_code == 201 and response.get_json()["location_source"] == "landmark"


def test_coordinator_sees_the_flag_on_the_review_table_and_the_observation(client, login, make):
    login(make.user(role="admin"))
    outside = make.observation(lat=north_of_area(600), lon=11.9525, outside_area=True, text="Utanför")
    make.observation(walk=outside.walk, text="Innanför")
    db.session.commit()
    table = client.get(f"/walks/{outside.walk_id}/observations").get_data(True)
    assert table.count("utanför området") == 1
    page = client.get(f"/observations/{outside.id}").get_data(True)
    assert "Punkten ligger utanför vandringens område (mer än 100 m)" in page


# ---- landmarks ------------------------------------------------------------------------------------

def test_landmark_lines_are_parsed():
    text = "Hållplats Brunnsbotorget; 57.7219; 11.9530\n\n  Skolan ; 57,7201 ; 11,9502  \n"
    assert landmarks.parse_landmarks(text) == [
        {"name": "Hållplats Brunnsbotorget", "lat": 57.7219, "lon": 11.953},
        {"name": "Skolan", "lat": 57.7201, "lon": 11.9502}]
    assert landmarks.parse_landmarks(landmarks.format_landmarks(landmarks.parse_landmarks(text))) == \
        landmarks.parse_landmarks(text)


@pytest.mark.parametrize("text, message", [
    ("Torget 57.72 11.95", "Line 1: write it as"),
    ("Torget; 57.72", "Line 1: write it as"),
    ("ok; 57.72; 11.95\n; 57.72; 11.95", "Line 2: the name must be"),
    ("Torget; north; 11.95", "Line 1: The position is not a pair of numbers."),
    ("Torget; 91; 11.95", "Line 1: Latitude must be between -90 and 90."),
    ("Torget; 57.7; 200", "Line 1: Longitude must be between -180 and 180."),
    ("\n".join(f"Plats {n}; 57.72; 11.95" for n in range(101)), "At most 100 places."),
])
def test_bad_landmark_rows_are_named(app, text, message):
    with force_locale("en"), pytest.raises(landmarks.LandmarkError) as caught:
        landmarks.parse_landmarks(text)
    with force_locale("en"):
            assert any(str(e).startswith(message) for e in caught.value.errors), caught.value.errors


@pytest.fixture
def coordinator(client, login):
    client.set_cookie("lang", "en")
    return login()


def walk_form(walk, **overrides):
    data = {"title": walk.title, "starts_at": "2026-11-24T18:00", "ends_at": "", "light_condition": "dark",
            "weather": "", "meeting_point": "", "status": "open", "landmarks": ""}
    data.update(overrides)
    return data


def test_coordinator_sets_landmarks_on_the_walk_form(client, coordinator, make):
    walk = make.walk()
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/edit").get_data(True)
    response = client.post(f"/walks/{walk.id}/edit", data={
        **walk_form(walk, landmarks="Hållplatsen; 57.7219; 11.9530\nSkolan; 57.7201; 11.9502"),
        "csrf_token": csrf_token_from(page)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(True)
    db.session.expire_all()
    assert [p["name"] for p in db.session.get(Walk, walk.id).landmarks] == ["Hållplatsen", "Skolan"]
    again = client.get(f"/walks/{walk.id}/edit").get_data(True)
    assert "Hållplatsen; 57.7219; 11.953\nSkolan; 57.7201; 11.9502" in again


def test_a_bad_landmark_row_is_listed_and_nothing_is_saved(client, coordinator, make):
    walk = make.walk(title="Orörd", landmarks=[{"name": "Gammal", "lat": 57.72, "lon": 11.95}])
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/edit").get_data(True)
    response = client.post(f"/walks/{walk.id}/edit", data={
        **walk_form(walk, title="Ändrad", landmarks="Bra; 57.72; 11.95\nTorget 57.72 11.95\nBro; 57.72; 999"),
        "csrf_token": csrf_token_from(page)}, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(True)
    assert "Line 2: write it as" in body and "Line 3: Longitude must be between -180 and 180." in body
    assert "Torget 57.72 11.95" in body  # what was typed stays in the box to be corrected
    db.session.expire_all()
    stored = db.session.get(Walk, walk.id)
    assert stored.title == "Orörd" and stored.landmarks == [{"name": "Gammal", "lat": 57.72, "lon": 11.95}]


# ---- tiles ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("template, setting, allowed", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", None, False),
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", None, False),
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", True, True),
    ("https://karta.example.se/{z}/{x}/{y}.png", None, True),
    ("https://karta.example.se/{z}/{x}/{y}.png", False, False),
    ("https://nottile.openstreetmap.org.example.se/{z}/{x}/{y}.png", None, True),
])
def test_prefetch_default_follows_the_tile_servers_terms(template, setting, allowed):
    assert tiles.prefetch_allowed(template, setting) is allowed


@pytest.mark.parametrize("value, expected", [("true", True), ("on", True), ("1", True), ("false", False),
                                             ("off", False)])
def test_prefetch_setting_from_the_environment(value, expected):
    assert settings.from_environment({"TILE_PREFETCH": value}) == {"TILE_PREFETCH": expected}


def test_tiles_cover_the_area_at_the_capture_maps_zooms():
    box = geo.bounds(BOUNDARY)
    found = tiles.tiles_for_bounds(box, limit=300)
    assert {z for z, _, _ in found} == set(tiles.CAPTURE_ZOOMS)
    for zoom in tiles.CAPTURE_ZOOMS:  # every corner of the area is on a kept tile
        for lat in (box[0][0], box[1][0]):
            for lon in (box[0][1], box[1][1]):
                assert (zoom, *tiles.tile_xy(lat, lon, zoom)) in found
    assert len(found) == len(set(found))


@pytest.mark.parametrize("limit", [0, 1, 10, 50])
def test_tiles_stay_within_the_limit_keeping_whole_zoom_levels(limit):
    found = tiles.tiles_for_bounds(geo.bounds(BOUNDARY), limit=limit)
    assert len(found) <= limit
    everything = tiles.tiles_for_bounds(geo.bounds(BOUNDARY), limit=10_000)
    for zoom in {z for z, _, _ in found}:
        assert [t for t in found if t[0] == zoom] == [t for t in everything if t[0] == zoom]


def test_tile_urls_fill_in_the_template():
    assert tiles.tile_urls("https://{s}.karta.se/{z}/{x}/{y}{r}.png?k=1", [(15, 17, 9)]) == \
        ["https://a.karta.se/15/17/9.png?k=1"]


def test_walk_bounds_cover_boundary_and_route():
    route = {"type": "LineString", "coordinates": [[11.9500, 57.7200], [11.9700, 57.7300]]}
    assert tiles.walk_bounds(BOUNDARY, route, CENTRE) == [[57.719, 11.948], [57.73, 11.97]]
    around = tiles.walk_bounds(None, None, CENTRE)
    assert around[0][0] < CENTRE[0] < around[1][0] and around[0][1] < CENTRE[1] < around[1][1]


def capture_config(client, walk) -> dict:
    page = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    match = re.search(r'<script type="application/json" id="capture-config">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_capture_page_gets_no_tiles_to_prefetch_from_openstreetmap(client, walk, headers):
    config = capture_config(client, walk)
    assert "tile.openstreetmap.org" in config["tileUrl"] and config["prefetchTiles"] == []


def test_capture_page_gets_the_area_tiles_from_an_allowing_server(app, client, walk, headers):
    app.config.update(TILE_URL="https://karta.example.se/{z}/{x}/{y}.png", TILE_PREFETCH_MAX=40)
    walk.route = {"type": "LineString", "coordinates": [[11.95, 57.72], [11.951, 57.721]]}
    walk.landmarks = [{"name": "Hållplatsen", "lat": 57.7219, "lon": 11.953}]
    db.session.commit()
    config = capture_config(client, walk)
    assert 0 < len(config["prefetchTiles"]) <= 40
    assert all(url.startswith("https://karta.example.se/1") for url in config["prefetchTiles"])
    assert config["route"] == walk.route and config["landmarks"] == walk.landmarks
    assert config["boundary"] == BOUNDARY
    assert (config["goodAccuracy"], config["warnAccuracy"], config["outsideMargin"]) == (20, 50, 100)


def test_capture_page_lists_the_landmarks_in_a_labelled_select(client, make):
    walk = make.walk(landmarks=[{"name": "Hållplatsen <Brunnsbo>", "lat": 57.7219, "lon": 11.953}])
    db.session.commit()
    join(client, walk)
    page = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    assert '<label for="capture-landmark">' in page and '<select id="capture-landmark"' in page
    assert "Hållplatsen &lt;Brunnsbo&gt;" in page


def test_capture_page_has_no_inline_script_code(client, walk, headers):
    page = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", page.split("<main", 1)[1])
