"""Areas and walks: creating and changing them, join codes and links, QR codes."""
from __future__ import annotations

import datetime as dt
import io
import math
import secrets
from zoneinfo import ZoneInfo

import segno
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

from .. import geo
from ..extensions import db
from ..models import LIGHT_CONDITIONS, WALK_STATUSES, Area, Walk, audit

# No 0/O, 1/I: a code read aloud or typed from a poster is not mistaken. 32**8 ≈ 1.1e12 codes.
JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
KEEP = object()  # "leave the stored geometry as it is"


class AreaError(ValueError):
    """Refused input; `message` says why (a person reads it), `field` says where."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


# --- Areas ---------------------------------------------------------------------------------------

def boundary_from(raw: bytes | str, max_bytes: int) -> dict:
    """A validated Polygon/MultiPolygon geometry from GeoJSON text; AreaError on anything else."""
    try:
        return geo.validate_polygon(geo.parse_geojson(raw, max_bytes))
    except geo.GeoJSONError as error:
        raise AreaError(str(error), "boundary") from None


def route_from(raw: bytes | str, max_bytes: int) -> dict:
    try:
        return geo.validate_linestring(geo.parse_geojson(raw, max_bytes))
    except geo.GeoJSONError as error:
        raise AreaError(str(error), "route") from None


def _area_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AreaError(_l("Give the area a name."), "name")
    if len(name) > 200:
        raise AreaError(_l("The name is too long (at most 200 characters)."), "name")
    return name


def _set_boundary(area: Area, boundary: dict | None) -> None:
    area.boundary = boundary
    middle = geo.centre(boundary)
    area.centre_lat, area.centre_lon = middle if middle else (None, None)


def create_area(name: str, description: str, boundary: dict | None, user) -> Area:
    area = Area(name=_area_name(name), description=(description or "").strip())
    _set_boundary(area, boundary)
    db.session.add(area)
    db.session.flush()
    audit(user, area, "create", name=area.name)
    return area


def update_area(area: Area, name: str, description: str, boundary=KEEP, user=None) -> Area:
    area.name = _area_name(name)
    area.description = (description or "").strip()
    if boundary is not KEEP:
        _set_boundary(area, boundary)
    db.session.flush()
    audit(user, area, "update", name=area.name, boundary_changed=boundary is not KEEP)
    return area


def search_areas(query: str = "") -> list[tuple[Area, list[Walk]]]:
    """Areas (newest first) with their walks (newest first); `query` matches area names, walk titles
    and join codes. Matched in Python: SQLite's lower() leaves å, ä, ö alone, and areas are few."""
    wanted = (query or "").strip().casefold()
    areas = db.session.scalars(sa.select(Area).order_by(Area.created_at.desc(), Area.id.desc()))
    found = []
    for area in areas:
        walks = walks_newest_first(area)
        if wanted and wanted not in area.name.casefold() and not any(
                wanted in walk.title.casefold() or wanted == walk.join_code.casefold() for walk in walks):
            continue
        found.append((area, walks))
    return found


def walks_newest_first(area: Area) -> list[Walk]:
    return sorted(area.walks, key=lambda w: (w.starts_at, w.id), reverse=True)


