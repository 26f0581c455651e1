"""The walker's pages and the capture API. Thin: parse, call the service, commit once, answer."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from .. import access
from .. import photos as photo_pipeline
from ..categories.service import THEME_NAMES, active_categories, theme_name
from ..geo import GeoJSONError, check_lat_lon
from ..limits import per_participant
from ..models import FINER_RATINGS, Walk
from ..web import ButtonForm, fail, save
from . import links, metoo, service, tiles
from .forms import FINER_LABELS, LOCATION_SOURCE_LABELS, ROLE_LABELS, SAFETY_LABELS, EditObservationForm, JoinForm, StartForm
from .service import CaptureError

bp = Blueprint("capture", __name__)

COOKIE_PREFIX = "tvp_"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at about 400 days


# ---- helpers ---------------------------------------------------------------------------------

def _cookie_name(walk: Walk) -> str:
    return f"{COOKIE_PREFIX}{walk.id}"


def _walk_or_404(code: str) -> Walk:
    walk = service.find_walk(code)
    if walk is None:
        fail(404, _("There is no walk with the code %(code)s. Check the code and try again.", code=code[:16]))
    return walk


def _participant(walk: Walk):
    return service.participant_for_token(walk, request.cookies.get(_cookie_name(walk)))




def _photo_url(name: str) -> str:
    return url_for("capture.photo", filename=name)


def _uploaded_photos() -> list[bytes]:
    limit = current_app.config["MAX_PHOTO_BYTES"]
    datas = []
    for storage in request.files.getlist("photos") + request.files.getlist("photo"):
        data = storage.read(limit + 1)
        if data:
            datas.append(data)
    return datas


def _payload() -> dict:
    if request.is_json:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            raise CaptureError(_("The observation was not sent as a set of fields."))
        return payload
    return request.form.to_dict()


def _grouped_categories():
    locale = str(get_locale())
    groups: dict[str, list] = {}
    for category in active_categories():
        groups.setdefault(category.theme, []).append(category)
    order = [t for t in THEME_NAMES if t in groups] + [t for t in groups if t not in THEME_NAMES]
    return [(theme, theme_name(theme, locale), groups[theme]) for theme in order]


# ---- pages -----------------------------------------------------------------------------------

@bp.get("/join")
def start():
    form = StartForm(request.args)
    if request.args.get("code") is not None and form.validate():
        walk = service.find_walk(form.code.data)
        if walk is not None:
            return redirect(url_for("capture.join", code=walk.join_code))
        form.code.errors.append(_("There is no walk with that code. Check the code and try again."))
        return render_template("capture/start.html", form=form), 404
    return render_template("capture/start.html", form=form)


@bp.route("/j/<code>", methods=["GET", "POST"])
@per_participant("LIMIT_JOIN", methods=["POST"])
def join(code: str):
    walk = _walk_or_404(code)
    participant = _participant(walk)
    if participant is not None and walk.status == "open":
        return redirect(url_for("capture.walk", code=walk.join_code))
    form = JoinForm()
    if walk.status != "open":
        status = 403 if request.method == "POST" else 200
        return render_template("capture/join.html", walk=walk, form=None, participant=participant), status
    if form.validate_on_submit():
        saved = save(lambda: service.join_walk(walk, display_name=form.display_name.data or "",
                                               role=form.role.data, consent=form.consent.data), form, "consent")
        if saved:
            _joined, token = saved.value
            response = redirect(url_for("capture.walk", code=walk.join_code))
            response.set_cookie(_cookie_name(walk), token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure, path="/")
            return response
    status = 400 if request.method == "POST" else 200
    return render_template("capture/join.html", walk=walk, form=form, participant=None), status


@bp.get("/j/<code>/capture")
def walk(code: str):
    walk = _walk_or_404(code)
    participant = _participant(walk)
    if participant is None or walk.status != "open":
        return redirect(url_for("capture.join", code=walk.join_code))
    area = walk.area
    settings = current_app.config
    tile_url = settings["TILE_URL"]
    prefetch = tiles.prefetch_allowed(tile_url, settings["TILE_PREFETCH"])
    centre = [area.centre_lat, area.centre_lon] if area.centre_lat is not None else None
    box = tiles.walk_bounds(area.boundary, walk.route, centre)
    config = {
        "code": walk.join_code,
        "submitUrl": url_for("capture.api_create", code=walk.join_code),
        "pointsUrl": url_for("capture.api_points", code=walk.join_code),
        "trackUrl": url_for("capture.api_track", code=walk.join_code),
        "mineUrl": url_for("capture.mine", code=walk.join_code),
        "swUrl": url_for("capture_offline.service_worker"),
        "swScope": request.script_root + "/",
        "tileUrl": tile_url,
        "tileAttribution": settings["TILE_ATTRIBUTION"],
        "minZoom": tiles.CAPTURE_MIN_ZOOM,
        "maxNativeZoom": tiles.CAPTURE_MAX_NATIVE_ZOOM,
        "prefetchTiles": tiles.tile_urls(tile_url, tiles.tiles_for_bounds(
            box, limit=settings["TILE_PREFETCH_MAX"])) if prefetch else [],
        "centre": centre,
        "boundary": area.boundary,
        "route": walk.route,
        "landmarks": walk.landmarks or [],
        "goodAccuracy": settings["GPS_GOOD_ACCURACY_M"],
        "warnAccuracy": settings["GPS_WARN_ACCURACY_M"],
        "fixWaitMs": int(settings["GPS_FIX_WAIT_S"] * 1000),
        "outsideMargin": settings["OUTSIDE_AREA_MARGIN_M"],
        "maxSide": photo_pipeline.MAX_SIDE,
        "messages": {
            "saved": _("Saved. Thank you!"),
            "waiting": _("%(n)s waiting to be sent", n="{n}"),
            "sending": _("Sending…"),
            "allSent": _("Everything is sent."),
            "noPosition": _("No position yet. Allow location access, tap the map, or choose a place from the list."),
            "accuracy": _("Position accurate to about %(m)s m", m="{m}"),
            "poorAccuracy": _("Weak position (about %(m)s m). Drag the pin to the right spot if you can.",
                              m="{m}"),
            "waitingForFix": _("Waiting a few seconds for a better position (now about %(m)s m)…", m="{m}"),
            "placedOnMap": _("Position placed on the map."),
            "fromPhoto": _("Position taken from the photo: the pin shows where it landed."),
            "atLandmark": _("Position: %(name)s", name="{name}"),
            "geoDenied": _("Location access is off. Tap the map to place the point, choose a place from the "
                           "list, or add a photo with a position."),
            "chooseCategory": _("Choose a category."),
            "chooseSafety": _("Choose how safe the place feels."),
            "outside": _("This point is about %(m)s m outside the walk's area. Save it anyway, or move the pin.",
                         m="{m}"),
            "badPhoto": _("This phone cannot open the photo “%(name)s”. Take a new photo or choose another "
                          "one (JPEG or PNG).", name="{name}"),
            "failed": _("Could not be saved: %(reason)s", reason="{reason}"),
            "discard": _("Remove"),
            "photosChosen": _("%(n)s photo(s) chosen", n="{n}"),
            "offline": _("No connection. Your observation is kept on this phone and sent later."),
            "mapKept": _("The map of the area is kept on this phone for use without signal."),
            "mapPartial": _("The map is only partly kept on this phone: %(n)s of %(total)s map pieces could "
                            "not be fetched. Without signal, parts of the map may be blank.",
                            n="{n}", total="{total}"),
            "mapStorageFull": _("The phone's storage is full: the map is only partly kept for use without "
                                "signal. Your observations are not affected."),
        },
    }
    return render_template("capture/capture.html", walk=walk, participant=participant,
                           groups=_grouped_categories(), safety_labels=SAFETY_LABELS,
                           finer=[(name, FINER_LABELS[name]) for name in FINER_RATINGS],
                           capture_config=config)


@bp.get("/j/<code>/mine")
def mine(code: str):
    walk = _walk_or_404(code)
    participant = _participant(walk)
    if participant is None:
        return redirect(url_for("capture.join", code=walk.join_code))
    observations = service.own_observations(walk, participant)
    map_config = {
        "pointsUrl": url_for("capture.api_points", code=walk.join_code),
        "tileUrl": current_app.config["TILE_URL"],
        "tileAttribution": current_app.config["TILE_ATTRIBUTION"],
        "centre": [walk.area.centre_lat, walk.area.centre_lon] if walk.area.centre_lat is not None else None,
        "boundary": walk.area.boundary,
    }
    return render_template("capture/mine.html", walk=walk, participant=participant, observations=observations,
                           delete_form=ButtonForm(), safety_labels=SAFETY_LABELS, map_config=map_config,
                           role_labels=ROLE_LABELS, source_labels=LOCATION_SOURCE_LABELS,
                           locks={o.id: service.lock_reason(o) for o in observations})


def _own_observation_or_error(code: str, uuid: str):
    """The walker's own observation that they may still change; else the page says why."""
    walk = _walk_or_404(code)
    participant = _participant(walk)
    observation = service.find_observation(uuid)
    if observation is None or observation.walk_id != walk.id:
        fail(404, _("That observation was not found."))
    service.check_editable(observation, participant)
    return walk, participant, observation


