"""Static files and vendored Leaflet: content-hashed URLs cached for a year, compressed text, one route."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for

from walks import assets

IMMUTABLE = "public, max-age=31536000, immutable"


def asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:static|maps/assets)/[^"]+)"', page)


def test_every_asset_url_of_a_page_carries_its_content_hash(client):
    urls = asset_urls(client.get("/join").get_data(True))
    assert any("css/app.css" in url for url in urls) and any("menu.js" in url for url in urls)
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        with client.get(url) as response:
            assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE, url


def test_the_hash_follows_the_bytes(app, tmp_path, monkeypatch):
    first = assets.asset_version("static", "css/app.css")
    copy = tmp_path / "css" / "app.css"
    copy.parent.mkdir()
    copy.write_bytes(Path(app.static_folder, "css", "app.css").read_bytes())
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    assert assets.asset_version("static", "css/app.css") == first
    copy.write_text("body { color: red; }")
    assert assets.asset_version("static", "css/app.css") != first


def test_leaflet_hash_covers_its_translation_patch(app, tmp_path, monkeypatch):
    first = assets.asset_version(assets.LEAFLET_ENDPOINT, "leaflet.js")
    patch = tmp_path / "leaflet-i18n.js"
    patch.write_text("/* changed */")
    monkeypatch.setattr(assets, "_leaflet_patch_path", lambda: str(patch))
    assert assets.asset_version(assets.LEAFLET_ENDPOINT, "leaflet.js") != first


@pytest.mark.parametrize("query", ["", "?v=000000000000", "?v=", "?v=../../x"])
def test_without_the_current_hash_the_file_is_revalidated(client, query):
    with client.get(f"/static/css/app.css{query}") as response:
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/nothing.css", "/static/../app.py", "/maps/assets/leaflet/nothing.js"])
def test_missing_files_are_404_without_a_version(app, client, path):
    assert client.get(path).status_code == 404


def test_one_leaflet_route(app):
    leaflet_rules = [rule.rule for rule in app.url_map.iter_rules() if "leaflet/" in rule.rule]
    assert leaflet_rules == ["/maps/assets/leaflet/<path:filename>"]


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_text_is_compressed(client, encoding, decode):
    url = next(u for u in asset_urls(client.get("/join").get_data(True)) if "app.css" in u)
    with client.get(url) as response:
        plain = response.data
    with client.get(url, headers={"Accept-Encoding": encoding}) as response:
        assert response.headers["Content-Encoding"] == encoding
        assert len(response.data) < len(plain) / 2 and decode(response.data) == plain
    page = client.get("/join", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding and b"<html" in decode(page.data)



def test_versioned_files_are_compressed_as_small_as_brotli_can(app, client):
    with app.test_request_context():
        url = url_for("maps.leaflet_asset", filename="leaflet.js", _external=False)
    assert "?v=" in url
    with client.get(url) as response:
        plain = response.data
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as response:
        assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
        assert len(response.data) <= len(brotli.compress(plain, quality=11)) and len(plain) > 100_000
        # Immutable: the browser never asks again, so no validators to send along.
        assert not {"ETag", "Last-Modified", "Accept-Ranges"} & set(response.headers.keys())
        assert "Cookie" not in response.headers.get("Vary", "") and "Set-Cookie" not in response.headers
