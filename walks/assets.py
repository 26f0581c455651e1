"""Static files and vendored libraries: compressed, with content-hashed URLs cached for a year.

Every url_for() of a versioned endpoint (the app's static files, Leaflet and its marker-cluster plug-in)
gets `?v=<hash of the file's bytes>`. A request that carries the current hash is answered with
`Cache-Control: public, max-age=31536000, immutable`, so a phone fetches each version of a file once and a
deploy that changes a file changes its URL; a request without it (or with an old one) is revalidated.
Text answers are compressed with brotli or gzip, whichever the browser accepts: pages by Flask-Compress on
each request, versioned files once per version at brotli's highest quality (they never change).
"""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache

import brotli
from flask import Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join
from xstatic.pkg import leaflet as leaflet_pkg
from xstatic.pkg import leaflet_markercluster as markercluster_pkg

compress = Compress()
_COMPRESSED: dict[tuple[str, str, str, str], bytes] = {}

IMMUTABLE = "public, max-age=31536000, immutable"
LEAFLET_ENDPOINT = "maps.leaflet_asset"
# Leaflet is served with this small script appended: it puts the map controls into the page's language.
LEAFLET_PATCH = ("js", "leaflet-i18n.js")
VERSIONED_ENDPOINTS = ("static", LEAFLET_ENDPOINT, "maps.markercluster_asset")
COMPRESS_MIMETYPES = ("text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
                      "application/json", "application/geo+json", "application/manifest+json", "image/svg+xml",
                      "application/xml", "text/xml", "application/vnd.google-earth.kml+xml", "application/gpx+xml")


def _leaflet_patch_path() -> str:
    return os.path.join(current_app.static_folder, *LEAFLET_PATCH)


def asset_files(endpoint: str, filename: str) -> list[str]:
    """The files on disk whose bytes make up the answer to (endpoint, filename); empty if none."""
    base = {"static": current_app.static_folder, LEAFLET_ENDPOINT: leaflet_pkg.BASE_DIR,
            "maps.markercluster_asset": markercluster_pkg.BASE_DIR}.get(endpoint)
    path = safe_join(base, filename) if base and filename else None
    if path is None or not os.path.isfile(path):
        return []
    if endpoint == LEAFLET_ENDPOINT and filename == "leaflet.js":
        return [path, _leaflet_patch_path()]
    return [path]


@lru_cache(maxsize=512)
def _file_digest(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).digest()


def asset_version(endpoint: str, filename: str) -> str | None:
    """A short hash of the bytes served for this file, or None if there is no such file."""
    paths = asset_files(endpoint, filename)
    if not paths:
        return None
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(_file_digest(path, stat.st_mtime_ns, stat.st_size))
    return digest.hexdigest()[:12]


def translated_leaflet() -> Response:
    """leaflet.js followed by the patch that translates its controls (see static/js/leaflet-i18n.js)."""
    body = b""
    for path in asset_files(LEAFLET_ENDPOINT, "leaflet.js"):
        with open(path, "rb") as handle:
            body += handle.read() + b"\n"
    response = Response(body, mimetype="text/javascript")
    response.add_etag()
    return response.make_conditional(request)


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint in VERSIONED_ENDPOINTS and "filename" in values and "v" not in values:
        version = asset_version(endpoint, values["filename"])
        if version:
            values["v"] = version


def _cache_headers(response: Response) -> Response:
    if request.endpoint not in VERSIONED_ENDPOINTS or response.status_code not in (200, 304):
        return response
    if response.direct_passthrough and response.mimetype in COMPRESS_MIMETYPES:
        # Read the (small) text file here, so it is compressed whole and the file is closed.
        response.direct_passthrough = False
        response.make_sequence()
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    current = asset_version(request.endpoint, filename)
    if version and version == current:
        response.headers["Cache-Control"] = IMMUTABLE
        if response.status_code == 200 and response.mimetype in COMPRESS_MIMETYPES:
            _compress_once(response, (request.endpoint, filename, current))
        for validator in ("ETag", "Last-Modified", "Accept-Ranges"):  # never asked again: nothing to compare
            response.headers.pop(validator, None)
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.headers.pop("Content-Disposition", None)  # only a file name, on every static answer
    return response


def _compress_once(response: Response, key: tuple[str, str, str]) -> None:
    """A versioned file never changes: compress it once, as small as brotli or gzip can, and keep that
    (one entry per file version and encoding). Flask-Compress leaves an encoded answer alone."""
    encoding = next((e for e in ("br", "gzip") if request.accept_encodings[e]), None)
    if encoding is None:
        return
    body = _COMPRESSED.get((*key, encoding))
    if body is None:
        data = response.get_data()
        body = brotli.compress(data, quality=11) if encoding == "br" else gzip.compress(data, 9, mtime=0)
        _COMPRESSED[(*key, encoding)] = body
    etag, weak = response.get_etag()
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    if etag:
        response.set_etag(f"{etag}:{encoding}", weak=weak)
        response.make_conditional(request)  # the browser asks again with the encoded answer's ETag


def init_app(app):
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESS_MIMETYPES))
    compress.init_app(app)
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)  # registered after Flask-Compress's, so it runs before it

