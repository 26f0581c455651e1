"""The public page of a walk and an area ("Vad hände sedan?"): published by a coordinator, 404 before."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import csrf_token_from
from tests.walks.test_reports_routes import add_photo
from walks.extensions import db
from walks.models import Walk, utcnow
from walks.observations import set_status


@pytest.fixture
def walk(app, make):
    area = make.area(name="Hjalmar Brantingsplatsen")
    walk = make.walk(area=area, title="Kvällsvandring")
    walker = make.participant(walk=walk, display_name="Kerstin Hemlig")
    lamp = make.observation(walk=walk, participant=walker, lat=57.721534, lon=11.952468,
                            text="Min granne Kerstin ser inget här")
    city = make.organization(name="Park- och naturförvaltningen")
    report = make.fault_report([lamp], status="sent", organization=city, sent_at=utcnow())
    report.items[0].external_id = "PNF-77"
    report.items[0].recipient_notes = "Beställt nytt armatur."
    set_status(lamp, "sent")
    make.action([lamp], title="Belys gångtunneln", organization=city, due_date=dt.date(2027, 3, 1),
                outcome="Halva tunneln klar")
    make.observation(walk=walk, hidden=True, category=make.category("litter"), text="dold")
    db.session.commit()
    return walk


def publish(client, url, action="publish"):
    page = client.get("/areas")
    return client.post(f"{url}/public/{action}", data={"csrf_token": csrf_token_from(page.get_data(True))})


def test_unpublished_pages_are_404_for_anyone_without_an_account(client, walk):
    assert client.get(f"/p/walks/{walk.id}").status_code == 404
    assert client.get(f"/p/areas/{walk.area_id}").status_code == 404


def test_a_coordinator_publishes_and_then_anyone_sees_it(app, client, login, walk):
    login()
    assert client.get(f"/p/walks/{walk.id}").status_code == 200  # staff preview
    response = publish(client, f"/walks/{walk.id}")
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/areas").get_data(True))})
    db.session.expire_all()
    assert db.session.get(Walk, walk.id).published_at is not None
    client.set_cookie("lang", "en")
    page = client.get(f"/p/walks/{walk.id}")
    html = page.get_data(True)
    assert page.status_code == 200
    assert "Park- och naturförvaltningen" in html and "PNF-77" in html and "Beställt nytt armatur." in html
    assert "Belys gångtunneln" in html and "Halva tunneln klar" in html and "1 March 2027" in html


def test_the_public_page_rounds_positions_and_shows_no_names_or_walkers_words(client, walk):
    walk.published_at = utcnow()
    db.session.commit()
    html = client.get(f"/p/walks/{walk.id}").get_data(True)
    assert "57.722, 11.952" in html and "57.721534" not in html
    assert "Kerstin" not in html  # neither the walker's name nor their own text
    assert "dold" not in html  # nor hidden points


def test_only_photos_marked_publishable_are_shown(app, client, login, make, walk):
    walk.published_at = utcnow()
    lamp = walk.observations[0]
    photo = add_photo(app, lamp)
    db.session.commit()
    assert photo.thumb_filename not in client.get(f"/p/walks/{walk.id}").get_data(True)
    login()
    publish(client, f"/photos/{photo.id}")
    assert photo.thumb_filename in client.get(f"/p/walks/{walk.id}").get_data(True)


def test_withdrawn_is_404_again(client, login, walk):
    walk.published_at = utcnow()
    db.session.commit()
    login()
    publish(client, f"/walks/{walk.id}", "withdraw")
    db.session.expire_all()
    assert db.session.get(Walk, walk.id).published_at is None


def test_the_area_page_has_figures_actions_and_the_before_after_comparison(app, client, make, walk):
    earlier = make.walk(area=walk.area, title="Förra året", starts_at=walk.starts_at - dt.timedelta(days=365))
    make.observation(walk=earlier, safety=0)
    walk.area.published_at = utcnow()
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(f"/p/areas/{walk.area_id}").get_data(True)
    assert "Belys gångtunneln" in html and "Before and after" in html and "Förra året" in html


@pytest.mark.parametrize("url", ["/walks/{walk}/public/publish", "/areas/{area}/public/publish"])
def test_a_viewer_cannot_publish(client, login, make, walk, url):
    viewer = make.user(role="viewer", areas=[walk.area])
    login(viewer)
    token = csrf_token_from(client.get("/areas").get_data(True))
    response = client.post(url.format(walk=walk.id, area=walk.area_id), data={"csrf_token": token})
    assert response.status_code == 403
    assert walk.published_at is None


def test_an_unknown_publish_action_is_404(client, login, walk):
    login()
    assert publish(client, f"/walks/{walk.id}", "shout").status_code == 404


def test_the_poster_has_a_qr_code_to_the_public_page(client, login, walk):
    login()
    html = client.get(f"/walks/{walk.id}/poster").get_data(True)
    assert f"/p/walks/{walk.id}/qr.svg" in html
    svg = client.get(f"/p/walks/{walk.id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_the_page_is_printable(client, walk):
    walk.published_at = utcnow()
    db.session.commit()
    html = client.get(f"/p/walks/{walk.id}").get_data(True)
    assert "css/public.css" in html and "data-print" in html
    response = client.get("/static/css/public.css")
    assert "@media print" in response.get_data(True)
    response.close()


@pytest.mark.parametrize("path", ["/p/walks/{walk}.json", "/p/areas/{area}.json"])
def test_the_machine_twin_has_the_same_public_facts_and_is_404_before_publishing(client, walk, path):
    url = path.format(walk=walk.id, area=walk.area_id)
    assert client.get(url).status_code == 404
    walk.published_at = walk.area.published_at = utcnow()
    db.session.commit()
    data = client.get(url).get_json()
    (point,) = data["points"]
    assert (point["lat"], point["lon"], point["status"], point["reference"]) == (57.722, 11.952, "sent", "PNF-77")
    assert point["recipient"] == "Park- och naturförvaltningen" and "Kerstin" not in str(data)
    assert data["actions"][0]["due"] == "2027-03-01"


def test_the_walk_and_area_pages_carry_the_publish_button(client, login, walk):
    login()
    client.set_cookie("lang", "en")
    assert "Publish the public page" in client.get(f"/walks/{walk.id}/manage").get_data(True)
    assert "Publish the public page" in client.get(f"/areas/{walk.area_id}").get_data(True)
    publish(client, f"/walks/{walk.id}")
    page = client.get(f"/walks/{walk.id}/manage").get_data(True)
    assert "Withdraw the public page" in page and f"/p/walks/{walk.id}" in page
