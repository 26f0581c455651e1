"""Exports: GeoJSON checked by the geojson package, CSV columns a GIS user expects, hidden left out."""
from __future__ import annotations

import csv
import io

import geojson
import pytest
from flask import g

from tests.conftest import csrf_token_from
from walks.capture import service as capture
from walks.exports import service as export_service
from walks.extensions import db
from walks.review import service as review

from .capture_samples import jpeg_bytes, payload


def observe(app, participant, photos=(), **changes):
    result = capture.create_observation(participant.walk, participant, payload(**changes), list(photos), app.config)
    db.session.commit()
    return result.observation


@pytest.fixture
def setup(app, make, login):
    g.pop("csrf_token", None)
    login()
    walk = make.walk(light_condition="dusk")
    participant = make.participant(walk=walk, role="staff")
    shown = observe(app, participant, [jpeg_bytes()], text="Trasig lampa", ratings={"lighting": 0})
    hidden = observe(app, participant, text="Dold")
    review.hide(hidden, make.user(), "test")
    db.session.commit()
    return walk, shown, hidden


def test_walk_geojson(client, setup):
    walk, shown, _ = setup
    response = client.get(f"/walks/{walk.id}.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = geojson.loads(response.get_data(True))
    assert collection.is_valid and collection["type"] == "FeatureCollection"
    assert [f["properties"]["uuid"] for f in collection["features"]] == [shown.uuid]
    feature = collection["features"][0]
    assert feature["geometry"]["coordinates"] == [pytest.approx(shown.lon), pytest.approx(shown.lat)]
    props = feature["properties"]
    assert props["category"] == "lighting" and props["category_name_sv"] == "Belysning"
    assert props["category_name_en"] == "Lighting" and props["theme"] == "safety"
    assert props["safety"] == 1 and props["rating_lighting"] == 0 and props["status"] == "new"
    assert props["observed_at"].endswith("Z") and props["light_condition"] == "dusk"
    assert props["walk_id"] == walk.id and props["walk_title"] == walk.title
    assert props["photo_urls"][0].startswith("http://localhost/photos/")
    assert props["participant_role"] == "staff" and "display_name" not in props
    assert 6_390_000 < props["sweref99tm_n"] < 6_410_000


def test_hidden_included_on_request(client, setup):
    walk, shown, hidden = setup
    collection = geojson.loads(client.get(f"/walks/{walk.id}.geojson?include_hidden=1").get_data(True))
    assert {f["properties"]["uuid"] for f in collection["features"]} == {shown.uuid, hidden.uuid}


def test_walk_csv(client, setup):
    walk, shown, _ = setup
    response = client.get(f"/walks/{walk.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(True).lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["uuid"] == shown.uuid and rows[0]["text"] == "Trasig lampa"
    assert rows[0]["photo_urls"].startswith("http://localhost/photos/")
    assert rows[0]["category_name_sv"] == "Belysning"


def test_area_exports(client, setup):
    walk, shown, _ = setup
    collection = geojson.loads(client.get(f"/areas/{walk.area_id}.geojson").get_data(True))
    assert [f["properties"]["uuid"] for f in collection["features"]] == [shown.uuid]
    assert shown.uuid in client.get(f"/areas/{walk.area_id}.csv").get_data(True)


def test_csv_formula_injection_is_defused(app, client, make, setup):
    walk, _, _ = setup
    observe(app, make.participant(walk=walk), text="=HYPERLINK(\"http://evil\")")
    text = client.get(f"/walks/{walk.id}.csv").get_data(True)
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("url", ["/walks/999.geojson", "/walks/999.csv", "/areas/999.geojson", "/areas/999.csv"])
def test_unknown_is_404(client, setup, url):
    assert client.get(url).status_code == 404


def test_exports_need_login(app, make):
    walk = make.walk()
    assert app.test_client().get(f"/walks/{walk.id}.geojson").status_code in (302, 401)


@pytest.mark.parametrize("role, in_area, status", [
    ("viewer", True, 200), ("coordinator", True, 200), ("viewer", False, 404), ("coordinator", False, 404)])
def test_exports_only_of_the_users_areas(app, make, role, in_area, status):
    walk = make.walk()
    user = make.user(role=role, areas=[walk.area] if in_area else [make.area()])
    db.session.commit()
    staff = app.test_client()
    page = staff.get("/login").get_data(True)
    staff.post("/login", data={"email": user.email, "password": "correct horse battery",
                               "csrf_token": csrf_token_from(page)})
    for url in (f"/walks/{walk.id}.geojson", f"/walks/{walk.id}.csv", f"/areas/{walk.area_id}.geojson",
                f"/areas/{walk.area_id}.csv"):
        assert staff.get(url).status_code == status, url


def test_area_export_has_the_areas_own_and_its_walks_observations(app, make):
    area = make.area()
    on_walk = make.observation(walk=make.walk(area=area))
    own = make.observation(walk=None, area=area, source="coordinator")
    make.observation()  # another area
    assert [o.id for o in export_service.observations_for(area=area)] == sorted([on_walk.id, own.id])