@bp.route("/j/<code>/mine/<uuid>/edit", methods=["GET", "POST"])
def edit(code: str, uuid: str):
    walk, participant, observation = _own_observation_or_error(code, uuid)
    locale = str(get_locale())
    form = EditObservationForm(obj=None if request.method == "POST" else observation)
    form.category.choices = [SelectChoice(c.code, f"{c.icon} {c.name(locale)}") for c in active_categories()]
    if request.method == "GET":
        form.category.data = observation.category.code
        form.safety.data = str(observation.safety)
    if form.validate_on_submit() and save(lambda: service.update_observation(observation, participant, {
            "category": form.category.data, "text": form.text.data or "", "safety": form.safety.data}),
            form, "text"):
        flash(_("The observation was updated."), "success")
        return redirect(url_for("capture.mine", code=walk.join_code))
    status = 400 if request.method == "POST" else 200
    return render_template("capture/edit.html", walk=walk, observation=observation, form=form), status


@bp.post("/j/<code>/mine/<uuid>/delete")
def delete(code: str, uuid: str):
    walk, participant, observation = _own_observation_or_error(code, uuid)
    if not ButtonForm().validate_on_submit():
        fail(400, _("The form has expired or was not sent from this site. Reload the page and try again."))
    save(lambda: service.delete_observation(observation, participant, current_app.config["UPLOAD_DIR"]))
    flash(_("The observation was deleted."), "success")
    return redirect(url_for("capture.mine", code=walk.join_code))


