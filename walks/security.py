"""Security headers on every response, from one place.

A Content-Security-Policy that lets only the app's own files run (plus inline scripts and styles that
carry this request's nonce: Folium's map script and its size rule), images from the app, `data:`/
`blob:` (photo previews) and the tile server of TILE_URL (also for connections: the service worker
keeps tiles for use without signal); and the usual companions: nosniff, a
referrer policy, no framing, a Permissions-Policy that gives geolocation and the camera only to the
walker's capture page, and HSTS on https. Templates get the nonce with `csp_nonce()`; other responses
get the policy without one. Pages without a Cache-Control of their own get one here.

Style attributes (`style="..."`) are not allowed: with a nonce in style-src, browsers ignore
'unsafe-inline'. Colours that come from data are set from JavaScript (static/js/page.js), which CSP
permits, as are the element styles Leaflet sets.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_login import current_user

# The walker's capture page asks for the position and may open the camera; no other page may.
WALKER_CAPTURE_ENDPOINTS = frozenset({"capture.walk"})
HSTS_MAX_AGE = 365 * 24 * 3600
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def csp_nonce() -> str:
    """This request's nonce: one random value for every nonce attribute and for the header."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source of a tile URL template: scheme, host and port; `{s}` subdomains become `*.`.

    A relative tile URL (tiles served by the app) needs no source of its own: 'self' covers it.
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if _PLACEHOLDER.search(host):
        rest = host.split(".", 1)[1] if "." in host else ""
        if not rest or _PLACEHOLDER.search(rest):
            return None
        host = "*." + rest
    if not re.fullmatch(r"[a-z0-9.*:\[\]-]+", host):
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce: str | None, tile_url: str | None) -> str:
    """The policy; `nonce` only for pages (a nonce means nothing on a style sheet, a photo or JSON)."""
    images = ["'self'", "data:", "blob:"]
    connect = ["'self'"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
        connect.append(tiles)  # the capture page's service worker fetches tiles to keep them offline
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"] + ([f"'nonce-{nonce}'"] if nonce else []),
        "style-src": ["'self'"] + ([f"'nonce-{nonce}'"] if nonce else []),
        "img-src": images,
        "connect-src": connect,
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def permissions_policy(endpoint: str | None) -> str:
    allowed = "(self)" if endpoint in WALKER_CAPTURE_ENDPOINTS else "()"
    return f"geolocation={allowed}, camera={allowed}, microphone=(), payment=(), usb=()"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    page = response.mimetype == "text/html"
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce() if page else None,
                                                                 current_app.config.get("TILE_URL"))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = permissions_policy(request.endpoint)
    if request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE}"
    if page and "Cache-Control" not in headers:
        # Staff pages hold names and contact details: never stored. The walker's pages may be kept
        # in the phone's own cache (revalidated before use), so the service worker can keep the
        # page just loaded without a second download.
        headers["Cache-Control"] = "no-store" if current_user.is_authenticated else "private, no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
