"""Property-based tests (issue 12): the observation API and the GeoJSON validators never fail with a
500 or an unexpected exception, and a refusal stores nothing.

Profiles: `ci` (1,000 examples per test) when the CI environment variable is set, `dev` (100) otherwise;
HYPOTHESIS_PROFILE chooses one by name.
"""
from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from walks import geo
from walks.extensions import db
from walks.models import Observation, Photo, TrackPoint

from . import factories
from .conftest import TEST_DATABASE_URL, _make_app, csrf_token_from, database_uri
from .walks.capture_samples import jpeg_bytes

settings.register_profile("ci", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """One app, one open walk and one joined walker for every example of the module."""
    from walks.categories.service import seed_categories
    folder = tmp_path_factory.mktemp("property")
    app = _make_app(folder, database_uri(folder))
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_categories()
        walk = factories.walk()
        db.session.commit()
        client = app.test_client()
        page = client.get(f"/j/{walk.join_code}")
        client.post(f"/j/{walk.join_code}", data={"csrf_token": csrf_token_from(page.get_data(True)),
                                                   "role": "resident", "consent": "y"})
        token = csrf_token_from(client.get(f"/j/{walk.join_code}/capture").get_data(True))
        yield {"app": app, "client": client, "walk": walk, "headers": {"X-CSRFToken": token},
               "uploads": Path(app.config["UPLOAD_DIR"])}
        db.session.remove()
        if TEST_DATABASE_URL:
            db.drop_all()
        db.engine.dispose()


def stored(capture) -> tuple:
    db.session.rollback()
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                   for model in (Observation, Photo, TrackPoint))
    return counts, sorted(p.name for p in capture["uploads"].iterdir())


# ---- strategies ---------------------------------------------------------------------------------

text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
numbers = st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                    st.floats(allow_nan=True, allow_infinity=True))
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
anything = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(text, inner, max_size=4)),
                        max_leaves=12)
moments = st.one_of(st.datetimes().map(lambda d: d.isoformat()),
                    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), text)


def field(valid, wrong=anything):
    """Mostly a value the API accepts, sometimes anything at all."""
    return st.one_of(valid, valid, wrong)


observation_payloads = st.fixed_dictionaries({
    "uuid": field(st.uuids().map(str)),
    "category": field(st.sampled_from(["lighting", "litter", "graffiti", "nope"])),
    "safety": field(st.integers(min_value=-1, max_value=4)),
    "lat": field(st.floats(min_value=57.71, max_value=57.73)),
    "lon": field(st.floats(min_value=11.94, max_value=11.96)),
}, optional={
    "accuracy": field(st.floats(min_value=0, max_value=200)),
    "location_source": field(st.sampled_from(["gps", "exif", "map", "satellite"])),
    "text": field(st.text(max_size=50)),
    "ratings": field(st.dictionaries(st.sampled_from(["lighting", "openness", "people"]),
                                     st.integers(min_value=-1, max_value=4), max_size=3)),
    "observed_at": field(moments),
    "extra": anything,
})


def as_form_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# ---- the observation API ------------------------------------------------------------------------

@given(body=observation_payloads, as_json=st.booleans(), with_photo=st.booleans())
def test_observation_api_never_fails_and_refusals_store_nothing(capture, body, as_json, with_photo):
    client, walk = capture["client"], capture["walk"]
    before = stored(capture)
    url = f"/api/walks/{walk.join_code}/observations"
    g.pop("csrf_token", None)
    if as_json and not with_photo:
        raw = json.dumps(body).encode("utf-8", "surrogatepass")
        response = client.post(url, data=raw, content_type="application/json", headers=capture["headers"])
    else:
        form = {key: as_form_value(value).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                for key, value in body.items()}
        if with_photo:
            form["photos"] = [(io.BytesIO(jpeg_bytes()), "a.jpg")]
        response = client.post(url, data=form, content_type="multipart/form-data", headers=capture["headers"])
    assert response.status_code in (200, 201, 400, 403, 409, 413, 415), response.get_data(True)[:500]
    event(f"status {response.status_code}")
    if response.status_code >= 400:
        assert json.loads(response.get_data())["error"].strip()
        assert stored(capture) == before


