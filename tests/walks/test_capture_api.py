"""The capture JSON API over HTTP: CSRF, cookies, idempotency, and every bad input of issue 3."""
from __future__ import annotations

import io
import os

import pytest
from flask import g
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token_from
from walks.extensions import db
from walks.models import Observation, Photo, TrackPoint

from .capture_samples import PDF_BYTES, SVG_BYTES, bomb_png, jpeg_bytes, payload, truncated_jpeg


def counts():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Observation)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Photo)))


def uploads(app):
    return os.listdir(app.config["UPLOAD_DIR"])


def join(client, walk, role="resident"):
    # The app fixture keeps one app context for the whole test, so Flask-WTF's per-request cache of the
    # CSRF token in `g` would leak from one test client to the next: clear it.
    g.pop("csrf_token", None)
    page = client.get(f"/j/{walk.join_code}")
    response = client.post(f"/j/{walk.join_code}", data={
        "csrf_token": csrf_token_from(page.get_data(True)), "display_name": "", "role": role, "consent": "y"})
    assert response.status_code == 302, response.get_data(True)
    capture = client.get(f"/j/{walk.join_code}/capture")
    assert capture.status_code == 200
    return {"X-CSRFToken": csrf_token_from(capture.get_data(True))}


@pytest.fixture
def walk(make):
    return make.walk()


@pytest.fixture
def headers(client, walk):
    return join(client, walk)


def post_json(client, walk, headers, data):
    return client.post(f"/api/walks/{walk.join_code}/observations", json=data, headers=headers)


def post_multipart(client, walk, headers, data, files):
    form = {k: str(v) for k, v in data.items()}
    form["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/api/walks/{walk.join_code}/observations", data=form, headers=headers,
                       content_type="multipart/form-data")


def test_json_create_then_repeat_then_conflict(client, walk, headers):
    data = payload()
    first = post_json(client, walk, headers, data)
    assert first.status_code == 201 and first.json["created"] is True
    again = post_json(client, walk, headers, data)
    assert again.status_code == 200 and again.json["created"] is False and again.json["uuid"] == data["uuid"]
    conflict = post_json(client, walk, headers, {**data, "safety": 3})
    assert conflict.status_code == 409 and conflict.json["error"]
    assert counts() == (1, 0)


def test_multipart_with_photo_and_photo_served_without_exif(app, client, walk, headers):
    data = payload()
    response = post_multipart(client, walk, headers, data, [("IMG_0001.HEIC.jpg", jpeg_bytes(gps=(57.7, 11.9)))])
    assert response.status_code == 201, response.json
    photo = response.json["photos"][0]
    assert "IMG_0001" not in photo["url"]
    with client.get(photo["url"]) as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert b"Exif" not in served.data
    with client.get(photo["thumb_url"]) as thumb:
        assert thumb.status_code == 200
    assert client.get("/photos/" + "A" * 24 + ".jpg").status_code == 404
    assert sorted(uploads(app)) == sorted([photo["url"].rsplit("/", 1)[1], photo["thumb_url"].rsplit("/", 1)[1]])


def test_photos_added_later_idempotently(app, client, walk, headers):
    data = payload()
    post_json(client, walk, headers, data)
    url = f"/api/observations/{data['uuid']}/photos"
    photo = jpeg_bytes()
    first = client.post(url, data={"photos": [(io.BytesIO(photo), "a.jpg")]}, headers=headers,
                        content_type="multipart/form-data")
    again = client.post(url, data={"photos": [(io.BytesIO(photo), "b.jpg")]}, headers=headers,
                        content_type="multipart/form-data")
    assert first.status_code == 201 and again.status_code == 200 and again.json["photos_added"] == 0
    assert counts() == (1, 1) and len(uploads(app)) == 2


def test_patch_and_delete_own(app, client, walk, headers):
    data = payload()
    post_multipart(client, walk, headers, data, [("a.jpg", jpeg_bytes())])
    patched = client.patch(f"/api/observations/{data['uuid']}", json={"text": "Ny text", "safety": 2},
                           headers=headers)
    assert patched.status_code == 200 and patched.json["text"] == "Ny text" and patched.json["safety"] == 2
    deleted = client.delete(f"/api/observations/{data['uuid']}", headers=headers)
    assert deleted.status_code == 200 and counts() == (0, 0) and uploads(app) == []


def test_points_have_no_names(client, walk, headers):
    post_json(client, walk, headers, payload())
    body = client.get(f"/api/walks/{walk.join_code}/points").json
    assert len(body["points"]) == 1 and "display_name" not in str(body) and "text" not in body["points"][0]


def test_track(client, walk, headers):
    response = client.post(f"/api/walks/{walk.join_code}/track", headers=headers,
                           json={"points": [{"lat": 57.72, "lon": 11.95, "accuracy": 6}]})
    assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrackPoint)) == 1


BAD_FIELDS = [
    {"lat": 91}, {"lat": -91}, {"lon": 181}, {"lat": "abc"}, {"lon": "NaN"}, {"accuracy": -5},
    {"category": None}, {"category": "unknown"}, {"safety": 4}, {"safety": -1}, {"text": "x" * 100_000},
]


