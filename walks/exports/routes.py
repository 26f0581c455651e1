"""Machine twins of the review pages: /walks/<id>.csv, .geojson and the same per area."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..models import Area, Walk
from ..web import get_or_fail
from ..safe_text import content_disposition
from . import service

bp = Blueprint("exports", __name__)


def _photo_url(name: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("capture.photo", filename=name)
    return url_for("capture.photo", filename=name, _external=True)


def _include_hidden() -> bool:
    return request.args.get("include_hidden") in ("1", "true", "yes")


def _walk(walk_id: int) -> Walk:
    return get_or_fail(Walk, walk_id, _("That walk was not found."))


def _area(area_id: int) -> Area:
    return get_or_fail(Area, area_id, _("That area was not found."))


def _geojson_response(observations, filename: str) -> Response:
    collection = service.feature_collection(observations, _photo_url)
    response = Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json")
    response.headers["Content-Disposition"] = content_disposition(filename, "inline")
    return response


def _csv_response(observations, filename: str) -> Response:
    response = Response(service.csv_text(observations, _photo_url), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(filename, "attachment")
    response.charset = "utf-8"
    return response


@bp.get("/walks/<int:walk_id>.geojson")
@login_required
def walk_geojson(walk_id: int):
    walk = _walk(walk_id)
    observations = service.observations_for(walk_id=walk.id, include_hidden=_include_hidden())
    return _geojson_response(observations, f"walk-{walk.id}.geojson")


@bp.get("/walks/<int:walk_id>.csv")
@login_required
def walk_csv(walk_id: int):
    walk = _walk(walk_id)
    observations = service.observations_for(walk_id=walk.id, include_hidden=_include_hidden())
    return _csv_response(observations, f"walk-{walk.id}.csv")


@bp.get("/areas/<int:area_id>.geojson")
@login_required
def area_geojson(area_id: int):
    area = _area(area_id)
    observations = service.observations_for(area_id=area.id, include_hidden=_include_hidden())
    return _geojson_response(observations, f"area-{area.id}.geojson")


@bp.get("/areas/<int:area_id>.csv")
@login_required
def area_csv(area_id: int):
    area = _area(area_id)
    observations = service.observations_for(area_id=area.id, include_hidden=_include_hidden())
    return _csv_response(observations, f"area-{area.id}.csv")
