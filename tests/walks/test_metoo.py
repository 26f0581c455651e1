""""Me too": nearby open points for the walk's participants, seconding one offline-safe, and the counts."""
from __future__ import annotations

import email
import email.policy

import pytest
import sqlalchemy as sa

from walks.extensions import db
from walks.models import Observation
from walks.reports import service as reports

from .capture_samples import payload
from .test_capture_api import join, post_json
from .test_reports_sending import free_port, send, smtp  # noqa: F401

NORTH_1M = 1 / 111_320  # one metre north, in degrees


def near(metres: float) -> tuple[float, float]:
    return 57.7215 + metres * NORTH_1M, 11.9525


def nearby(client, walk, metres=0.0, **args):
    lat, lon = near(metres)
    return client.get(f"/api/walks/{walk.join_code}/nearby", query_string={"lat": lat, "lon": lon, **args})


@pytest.fixture
def walk(make):
    return make.walk()


@pytest.fixture
def headers(client, walk):
    return join(client, walk)


def point(make, walk, metres, **overrides):
    lat, lon = near(metres)
    observation = make.observation(walk=walk, area=walk.area, lat=lat, lon=lon, **overrides)
    db.session.commit()  # a refused request rolls the session back
    return observation


def test_nearby_lists_open_points_within_their_categorys_radius_without_names(app, client, make, walk, headers):
    eva = make.participant(walk=walk, display_name="Eva")
    lamp = point(make, walk, 10, text="Namn Namnsson såg detta", participant=eva)
    other_walk = point(make, make.walk(area=walk.area), 20)  # the area's open points count too
    point(make, walk, 45)  # beyond the 30 m default
    point(make, walk, 5, hidden=True)
    point(make, walk, 5, status="resolved")
    point(make, make.walk(), 3)  # another area
    answer = nearby(client, walk)
    assert answer.status_code == 200
    assert [p["uuid"] for p in answer.json["points"]] == [lamp.uuid, other_walk.uuid]
    first = answer.json["points"][0]
    assert first["distance_m"] == 10 and first["metoo"] == 0 and first["category"] == "lighting"
    assert "Eva" not in answer.get_data(True) and "Namnsson" not in answer.get_data(True)
    lamp.category.metoo_radius_m = 60
    db.session.commit()
    assert len(nearby(client, walk).json["points"]) == 3


def test_own_points_are_not_offered(client, make, walk, headers):
    assert post_json(client, walk, headers, payload()).status_code == 201
    assert nearby(client, walk).json["points"] == []


@pytest.mark.parametrize("args, status", [({"lat": "north"}, 400), ({"lat": "91"}, 400), ({"lon": ""}, 400)])
def test_nearby_with_a_bad_position_is_400(client, walk, headers, args, status):
    answer = nearby(client, walk, **args)
    assert answer.status_code == status and answer.json["error"]


def test_nearby_is_for_the_walks_participants_while_it_is_open(app, make, walk):
    point(make, walk, 5)
    stranger = app.test_client()
    assert nearby(stranger, walk).status_code == 403
    assert nearby(stranger, walk, lat="north").status_code == 403  # access before the input
    participant_client = app.test_client()
    join(participant_client, walk)
    walk.status = "closed"
    db.session.commit()
    assert nearby(participant_client, walk).status_code == 403


def test_me_too_seconds_the_point_once_even_when_sent_twice(client, make, walk, headers):
    lamp = point(make, walk, 10)
    data = payload(category="litter", safety=0, text="Jag med", metoo_of=lamp.uuid)
    first = post_json(client, walk, headers, data)
    assert first.status_code == 201
    again = post_json(client, walk, headers, data)
    assert again.status_code == 200 and again.json["created"] is False
    seconding = db.session.scalar(sa.select(Observation).where(Observation.uuid == data["uuid"]))
    assert (seconding.source, seconding.merged_into_id, seconding.category.code, seconding.safety) == \
        ("metoo", lamp.id, "lighting", 0)
    assert nearby(client, walk).json["points"][0]["metoo"] == 1
    assert lamp.uuid in [p["uuid"] for p in client.get(f"/api/walks/{walk.join_code}/points").json["points"]]
    assert data["uuid"] not in [p["uuid"] for p in client.get(f"/api/walks/{walk.join_code}/points").json["points"]]


def test_me_too_without_a_position_takes_the_points(client, make, walk, headers):
    lamp = point(make, walk, 10)
    assert post_json(client, walk, headers, payload(lat=None, lon=None, metoo_of=lamp.uuid)).status_code == 201
    seconding = db.session.scalar(sa.select(Observation).where(Observation.source == "metoo"))
    assert (seconding.lat, seconding.lon, seconding.location_source) == (lamp.lat, lamp.lon, "map")


