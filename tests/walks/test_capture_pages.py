"""The walker's pages: start with a code, join (cookie, consent, roles in Swedish), planned and closed
walks, the capture screen, the own list with edit and delete, Leaflet served by the app."""
from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from flask import g

from tests.conftest import csrf_token_from
from walks.capture import service
from walks.extensions import db
from walks.models import Observation, Participant, hash_token

from .capture_samples import jpeg_bytes, payload


def participants():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Participant))


def join(client, walk, **fields):
    g.pop("csrf_token", None)
    page = client.get(f"/j/{walk.join_code}")
    data = {"csrf_token": csrf_token_from(page.get_data(True)), "display_name": "", "role": "resident",
            "consent": "y", **fields}
    return client.post(f"/j/{walk.join_code}", data=data)


def test_start_page_redirects_to_the_walk(client, make):
    walk = make.walk()
    assert client.get("/join").status_code == 200
    typed = walk.join_code.lower()[:4] + "-" + walk.join_code.lower()[4:]
    response = client.get(f"/join?code={typed}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/j/{walk.join_code}")


def test_start_page_unknown_code(client):
    response = client.get("/join?code=NOPE99")
    assert response.status_code == 404 and "Det finns ingen vandring" in response.get_data(True)


def test_join_page_shows_walk_area_roles_in_swedish_and_privacy(client, make):
    walk = make.walk(meeting_point="Vid torget")
    page = client.get(f"/j/{walk.join_code}").get_data(True)
    assert walk.title in page and walk.area.name in page and "Vid torget" in page
    for role in ("Boende", "Personal", "Polis", "Fastighetsägare", "Näringsidkare", "Politiker", "Annan"):
        assert role in page
    assert "Beskriv platser, inte människor" in page


def test_join_sets_httponly_cookie_with_token_whose_hash_is_stored(client, make):
    walk = make.walk()
    response = join(client, walk, display_name="Eva", role="property_owner")
    assert response.status_code == 302 and response.headers["Location"].endswith("/capture")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    token = re.search(rf"tvp_{walk.id}=([^;]+)", cookie).group(1)
    participant = db.session.scalar(sa.select(Participant))
    assert participant.token_hash == hash_token(token) and token not in participant.token_hash
    assert (participant.display_name, participant.role) == ("Eva", "property_owner")


def test_second_visit_continues_as_the_same_participant(client, make):
    walk = make.walk()
    join(client, walk)
    again = client.get(f"/j/{walk.join_code}")
    assert again.status_code == 302 and again.headers["Location"].endswith("/capture")
    assert participants() == 1


def test_join_without_consent_is_refused(client, make):
    walk = make.walk()
    response = join(client, walk, consent="")
    assert response.status_code == 400 and "Kryssa i rutan" in response.get_data(True)
    assert participants() == 0


def test_join_with_unknown_role_is_refused(client, make):
    response = join(client, make.walk(), role="homeless")
    assert response.status_code == 400 and participants() == 0


def test_join_without_csrf_is_refused(client, make):
    walk = make.walk()
    response = client.post(f"/j/{walk.join_code}", data={"role": "resident", "consent": "y"})
    assert response.status_code == 400 and participants() == 0


def test_unknown_code_is_404(client):
    response = client.get("/j/NOPE1234")
    assert response.status_code == 404 and "NOPE1234" in response.get_data(True)


def test_planned_walk_says_when_it_opens(client, make):
    walk = make.walk(status="planned")
    page = client.get(f"/j/{walk.join_code}").get_data(True)
    assert "Vandringen har inte börjat än" in page and "Den öppnar" in page
    assert 'name="consent"' not in page


def test_closed_walk_says_closed_and_refuses_joining(client, make):
    walk = make.walk(status="closed")
    page = client.get(f"/j/{walk.join_code}").get_data(True)
    assert "Vandringen är stängd" in page and 'name="consent"' not in page
    g.pop("csrf_token", None)
    token = csrf_token_from(client.get("/join").get_data(True))
    response = client.post(f"/j/{walk.join_code}", data={"csrf_token": token, "role": "resident", "consent": "y"})
    assert response.status_code == 403 and participants() == 0


def test_capture_screen(client, make):
    walk = make.walk()
    assert client.get(f"/j/{walk.join_code}/capture").status_code == 302  # not joined yet
    join(client, walk)
    page = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    assert 'accept="image/*"' in page and 'capture="environment"' in page and "multiple" in page
    assert "Belysning" in page and "Rent och snyggt" in page and "💡" in page
    for label in ("Mycket otryggt", "Otryggt", "Ganska tryggt", "Tryggt"):
        assert label in page
    assert "/maps/assets/leaflet/leaflet.js?v=" in page and "js/capture.js" in page
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_leaflet_is_served_locally(client):
    with client.get("/maps/assets/leaflet/leaflet.js") as response:
        assert response.status_code == 200 and b"Leaflet" in response.data
    with client.get("/maps/assets/leaflet/images/marker-icon.png") as response:
        assert response.status_code == 200
    assert client.get("/maps/assets/leaflet/../../../etc/passwd").status_code == 404


@pytest.fixture
def joined(app, client, make):
    walk = make.walk()
    join(client, walk)
    participant = db.session.scalar(sa.select(Participant).where(Participant.walk_id == walk.id))
    obs = service.create_observation(walk, participant, payload(text="Min lampa"), [jpeg_bytes()],
                                     app.config).observation
    db.session.commit()
    return walk, participant, obs


def test_mine_lists_own_with_thumbnail(client, make, joined):
    walk, _, obs = joined
    other = make.participant(walk=walk)
    db.session.add(Observation(uuid="00000000-0000-4000-8000-000000000001", walk=walk, area=walk.area,
                               participant=other, category=obs.category, lat=57.72, lon=11.95, safety=2,
                               text="Någon annans"))
    db.session.commit()
    page = client.get(f"/j/{walk.join_code}/mine").get_data(True)
    assert "Min lampa" in page and "Någon annans" not in page
    assert obs.photos[0].thumb_filename in page and "capture-walk-map" in page


def test_edit_own_observation(client, joined):
    walk, _, obs = joined
    url = f"/j/{walk.join_code}/mine/{obs.uuid}/edit"
    token = csrf_token_from(client.get(url).get_data(True))
    response = client.post(url, data={"csrf_token": token, "category": "litter", "text": "Skräp", "safety": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    obs = db.session.get(Observation, obs.id)
    assert (obs.category.code, obs.text, obs.safety) == ("litter", "Skräp", 2)


def test_delete_own_observation_removes_files(app, client, joined):
    walk, _, obs = joined
    page = client.get(f"/j/{walk.join_code}/mine").get_data(True)
    response = client.post(f"/j/{walk.join_code}/mine/{obs.uuid}/delete", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 0
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_cannot_edit_or_delete_anothers(app, make, joined):
    walk, _, obs = joined
    intruder = app.test_client()
    join(intruder, walk)
    edit = intruder.get(f"/j/{walk.join_code}/mine/{obs.uuid}/edit")
    assert edit.status_code == 404  # another walker's observation is not theirs to see
    page = intruder.get(f"/j/{walk.join_code}/mine").get_data(True)
    response = intruder.post(f"/j/{walk.join_code}/mine/{obs.uuid}/delete", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 1


def test_no_edit_after_the_walk_closed(client, joined):
    walk, _, obs = joined
    walk.status = "closed"
    db.session.commit()
    assert client.get(f"/j/{walk.join_code}/mine/{obs.uuid}/edit").status_code == 403
    page = client.get(f"/j/{walk.join_code}/mine").get_data(True)
    assert "Min lampa" in page and "/edit" not in page
