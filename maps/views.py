"""Map pages: area and walk maps, the popup JSON, KML/GPX, and the locally served map libraries."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, \
    send_from_directory, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from xstatic.pkg import leaflet as leaflet_pkg
from xstatic.pkg import leaflet_markercluster as markercluster_pkg

from walks import access, assets
from walks.capture import metoo
from walks.categories.service import THEME_NAMES, theme_name
from walks.models import OBSERVATION_STATUSES, Area, Observation, Walk
from walks.security import csp_nonce
from walks.web import fail

from . import builders, exports, labels, service

bp = Blueprint("maps", __name__)


def _locale() -> str:
    return str(get_locale() or "sv")


def _assets() -> builders.MapAssets:
    return builders.MapAssets(
        leaflet_js=url_for("maps.leaflet_asset", filename="leaflet.js"),
        leaflet_css=url_for("maps.leaflet_asset", filename="leaflet.css"),
        markercluster_js=url_for("maps.markercluster_asset", filename="leaflet.markercluster.js"),
        markercluster_css=url_for("maps.markercluster_asset", filename="MarkerCluster.css"),
        markercluster_default_css=url_for("maps.markercluster_asset", filename="MarkerCluster.Default.css"),
        observations_js=url_for("static", filename="js/maps-observations.js"),
        heat_js=url_for("static", filename="js/maps-heat.js"),
        maps_css=url_for("static", filename="css/maps.css"),
    )


def _map_labels() -> builders.MapLabels:
    locale = _locale()
    return builders.MapLabels(
        themes={t: theme_name(t, locale) for t in THEME_NAMES},
        heat=_("Heat map: perceived unsafety"), tracks=_("Walkers' tracks"), route=_("Planned route"),
        boundary=_("Area boundary"), points=_("Observations"))


def _popup_texts() -> dict:
    return {"loading": _("Loading…"), "failed": _("The observation could not be loaded."),
            "open": _("Open the observation"), "photo": _("Photo of the place")}


def _detail_url_pattern() -> str:
    return url_for("maps.observation_json", observation_id=0).replace("/0.json", "/{id}.json")


def _area_or_404(area_id: int) -> Area:
    return access.get_visible(current_user, Area, area_id, message=_("There is no such area."))


def _walk_or_404(walk_id: int) -> Walk:
    return access.get_visible(current_user, Walk, walk_id, message=_("There is no such walk."))


def _filters(walk_ids=None) -> service.MapFilters:
    """The filters of the query string; a FilterError answers 400 with its message (the app's handler)."""
    codes = [c.code for c in service.category_styles(_locale())]
    return service.parse_filters(request.args, codes, walk_ids)


def _render_map(title: str, m, *, area: Area, walk: Walk | None, walks: list[Walk],
                filters: service.MapFilters, count: int, categories):
    parts = builders.render_parts(m, nonce=csp_nonce())
    locale = _locale()
    return render_template(
        "maps/map.html", title=title, map_parts=parts, area=area, walk=walk, walks=walks, filters=filters,
        count=count, categories=categories, themes=[(t, theme_name(t, locale), builders.THEME_COLOURS[t])
                                                    for t in builders.THEMES],
        statuses=[(s, labels.status_label(s)) for s in OBSERVATION_STATUSES],
        ratings=[(r, labels.safety_label(r)) for r in range(4)])


@bp.get("/maps")
@login_required
def index():
    areas = access.visible_areas(current_user)
    counts = service.area_counts(areas)
    return render_template("maps/index.html", areas=areas, counts=counts)


@bp.get("/areas/<int:area_id>/map")
@login_required
def area_map(area_id: int):
    area = _area_or_404(area_id)
    return _map_page(_("Map of %(area)s", area=area.name), area=area, walks=service.area_walks(area))


@bp.get("/walks/<int:walk_id>/map")
@login_required
def walk_map(walk_id: int):
    walk = _walk_or_404(walk_id)
    return _map_page(_("Map of %(walk)s", walk=walk.title), area=walk.area, walks=[walk], walk=walk)


def _map_page(title: str, *, area: Area, walks: list[Walk], walk: Walk | None = None):
    """The map of an area (all its walks) or of one walk: the boundary, the chosen walks' routes and
    tracks, and the observations the filters let through."""
    filters = _filters({w.id for w in walks})
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    points = service.map_points(area=None if walk else area, walk=walk, filters=filters, timezone=timezone)
    chosen = [w for w in walks if filters.walk_id in (None, w.id)]
    categories = service.category_styles(_locale())
    settings = builders.MapSettings(
        tile_url=current_app.config["TILE_URL"], attribution=current_app.config["TILE_ATTRIBUTION"],
        assets=_assets(), boundary=area.boundary, routes=[w.route for w in chosen if w.route],
        tracks=service.walk_tracks([w.id for w in chosen], filters, timezone), labels=_map_labels(),
        detail_url=_detail_url_pattern(), texts=_popup_texts(),
        centre=(area.centre_lat, area.centre_lon) if area.centre_lat is not None else None)
    m = builders.build_map(points, categories, settings)
    return _render_map(title, m, area=area, walk=walk, walks=walks, filters=filters, count=len(points),
                       categories=categories)


@bp.get("/maps/observations/<int:observation_id>.json")
@login_required
def observation_json(observation_id: int):
    observation = access.get_visible(current_user, Observation, observation_id,
                                     message=_("There is no such observation."))
    if observation.hidden:
        fail(404, _("There is no such observation."))
    locale = _locale()
    category = observation.category
    photo = observation.photos[0] if observation.photos else None
    light = service.light_condition_of(observation)
    facts = [
        [_("Perceived safety"), labels.safety_label(observation.safety)],
        [_("Observed"), format_datetime(observation.observed_at, "short")],
        [_("Light"), labels.light_label(light) if light else ""],
        [_("Status"), labels.status_label(observation.status)],
        [_("Walk"), observation.walk.title if observation.walk else ""],
        [_("Me too"), str(metoo.counts([observation.id]).get(observation.id, ""))],
    ]
    return jsonify({
        "id": observation.id,
        "category": {"code": category.code, "name": category.name(locale), "icon": category.icon,
                     "colour": builders.THEME_COLOURS.get(category.theme, category.color),
                     "theme": category.theme, "theme_name": theme_name(category.theme, locale)},
        "text": observation.text,
        "safety": observation.safety,
        "observed_at": observation.observed_at.isoformat() + "Z",
        "light_condition": light,
        "status": observation.status,
        "facts": facts,
        "thumbnail_url": url_for("capture.photo", filename=photo.thumb_filename) if photo else None,
        "photo_url": url_for("capture.photo", filename=photo.filename) if photo else None,
        "url": url_for("review.observation", observation_id=observation.id),
    })


def _export_rows(walk: Walk) -> list[exports.ExportRow]:
    locale = _locale()
    rows = service.export_observations(walk)
    return [exports.ExportRow(o.id, o.lat, o.lon, o.category.name(locale), o.text, o.safety,
                              labels.safety_label(o.safety), labels.status_label(o.status), o.observed_at)
            for o in rows]


@bp.get("/walks/<int:walk_id>.kml")
@login_required
def walk_kml(walk_id: int):
    walk = _walk_or_404(walk_id)
    body = exports.kml(walk.title, _export_rows(walk))
    return Response(body, mimetype="application/vnd.google-earth.kml+xml", headers={
        "Content-Disposition": f'attachment; filename="walk-{walk.id}.kml"'})


@bp.get("/walks/<int:walk_id>.gpx")
@login_required
def walk_gpx(walk_id: int):
    walk = _walk_or_404(walk_id)
    body = exports.gpx(walk.title, _export_rows(walk), route=walk.route)
    return Response(body, mimetype="application/gpx+xml", headers={
        "Content-Disposition": f'attachment; filename="walk-{walk.id}.gpx"'})


def _send_asset(base_dir: str, filename: str):
    # Only the files the packages ship: send_from_directory refuses paths outside base_dir.
    if os.path.splitext(filename)[1] not in (".js", ".css", ".png", ".map"):
        abort(404)
    return send_from_directory(base_dir, filename)  # cache lifetime: walks/assets.py (hashed URLs)


@bp.get("/maps/assets/leaflet/<path:filename>")
def leaflet_asset(filename: str):
    """Leaflet from the xstatic-leaflet package: no CDN. The app's one Leaflet route (public: the walker's
    pages use it too); leaflet.js comes with its controls translated (walks/assets.py)."""
    if filename == "leaflet.js":
        return assets.translated_leaflet()
    return _send_asset(leaflet_pkg.BASE_DIR, filename)


@bp.get("/maps/assets/markercluster/<path:filename>")
def markercluster_asset(filename: str):
    return _send_asset(markercluster_pkg.BASE_DIR, filename)


def init_app(app):
    app.register_blueprint(bp)
