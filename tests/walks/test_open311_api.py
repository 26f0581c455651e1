"""The Open311 GeoReport v2 API: services, requests, POST with api_key, the spec's error bodies."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from walks.extensions import db
from walks.models import Observation, utcnow
from walks.open311.service import create_api_key

BASE = "/open311/v2"


@pytest.fixture
def key(app):
    value = create_api_key("stadens-app")
    db.session.commit()
    return value


def post(client, key, **overrides):
    data = {"api_key": key, "service_code": "lighting", "lat": "57.7215", "long": "11.9525",
            "description": "Lampan vid busshållplatsen är trasig"}
    data.update(overrides)
    return client.post(f"{BASE}/requests.json", data={k: v for k, v in data.items() if v is not None})


def test_discovery_lists_the_v2_endpoint(client):
    body = client.get(f"{BASE}/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ET.fromstring(client.get(f"{BASE}/discovery.xml").data)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None


def test_services_are_the_active_categories(client, make):
    make.category("litter").retired = True
    db.session.commit()
    services = client.get(f"{BASE}/services.json").get_json()
    codes = [s["service_code"] for s in services]
    assert "lighting" in codes and "litter" not in codes
    lighting = next(s for s in services if s["service_code"] == "lighting")
    assert lighting == {"service_code": "lighting", "service_name": "Belysning", "description": "Belysning",
                        "metadata": True, "type": "realtime", "keywords": "safety", "group": "Trygghet"}
    root = ET.fromstring(client.get(f"{BASE}/services.xml").data)
    assert root.tag == "services"
    first = root.find("service")
    assert {child.tag for child in first} == {"service_code", "service_name", "description", "metadata",
                                              "type", "keywords", "group"}
    assert first.findtext("metadata") == "true"


def test_service_definition_in_both_formats(client):
    body = client.get(f"{BASE}/services/lighting.json").get_json()
    assert body["service_code"] == "lighting"
    attribute = body["attributes"][0]
    assert attribute["code"] == "safety" and [v["key"] for v in attribute["values"]] == ["0", "1", "2", "3"]
    root = ET.fromstring(client.get(f"{BASE}/services/lighting.xml").data)
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "safety"
    assert len(root.findall("attributes/attribute/values/value")) == 4


def test_post_creates_an_observation_and_it_can_be_read_back(client, make, key):
    area = make.area(open311_public=True)
    db.session.commit()
    response = post(client, key, address_string="Hjalmar Brantingsgatan 1",
                    media_url="https://example.se/lampa.jpg", **{"attribute[safety]": "0"})
    assert response.status_code == 200, response.data
    (answer,) = response.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"} and "token" not in answer
    observation = db.session.get(Observation, int(answer["service_request_id"]))
    assert observation.source == "open311" and observation.walk_id is None and observation.area_id == area.id
    assert observation.safety == 0 and observation.media_url == "https://example.se/lampa.jpg"

    (read,) = client.get(f"{BASE}/requests/{answer['service_request_id']}.json").get_json()
    assert read["status"] == "open" and read["service_code"] == "lighting"
    assert read["address"] == "Hjalmar Brantingsgatan 1" and read["lat"] == pytest.approx(57.7215)
    assert read["long"] == pytest.approx(11.9525) and read["media_url"] == "https://example.se/lampa.jpg"
    requested = dt.datetime.fromisoformat(read["requested_datetime"])
    assert requested.tzinfo is not None and requested.utcoffset() == dt.timedelta(0)
    root = ET.fromstring(client.get(f"{BASE}/requests/{answer['service_request_id']}.xml").data)
    assert root.tag == "service_requests" and root.findtext("request/status") == "open"
    (by_token,) = client.get(f"{BASE}/tokens/{observation.uuid}.json").get_json()
    assert by_token["service_request_id"] == answer["service_request_id"]


def test_post_outside_every_area_and_default_safety(client, key):
    response = post(client, key, lat="59.33", long="18.06")
    observation = db.session.get(Observation, int(response.get_json()[0]["service_request_id"]))
    assert observation.area_id is None and observation.safety == 1


def test_post_answers_in_xml(client, key):
    response = client.post(f"{BASE}/requests.xml", data={
        "api_key": key, "service_code": "graffiti", "lat": "57.72", "long": "11.95"})
    root = ET.fromstring(response.data)
    assert response.status_code == 200 and root.findtext("request/service_request_id").isdigit()


def test_resolved_and_dismissed_are_closed(client, make):
    walk = make.walk(area=make.area(open311_public=True))
    open_one = make.observation(walk=walk)
    resolved = make.observation(walk=walk, status="resolved")
    dismissed = make.observation(walk=walk, status="dismissed")
    reported = make.observation(walk=walk, status="reported")
    make.observation(walk=walk, hidden=True)
    db.session.commit()
    every = {r["service_request_id"]: r["status"] for r in client.get(f"{BASE}/requests.json").get_json()}
    assert every == {str(open_one.id): "open", str(resolved.id): "closed", str(dismissed.id): "closed",
                     str(reported.id): "open"}
    closed = client.get(f"{BASE}/requests.json?status=closed").get_json()
    assert {r["service_request_id"] for r in closed} == {str(resolved.id), str(dismissed.id)}


def test_filters_dates_codes_and_id_list(client, make):
    walk = make.walk(area=make.area(open311_public=True))
    now = utcnow()
    recent = make.observation(walk=walk, observed_at=now - dt.timedelta(days=2))
    old = make.observation(walk=walk, observed_at=now - dt.timedelta(days=200),
                           category=make.category("litter"))
    db.session.commit()
    ids = lambda url: {r["service_request_id"] for r in client.get(url).get_json()}  # noqa: E731
    assert ids(f"{BASE}/requests.json") == {str(recent.id)}  # the last 90 days by default
    start = (now - dt.timedelta(days=210)).date().isoformat()
    end = (now - dt.timedelta(days=190)).date().isoformat()
    assert ids(f"{BASE}/requests.json?start_date={start}&end_date={end}") == {str(old.id)}
    assert ids(f"{BASE}/requests.json?start_date={start}") == {str(old.id)}
    assert ids(f"{BASE}/requests.json?service_code=litter") == set()
    # service_request_id overrides every other filter.
    assert ids(f"{BASE}/requests.json?service_request_id={old.id},{recent.id}&service_code=none") == \
        {str(old.id), str(recent.id)}
    stamp = (now - dt.timedelta(days=3)).replace(microsecond=0).isoformat() + "+00:00"
    assert ids(f"{BASE}/requests.json?start_date={stamp.replace('+', '%2B')}") == {str(recent.id)}


# --- bad input: the spec's error bodies ---------------------------------------------------------------

def _error(response, status):
    assert response.status_code == status, response.data
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


@pytest.mark.parametrize("overrides, status, words", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "api_key"),
    ({"service_code": "unicorns"}, 400, "service_code"),
    ({"service_code": None}, 400, "service_code"),
    ({"long": None}, 400, "tillsammans"),
    ({"lat": None}, 400, "tillsammans"),
    ({"lat": None, "long": None}, 400, "lat"),
    ({"lat": None, "long": None, "address_string": "Storgatan 1"}, 400, "lat"),
    ({"lat": "north", "long": "11.95"}, 400, ""),
    ({"lat": "95", "long": "11.95"}, 400, "90"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"attribute[safety]": "7"}, 400, "safety"),
])
def test_bad_posts_get_the_spec_error_and_create_nothing(client, key, overrides, status, words):
    description = _error(post(client, key, **overrides), status)
    assert words in description
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 0


def test_a_description_of_exactly_4000_characters_is_accepted(client, key):
    assert post(client, key, description="x" * 4000).status_code == 200


def test_a_revoked_key_is_refused(client, runner, key):
    runner.invoke(args=["api-key", "revoke", "stadens-app"])
    _error(post(client, key), 403)


@pytest.mark.parametrize("url, status", [
    (f"{BASE}/requests/999999.json", 404),
    (f"{BASE}/requests/abc.json", 404),
    (f"{BASE}/tokens/no-such-token.json", 404),
    (f"{BASE}/services/unicorns.json", 404),
    (f"{BASE}/nothing-here.json", 404),
    ("/open311/", 404),
    (f"{BASE}/requests.json?start_date=2026-03-01&end_date=2026-02-01", 400),
    (f"{BASE}/requests.json?start_date=2026-01-01&end_date=2026-06-01", 400),
    (f"{BASE}/requests.json?start_date=yesterday", 400),
    (f"{BASE}/requests.json?status=pending", 400),
])
def test_bad_gets_get_the_spec_error(client, url, status):
    _error(client.get(url), status)


def test_start_after_end_says_so(client):
    description = _error(client.get(f"{BASE}/requests.json?start_date=2026-03-01&end_date=2026-02-01"), 400)
    assert "start_date" in description and "end_date" in description


def test_errors_in_xml(client):
    response = client.get(f"{BASE}/requests/999999.xml")
    root = ET.fromstring(response.data)
    assert response.status_code == 404 and root.tag == "errors"
    assert root.findtext("error/code") == "404" and root.findtext("error/description")


def test_a_wrong_method_is_a_spec_error(client):
    _error(client.delete(f"{BASE}/services.json"), 400)
    _error(client.post(f"{BASE}/services.json"), 400)


def test_post_needs_no_csrf_token(app, key):
    app.config["WTF_CSRF_ENABLED"] = True
    response = post(app.test_client(), key)
    assert response.status_code == 200


# --- who reads what (nothing a walker wrote is public by default) -----------------------------------

def ids(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.data
    return {r["service_request_id"] for r in response.get_json()}


def test_nothing_is_public_until_the_area_publishes_its_fault_items(client, make):
    area = make.area()
    walker = make.participant(walk=make.walk(area=area), display_name="Anna Andersson")
    fault = make.observation(walk=walker.walk, participant=walker, text="Mörk gångtunnel")
    praise = make.observation(walk=walker.walk, category=make.category("positive"))
    db.session.commit()
    assert ids(client, f"{BASE}/requests.json") == set()
    assert client.get(f"{BASE}/requests/{fault.id}.json").status_code == 404
    assert client.get(f"{BASE}/tokens/{fault.uuid}.json").status_code == 404

    area.open311_public = True
    db.session.commit()
    assert ids(client, f"{BASE}/requests.json") == {str(fault.id)}  # fault items only, not the praise
    assert client.get(f"{BASE}/requests/{praise.id}.json").status_code == 404
    body = client.get(f"{BASE}/requests.json").get_data(True) + client.get(f"{BASE}/requests.xml").get_data(True)
    assert "Mörk gångtunnel" in body and "Anna" not in body and "Andersson" not in body


def test_a_key_reads_the_requests_sent_to_its_body(client, make):
    city, owner = make.organization(), make.organization()
    walk = make.walk()
    sent, draft, elsewhere = make.observation(walk=walk), make.observation(walk=walk), make.observation(walk=walk)
    make.fault_report([sent], organization=city, status="sent")
    make.fault_report([draft], organization=city)
    make.fault_report([elsewhere], organization=owner, status="sent")
    city_key, keyless = create_api_key("stadens-system", city.id), create_api_key("utan-aktor")
    db.session.commit()
    assert ids(client, f"{BASE}/requests.json?api_key={city_key}") == {str(sent.id)}
    assert ids(client, f"{BASE}/requests.json?api_key={keyless}") == set()
    assert client.get(f"{BASE}/requests/{sent.id}.json?api_key={city_key}").status_code == 200
    assert client.get(f"{BASE}/requests/{elsewhere.id}.json?api_key={city_key}").status_code == 404
    assert client.get(f"{BASE}/requests/{sent.id}.json").status_code == 404


def test_a_wrong_key_on_a_read_is_refused(client):
    response = client.get(f"{BASE}/requests.json?api_key=not-a-key")
    assert response.status_code == 403 and response.get_json()[0]["code"] == 403
