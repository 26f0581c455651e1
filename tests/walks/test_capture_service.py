"""Capture rules without HTTP: validation, idempotency by UUID, position sources, files with rows."""
from __future__ import annotations

import math
import os

import pytest
import sqlalchemy as sa
from PIL import Image
from flask_babel import force_locale

from walks.capture import service
from walks.capture.service import CaptureError
from walks.extensions import db
from walks.models import Observation, Photo, TrackPoint

from .capture_samples import PDF_BYTES, bomb_png, jpeg_bytes, payload, truncated_jpeg


@pytest.fixture(autouse=True)
def english(app):
    """Messages are compared in English (the message ids); Swedish is checked in the API tests."""
    with force_locale("en"):
        yield


def counts():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Observation)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Photo)))


@pytest.fixture
def walker(make):
    participant = make.participant()
    return participant.walk, participant


def create(app, walker, data, photos=()):
    walk, participant = walker
    return service.create_observation(walk, participant, data, list(photos), app.config)


def test_creates_observation_with_area_and_photo(app, walker):
    walk, participant = walker
    result = create(app, walker, payload(ratings={"lighting": 0}), [jpeg_bytes(orientation=6)])
    obs = result.observation
    assert result.created and obs.id and obs.walk is walk and obs.area_id == walk.area_id
    assert obs.participant is participant and obs.category.code == "lighting"
    assert obs.location_source == "gps" and obs.accuracy_m == 8 and obs.safety == 1
    assert obs.rating_lighting == 0 and obs.rating_openness is None
    assert len(obs.photos) == 1 and sorted(os.listdir(app.config["UPLOAD_DIR"])) == sorted(result.written_files)
    # What is on disk: no EXIF at all (the GPS and camera are gone) and upright (orientation 6 applied).
    for name in (obs.photos[0].filename, obs.photos[0].thumb_filename):
        with Image.open(os.path.join(app.config["UPLOAD_DIR"], name)) as stored:
            assert len(stored.getexif()) == 0 and "exif" not in stored.info
            assert stored.height > stored.width
            assert stored.getpixel((stored.width // 2, 2))[0] > 200  # the red half is on top
    assert obs.photos[0].original_format == "JPEG" and obs.photos[0].taken_at is not None


def test_same_uuid_same_content_returns_existing(app, walker):
    data = payload()
    first = create(app, walker, data, [jpeg_bytes()])
    again = create(app, walker, dict(data), [jpeg_bytes()])
    assert not again.created and again.observation.id == first.observation.id
    assert again.written_files == [] and counts() == (1, 1)
    assert len(os.listdir(app.config["UPLOAD_DIR"])) == 2


def test_retry_completes_missing_photo(app, walker):
    data = payload()
    create(app, walker, data)
    again = create(app, walker, dict(data), [jpeg_bytes()])
    assert not again.created and again.photos_added == 1 and counts() == (1, 1)


def test_same_uuid_other_content_is_409(app, walker):
    data = payload()
    create(app, walker, data)
    with pytest.raises(CaptureError) as error:
        create(app, walker, {**data, "text": "Något annat"})
    assert error.value.status == 409 and counts() == (1, 0)


def test_same_uuid_from_another_participant_is_409(app, walker, make):
    data = payload()
    create(app, walker, data)
    other = make.participant(walk=walker[0])
    with pytest.raises(CaptureError) as error:
        service.create_observation(walker[0], other, dict(data), [], app.config)
    assert error.value.status == 409


def test_position_from_photo_exif_when_none_sent(app, walker):
    data = payload(lat=None, lon=None, accuracy=None, location_source=None)
    result = create(app, walker, data, [jpeg_bytes(gps=(57.72, 11.95))])
    obs = result.observation
    assert obs.location_source == "exif" and obs.accuracy_m is None
    assert (obs.lat, obs.lon) == pytest.approx((57.72, 11.95), abs=1e-5)


def test_no_position_at_all_is_refused_with_advice(app, walker):
    data = payload(lat=None, lon=None, accuracy=None, location_source=None)
    with pytest.raises(CaptureError) as error:
        create(app, walker, data, [jpeg_bytes()])
    assert error.value.status == 400 and "place the point on the map" in error.value.args[0]
    assert counts() == (0, 0) and os.listdir(app.config["UPLOAD_DIR"]) == []


def test_map_source_when_no_accuracy(app, walker):
    result = create(app, walker, payload(accuracy=None, location_source=None))
    assert result.observation.location_source == "map"


BAD = [
    ({"lat": 91}, "Latitude"),
    ({"lat": -91}, "Latitude"),
    ({"lon": 181}, "Longitude"),
    ({"lat": "abc"}, "not a pair of numbers"),
    ({"lon": "NaN"}, "not a pair of numbers"),
    ({"lat": math.nan}, "not a pair of numbers"),
    ({"lat": True}, "not a pair of numbers"),
    ({"lon": None}, "both latitude and longitude"),
    ({"accuracy": -1}, "accuracy"),
    ({"accuracy": "abc"}, "accuracy"),
    ({"category": None}, "Choose a category"),
    ({"category": "no-such-thing"}, "does not exist"),
    ({"safety": None}, "how safe"),
    ({"safety": 4}, "0 to 3"),
    ({"safety": -1}, "0 to 3"),
    ({"safety": "1.5"}, "0 to 3"),
    ({"rating_lighting": 4}, "0 to 3"),
    ({"ratings": {"people": -1}}, "0 to 3"),
    ({"text": "x" * 100_000}, "at most 2000"),
    ({"location_source": "guess"}, "gps, exif, map or landmark"),
    ({"uuid": "not-a-uuid"}, "UUID"),
    ({"observed_at": "yesterday"}, "ISO 8601"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[str(c) [:40] for c, _ in BAD])
def test_bad_fields_are_refused_and_nothing_is_created(app, walker, change, message):
    with pytest.raises(CaptureError) as error:
        create(app, walker, payload(**change), [jpeg_bytes()])
    assert error.value.status == 400
    assert message.lower() in error.value.args[0].lower()
    assert counts() == (0, 0) and os.listdir(app.config["UPLOAD_DIR"]) == []


def test_retired_category_is_refused(app, walker, make):
    category = make.category("graffiti")
    category.retired = True
    with pytest.raises(CaptureError, match="no longer used"):
        create(app, walker, payload(category="graffiti"))


@pytest.mark.parametrize("photo, status", [
    (lambda: PDF_BYTES, 400), (truncated_jpeg, 400), (bomb_png, 400)], ids=["pdf", "truncated", "bomb"])
def test_one_bad_photo_refuses_all(app, walker, photo, status):
    with pytest.raises(CaptureError) as error:
        create(app, walker, payload(), [jpeg_bytes(), photo()])
    assert error.value.status == status and counts() == (0, 0)
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_photo_over_the_size_limit_is_413(app, walker):
    app.config["MAX_PHOTO_BYTES"] = 1000
    with pytest.raises(CaptureError) as error:
        create(app, walker, payload(), [jpeg_bytes()])
    assert error.value.status == 413 and counts() == (0, 0)


def test_database_failure_removes_written_files(app, walker, monkeypatch):
    def broken_flush(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
    monkeypatch.setattr(db.session, "flush", broken_flush)
    with pytest.raises(sa.exc.OperationalError):
        create(app, walker, payload(), [jpeg_bytes()])
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


@pytest.mark.parametrize("status", ["planned", "closed"])
def test_walk_must_be_open(app, make, status):
    participant = make.participant(walk=make.walk(status=status))
    with pytest.raises(CaptureError) as error:
        service.create_observation(participant.walk, participant, payload(), [], app.config)
    assert error.value.status == 403 and counts() == (0, 0)


def test_join_stores_only_the_token_hash(make):
    walk = make.walk()
    participant, token = service.join_walk(walk, display_name=" Ada ", role="police", consent=True)
    assert participant.token_hash != token and len(token) >= 32
    assert participant.display_name == "Ada"
    assert service.participant_for_token(walk, token) is participant
    assert service.participant_for_token(walk, token + "x") is None


@pytest.mark.parametrize("kwargs, field", [
    ({"consent": False}, "consent"), ({"role": "homeless"}, "role"), ({"display_name": "x" * 81}, "display_name")])
def test_join_refusals(make, kwargs, field):
    values = {"display_name": "", "role": "resident", "consent": True, **kwargs}
    with pytest.raises(CaptureError) as error:
        service.join_walk(make.walk(), **values)
    assert error.value.field == field


def test_update_and_delete_only_own(app, walker, make):
    obs = create(app, walker, payload(), [jpeg_bytes()]).observation
    other = make.participant(walk=walker[0])
    with pytest.raises(CaptureError) as error:
        service.update_observation(obs, other, {"text": "Mitt nu"})
    assert error.value.status == 403
    with pytest.raises(CaptureError):
        service.delete_observation(obs, other)
    service.update_observation(obs, walker[1], {"text": "Ny text", "safety": 3, "lat": 57.7, "lon": 11.9})
    assert (obs.text, obs.safety, obs.lat, obs.location_source) == ("Ny text", 3, 57.7, "map")
    files = service.delete_observation(obs, walker[1])
    assert len(files) == 2 and counts() == (0, 0)


def test_walk_points_have_no_names_and_skip_hidden(app, walker):
    shown = create(app, walker, payload()).observation
    hidden = create(app, walker, payload()).observation
    hidden.hidden = True
    points = service.walk_points(walker[0], walker[1])
    assert [p["uuid"] for p in points] == [shown.uuid]
    assert set(points[0]) == {"uuid", "lat", "lon", "category", "name", "icon", "color", "safety", "mine"}
    assert points[0]["mine"] is True


def test_track_points_are_stored_and_checked(app, walker):
    walk, participant = walker
    stored = service.record_track(walk, participant, [{"lat": 57.72, "lon": 11.95, "accuracy": 5},
                                                      {"lat": 57.7202, "lon": 11.9502}])
    assert stored == 2 and participant.track_enabled
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrackPoint)) == 2
    with pytest.raises(CaptureError):
        service.record_track(walk, participant, [{"lat": 95, "lon": 11}])
