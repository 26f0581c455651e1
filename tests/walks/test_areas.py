"""Areas and walks: forms, GeoJSON boundaries and routes, join codes, QR codes, the poster, access."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from walks import geo
from walks.areas import service
from walks.extensions import db
from walks.models import Area, Walk

from ..conftest import csrf_token_from
from ..factories import BOUNDARY

LINE = {"type": "LineString", "coordinates": [[11.950, 57.720], [11.952, 57.721], [11.955, 57.722]]}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def token(client, url="/areas") -> str:
    return csrf_token_from(client.get(url).get_data(True))


def post_area(client, data, url="/areas/new"):
    return client.post(url, data={**data, "csrf_token": token(client, url)},
                       content_type="multipart/form-data")


def walk_data(**overrides):
    data = {"title": "Kvällsvandring", "starts_at": "2026-11-24T18:00", "ends_at": "2026-11-24T19:30",
            "light_condition": "dark", "weather": "Regn", "meeting_point": "Vid kiosken", "status": "planned"}
    data.update(overrides)
    return data


def post_walk(client, area_id, data):
    url = f"/areas/{area_id}/walks/new"
    return client.post(url, data={**data, "csrf_token": token(client, url)}, content_type="multipart/form-data")


@pytest.fixture
def coordinator(client, login):
    client.set_cookie("lang", "en")
    return login()


# --- service -------------------------------------------------------------------------------------

def test_join_codes_are_short_unambiguous_and_unique(app):
    codes = {service.new_join_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8 and not set(code) & set("0O1I") and set(code) <= set(service.JOIN_ALPHABET)


def test_create_walk_gets_a_code_and_refuses_an_end_before_the_start(make):
    area = make.area()
    start = dt.datetime(2026, 11, 24, 17, 0)
    walk = service.create_walk(area, {"title": "A", "starts_at": start, "ends_at": start + dt.timedelta(hours=1),
                                      "light_condition": "dusk", "status": "planned"}, None)
    assert walk.join_code and walk.area is area
    with pytest.raises(service.AreaError) as refused:
        service.create_walk(area, {"title": "B", "starts_at": start, "ends_at": start,
                                   "light_condition": "dark", "status": "planned"}, None)
    assert refused.value.field == "ends_at"


@pytest.mark.parametrize("change, field", [
    ({"title": " "}, "title"), ({"starts_at": None}, "starts_at"), ({"light_condition": "noon"}, "light_condition"),
    ({"status": "cancelled"}, "status"),
])
def test_create_walk_refuses_bad_values(make, change, field):
    area = make.area()
    values = {"title": "A", "starts_at": dt.datetime(2026, 11, 24, 17), "ends_at": None,
              "light_condition": "dark", "status": "planned", **change}
    with pytest.raises(service.AreaError) as refused:
        service.create_walk(area, values, None)
    assert refused.value.field == field


def test_local_time_round_trip(app):
    local = dt.datetime(2026, 11, 24, 18, 0)  # CET, UTC+1
    assert service.local_to_utc(local) == dt.datetime(2026, 11, 24, 17, 0)
    assert service.utc_to_local(dt.datetime(2026, 7, 1, 16, 0)) == dt.datetime(2026, 7, 1, 18, 0)  # CEST


def test_join_url_without_a_request_uses_the_public_base_url(app):
    assert service.join_url("ABCD2345").endswith("/j/ABCD2345")
    app.config["PUBLIC_BASE_URL"] = "https://trygg.example.se/"
    assert service.join_url("ABCD2345") == "https://trygg.example.se/j/ABCD2345"


def test_search_matches_area_walk_title_and_code_ignoring_case(make):
    area = make.area(name="Årstaberg")
    walk = make.walk(area=area, title="Höstvandring")
    make.area(name="Hammarkullen")
    admin = make.user()
    assert [a.name for a, _ in service.search_areas(admin, "årsta")] == ["Årstaberg"]
    assert [a.name for a, _ in service.search_areas(admin, "HÖST")] == ["Årstaberg"]
    assert [a.name for a, _ in service.search_areas(admin, walk.join_code.lower())] == ["Årstaberg"]
    assert len(service.search_areas(admin, "")) == 2


def test_search_shows_only_the_users_areas(make):
    here, there = make.area(name="Här"), make.area(name="Där")
    walk = make.walk(area=there)
    coordinator = make.user(role="coordinator", areas=[here])
    assert [a.name for a, _ in service.search_areas(coordinator, "")] == ["Här"]
    assert service.search_areas(coordinator, walk.join_code) == []
    assert service.search_areas(make.user(role="viewer"), "") == []


def test_a_coordinator_who_creates_an_area_is_assigned_to_it(make):
    coordinator = make.user(role="coordinator")
    area = service.create_area("Nytt", "", None, coordinator)
    assert coordinator.areas == [area]
    admin = make.user()
    service.create_area("Annat", "", None, admin)
    assert admin.areas == []


def test_outline_of_a_detailed_boundary_stays_small():
    import math
    ring = [[11.95 + 0.003 * math.cos(2 * math.pi * i / 20_000), 57.72 + 0.0015 * math.sin(2 * math.pi * i / 20_000)]
            for i in range(20_000)]
    picture = service.outline({"type": "Polygon", "coordinates": [ring + [ring[0]]]})
    assert picture["path"].count("L") <= 450 and len(picture["path"]) < 10_000


def test_outline_fits_the_picture():
    picture = service.outline(BOUNDARY)
    numbers = [float(n) for part in picture["path"].replace("M", " ").replace("L", " ").replace("Z", " ").split()
               for n in part.split(",")]
    assert min(numbers) >= 0 and max(numbers) <= picture["width"]


# --- areas over HTTP -------------------------------------------------------------------------------

def test_create_area_from_pasted_geojson(client, coordinator):
    response = post_area(client, {"name": "Hjalmar Brantingsplatsen", "description": "Hållplatsen",
                                  "boundary_text": json.dumps(BOUNDARY)})
    assert response.status_code == 302
    area = db.session.scalar(sa.select(Area))
    assert area.boundary == BOUNDARY
    assert area.centre_lat == pytest.approx(57.7215) and area.centre_lon == pytest.approx(11.95275)
    page = client.get(response.location).get_data(True)
    assert "Hjalmar Brantingsplatsen" in page and "<svg" in page


def test_create_area_from_an_uploaded_feature_file(client, coordinator):
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": BOUNDARY}
    response = post_area(client, {"name": "Uppladdad", "boundary_file": (
        io.BytesIO(json.dumps(feature).encode()), "area.geojson", "application/geo+json")})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Area)).boundary["type"] == "Polygon"


OPEN_RING = {"type": "Polygon", "coordinates": [[[11.94, 57.71], [11.95, 57.71], [11.95, 57.72], [11.94, 57.72]]]}
LAT_95 = {"type": "Polygon", "coordinates": [[[11.94, 57.71], [11.95, 95.0], [11.95, 57.72], [11.94, 57.71]]]}
BAD_BOUNDARIES = [
    pytest.param("{not json", "not valid JSON", id="invalid-json"),
    pytest.param("[1, 2, 3]", "not a GeoJSON object", id="json-array"),
    pytest.param(json.dumps({"type": "Point", "coordinates": [11.95, 57.72]}), "Expected a Polygon",
                 id="point-not-polygon"),
    pytest.param(json.dumps(LINE), "Expected a Polygon", id="linestring-not-polygon"),
    pytest.param(json.dumps({"type": "FeatureCollection", "features": []}), "no features", id="empty-collection"),
    pytest.param(json.dumps(OPEN_RING), "not closed", id="unclosed-ring"),
    pytest.param(json.dumps(LAT_95), "out of range", id="latitude-95"),
    pytest.param(json.dumps({"type": "Polygon", "coordinates": [[[11.9, 57.7], [11.9, 57.7]]]}),
                 "at least four positions", id="too-few-positions"),
    pytest.param(json.dumps({"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}),
                 "not a pair of numbers", id="text-coordinates"),
]


@pytest.mark.parametrize("as_file", [False, True], ids=["pasted", "file"])
@pytest.mark.parametrize("raw, message", BAD_BOUNDARIES)
def test_bad_boundary_is_refused_with_a_message_and_nothing_is_stored(client, coordinator, raw, message, as_file):
    data = {"name": "Fel"}
    if as_file:
        data["boundary_file"] = (io.BytesIO(raw.encode()), "area.geojson")
    else:
        data["boundary_text"] = raw
    response = post_area(client, data)
    assert response.status_code == 400
    page = response.get_data(True)
    assert message in page and 'class="error"' in page
    assert count(Area) == 0


def test_missing_boundary_is_refused(client, coordinator):
    response = post_area(client, {"name": "Utan gräns"})
    assert response.status_code == 400
    assert "Upload a GeoJSON file or paste GeoJSON" in response.get_data(True)
    assert count(Area) == 0


def test_ten_megabyte_boundary_file_is_refused(client, coordinator):
    ring = [[11.9 + i * 1e-7, 57.7] for i in range(400_000)] + [[11.9, 57.7]]
    raw = json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()
    raw += b" " * max(0, 10 * 1024 * 1024 - len(raw))
    assert len(raw) >= 10 * 1024 * 1024
    # Encoded here in memory: the test client would spool a body this big to a file it never closes.
    boundary, body = encode_multipart({"name": "Stor", "csrf_token": token(client, "/areas/new"),
                                       "boundary_file": FileStorage(io.BytesIO(raw), "big.geojson")})
    response = client.post("/areas/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (400, 413)
    assert "too large" in response.get_data(True)
    assert count(Area) == 0


def test_edit_area_keeps_the_boundary_when_none_is_given(client, coordinator, make):
    area = make.area(name="Gamla namnet")
    db.session.commit()
    response = post_area(client, {"name": "Nya namnet", "description": "ny"}, url=f"/areas/{area.id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    area = db.session.get(Area, area.id)
    assert area.name == "Nya namnet" and area.boundary == BOUNDARY


def test_edit_area_with_a_bad_boundary_changes_nothing(client, coordinator, make):
    area = make.area(name="Orört")
    db.session.commit()
    response = post_area(client, {"name": "Ändrat", "boundary_text": json.dumps(OPEN_RING)},
                         url=f"/areas/{area.id}/edit")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Area, area.id).name == "Orört"


@pytest.mark.parametrize("url", ["/areas/9999", "/areas/9999/edit", "/areas/9999/walks/new",
                                 "/walks/9999/manage", "/walks/9999/edit", "/walks/9999/qr.svg",
                                 "/walks/9999/qr.png", "/walks/9999/poster"])
def test_unknown_area_or_walk_is_404(client, coordinator, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "The page was not found." in response.get_data(True)


def test_unknown_area_id_on_post_is_404_and_stores_nothing(client, coordinator):
    response = client.post("/areas/9999/walks/new", data={**walk_data(), "csrf_token": token(client)})
    assert response.status_code == 404
    assert count(Walk) == 0


@pytest.mark.parametrize("csrf", [None, "wrong-token"], ids=["missing", "wrong"])
def test_area_form_without_a_valid_csrf_token_is_400(client, coordinator, csrf):
    data = {"name": "Utan token", "boundary_text": json.dumps(BOUNDARY)}
    if csrf:
        data["csrf_token"] = csrf
    response = client.post("/areas/new", data=data)
    assert response.status_code == 400
    page = response.get_data(True)
    assert "The form has expired or was not sent from this site" in page and "Traceback" not in page
    assert count(Area) == 0


def test_index_lists_areas_with_walks_newest_first_and_searches(client, coordinator, make):
    area = make.area(name="Vågmästareplatsen")
    make.walk(area=area, title="Första vandringen", starts_at=dt.datetime(2025, 11, 1, 17))
    make.walk(area=area, title="Andra vandringen", starts_at=dt.datetime(2026, 11, 1, 17))
    make.area(name="Hammarkullen")
    db.session.commit()
    page = client.get("/areas").get_data(True)
    assert page.index("Andra vandringen") < page.index("Första vandringen")
    assert "Hammarkullen" in page
    found = client.get("/areas?q=andra").get_data(True)
    assert "Vågmästareplatsen" in found and "Hammarkullen" not in found


# --- walks over HTTP -------------------------------------------------------------------------------

def test_create_walk_shows_code_link_and_qr(client, coordinator, make):
    area = make.area()
    db.session.commit()
    response = post_walk(client, area.id, walk_data())
    assert response.status_code == 302
    walk = db.session.scalar(sa.select(Walk))
    assert walk.starts_at == dt.datetime(2026, 11, 24, 17, 0)  # stored in UTC
    assert walk.ends_at == dt.datetime(2026, 11, 24, 18, 30)
    assert response.location == f"/walks/{walk.id}/manage"
    page = client.get(response.location).get_data(True)
    assert walk.join_code in page
    assert f"http://localhost/j/{walk.join_code}" in page
    assert f'src="/walks/{walk.id}/qr.svg"' in page


def test_create_walk_with_a_planned_route(client, coordinator, make):
    area = make.area()
    db.session.commit()
    response = post_walk(client, area.id, walk_data(route_file=(io.BytesIO(json.dumps(LINE).encode()), "r.geojson")))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Walk)).route == LINE


@pytest.mark.parametrize("route, message", [
    (json.dumps(BOUNDARY), "Expected a LineString"),
    ("nonsense", "not valid JSON"),
    (json.dumps({"type": "LineString", "coordinates": [[11.95, 95.0], [11.96, 57.7]]}), "out of range"),
    (json.dumps({"type": "LineString", "coordinates": [[11.95, 57.7]]}), "at least two positions"),
])
def test_bad_route_is_refused(client, coordinator, make, route, message):
    area = make.area()
    db.session.commit()
    response = post_walk(client, area.id, walk_data(route_file=(io.BytesIO(route.encode()), "r.geojson")))
    assert response.status_code == 400 and message in response.get_data(True)
    assert count(Walk) == 0


@pytest.mark.parametrize("change, message", [
    ({"ends_at": "2026-11-24T17:00"}, "The walk must end after it starts."),
    ({"ends_at": "2026-11-24T18:00"}, "The walk must end after it starts."),
    ({"starts_at": ""}, "This field is required."),
    ({"starts_at": "tomorrow"}, "Not a valid datetime value."),
    ({"title": ""}, "This field is required."),
    ({"light_condition": "noon"}, "Not a valid choice."),
    ({"status": "cancelled"}, "Not a valid choice."),
])
def test_bad_walk_is_refused_next_to_the_field(client, coordinator, make, change, message):
    area = make.area()
    db.session.commit()
    response = post_walk(client, area.id, walk_data(**change))
    assert response.status_code == 400
    page = response.get_data(True)
    assert message in page and 'class="error"' in page
    assert count(Walk) == 0


def test_edit_walk_prefills_local_time_and_saves(client, coordinator, make):
    walk = make.walk(starts_at=dt.datetime(2026, 11, 24, 17, 0), status="planned")
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/edit").get_data(True)
    assert 'value="2026-11-24T18:00"' in page
    response = client.post(f"/walks/{walk.id}/edit", data={
        **walk_data(title="Ny titel", status="open"), "csrf_token": csrf_token_from(page)},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    walk = db.session.get(Walk, walk.id)
    assert walk.title == "Ny titel" and walk.status == "open"


def test_edit_walk_end_before_start_changes_nothing(client, coordinator, make):
    walk = make.walk(title="Orörd")
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/edit").get_data(True)
    response = client.post(f"/walks/{walk.id}/edit", data={
        **walk_data(title="Ändrad", ends_at="2026-11-24T17:59"), "csrf_token": csrf_token_from(page)},
        content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Walk, walk.id).title == "Orörd"


def test_open_and_close_a_walk(client, coordinator, make):
    walk = make.walk(status="planned")
    db.session.commit()
    csrf = token(client, f"/walks/{walk.id}/manage")
    assert client.post(f"/walks/{walk.id}/status/open", data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Walk, walk.id).status == "open"
    assert client.post(f"/walks/{walk.id}/status/gone", data={"csrf_token": csrf}).status_code == 400


def test_qr_codes_are_images_of_the_join_link(client, coordinator, make):
    walk = make.walk()
    db.session.commit()
    svg = client.get(f"/walks/{walk.id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.get_data(True).lstrip().startswith("<svg")
    png = client.get(f"/walks/{walk.id}/qr.png")
    assert png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.size[0] == image.size[1] >= 200
    try:
        from pyzbar.pyzbar import decode  # optional: decode the code when the library is there
    except ImportError:
        return
    assert decode(image)[0].data.decode() == f"http://localhost/j/{walk.join_code}"


def test_poster_has_title_meeting_point_code_and_qr(client, coordinator, make):
    walk = make.walk(title="Vandring vid torget", meeting_point="Vid fontänen")
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/poster").get_data(True)
    for text in ("Vandring vid torget", "Vid fontänen", walk.join_code, f"/walks/{walk.id}/qr.svg"):
        assert text in page


# --- access --------------------------------------------------------------------------------------

def test_viewer_can_look_but_not_change(client, login, make):
    walk = make.walk()
    viewer = make.user(role="viewer", password="viewer password", areas=[walk.area])
    db.session.commit()
    login(viewer, password="viewer password")
    assert client.get("/areas").status_code == 200
    assert client.get(f"/walks/{walk.id}/manage").status_code == 200
    assert client.get(f"/areas/{walk.area_id}").status_code == 200
    for url in ("/areas/new", f"/areas/{walk.area_id}/edit", f"/areas/{walk.area_id}/walks/new",
                f"/walks/{walk.id}/edit"):
        assert client.get(url).status_code == 403, url
    csrf = token(client)
    assert client.post("/areas/new", data={"name": "x", "boundary_text": json.dumps(BOUNDARY),
                                           "csrf_token": csrf}).status_code == 403
    assert client.post(f"/walks/{walk.id}/status/closed", data={"csrf_token": csrf}).status_code == 403
    assert count(Area) == 1


def test_coordinator_of_another_area_finds_nothing_here(client, login, make):
    walk = make.walk()
    stranger = make.user(role="coordinator", areas=[make.area()])
    db.session.commit()
    login(stranger)
    for url in (f"/areas/{walk.area_id}", f"/areas/{walk.area_id}/edit", f"/walks/{walk.id}/manage",
                f"/walks/{walk.id}/edit", f"/walks/{walk.id}/qr.svg", f"/walks/{walk.id}/poster"):
        assert client.get(url).status_code == 404, url
    assert walk.title not in client.get(f"/areas?q={walk.join_code}").get_data(True)
    response = client.post(f"/walks/{walk.id}/status/closed", data={"csrf_token": token(client)})
    assert response.status_code == 404 and db.session.get(Walk, walk.id).status == "open"


@pytest.mark.parametrize("url", ["/areas", "/areas/new", "/walks/1/manage", "/walks/1/qr.svg"])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_hubs_link_every_capability(client, coordinator, make):
    walk = make.walk()
    make.observation(walk=walk)
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/manage").get_data(True)
    for href in (f"/walks/{walk.id}/observations", f"/walks/{walk.id}/map", f"/walks/{walk.id}.csv",
                 f"/walks/{walk.id}.geojson", f"/areas/{walk.area_id}/compare"):
        assert f'href="{href}' in page, href
    assert f'action="/walks/{walk.id}/reports"' in page  # a POST: a button with a CSRF token
    area_page = client.get(f"/areas/{walk.area_id}").get_data(True)
    for href in ("map", "actions", "meeting", "dashboard", "contacts", "routing"):
        assert f'href="/areas/{walk.area_id}/{href}"' in area_page, href


def test_demo_boundary_is_valid():
    from walks.demo import demo_boundary
    boundary = demo_boundary()
    (south, west), (north, east) = geo.bounds(boundary)
    assert 250 < geo.distance_m(south, west, north, west) < 350
    assert 350 < geo.distance_m(south, west, south, east) < 450
