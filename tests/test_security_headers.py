"""Security headers on every kind of response (walks/security.py), and templates that need no inline
script, handler or style attribute to work under that policy."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from walks import demo, security
from walks.extensions import db
from walks.reports import service as reports

from .conftest import csrf_token_from

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def world(app, client):
    """The demo area, a draft fault report made from it, and its coordinator logged in."""
    written: list[str] = []
    loaded = demo.load_demo(written)
    demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    drafts, _ = reports.build_drafts(loaded["observations"], loaded["coordinator"])
    db.session.commit()
    page = client.get("/login")
    response = client.post("/login", data={"email": demo.DEMO_EMAIL, "password": loaded["password"],
                                           "csrf_token": csrf_token_from(page.get_data(True))})
    assert response.status_code == 302
    photo = next(p for o in loaded["observations"] for p in o.photos)
    return {"area": loaded["area"], "walk": loaded["walks"][1], "report": drafts[0], "photo": photo,
            "observation": loaded["observations"][0]}


# kind -> (URL made from the world, expected status, a word of the expected content type)
KINDS = {
    "html page": (lambda w: f"/areas/{w['area'].id}", 200, "text/html"),
    "json api": (lambda w: f"/maps/observations/{w['observation'].id}.json", 200, "application/json"),
    "csv": (lambda w: f"/walks/{w['walk'].id}.csv", 200, "text/csv"),
    "xlsx": (lambda w: f"/areas/{w['area'].id}/actions.xlsx", 200, "spreadsheetml"),
    "geojson": (lambda w: f"/walks/{w['walk'].id}.geojson", 200, "geo+json"),
    "pdf": (lambda w: f"/reports/{w['report'].id}.pdf", 200, "application/pdf"),
    "photo": (lambda w: f"/photos/{w['photo'].filename}", 200, "image/jpeg"),
    "static file": (lambda w: "/static/css/app.css", 200, "text/css"),
    "404": (lambda w: "/no/such/page", 404, "text/html"),
    "400": (lambda w: f"/areas/{w['area'].id}/map?date_from=yesterday", 400, "text/html"),
    "redirect": (lambda w: "/", 302, "text/html"),
    "open311 xml": (lambda w: "/open311/v2/services.xml", 200, "xml"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_response_carries_the_headers(client, world, kind):
    url, status, content_type = KINDS[kind]
    response = client.get(url(world))
    response.close()  # file responses (photo, static file) hold their file open until closed
    assert response.status_code == status, response.get_data(True)[:500]
    assert content_type in response.content_type
    headers = response.headers
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    if "text/html" in response.content_type:
        assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{24}'", csp["script-src"])
    else:  # a nonce means something in a page only
        assert csp["script-src"] == csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data: blob: https://tile.openstreetmap.org"
    assert csp["connect-src"] == "'self' https://tile.openstreetmap.org"  # the worker keeps tiles
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["base-uri"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "geolocation=()" in headers["Permissions-Policy"] and "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain http: HSTS would be ignored anyway


def test_nonce_is_new_for_each_request_and_is_the_one_in_the_page(client, world):
    nonces = []
    for _ in range(2):
        response = client.get(f"/areas/{world['area'].id}/map")
        page = response.get_data(True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        # Folium's map script and its size rule are the only inline elements, and both carry the nonce.
        inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", page)
        assert [tag for tag, _ in inline] == ["style", "script"]
        assert all(f'nonce="{nonce}"' in attributes for _, attributes in inline)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_only_the_capture_page_may_use_position_and_camera(client, make):
    walk = make.walk()
    db.session.commit()
    join = client.get(f"/j/{walk.join_code}")
    assert "geolocation=()" in join.headers["Permissions-Policy"]
    client.post(f"/j/{walk.join_code}", data={"csrf_token": csrf_token_from(join.get_data(True)),
                                              "display_name": "", "role": "resident", "consent": "y"})
    capture = client.get(f"/j/{walk.join_code}/capture")
    assert capture.status_code == 200
    assert "geolocation=(self)" in capture.headers["Permissions-Policy"]
    assert "camera=(self)" in capture.headers["Permissions-Policy"]
    mine = client.get(f"/j/{walk.join_code}/mine")
    assert mine.status_code == 200 and "geolocation=()" in mine.headers["Permissions-Policy"]


def test_hsts_only_over_https(client):
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"] == \
        "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_tile_host_follows_the_setting(app, client):
    app.config["TILE_URL"] = "https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png"
    assert "connect-src 'self' https://*.tiles.example.org:8443;" in \
        client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tiles.example.org:8443;" in \
        client.get("/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("tile_url, source", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("http://127.0.0.1:9/{z}/{x}/{y}.png", "http://127.0.0.1:9"),
    ("https://user:secret@Tiles.Example.se/{z}/{x}/{y}.png", "https://tiles.example.se"),
    ("/tiles/{z}/{x}/{y}.png", None),  # served by the app: 'self'
    ("", None),
    (None, None),
    ("javascript:alert(1)", None),
    ("https://{s}/{z}/{x}/{y}.png", None),
    ("https://a.b; script-src *;/{z}.png", None),  # nothing may leak into the policy's syntax
])
def test_tile_source(tile_url, source):
    assert security.tile_source(tile_url) == source


def _template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_handler_or_style_attribute(path):
    text = path.read_text()
    for match in re.finditer(r"<script\b([^>]*)>", text):
        attributes = match.group(1)
        assert "src=" in attributes or 'type="application/json"' in attributes or "csp_nonce()" in attributes, \
            f"inline script without a nonce: {match.group(0)}"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text
    assert not re.search(r"\sstyle\s*=", text), "style attribute (CSP refuses it): use a class or data-colour"


def test_pages_say_how_they_may_be_cached(app, client, world):
    """Staff pages (names, contacts) are never stored; a walker's page may stay in the phone's own cache."""
    staff = client.get(f"/areas/{world['area'].id}")
    assert staff.headers["Cache-Control"] == "no-store"
    walker = app.test_client()
    join = walker.get(f"/j/{world['walk'].join_code}")
    assert join.status_code == 200 and join.headers["Cache-Control"] == "private, no-cache"
    # Other answers keep their own (an unversioned static file is revalidated).
    with client.get("/static/css/app.css") as response:
        assert response.headers["Cache-Control"] == "no-cache"
