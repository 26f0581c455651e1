"""Areas and walks for coordinators: the home page, forms, the walk hub, QR codes and the poster."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..models import WALK_STATUSES, Area, Walk
from ..safe_text import content_disposition
from ..web import ButtonForm, editor_required, fail, save
from . import service
from .forms import AreaForm, SearchForm, WalkForm

bp = Blueprint("areas", __name__)


def _user():
    return current_user._get_current_object()


FIELDS = {"boundary": "boundary_text", "route": "route_file"}  # service field -> form field


def _area(area_id: int, write: bool = False) -> Area:
    return access.get_visible(_user(), Area, area_id, write=write)


def _walk(walk_id: int, write: bool = False) -> Walk:
    return access.get_visible(_user(), Walk, walk_id, write=write)


def _uploaded_geojson(file_field, text_field=None) -> bytes | None:
    """The GeoJSON given as a file or pasted text; reads at most one byte more than allowed."""
    limit = current_app.config["MAX_GEOJSON_BYTES"]
    upload = file_field.data
    if upload and getattr(upload, "filename", ""):
        return upload.stream.read(limit + 1)
    if text_field is not None and (text_field.data or "").strip():
        return text_field.data.strip().encode()
    return None


def _hub_links(specs) -> list[tuple[str, str]]:
    """(label, URL) for each (endpoint, label, values)."""
    return [(label, url_for(endpoint, **values)) for endpoint, label, values in specs]


# --- Areas -----------------------------------------------------------------------------------------

@bp.get("/areas")
@login_required
def index():
    search = SearchForm(request.args)
    query = search.q.data if search.validate() else ""
    areas = service.search_areas(_user(), query)
    return render_template("areas/index.html", search=search, query=query, areas=areas,
                           editable_ids={area.id for area, _walks in areas if access.can_edit(_user(), area)})


@bp.route("/areas/new", methods=["GET", "POST"])
@editor_required
def area_new():
    form = AreaForm()

    def create():
        raw = _uploaded_geojson(form.boundary_file, form.boundary_text)
        if raw is None:
            raise service.AreaError(_("Upload a GeoJSON file or paste GeoJSON with the area's boundary."),
                                    "boundary")
        boundary = service.boundary_from(raw, current_app.config["MAX_GEOJSON_BYTES"])
        return service.create_area(form.name.data, form.description.data, boundary, _user())

    if form.validate_on_submit():
        saved = save(create, form, "boundary_text", FIELDS)
        if saved:
            flash(_("Area “%(name)s” created.", name=saved.value.name), "success")
            return redirect(url_for("areas.area_detail", area_id=saved.value.id))
    return render_template("areas/area_form.html", form=form, area=None), 400 if form.errors else 200


@bp.get("/areas/<int:area_id>")
@login_required
def area_detail(area_id: int):
    area = _area(area_id)
    here = {"area_id": area.id}
    links = _hub_links([
        ("maps.area_map", _("Map"), here),
        ("actions.index", _("Action plan"), here),
        ("actions.meeting", _("Follow-up meeting"), here),
        ("followup.dashboard", _("Follow-up"), here),
        ("actors.contact_list", _("Contact list"), here),
        ("reports.rules", _("Fault report recipients"), here),
        ("exports.area_csv", _("CSV"), here),
        ("exports.area_geojson", _("GeoJSON"), here),
    ])
    return render_template("areas/area_detail.html", area=area, walks=service.walks_newest_first(area),
                           outline=service.outline(area.boundary), links=links,
                           editable=access.can_edit(_user(), area))


@bp.route("/areas/<int:area_id>/edit", methods=["GET", "POST"])
@editor_required
def area_edit(area_id: int):
    area = _area(area_id, write=True)
    form = AreaForm(obj=area)

    def update():
        raw = _uploaded_geojson(form.boundary_file, form.boundary_text)
        boundary = service.KEEP if raw is None else \
            service.boundary_from(raw, current_app.config["MAX_GEOJSON_BYTES"])
        return service.update_area(area, form.name.data, form.description.data, boundary, _user())

    if form.validate_on_submit() and save(update, form, "boundary_text", FIELDS):
        flash(_("Area saved."), "success")
        return redirect(url_for("areas.area_detail", area_id=area.id))
    return render_template("areas/area_form.html", form=form, area=area), 400 if form.errors else 200


# --- Walks -----------------------------------------------------------------------------------------

def _walk_values(form: WalkForm) -> dict:
    return {"title": form.title.data, "starts_at": service.local_to_utc(form.starts_at.data),
            "ends_at": service.local_to_utc(form.ends_at.data, "ends_at"),
            "light_condition": form.light_condition.data,
            "weather": form.weather.data, "meeting_point": form.meeting_point.data, "status": form.status.data,
            "landmarks": form.landmarks.data or None}


def _walk_route(form: WalkForm):
    raw = _uploaded_geojson(form.route_file)
    if raw is not None:
        return service.route_from(raw, current_app.config["MAX_GEOJSON_BYTES"])
    return None if form.remove_route.data else service.KEEP


@bp.route("/areas/<int:area_id>/walks/new", methods=["GET", "POST"])
@editor_required
def walk_new(area_id: int):
    area = _area(area_id, write=True)
    form = WalkForm()

    def create():
        route = _walk_route(form)
        return service.create_walk(area, _walk_values(form), _user(),
                                   route=None if route is service.KEEP else route)

    if form.validate_on_submit():
        saved = save(create, form, "title", FIELDS)
        if saved:
            flash(_("Walk “%(title)s” created.", title=saved.value.title), "success")
            return redirect(url_for("areas.walk_detail", walk_id=saved.value.id))
    return render_template("areas/walk_form.html", form=form, area=area, walk=None), 400 if form.errors else 200


@bp.route("/walks/<int:walk_id>/edit", methods=["GET", "POST"])
@editor_required
def walk_edit(walk_id: int):
    walk = _walk(walk_id, write=True)
    form = WalkForm(obj=walk)
    if request.method == "GET":
        form.starts_at.data = service.utc_to_local(walk.starts_at)
        form.ends_at.data = service.utc_to_local(walk.ends_at)
    if form.validate_on_submit() and save(
            lambda: service.update_walk(walk, _walk_values(form), _user(), route=_walk_route(form)),
            form, "title", FIELDS):
        flash(_("Walk saved."), "success")
        return redirect(url_for("areas.walk_detail", walk_id=walk.id))
    return render_template("areas/walk_form.html", form=form, area=walk.area, walk=walk), \
        400 if form.errors else 200


@bp.get("/walks/<int:walk_id>/manage")
@login_required
def walk_detail(walk_id: int):
    walk = _walk(walk_id)
    this = {"walk_id": walk.id}
    links = _hub_links([
        ("review.walk", _("Review observations"), this),
        ("maps.walk_map", _("Map"), this),
        ("reports.index", _("Fault reports"), {"walk": walk.id}),
        ("exports.walk_csv", _("CSV"), this),
        ("exports.walk_geojson", _("GeoJSON"), this),
        ("followup.compare", _("Compare walks"), {"area_id": walk.area_id}),
    ])
    return render_template("areas/walk_detail.html", walk=walk, area=walk.area, links=links,
                           join_url=service.join_url(walk.join_code),
                           observation_count=len(walk.observations), participant_count=len(walk.participants),
                           editable=access.can_edit(_user(), walk))


@bp.post("/walks/<int:walk_id>/status/<status>")
@editor_required
def walk_status(walk_id: int, status: str):
    walk = _walk(walk_id, write=True)
    if status not in WALK_STATUSES:
        fail(400, _("Choose planned, open or closed."))
    if ButtonForm().validate_on_submit() and save(lambda: service.set_walk_status(walk, status, _user())):
        flash({"open": _("The walk is open: walkers can join."), "closed": _("The walk is closed."),
               "planned": _("The walk is planned.")}[status], "success")
    return redirect(url_for("areas.walk_detail", walk_id=walk.id))


@bp.get("/walks/<int:walk_id>/qr.svg")
@login_required
def walk_qr_svg(walk_id: int):
    walk = _walk(walk_id)
    body = service.qr_svg(service.join_url(walk.join_code), title=walk.title)
    return Response(body, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/walks/<int:walk_id>/qr.png")
@login_required
def walk_qr_png(walk_id: int):
    walk = _walk(walk_id)
    body = service.qr_png(service.join_url(walk.join_code))
    download = request.args.get("download") == "1"
    headers = {"Cache-Control": "private, max-age=3600"}
    if download:
        headers["Content-Disposition"] = content_disposition(f"walk-{walk.id}-{walk.join_code}.png")
    return Response(body, mimetype="image/png", headers=headers)


@bp.get("/walks/<int:walk_id>/poster")
@login_required
def walk_poster(walk_id: int):
    walk = _walk(walk_id)
    return render_template("areas/walk_poster.html", walk=walk, area=walk.area,
                           join_url=service.join_url(walk.join_code))