@pytest.mark.parametrize("change", BAD_FIELDS, ids=[str(c)[:30] for c in BAD_FIELDS])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "multipart"])
def test_bad_fields(app, client, walk, headers, change, as_json):
    data = payload(**change)
    if as_json:
        response = post_json(client, walk, headers, data)
    else:
        response = post_multipart(client, walk, headers, data, [("a.jpg", jpeg_bytes())])
    assert response.status_code == 400
    assert response.json["error"] and response.json.get("field")
    assert counts() == (0, 0) and uploads(app) == []


BAD_PHOTOS = [("report.jpg", lambda: PDF_BYTES), ("cut.jpg", truncated_jpeg), ("bomb.png", bomb_png),
              ("drawing.svg", lambda: SVG_BYTES)]


@pytest.mark.parametrize("name, make_data", BAD_PHOTOS, ids=["pdf-as-jpg", "truncated", "bomb", "svg"])
def test_bad_photos(app, client, walk, headers, name, make_data):
    response = post_multipart(client, walk, headers, payload(), [(name, make_data())])
    assert response.status_code == 400 and response.json["field"] == "photos"
    assert "foto" in response.json["error"].lower()  # Swedish message: "fotot", "foto"
    assert counts() == (0, 0) and uploads(app) == []


def test_30_mb_upload_is_413(app, client, walk, headers):
    big = jpeg_bytes() + b"\0" * (30 * 1024 * 1024)
    # Encoded in memory: the test client would otherwise spool it to a temporary file it never closes.
    form = {k: str(v) for k, v in payload().items()}
    form["photos"] = FileStorage(io.BytesIO(big), "big.jpg", content_type="image/jpeg")
    boundary, body = encode_multipart(form)
    response = client.post(f"/api/walks/{walk.join_code}/observations", data=body, headers=headers,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413 and response.json["error"]
    assert counts() == (0, 0) and uploads(app) == []


def test_photo_over_photo_limit_but_under_request_limit_is_413(app, client, walk, headers):
    app.config["MAX_PHOTO_BYTES"] = 2000
    response = post_multipart(client, walk, headers, payload(), [("a.jpg", jpeg_bytes(size=(800, 600)))])
    assert response.status_code == 413 and "MB" in response.json["error"]
    assert counts() == (0, 0) and uploads(app) == []


def test_without_csrf_token(app, client, walk, headers):
    response = client.post(f"/api/walks/{walk.join_code}/observations", json=payload())
    assert response.status_code == 400 and response.json["error"]
    assert counts() == (0, 0)


def test_unknown_join_code(client, headers):
    response = client.post("/api/walks/NOPE1234/observations", json=payload(), headers=headers)
    assert response.status_code == 404 and response.json["error"]
    assert client.get("/j/NOPE1234").status_code == 404


def test_closed_walk(app, client, walk, headers):
    walk.status = "closed"
    db.session.commit()
    response = post_json(client, walk, headers, payload())
    assert response.status_code == 403 and "stängd" in response.json["error"]
    assert counts() == (0, 0)


def test_not_joined(app, client, walk):
    page = client.get("/join")
    token = csrf_token_from(page.get_data(True))
    response = client.post(f"/api/walks/{walk.join_code}/observations", json=payload(),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 403 and counts() == (0, 0)


@pytest.mark.parametrize("method", ["patch", "delete", "photos"])
def test_another_participants_observation(app, make, walk, method):
    owner, intruder = app.test_client(), app.test_client()
    data = payload()
    post_json(owner, walk, join(owner, walk), data)
    headers = join(intruder, walk)
    url = f"/api/observations/{data['uuid']}"
    if method == "patch":
        response = intruder.patch(url, json={"text": "Hacked"}, headers=headers)
    elif method == "delete":
        response = intruder.delete(url, headers=headers)
    else:
        response = intruder.post(url + "/photos", data={"photos": [(io.BytesIO(jpeg_bytes()), "a.jpg")]},
                                 headers=headers, content_type="multipart/form-data")
    # Another walker's observation is not theirs to see: 404, as if it did not exist.
    assert response.status_code == 404 and response.json["error"]
    db.session.expire_all()
    obs = db.session.scalar(sa.select(Observation))
    assert obs.text == data["text"] and counts() == (1, 0) and uploads(app) == []


def test_unknown_observation_is_404(client, headers):
    response = client.patch("/api/observations/00000000-0000-4000-8000-000000000000", json={"text": "x"},
                            headers=headers)
    assert response.status_code == 404


def test_racing_retry_of_the_same_uuid_answers_the_existing_one(app, client, walk, headers, monkeypatch):
    """Two copies of one retry arrive together: the loser hits the unique UUID, rolls back its files and
    answers like a repeat."""
    from walks.capture import service
    data = payload()
    assert post_json(client, walk, headers, data).status_code == 201
    real_find, calls = service.find_observation, []

    def find_missing_once(uuid):
        calls.append(uuid)
        return None if len(calls) == 1 else real_find(uuid)

    monkeypatch.setattr(service, "find_observation", find_missing_once)
    again = post_multipart(client, walk, headers, data, [("a.jpg", jpeg_bytes())])
    assert again.status_code == 200 and again.json["created"] is False and len(calls) == 2
    assert counts() == (1, 1) and len(uploads(app)) == 2
