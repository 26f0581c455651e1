"""Map pages through HTTP: login, filters (and their bad input), what is shown, popup JSON, KML/GPX."""
from __future__ import annotations

import datetime as dt
import json
import re
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from walks import photos as photo_pipeline
from walks.extensions import db
from walks.models import Photo, TrackPoint

from .hosts import hosts_in

XSS_TEXTS = [
    "${globalThis.pwned=1}",
    "</script><script>globalThis.pwned2=1</script>",
    "`+globalThis.pwned4=1+`",
    '<img src=x onerror="globalThis.pwned3=1">',
]


def map_points(html: str) -> list[list]:
    match = re.search(r"TryggMap\.observations\(\w+,\s*(\{.*?\}),\s*\{", html, re.S)
    assert match, "no embedded observation data"
    return json.loads(match.group(1))["p"]


def ids_on(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(True)[:500]
    return {p[0] for p in map_points(response.get_data(True))}


def observe(walk, **overrides):
    """An observation of the walk (its area given too, so the factory needs no lazy load)."""
    from tests import factories
    return factories.observation(walk=walk, area=walk.area, **overrides)


@pytest.fixture
def walk(make):
    walk = make.walk(route={"type": "LineString", "coordinates": [[11.949, 57.7195], [11.956, 57.723]]})
    db.session.commit()
    return walk


@pytest.mark.parametrize("path", ["/maps", "/areas/{area}/map", "/walks/{walk}/map", "/maps/observations/{obs}.json",
                                  "/walks/{walk}.kml", "/walks/{walk}.gpx"])
def test_login_required(client, make, walk, path):
    obs = observe(walk)
    db.session.commit()
    response = client.get(path.format(area=walk.area_id, walk=walk.id, obs=obs.id))
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


def test_index_lists_areas_with_links(client, login, make, walk):
    login()
    html = client.get("/maps").get_data(True)
    assert walk.area.name in html
    assert f"/areas/{walk.area_id}/map" in html and f"/walks/{walk.id}/map" in html


def test_area_map_shows_visible_observations_only(client, login, make, walk):
    login()
    shown = observe(walk)
    observe(walk, hidden=True)
    target = observe(walk)
    observe(walk, merged_into_id=target.id)
    other_area = make.observation()
    db.session.commit()
    assert ids_on(client, f"/areas/{walk.area_id}/map") == {shown.id, target.id}
    assert other_area.id not in ids_on(client, f"/areas/{walk.area_id}/map")


def test_area_map_has_boundary_route_tracks_heat_and_legend(client, login, make, walk):
    login()
    participant = make.participant(walk=walk)
    for i in range(3):
        db.session.add(TrackPoint(walk_id=walk.id, participant_id=participant.id, lat=57.72 + i / 1000, lon=11.95))
    observe(walk)
    db.session.commit()
    html = client.get(f"/areas/{walk.area_id}/map").get_data(True)
    assert "L.geoJson(" in html  # the boundary
    assert html.count("L.polyline(") == 2  # the planned route and one track
    assert "TryggHeat.layer(" in html and "L.control.layers(" in html
    assert 'class="card map-legend"' in html
    assert "Trygghet" in html and "Rent och snyggt" in html  # theme names in Swedish


@pytest.mark.parametrize("query, expected", [
    ("theme=clean", {"graffiti"}),
    ("category=lighting", {"lighting"}),
    ("status=resolved", {"positive"}),
    ("rating=0", {"lighting"}),
    ("date_from=2026-03-02&date_to=2026-03-02", {"graffiti"}),
    ("date_to=2026-03-01", {"lighting"}),
    ("theme=&category=&status=&rating=&date_from=&date_to=&walk=", {"lighting", "graffiti", "positive"}),
])
def test_filters(client, login, make, walk, query, expected):
    login()
    made = {
        "lighting": observe(walk, category=make.category("lighting"), safety=0,
                                     observed_at=dt.datetime(2026, 3, 1, 19, 0)),
        "graffiti": observe(walk, category=make.category("graffiti"), safety=2,
                                     observed_at=dt.datetime(2026, 3, 2, 19, 0)),
        "positive": observe(walk, category=make.category("positive"), safety=3, status="resolved",
                                     observed_at=dt.datetime(2026, 3, 3, 19, 0)),
    }
    db.session.commit()
    ids = ids_on(client, f"/areas/{walk.area_id}/map?{query}")
    assert ids == {made[code].id for code in expected}


def test_date_filter_uses_the_local_day(client, login, make, walk):
    login()
    # 23:30 UTC on 1 March is 00:30 on 2 March in Stockholm.
    late = observe(walk, observed_at=dt.datetime(2026, 3, 1, 23, 30))
    db.session.commit()
    assert ids_on(client, f"/areas/{walk.area_id}/map?date_from=2026-03-02&date_to=2026-03-02") == {late.id}
    assert ids_on(client, f"/areas/{walk.area_id}/map?date_to=2026-03-01") == set()


def test_walk_filter_on_the_area_map(client, login, make, walk):
    login()
    second = make.walk(area=walk.area)
    one = observe(walk)
    two = observe(second)
    db.session.commit()
    assert ids_on(client, f"/areas/{walk.area_id}/map?walk={second.id}") == {two.id}
    assert ids_on(client, f"/walks/{walk.id}/map") == {one.id}


BAD_FILTERS = [
    ("category=no_such_category", "Unknown category"),
    ("category=%3Cscript%3E", "Unknown category"),
    ("date_from=2026-13-01", "YYYY-MM-DD"),
    ("date_to=yesterday", "YYYY-MM-DD"),
    ("date_from=1.3.2026", "YYYY-MM-DD"),
    ("date_from=2026-03-05&date_to=2026-03-01", "start date is after the end date"),
    ("theme=people", "Unknown theme"),
    ("status=lost", "Unknown status"),
    ("rating=4", "0, 1, 2 or 3"),
    ("rating=bad", "0, 1, 2 or 3"),
]
BAD_WALK_FILTERS = [("walk=abc", "number"), ("walk=999999", "no such walk")]


@pytest.mark.parametrize("page, query, message", [("area", q, m) for q, m in BAD_FILTERS + BAD_WALK_FILTERS]
                         + [("walk", q, m) for q, m in BAD_FILTERS])
def test_bad_filter_is_a_400_with_a_message(client, login, make, walk, page, query, message):
    login()
    client.set_cookie("lang", "en")
    url = f"/areas/{walk.area_id}/map?{query}" if page == "area" else f"/walks/{walk.id}/map?{query}"
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.get_data(True)
    assert "<script>" not in response.get_data(True).split("<main", 1)[1].split("</main>")[0]


def test_another_areas_walk_is_refused(client, login, make, walk):
    login()
    stranger = make.walk()
    db.session.commit()
    assert client.get(f"/areas/{walk.area_id}/map?walk={stranger.id}").status_code == 400


@pytest.mark.parametrize("path", ["/areas/999999/map", "/walks/999999/map", "/maps/observations/999999.json",
                                  "/walks/999999.kml", "/walks/999999.gpx"])
def test_unknown_ids_are_404(client, login, path):
    login()
    assert client.get(path).status_code == 404


def test_user_tied_to_other_areas_finds_nothing(client, login, make, walk):
    mine = make.area()
    user = make.user(role="coordinator")
    user.areas.append(mine)
    obs = observe(walk)
    db.session.commit()
    login(user)
    for url in (f"/areas/{walk.area_id}/map", f"/walks/{walk.id}/map", f"/maps/observations/{obs.id}.json",
                f"/walks/{walk.id}.kml", f"/walks/{walk.id}.gpx"):
        assert client.get(url).status_code == 404, url  # as if it did not exist
    assert client.get(f"/areas/{mine.id}/map").status_code == 200
    assert walk.area.name not in client.get("/maps").get_data(True)


@pytest.mark.parametrize("text", XSS_TEXTS)
def test_user_text_never_reaches_the_map_html(client, login, make, walk, text):
    login()
    observe(walk, text=text)
    db.session.commit()
    for url in (f"/areas/{walk.area_id}/map", f"/walks/{walk.id}/map"):
        html = client.get(url).get_data(True)
        assert text not in html
        assert "pwned" not in html


def test_walk_title_and_area_name_are_escaped(client, login, make):
    login()
    area = make.area(name="<script>globalThis.pwned=1</script>")
    walk = make.walk(area=area, title="`${globalThis.pwned=1}`<b>")
    observe(walk)
    db.session.commit()
    for url in (f"/areas/{area.id}/map", f"/walks/{walk.id}/map", "/maps"):
        html = client.get(url).get_data(True)
        assert "<script>globalThis" not in html and "<b>" not in html
        scripts = "".join(re.findall(r"<script>(.*?)</script>", html, re.S))
        assert "pwned" not in scripts


@pytest.mark.parametrize("tile_url", ["https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                      "https://maps.example.se/tiles/{z}/{x}/{y}.png"])
def test_every_map_page_refers_only_to_the_tile_server(app, client, login, make, walk, tile_url):
    app.config["TILE_URL"] = tile_url
    login()
    observe(walk)
    db.session.commit()
    tile_host = re.match(r"https?://([^/]+)", tile_url).group(1)
    for url in ("/maps", f"/areas/{walk.area_id}/map", f"/walks/{walk.id}/map",
                f"/areas/{walk.area_id}/map?theme=safety"):
        html = client.get(url).get_data(True)
        # The test app's own SERVER_NAME is "localhost"; everything else must be the tile server.
        assert hosts_in(html) <= {tile_host, "localhost"}, url
        if "map?" in url or url.endswith("/map"):
            assert tile_url in html.replace("\\/", "/")


def test_tile_attribution_comes_from_config(app, client, login, walk):
    app.config["TILE_ATTRIBUTION"] = "Kartdata Testkommunen"
    login()
    assert "Kartdata Testkommunen" in client.get(f"/walks/{walk.id}/map").get_data(True)


def test_assets_are_served_locally(client):
    for url in ("/maps/assets/leaflet/leaflet.js", "/maps/assets/leaflet/leaflet.css",
                "/maps/assets/leaflet/images/layers.png",
                "/maps/assets/markercluster/leaflet.markercluster.js",
                "/maps/assets/markercluster/MarkerCluster.css", "/maps/assets/markercluster/MarkerCluster.Default.css",
                "/static/js/maps-observations.js", "/static/js/maps-heat.js", "/static/css/maps.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.data) > 200
        response.close()


@pytest.mark.parametrize("path", ["/maps/assets/leaflet/../../../../etc/passwd", "/maps/assets/leaflet/nothing.js",
                                  "/maps/assets/leaflet/__init__.py", "/maps/assets/markercluster/%2e%2e/x.js"])
def test_asset_route_serves_nothing_else(client, path):
    assert client.get(path).status_code == 404


def _stored_photo(app, observation):
    buffer = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    upload_dir = Path(app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    names = [photo_pipeline.random_name(), photo_pipeline.random_name()]
    for name in names:
        (upload_dir / name).write_bytes(buffer.getvalue())
    photo = Photo(observation=observation, sha256="0" * 64, filename=names[0], thumb_filename=names[1],
                  width=40, height=30, bytes=len(buffer.getvalue()), original_width=40, original_height=30,
                  original_format="JPEG")
    db.session.add(photo)
    return photo


def test_observation_json_has_the_popup_details(app, client, login, make, walk):
    login()
    text = XSS_TEXTS[1]
    obs = observe(walk, text=text, safety=0, category=make.category("graffiti"),
                           observed_at=dt.datetime(2026, 3, 1, 19, 5))
    photo = _stored_photo(app, obs)
    db.session.commit()
    response = client.get(f"/maps/observations/{obs.id}.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["text"] == text  # as written: the browser puts it in with textContent
    assert data["category"]["code"] == "graffiti" and data["category"]["name"] == "Klotter och skadegörelse"
    assert data["safety"] == 0 and data["light_condition"] == "dark"
    facts = dict(data["facts"])
    assert "2026-03-01 20:05" in " ".join(facts.values())  # Stockholm time
    assert data["thumbnail_url"].endswith(photo.thumb_filename)
    assert data["photo_url"].endswith(photo.filename)
    thumbnail = client.get(data["thumbnail_url"])
    assert thumbnail.status_code == 200
    thumbnail.close()
    assert data["url"] == f"/observations/{obs.id}"


def test_observation_json_of_a_hidden_observation_is_404(client, login, make, walk):
    login()
    obs = observe(walk, hidden=True)
    db.session.commit()
    assert client.get(f"/maps/observations/{obs.id}.json").status_code == 404


def test_kml_and_gpx_escape_text_and_parse(client, login, make, walk):
    login()
    text = '</description><script>x</script> & "quotes" \x01'
    obs = observe(walk, text=text, lat=57.7201234, lon=11.9512341)
    observe(walk, hidden=True, text="hidden one")
    db.session.commit()
    kml = client.get(f"/walks/{walk.id}.kml")
    assert kml.status_code == 200 and "kml" in kml.mimetype
    root = ET.fromstring(kml.data)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    placemarks = root.findall(".//k:Placemark", ns)
    assert len(placemarks) == 1
    assert placemarks[0].find("k:description", ns).text.startswith('</description><script>x</script> & "quotes" ')
    assert placemarks[0].find(".//k:coordinates", ns).text == "11.951234,57.720123"
    gpx = client.get(f"/walks/{walk.id}.gpx")
    assert gpx.status_code == 200
    groot = ET.fromstring(gpx.data)
    gns = {"g": "http://www.topografix.com/GPX/1/1"}
    points = groot.findall("g:wpt", gns)
    assert [p.get("lat") for p in points] == ["57.720123"]
    assert points[0].find("g:name", gns).text == f"{obs.id}: Belysning"
    assert len(groot.findall("g:rte/g:rtept", gns)) == 2
    assert b"hidden one" not in kml.data + gpx.data


def test_empty_area_map_says_so(client, login, make):
    login()
    area = make.area(boundary=None, centre_lat=None, centre_lon=None)
    db.session.commit()
    response = client.get(f"/areas/{area.id}/map")
    assert response.status_code == 200
    assert map_points(response.get_data(True)) == []
    assert "map-empty" in response.get_data(True)


def test_user_without_areas_sees_no_map(client, login, make, walk):
    observe(walk)
    db.session.commit()
    login(make.user(role="viewer"))
    assert walk.area.name not in client.get("/maps").get_data(True)
    assert client.get(f"/areas/{walk.area_id}/map").status_code == 404