@pytest.mark.parametrize("gone", ["hidden", "merged", "resolved", "unknown", "other_area"])
def test_me_too_on_a_point_gone_meanwhile_is_refused_and_sent_again_as_new(client, make, walk, headers, gone):
    lamp = point(make, walk if gone != "other_area" else make.walk(), 10)
    if gone == "hidden":
        lamp.hidden = True
    elif gone == "merged":
        lamp.merged_into = point(make, walk, 12)
    elif gone == "resolved":
        lamp.status = "resolved"
    db.session.commit()
    data = payload(metoo_of=lamp.uuid if gone != "unknown" else "0c3a3c6e-5f0e-4f43-9a55-8e3a4fd0e0b1")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Observation))
    refused = post_json(client, walk, headers, data)
    assert refused.status_code == 409 and refused.json["resend_without"] == ["metoo_of"]
    assert "sparas som en ny" in refused.json["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == before
    data.pop("metoo_of")  # what capture-queue.js does with resend_without
    assert post_json(client, walk, headers, data).status_code == 201
    assert db.session.scalar(sa.select(Observation.source).where(Observation.uuid == data["uuid"])) == "walk"


def second(make, target, times):
    for _ in range(times):
        make.observation(walk=target.walk, area=target.area, source="metoo", merged_into=target, lat=target.lat,
                         lon=target.lon)
    db.session.commit()


def test_counts_show_on_the_review_table_first_and_on_the_map_popup(client, login, make, walk):
    quiet, loud = point(make, walk, 0, text="Tyst punkt"), point(make, walk, 50, text="Många röster")
    second(make, loud, 3)
    login()
    page = client.get(f"/walks/{walk.id}/observations").get_data(True)
    assert page.index("Många röster") < page.index("Tyst punkt")  # more voices: higher up
    assert "3 vandrare säger ”jag med”" in page
    facts = dict(client.get(f"/maps/observations/{loud.id}.json").json["facts"])
    assert facts["Jag med"] == "3"
    assert dict(client.get(f"/maps/observations/{quiet.id}.json").json["facts"])["Jag med"] == ""


def test_merging_a_seconded_point_moves_its_me_too(app, make, walk):
    from walks.capture import metoo
    from walks.review import service as review
    survivor, duplicate = point(make, walk, 0), point(make, walk, 5)
    second(make, duplicate, 2)
    review.merge(survivor, duplicate, make.user(), app.config["UPLOAD_DIR"])
    assert metoo.counts([survivor.id, duplicate.id]) == {survivor.id: 2}


def test_the_report_puts_the_most_seconded_item_first_and_says_so(app, client, login, smtp, make):
    area = make.area()
    walk = make.walk(area=area)
    city = make.organization(report_email="felanmalan@stad.example.se")
    reports.save_rule(area, None, category_id=make.category("lighting").id, organization_id=city.id)
    point(make, walk, 0, text="Ensam lampa")
    loud = point(make, walk, 50, text="Lampa många såg")
    second(make, loud, 2)
    (report,), _ = reports.build_drafts(walk.observations, None)
    db.session.commit()
    login()
    assert "2 vandrare till har sett detta" in client.get(f"/reports/{report.id}").get_data(True)
    send(client, report)
    message = email.message_from_bytes(smtp.envelopes[0].content, policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert body.index("Lampa många såg") < body.index("Ensam lampa")
    assert "Jag med: 2 vandrare till har sett detta" in body


def category_values(category, **changes):
    values = {name: getattr(category, name) for name in
              ("name_sv", "name_en", "theme", "color", "icon", "is_fault", "has_offensive_flag")}
    return {**values, **changes}


def test_an_admin_sets_a_categorys_radius_and_0_turns_it_off(client, make, walk, headers):
    from walks.categories import service as categories
    lamp = point(make, walk, 20)
    categories.update_category(lamp.category, category_values(lamp.category, metoo_radius_m=10), make.user())
    db.session.commit()
    assert nearby(client, walk).json["points"] == []
    categories.update_category(lamp.category, category_values(lamp.category, metoo_radius_m=0), make.user())
    db.session.commit()
    assert nearby(client, walk, 20).json["points"] == []  # even standing on it


@pytest.mark.parametrize("radius", [-1, 501, "30", 2.5, True])
def test_a_bad_radius_is_refused(make, radius):
    from walks.categories import service as categories
    lighting = make.category("lighting")
    with pytest.raises(categories.CategoryError) as refused:
        categories.update_category(lighting, category_values(lighting, metoo_radius_m=radius), make.user())
    assert refused.value.field == "metoo_radius_m"


def test_the_walker_keeps_seeing_the_photo_of_their_me_too(app, client, make, walk, headers):
    from .capture_samples import jpeg_bytes
    from .test_capture_api import post_multipart
    lamp = point(make, walk, 10)
    answer = post_multipart(client, walk, headers, payload(metoo_of=lamp.uuid), [("lampa.jpg", jpeg_bytes())])
    assert answer.status_code == 201
    photo_url = answer.json["photos"][0]["url"]
    with client.get(photo_url) as own:
        assert own.status_code == 200
    with app.test_client().get(photo_url) as stranger:  # someone who has not joined
        assert stranger.status_code == 404