@bp.get("/photos/<filename>")
def photo(filename: str):
    """Staff of the area, the walker who took it, the walk's participants while it is open."""
    photo = service.photo_by_filename(filename)
    walk = photo.observation.walk if photo is not None else None
    participant = _participant(walk) if walk is not None else None
    if photo is None or not access.can_view_photo(current_user, participant, photo):
        fail(404, _("That photo was not found."))
    return photo_pipeline.send(filename)


@bp.get("/photos/signed/<token>")
def signed_photo(token: str):
    """A photo for the recipient of a fault report: the link is signed and expires."""
    filename = links.photo_filename(token)
    if filename is None:
        fail(404, _("This photo link is not valid or has expired. Ask the sender for a new one."))
    return photo_pipeline.send(filename)


# ---- JSON API --------------------------------------------------------------------------------

def _api_walk(code: str) -> Walk:
    walk = service.find_walk(code)
    if walk is None:
        fail(404, _("There is no walk with that code."))
    return walk


def _api_participant(walk: Walk):
    participant = _participant(walk)
    if participant is None:
        raise CaptureError(_("You have not joined this walk. Open its link again."), status=403)
    return participant


@bp.post("/api/walks/<code>/observations")
@per_participant("LIMIT_OBSERVATIONS")
def api_create(code: str):
    walk = _api_walk(code)
    participant = _api_participant(walk)
    payload = _payload()
    photos = _uploaded_photos()
    seconds = metoo.target_for(walk, participant, payload["metoo_of"]) if payload.get("metoo_of") else None
    for attempt in (1, 2):
        try:
            result = save(lambda: service.create_observation(walk, participant, payload, photos,
                                                             current_app.config, seconds=seconds)).value
            break
        except IntegrityError:
            # Two copies of one retry raced: the other one won (save() rolled back), so this is a repeat.
            if attempt == 2:
                raise
    body = service.observation_json(result.observation, _photo_url)
    body["created"] = result.created
    return jsonify(body), 201 if result.created else 200