@given(points=st.one_of(anything, st.lists(st.fixed_dictionaries(
    {"lat": field(st.floats(min_value=-90, max_value=90)), "lon": field(st.floats(min_value=-180, max_value=180))},
    optional={"t": moments, "accuracy": anything}), max_size=5)))
def test_track_api_never_fails_and_refusals_store_nothing(capture, points):
    before = stored(capture)
    g.pop("csrf_token", None)
    raw = json.dumps({"points": points}).encode("utf-8", "surrogatepass")
    response = capture["client"].post(f"/api/walks/{capture['walk'].join_code}/track", data=raw,
                                      content_type="application/json", headers=capture["headers"])
    assert response.status_code in (201, 400), response.get_data(True)[:500]
    event(f"status {response.status_code}")
    if response.status_code == 400:
        assert json.loads(response.get_data())["error"].strip()
        assert stored(capture) == before


# ---- the GeoJSON validators ---------------------------------------------------------------------

positions = st.lists(st.one_of(st.floats(min_value=-200, max_value=200), numbers, scalars), min_size=0,
                     max_size=4)
rings = st.one_of(st.lists(positions, max_size=6), anything)
geometry_types = st.sampled_from(["Polygon", "MultiPolygon", "LineString", "Point", "Feature",
                                  "FeatureCollection", "GeometryCollection"])
geojson_like = st.recursive(
    st.fixed_dictionaries({"type": field(geometry_types)},
                          optional={"coordinates": st.one_of(rings, st.lists(rings, max_size=3),
                                                             st.lists(st.lists(rings, max_size=2), max_size=2))}),
    lambda inner: st.one_of(
        st.fixed_dictionaries({"type": field(st.just("Feature"))}, optional={"geometry": field(inner)}),
        st.fixed_dictionaries({"type": field(st.just("FeatureCollection"))},
                              optional={"features": field(st.lists(inner, max_size=3))})),
    max_leaves=6)


@pytest.fixture(scope="module")
def geo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("geo")
    app = _make_app(folder, "sqlite://")
    with app.app_context():
        yield app


@given(data=st.one_of(geojson_like, anything), validator=st.sampled_from([geo.validate_polygon,
                                                                           geo.validate_linestring]))
def test_geojson_validators_accept_or_refuse_with_a_message(geo_app, data, validator):
    raw = json.dumps(data).encode("utf-8", "surrogatepass")
    try:
        geometry = validator(geo.parse_geojson(raw, 2 * 1024 * 1024))
    except geo.GeoJSONError as error:
        assert str(error).strip()
        return
    assert geometry["type"] in ("Polygon", "MultiPolygon", "LineString")
    box = geo.bounds(geometry)
    assert box is not None and all(math.isfinite(c) for corner in box for c in corner)
    if geometry["type"] != "LineString":
        geo.contains(geometry, box[0][0], box[0][1])


boxes = st.tuples(st.floats(min_value=-179, max_value=178), st.floats(min_value=-89, max_value=88),
                  st.floats(min_value=0.001, max_value=1), st.floats(min_value=0.001, max_value=1))


@given(box=boxes, wrap=st.sampled_from(["geometry", "feature", "collection"]))
def test_geojson_validators_accept_every_valid_rectangle(geo_app, box, wrap):
    west, south, width, height = box
    ring = [[west, south], [west + width, south], [west + width, south + height], [west, south + height],
            [west, south]]
    data = {"type": "Polygon", "coordinates": [ring]}
    if wrap != "geometry":
        data = {"type": "Feature", "properties": {}, "geometry": data}
    if wrap == "collection":
        data = {"type": "FeatureCollection", "features": [data]}
    geometry = geo.validate_polygon(geo.parse_geojson(json.dumps(data), 2 * 1024 * 1024))
    assert geo.contains(geometry, south + height / 2, west + width / 2)
