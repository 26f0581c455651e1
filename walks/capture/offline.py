"""The walker's pages without signal: the service worker at /sw.js (its scope is the whole site, so it
can answer /j/<code>/capture). The script is static/js/capture-sw.js with a first line that tells it
which files to precache and a version computed from those files, so a deploy that changes any of them
changes the worker's bytes, which makes browsers install it afresh and drop the old caches."""
from __future__ import annotations

import hashlib
import json
import os

from flask import Blueprint, Response, current_app, request, url_for

bp = Blueprint("capture_offline", __name__)

SW_SOURCE = ("js", "capture-sw.js")
# What the capture screen needs to start with no network (files under static/).
STATIC_ASSETS = (
    "css/app.css", "css/capture.css", "js/menu.js", "js/page.js", "js/capture-queue.js", "js/capture.js",
    "js/capture-offline.js", "js/capture-map.js", "icon.svg", "manifest.webmanifest", "js/capture-metoo.js",
)
# The walker's maps draw their pin in CSS and have no layer control: none of Leaflet's images is needed.
LEAFLET_ASSETS = ("leaflet.js", "leaflet.css")


def _leaflet_dir() -> str:
    from xstatic.pkg import leaflet as xleaflet
    return xleaflet.BASE_DIR


def precache_files() -> list[tuple[str, str]]:
    """(url, file on disk) for every file the worker stores when it is installed."""
    static = current_app.static_folder
    files = [(url_for("static", filename=name), os.path.join(static, name)) for name in STATIC_ASSETS]
    files += [(url_for("maps.leaflet_asset", filename=name), os.path.join(_leaflet_dir(), name))
              for name in LEAFLET_ASSETS]
    return files


def worker_script() -> str:
    with open(os.path.join(current_app.static_folder, *SW_SOURCE), "rb") as handle:
        source = handle.read()
    files = precache_files()
    digest = hashlib.sha256(source)
    for url, path in files:
        digest.update(url.encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    config = {
        "version": digest.hexdigest()[:16],
        "precache": [url for url, _ in files],
        # Pages kept for offline use: /j/<code>/capture and /j/<code>/mine under this app's root.
        "root": request.script_root + "/",
        # Map tiles are kept from this tile server only, at most this many (oldest dropped first).
        "tileUrl": current_app.config["TILE_URL"],
        "tileCacheMax": current_app.config["TILE_CACHE_MAX"],
    }
    return f"self.SW_CONFIG = {json.dumps(config)};\n" + source.decode("utf-8")


@bp.get("/sw.js")
def service_worker():
    response = Response(worker_script(), mimetype="application/javascript")
    response.headers["Service-Worker-Allowed"] = request.script_root + "/"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
