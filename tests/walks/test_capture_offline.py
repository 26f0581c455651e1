"""The service worker at /sw.js that keeps the walker's pages usable with no signal: served to anyone,
as JavaScript, with the headers that give it the whole site as scope; it precaches only files this app
serves, its version follows those files, and the capture page (only) registers it."""
from __future__ import annotations

import json
import re

import pytest
from flask import g

from tests.conftest import csrf_token_from
from walks.capture import offline


def worker_config(body: str) -> dict:
    first, _, _ = body.partition("\n")
    match = re.fullmatch(r"self\.SW_CONFIG = (\{.*\});", first)
    assert match, first
    return json.loads(match.group(1))


def test_served_without_login_as_javascript_with_site_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Set-Cookie" not in response.headers
    body = response.get_data(True)
    assert 'addEventListener("fetch"' in body and 'addEventListener("install"' in body


def test_mentions_no_other_host_than_the_tile_server(app, client):
    body = client.get("/sw.js").get_data(True)
    config = worker_config(body)
    assert config["tileUrl"] == app.config["TILE_URL"]  # the one server whose tiles it keeps
    rest = body.replace(json.dumps(config["tileUrl"]), '""')
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", rest, re.I), "the worker names another host"
    assert config["root"] == "/"
    assert all(url.startswith("/") and not url.startswith("//") for url in config["precache"])


def test_precache_list_covers_the_capture_screen_and_every_file_exists(client):
    config = worker_config(client.get("/sw.js").get_data(True))
    precache = config["precache"]
    paths = {url.split("?")[0] for url in precache}
    for needed in ("/static/js/capture.js", "/static/js/capture-queue.js", "/static/js/capture-offline.js",
                   "/static/css/capture.css", "/static/css/app.css", "/maps/assets/leaflet/leaflet.js",
                   "/maps/assets/leaflet/leaflet.css"):
        assert needed in paths
    # Content-hashed URLs: the worker's install finds them in the HTTP cache the page just filled. The
    # walker's maps use none of Leaflet's images (the pin is drawn in CSS).
    assert all("?v=" in url for url in precache)
    assert not any("/leaflet/images/" in url for url in precache)
    # One missing file makes the browser refuse to install the worker at all.
    for url in precache:
        with client.get(url) as response:
            assert response.status_code == 200, url
    assert not any(url.startswith(("/api/", "/photos/", "/j/")) for url in precache)


def test_version_follows_the_precached_files(app, client, tmp_path, monkeypatch):
    first = worker_config(client.get("/sw.js").get_data(True))["version"]
    assert worker_config(client.get("/sw.js").get_data(True))["version"] == first
    changed = tmp_path / "capture.js"
    changed.write_text("/* a new deploy */")
    real = offline.precache_files

    def with_new_capture_js():
        return [(url, str(changed) if url.split("?")[0].endswith("/capture.js") else path) for url, path in real()]

    monkeypatch.setattr(offline, "precache_files", with_new_capture_js)
    assert worker_config(client.get("/sw.js").get_data(True))["version"] != first


def test_conditional_get_answers_not_modified(client):
    first = client.get("/sw.js")
    again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get(client, method):
    assert getattr(client, method)("/sw.js").status_code in (400, 405)


def test_capture_page_registers_the_worker_and_shows_the_offline_banner_text(client, make):
    walk = make.walk(status="open")
    g.pop("csrf_token", None)
    page = client.get(f"/j/{walk.join_code}")
    client.post(f"/j/{walk.join_code}", data={"csrf_token": csrf_token_from(page.get_data(True)),
                                               "display_name": "", "role": "resident", "consent": "y"})
    html = client.get(f"/j/{walk.join_code}/capture").get_data(True)
    assert "/static/js/capture-offline.js" in html
    config = json.loads(re.search(r'id="capture-config">(.*?)</script>', html, re.S).group(1))
    assert config["swUrl"] == "/sw.js" and config["swScope"] == "/"
    banner = re.search(r"<p class=\"capture-offline\"[^>]*hidden>([^<]*)</p>", html)
    assert banner and banner.group(1) == "Ingen uppkoppling – det du sparar skickas när nätet kommer tillbaka"
    # Coordinator pages do not register it.
    assert "capture-offline.js" not in client.get("/").get_data(True)
