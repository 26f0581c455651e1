"""Walkers' reach (issue 13, items 3 and 4): own observations until they are passed on, the walk's
points only for its participants while it is open, photos only after the access check, signed links."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from walks.capture import links, service
from walks.extensions import db
from walks.models import Observation, Participant, utcnow
from walks.observations import set_status

from .capture_samples import jpeg_bytes, payload
from .test_capture_pages import join


@pytest.fixture
def joined(app, client, make):
    """A walker (the `client`) with one observation with a photo, on an open walk."""
    walk = make.walk()
    join(client, walk)
    participant = db.session.scalar(sa.select(Participant).where(Participant.walk_id == walk.id))
    obs = service.create_observation(walk, participant, payload(text="Min lampa"), [jpeg_bytes()],
                                     app.config).observation
    db.session.commit()
    return walk, participant, obs


def _sent(make, obs, organization_name="Trafikkontoret"):
    report = make.fault_report([obs], status="sent", organization=make.organization(name=organization_name))
    set_status(obs, "sent")
    db.session.commit()
    return report


def _in_action(make, obs):
    action = make.action([obs], title="Ny belysning i tunneln",
                         organization=make.organization(name="Park- och naturförvaltningen"))
    set_status(obs, "action_linked")
    db.session.commit()
    return action


@pytest.mark.parametrize("pass_on, who", [(_sent, "Trafikkontoret"), (_in_action, "Park- och naturförvaltningen")])
def test_a_passed_on_observation_is_locked_and_the_list_says_with_whom(client, make, joined, pass_on, who):
    walk, _, obs = joined
    pass_on(make, obs)
    page = client.get(f"/j/{walk.join_code}/mine").get_data(True)
    assert who in page and f"/mine/{obs.uuid}/edit" not in page and f"/mine/{obs.uuid}/delete" not in page
    edit = client.get(f"/j/{walk.join_code}/mine/{obs.uuid}/edit")
    assert edit.status_code == 409 and who in edit.get_data(True)
    posted = client.post(f"/j/{walk.join_code}/mine/{obs.uuid}/delete", data={"csrf_token": csrf_token_from(page)})
    assert posted.status_code == 409
    api = client.patch(f"/api/observations/{obs.uuid}", json={"text": "Ändrad"},
                       headers={"X-CSRFToken": csrf_token_from(page)})
    assert api.status_code == 409 and who in api.json["error"]
    db.session.expire_all()
    assert db.session.get(Observation, obs.id).text == "Min lampa"


def test_a_draft_report_does_not_lock(client, make, joined):
    walk, _, obs = joined
    make.fault_report([obs])
    db.session.commit()
    assert client.get(f"/j/{walk.join_code}/mine/{obs.uuid}/edit").status_code == 200


def test_points_only_for_the_walks_participants_while_open(app, client, make, joined):
    walk, _, obs = joined
    url = f"/api/walks/{walk.join_code}/points"
    assert [p["uuid"] for p in client.get(url).json["points"]] == [obs.uuid]
    stranger = app.test_client()
    assert stranger.get(url).status_code == 403
    other_walker = app.test_client()
    join(other_walker, make.walk())
    assert other_walker.get(url).status_code == 403
    walk.status = "closed"
    db.session.commit()
    closed = client.get(url)
    assert closed.status_code == 403 and "points" not in closed.json


def status(who, url) -> int:
    """The status of a GET, with the response closed (a served file is an open file)."""
    with who.get(url) as response:
        return response.status_code


def _photo_urls(obs):
    photo = obs.photos[0]
    return f"/photos/{photo.filename}", f"/photos/{photo.thumb_filename}"


def test_photos_for_the_walker_and_the_walk_while_open(app, client, make, joined):
    walk, _, obs = joined
    full, thumb = _photo_urls(obs)
    for url in (full, thumb):
        with client.get(url) as response:
            assert response.status_code == 200 and response.mimetype == "image/jpeg"
            cache = response.headers["Cache-Control"]
            assert "private" in cache and "public" not in cache
    fellow = app.test_client()
    join(fellow, walk)
    assert status(fellow, full) == 200
    assert status(app.test_client(), full) == 404  # anonymous
    other_walker = app.test_client()
    join(other_walker, make.walk())
    assert status(other_walker, full) == 404
    walk.status = "closed"
    db.session.commit()
    assert status(fellow, full) == 404
    assert status(client, full) == 200  # the walker who took it still sees it


def test_a_hidden_observations_photo_is_no_longer_served_to_walkers(app, client, joined):
    walk, _, obs = joined
    fellow = app.test_client()
    join(fellow, walk)
    obs.hidden = True
    db.session.commit()
    full, thumb = _photo_urls(obs)
    for who in (client, fellow):
        assert status(who, full) == 404 and status(who, thumb) == 404


@pytest.mark.parametrize("role, in_area, expected", [
    ("coordinator", True, 200), ("viewer", True, 200), ("coordinator", False, 404), ("viewer", False, 404)])
def test_photos_for_staff_of_the_area(app, make, joined, role, in_area, expected):
    walk, _, obs = joined
    obs.hidden = True  # staff see hidden observations' photos; walkers do not
    user = make.user(role=role, areas=[walk.area] if in_area else [make.area()])
    db.session.commit()
    staff = app.test_client()
    page = staff.get("/login")
    staff.post("/login", data={"email": user.email, "password": "correct horse battery",
                               "csrf_token": csrf_token_from(page.get_data(True))})
    assert status(staff, _photo_urls(obs)[0]) == expected


def test_signed_link_serves_the_photo_until_it_expires(app, joined):
    _, _, obs = joined
    photo = obs.photos[0]
    anyone = app.test_client()
    with app.test_request_context():
        url = links.photo_link(photo)
        thumb = links.photo_link(photo, thumbnail=True)
        expired = links.photo_token(photo.filename, dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1))
    assert url.startswith("http") and photo.filename not in url
    with anyone.get(url) as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert "private" in response.headers["Cache-Control"]
    assert status(anyone, thumb) == 200
    assert status(anyone, f"/photos/signed/{expired}") == 404
    token = url.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert status(anyone, f"/photos/signed/{tampered}") == 404
    obs.hidden = True
    db.session.commit()
    assert status(anyone, url) == 404


def test_a_link_signed_with_another_key_is_refused(app, joined):
    _, _, obs = joined
    filename = obs.photos[0].filename
    with app.test_request_context():
        token = links.photo_token(filename, utcnow().replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1))
        assert links.photo_filename(token) == filename
        app.config["SECRET_KEY"] = "another key"
        assert links.photo_filename(token) is None