def _api_own_observation(uuid: str):
    """The observation and the walker asking; one who is not its walker finds nothing (404)."""
    observation = service.find_observation(uuid)
    participant = _participant(observation.walk) if observation is not None and observation.walk else None
    if observation is None or not access.participant_owns(participant, observation):
        fail(404, _("That observation was not found."))
    return observation, participant


@bp.patch("/api/observations/<uuid>")
def api_update(uuid: str):
    observation, participant = _api_own_observation(uuid)
    save(lambda: service.update_observation(observation, participant, _payload(),
                                            current_app.config["OUTSIDE_AREA_MARGIN_M"]))
    return jsonify(service.observation_json(observation, _photo_url))


@bp.delete("/api/observations/<uuid>")
def api_delete(uuid: str):
    observation, participant = _api_own_observation(uuid)
    save(lambda: service.delete_observation(observation, participant, current_app.config["UPLOAD_DIR"]))
    return jsonify({"deleted": uuid})


@bp.post("/api/observations/<uuid>/photos")
@per_participant("LIMIT_PHOTOS")
def api_add_photos(uuid: str):
    observation, participant = _api_own_observation(uuid)
    result = save(lambda: service.add_photos(observation, participant, _uploaded_photos(),
                                             current_app.config)).value
    body = service.observation_json(observation, _photo_url)
    body["photos_added"] = result.photos_added
    return jsonify(body), 201 if result.photos_added else 200


@bp.post("/api/walks/<code>/track")
@per_participant("LIMIT_TRACK")
def api_track(code: str):
    walk = _api_walk(code)
    participant = _api_participant(walk)
    payload = request.get_json(silent=True)
    points = payload.get("points") if isinstance(payload, dict) else None
    count = save(lambda: service.record_track(walk, participant, points)).value
    return jsonify({"stored": count}), 201


@bp.get("/api/walks/<code>/points")
def api_points(code: str):
    """Everyone's points of the walk: only for its participants, only while it is open."""
    walk = _api_walk(code)
    participant = _api_participant(walk)
    service.require_open(walk)
    points = service.walk_points(walk, participant, str(get_locale()))
    return jsonify({"walk": walk.join_code, "points": points})


@bp.get("/api/walks/<code>/nearby")
def api_nearby(code: str):
    """Open points near (lat, lon) that the walker could say "me too" to (capture-metoo.js)."""
    walk = _api_walk(code)
    participant = _participant(walk)
    metoo.require_walker(walk, participant)  # before the position: a stranger learns nothing from a 400
    try:
        lat, lon = check_lat_lon(request.args.get("lat"), request.args.get("lon"))
    except GeoJSONError as error:
        raise CaptureError(str(error), "lat") from None
    points = metoo.nearby(walk, participant, lat, lon, str(get_locale()))
    return jsonify({"walk": walk.join_code, "points": points})
