"""Coordinator review: filters, detail, edit, hide/unhide with audit, merge duplicates."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import g

from tests.conftest import csrf_token_from
from walks.capture import service as capture
from walks.extensions import db
from walks.models import AuditEvent, Observation, Photo
from walks.review import service

from .capture_samples import jpeg_bytes, payload


def observe(app, participant, photos=(), **changes):
    result = capture.create_observation(participant.walk, participant, payload(**changes), list(photos), app.config)
    db.session.commit()
    return result.observation


@pytest.fixture
def walk(make):
    return make.walk()


@pytest.fixture
def editor(login):
    g.pop("csrf_token", None)
    return login()


def token(client, url):
    return csrf_token_from(client.get(url).get_data(True))


def test_review_needs_login(client, walk):
    response = client.get(f"/walks/{walk.id}/observations")
    assert response.status_code in (302, 401)


def test_table_with_thumbnails_and_filters(app, client, make, walk, editor):
    police = make.participant(walk=walk, role="police")
    resident = make.participant(walk=walk, role="resident")
    lamp = observe(app, police, [jpeg_bytes()], category="lighting", safety=0, text="Släckt lampa")
    observe(app, resident, category="litter", safety=2, text="Skräp vid busshållplatsen")
    page = client.get(f"/walks/{walk.id}/observations").get_data(True)
    assert "Släckt lampa" in page and "Skräp vid" in page
    assert lamp.photos[0].thumb_filename in page
    for query, shown, not_shown in [
        ("category=lighting", "Släckt lampa", "Skräp vid"),
        ("theme=clean", "Skräp vid", "Släckt lampa"),
        ("safety=0", "Släckt lampa", "Skräp vid"),
        ("role=resident", "Skräp vid", "Släckt lampa"),
        ("status=new&category=litter", "Skräp vid", "Släckt lampa"),
    ]:
        page = client.get(f"/walks/{walk.id}/observations?{query}").get_data(True)
        assert shown in page and not_shown not in page, query


def test_unknown_walk_and_observation_are_404(client, editor):
    assert client.get("/walks/999/observations").status_code == 404
    assert client.get("/observations/999").status_code == 404


def test_detail_shows_sweref_and_photo(app, client, make, walk, editor):
    obs = observe(app, make.participant(walk=walk), [jpeg_bytes()])
    page = client.get(f"/observations/{obs.id}").get_data(True)
    assert "SWEREF 99 TM" in page and obs.photos[0].filename in page


def test_edit_category_text_position_is_audited(app, client, make, walk, editor):
    obs = observe(app, make.participant(walk=walk))
    url = f"/observations/{obs.id}"
    response = client.post(url + "/edit", data={"csrf_token": token(client, url), "category": "vegetation",
                                                "text": "Buskage skymmer", "lat": "57.72", "lon": "11.95"})
    assert response.status_code == 302
    db.session.expire_all()
    obs = db.session.get(Observation, obs.id)
    assert (obs.category.code, obs.text, obs.lat, obs.location_source) == ("vegetation", "Buskage skymmer", 57.72, "map")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "edit"))
    assert event.user_id == editor.id and set(event.details["changes"]) == {"category", "text", "position"}


@pytest.mark.parametrize("field, value", [("lat", "91"), ("lon", "abc"), ("category", "nope"), ("text", "x" * 2001)])
def test_bad_edit_changes_nothing(app, client, make, walk, editor, field, value):
    obs = observe(app, make.participant(walk=walk))
    url = f"/observations/{obs.id}"
    data = {"csrf_token": token(client, url), "category": "lighting", "text": "Ny", "lat": "57.7", "lon": "11.9"}
    data[field] = value
    response = client.post(url + "/edit", data=data)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Observation, obs.id).text == payload()["text"]


def test_viewer_cannot_change(app, client, make, walk, login):
    g.pop("csrf_token", None)
    login(make.user(role="viewer", areas=[walk.area]))
    obs = observe(app, make.participant(walk=walk))
    url = f"/observations/{obs.id}"
    assert client.get(url).status_code == 200
    response = client.post(url + "/hide", data={"csrf_token": token(client, url), "reason": "x"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(Observation, obs.id).hidden


def test_hide_and_unhide(app, client, make, walk, editor):
    obs = observe(app, make.participant(walk=walk), text="Gäller en person")
    url = f"/observations/{obs.id}"
    client.post(url + "/hide", data={"csrf_token": token(client, url), "reason": "Beskriver en person"})
    db.session.expire_all()
    obs = db.session.get(Observation, obs.id)
    assert obs.hidden and obs.hidden_by_id == editor.id and obs.hidden_at and obs.hidden_reason == "Beskriver en person"
    listing = client.get(f"/walks/{walk.id}/observations").get_data(True)
    assert "Gäller en person" not in listing
    assert "Gäller en person" in client.get(f"/walks/{walk.id}/observations?show_hidden=1").get_data(True)
    client.post(url + "/unhide", data={"csrf_token": token(client, url)})
    db.session.expire_all()
    assert not db.session.get(Observation, obs.id).hidden
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["hide", "unhide"]


def test_hide_without_csrf_is_refused(app, client, make, walk, editor):
    obs = observe(app, make.participant(walk=walk))
    response = client.post(f"/observations/{obs.id}/hide", data={"reason": "x"})
    assert response.status_code == 400
    db.session.expire_all()
    assert not db.session.get(Observation, obs.id).hidden


def test_merge_moves_photos_and_keeps_ratings(app, client, make, walk, editor):
    shared, own = jpeg_bytes(), jpeg_bytes(size=(500, 300))
    first = observe(app, make.participant(walk=walk), [shared], safety=0)
    second = observe(app, make.participant(walk=walk), [shared, own], safety=1)
    assert len(os.listdir(app.config["UPLOAD_DIR"])) == 6
    url = f"/observations/{first.id}"
    response = client.post(url + "/merge", data={"csrf_token": token(client, url), "other": second.id})
    assert response.status_code == 302, response.get_data(True)
    db.session.expire_all()
    survivor, duplicate = db.session.get(Observation, first.id), db.session.get(Observation, second.id)
    assert len(survivor.photos) == 2 and duplicate.photos == []
    assert duplicate.merged_into_id == survivor.id and duplicate.hidden and duplicate.status == "dismissed"
    assert (survivor.safety, duplicate.safety) == (0, 1)
    # The duplicate's copy of the shared photo is gone, files and row alike.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 2
    assert len(os.listdir(app.config["UPLOAD_DIR"])) == 4
    assert {"merge", "merged_into"} <= set(db.session.scalars(sa.select(AuditEvent.action)))


def test_merge_refusals(app, make, walk):
    user = make.user()
    a = observe(app, make.participant(walk=walk))
    b = observe(app, make.participant(walk=walk))
    elsewhere = observe(app, make.participant())
    with pytest.raises(service.ReviewError):
        service.merge(a, a, user, app.config["UPLOAD_DIR"])
    with pytest.raises(service.ReviewError):
        service.merge(a, elsewhere, user, app.config["UPLOAD_DIR"])
    service.merge(a, b, user, app.config["UPLOAD_DIR"])
    with pytest.raises(service.ReviewError):
        service.merge(b, a, user, app.config["UPLOAD_DIR"])
    with pytest.raises(service.ReviewError):
        service.unhide(b, user)


def test_merge_dismisses_through_the_lifecycle_and_is_audited(app, make, walk):
    user = make.user()
    a = observe(app, make.participant(walk=walk))
    b = observe(app, make.participant(walk=walk))
    service.merge(a, b, user, app.config["UPLOAD_DIR"])
    assert (a.status, b.status) == ("new", "dismissed")
    status_events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "status")).all()
    assert [(e.object_id, e.details["after"], e.details["event"]) for e in status_events] == \
        [(b.id, "dismissed", "dismissed")]


def test_merge_candidates_are_visible_ones_nearest_first(app, make, walk):
    here = observe(app, make.participant(walk=walk), lat=57.7215, lon=11.9525)
    far = observe(app, make.participant(walk=walk), lat=57.7235, lon=11.9560)
    near = observe(app, make.participant(walk=walk), lat=57.7216, lon=11.9526)
    hidden = observe(app, make.participant(walk=walk), lat=57.7215, lon=11.9525)
    hidden.hidden = True
    observe(app, make.participant(), lat=57.7215, lon=11.9525)  # another walk
    candidates = service.merge_candidates(here)
    assert [o for o, _metres in candidates] == [near, far]
    assert round(candidates[0][1]) == 13 and round(candidates[1][1]) == 304


def test_merge_offers_candidates_with_thumbnail_distance_and_time(app, client, make, walk, editor):
    here = observe(app, make.participant(walk=walk), lat=57.7215, lon=11.9525, text="Här")
    near = observe(app, make.participant(walk=walk), [jpeg_bytes()], lat=57.7216, lon=11.9526, text="Nära")
    far = observe(app, make.participant(walk=walk), lat=57.7235, lon=11.9560, text="Långt bort")
    client.set_cookie("lang", "en")
    page = client.get(f"/observations/{here.id}").get_data(True)
    assert page.index("Nära") < page.index("Långt bort")
    assert near.photos[0].thumb_filename in page
    assert "13 m away" in page and "304 m away" in page
    assert f'value="{far.id}"' in page and f'value="{here.id}"' not in page


def test_merge_without_a_choice_is_refused_next_to_the_list(app, client, make, walk, editor):
    first = observe(app, make.participant(walk=walk))
    observe(app, make.participant(walk=walk))
    url = f"/observations/{first.id}"
    client.set_cookie("lang", "en")
    response = client.post(url + "/merge", data={"csrf_token": token(client, url)})
    assert response.status_code == 400 and "Choose the duplicate." in response.get_data(True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)
                             .where(Observation.merged_into_id.is_not(None))) == 0


def test_merging_an_observation_of_another_walk_is_refused(app, client, make, walk, editor):
    first = observe(app, make.participant(walk=walk))
    elsewhere = observe(app, make.participant())
    url = f"/observations/{first.id}"
    response = client.post(url + "/merge", data={"csrf_token": token(client, url), "other": elsewhere.id})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Observation, elsewhere.id).merged_into_id is None


def test_unhiding_a_merged_observation_is_refused_with_a_message(app, client, make, walk, editor):
    first = observe(app, make.participant(walk=walk))
    second = observe(app, make.participant(walk=walk))
    service.merge(first, second, editor, app.config["UPLOAD_DIR"])
    db.session.commit()
    url = f"/observations/{second.id}"
    client.set_cookie("lang", "en")
    response = client.post(url + "/unhide", data={"csrf_token": token(client, url)})
    assert response.status_code == 409 and "stays hidden" in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Observation, second.id).hidden


def test_hide_with_a_too_long_reason_is_refused_next_to_the_field(app, client, make, walk, editor):
    obs = observe(app, make.participant(walk=walk))
    url = f"/observations/{obs.id}"
    response = client.post(url + "/hide", data={"csrf_token": token(client, url), "reason": "x" * 301})
    assert response.status_code == 400 and 'id="reason-error"' in response.get_data(True)
    db.session.expire_all()
    assert not db.session.get(Observation, obs.id).hidden


def test_a_coordinator_of_another_area_finds_nothing(app, client, make, walk, login):
    g.pop("csrf_token", None)
    login(make.user(role="coordinator", areas=[make.area()]))
    obs = observe(app, make.participant(walk=walk))
    other = observe(app, make.participant(walk=walk))
    assert client.get(f"/walks/{walk.id}/observations").status_code == 404
    assert client.get(f"/observations/{obs.id}").status_code == 404
    csrf = token(client, "/areas")
    for action, data in (("hide", {"reason": "x"}), ("unhide", {}), ("merge", {"other": other.id}),
                         ("edit", {"category": "litter", "text": "x", "lat": 57.72, "lon": 11.95})):
        response = client.post(f"/observations/{obs.id}/{action}", data={"csrf_token": csrf, **data})
        assert response.status_code == 404, action
    db.session.expire_all()
    obs = db.session.get(Observation, obs.id)
    assert not obs.hidden and obs.merged_into_id is None and obs.text != "x"


@pytest.mark.parametrize("role, sees_name", [("coordinator", True), ("viewer", False)])
def test_walkers_names_only_for_coordinators_of_the_area(app, client, make, walk, login, role, sees_name):
    g.pop("csrf_token", None)
    login(make.user(role=role, areas=[walk.area]))
    obs = observe(app, make.participant(walk=walk, display_name="Vandrare Vera"))
    page = client.get(f"/observations/{obs.id}").get_data(True)
    assert ("Vandrare Vera" in page) is sees_name