def outline(geometry: dict | None, width: int = 320, height: int = 200, pad: int = 8,
            max_points: int = 400) -> dict | None:
    """An SVG path of a boundary, for a small picture of the area (equirectangular, north up)."""
    box = geo.bounds(geometry)
    if not box:
        return None
    (south, west), (north, east) = box
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * squeeze, 1e-9), max(north - south, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def point(position):
        return (f"{off_x + (position[0] - west) * squeeze * scale:.1f},"
                f"{off_y + (north - position[1]) * scale:.1f}")

    def thinned(ring):  # a picture 320 px wide needs no more than a few hundred corners per ring
        step = max(1, len(ring) // max_points)
        return ring[::step]

    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    path = " ".join("M" + " L".join(point(p) for p in thinned(ring)) + " Z"
                    for polygon in polygons for ring in polygon)
    return {"path": path, "width": width, "height": height}


# --- Walks ---------------------------------------------------------------------------------------

def new_join_code() -> str:
    """A short, unguessable code that no walk has yet."""
    while True:
        code = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.session.scalar(sa.select(Walk.id).where(Walk.join_code == code)) is None:
            return code


def _clean_walk(values: dict) -> dict:
    title = (values.get("title") or "").strip()
    if not title:
        raise AreaError(_l("Give the walk a title."), "title")
    if len(title) > 200:
        raise AreaError(_l("The title is too long (at most 200 characters)."), "title")
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts_at, dt.datetime):
        raise AreaError(_l("Give the date and time the walk starts."), "starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise AreaError(_l("The walk must end after it starts."), "ends_at")
    if values.get("light_condition") not in LIGHT_CONDITIONS:
        raise AreaError(_l("Choose daylight, dusk or dark."), "light_condition")
    if values.get("status") not in WALK_STATUSES:
        raise AreaError(_l("Choose planned, open or closed."), "status")
    cleaned = {"title": title, "starts_at": starts_at, "ends_at": ends_at,
               "light_condition": values["light_condition"], "status": values["status"],
               "weather": (values.get("weather") or "").strip()[:200],
               "meeting_point": (values.get("meeting_point") or "").strip()[:300]}
    if "landmarks" in values:  # parsed and checked on the walk form (walks/capture/landmarks.py)
        cleaned["landmarks"] = values["landmarks"] or None
    return cleaned


def create_walk(area: Area, values: dict, user, route: dict | None = None) -> Walk:
    walk = Walk(area=area, join_code=new_join_code(), route=route, **_clean_walk(values))
    db.session.add(walk)
    db.session.flush()
    audit(user, walk, "create", title=walk.title, area_id=area.id)
    return walk


def update_walk(walk: Walk, values: dict, user, route=KEEP) -> Walk:
    cleaned = _clean_walk(values)
    changes = {key: [_plain(getattr(walk, key)), _plain(value)] for key, value in cleaned.items()
               if getattr(walk, key) != value}
    for key, value in cleaned.items():
        setattr(walk, key, value)
    if route is not KEEP:
        walk.route = route
        changes["route"] = ["…", "…" if route else None]
    db.session.flush()
    if changes:
        audit(user, walk, "update", **changes)
    return walk


def set_walk_status(walk: Walk, status: str, user) -> Walk:
    if status not in WALK_STATUSES:
        raise AreaError(_l("Choose planned, open or closed."), "status")
    if walk.status != status:
        audit(user, walk, "status", old=walk.status, new=status)
        walk.status = status
        db.session.flush()
    return walk


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --- Times: forms speak local time, the database UTC ------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm"))


def local_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=_zone()).astimezone(dt.timezone.utc).replace(tzinfo=None)


def utc_to_local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone(_zone()).replace(tzinfo=None)


# --- Join links and QR codes ---------------------------------------------------------------------------

def join_path(code: str) -> str:
    """The join page of a code; `/j/<code>` while the capture capability is not there."""
    app = current_app
    if "capture.join" in app.view_functions:
        return app.url_map.bind("localhost", script_name="/").build("capture.join", {"code": code})
    return f"/j/{code}"


def join_url(code: str) -> str:
    """The full join link: PUBLIC_BASE_URL if set, else this request's host, else the dev server."""
    base = current_app.config.get("PUBLIC_BASE_URL") or \
        (request.host_url if has_request_context() else "http://127.0.0.1:5000/")
    return base.rstrip("/") + join_path(code)


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def qr_svg(url: str, title: str = "") -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=8, border=4, xmldecl=False, title=title or None,
                      svgclass="qr", lineclass=None)
    return out.getvalue()


def qr_png(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
