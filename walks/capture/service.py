"""Field capture rules: joining a walk, and creating observations idempotently by their client UUID.

Plain functions: they take models and values, change the session and flush; the routes commit.
Every refusal is a CaptureError with an HTTP status and a message a walker understands.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
import uuid as uuidlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import access, dates
from .. import photos as photo_pipeline
from ..addresses import nearest_address
from ..extensions import db
from ..geo import GeoJSONError, check_lat_lon, distance_outside_m
from ..models import (FINER_RATINGS, LOCATION_SOURCES, PARTICIPANT_ROLES, SAFETY_RATINGS, ActionItem, Category,
                      FaultReport, FaultReportItem, Observation, Participant, Photo, TrackPoint, Walk,
                      action_observations, hash_token, utcnow)
from ..observations import visible
from ..web import DomainError

MAX_TEXT = 2000
MAX_NAME = 80
MAX_ACCURACY_M = 100_000
MAX_TRACK_POINTS = 500
MAX_PHOTOS_PER_REQUEST = 10
DEFAULT_OUTSIDE_MARGIN_M = 100


class CaptureError(DomainError):
    """A refusal: a message a walker understands, the field it concerns, an HTTP status."""

    def __init__(self, message, field: str | None = None, status: int | None = None, resend_without: tuple = ()):
        super().__init__(message, field, status)
        self.resend_without = resend_without  # fields the phone drops before sending again at once

    def as_json(self) -> dict:
        body = super().as_json()
        if self.resend_without:
            body["resend_without"] = list(self.resend_without)
        return body


@dataclass
class CaptureResult:
    observation: Observation
    created: bool
    photos_added: int = 0


# ---- walks and participants ------------------------------------------------------------------

def find_walk(code: str) -> Walk | None:
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())  # as typed: "k7p2-qx" works
    if not code or len(code) > 16:
        return None
    return db.session.scalar(sa.select(Walk).where(sa.func.upper(Walk.join_code) == code))


def require_open(walk: Walk) -> None:
    if walk.status == "closed":
        raise CaptureError(_l("This walk is closed. Nothing more can be added or changed."), status=403)
    if walk.status != "open":
        raise CaptureError(_l("This walk has not started yet. You can add observations when it opens."),
                           status=403)


def join_walk(walk: Walk, *, display_name: str, role: str, consent: bool) -> tuple[Participant, str]:
    """A new participant with a fresh secret token; only the token's hash is stored."""
    require_open(walk)
    if not consent:
        raise CaptureError(_l("Tick the box to accept how your observations are used."), "consent")
    if role not in PARTICIPANT_ROLES:
        raise CaptureError(_l("Choose one of the roles."), "role")
    display_name = (display_name or "").strip()
    if len(display_name) > MAX_NAME:
        raise CaptureError(_l("The name can be at most %(n)d characters.", n=MAX_NAME), "display_name")
    token = secrets.token_urlsafe(32)
    participant = Participant(walk=walk, token_hash=hash_token(token), display_name=display_name,
                              role=role, consented_at=utcnow())
    db.session.add(participant)
    db.session.flush()
    return participant, token


def participant_for_token(walk: Walk, token: str | None) -> Participant | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(Participant).where(
        Participant.walk_id == walk.id, Participant.token_hash == hash_token(token)))


# ---- validation ------------------------------------------------------------------------------

def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _rating(value, name: str, required: bool):
    if _blank(value):
        if required:
            raise CaptureError(_l("Choose how safe the place feels (0–3)."), name)
        return None
    if isinstance(value, bool):
        raise CaptureError(_l("A rating must be a whole number from 0 to 3."), name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CaptureError(_l("A rating must be a whole number from 0 to 3."), name) from None
    if not math.isfinite(number) or number != int(number) or int(number) not in SAFETY_RATINGS:
        raise CaptureError(_l("A rating must be a whole number from 0 to 3."), name)
    return int(number)


def _accuracy(value):
    if _blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CaptureError(_l("The accuracy must be a number of metres."), "accuracy") from None
    if not math.isfinite(number) or number < 0 or number > MAX_ACCURACY_M:
        raise CaptureError(_l("The accuracy must be a number of metres, 0 or more."), "accuracy")
    return round(number, 1)


def _observed_at(value):
    if _blank(value):
        return None
    try:
        moment = dates.parse_datetime(value)
    except dates.DateError as error:
        raise CaptureError(error.message, "observed_at") from None
    if moment > utcnow() + dt.timedelta(days=1):
        raise CaptureError(_l("The time is not a plausible time for this observation."), "observed_at")
    return moment.replace(microsecond=0)


def category_by_code(code) -> Category:
    if _blank(code):
        raise CaptureError(_l("Choose a category."), "category")
    category = db.session.scalar(sa.select(Category).where(Category.code == str(code).strip()))
    if category is None:
        raise CaptureError(_l("That category does not exist. Choose one of the buttons."), "category")
    if category.retired:
        raise CaptureError(_l("That category is no longer used. Choose another one."), "category")
    return category


def _ratings_from(payload: dict) -> dict:
    nested = payload.get("ratings")
    if nested is not None and not isinstance(nested, dict):
        raise CaptureError(_l("The ratings must be sent as named values, such as {\"lighting\": 2}."),
                           "ratings")
    nested = nested or {}
    result = {}
    for name in FINER_RATINGS:
        value = nested.get(name, payload.get(f"rating_{name}"))
        result[name] = _rating(value, f"rating_{name}", required=False)
    return result


def normalize_observation(payload: dict, *, partial: bool = False) -> dict:
    """Check every field and return plain normalized values; raise CaptureError on the first bad one.

    With partial=True only the fields present are checked (for an edit).
    """
    if not isinstance(payload, dict):
        raise CaptureError(_l("The observation was not sent as a set of fields."))
    values: dict = {}
    if not partial or "category" in payload:
        values["category"] = category_by_code(payload.get("category")).code
    has_lat, has_lon = not _blank(payload.get("lat")), not _blank(payload.get("lon"))
    if has_lat or has_lon:
        if not (has_lat and has_lon):
            raise CaptureError(_l("Send both latitude and longitude, or neither."), "lat")
        if isinstance(payload.get("lat"), bool) or isinstance(payload.get("lon"), bool):
            raise CaptureError(_l("The position is not a pair of numbers."), "lat")
        try:
            lat, lon = check_lat_lon(payload.get("lat"), payload.get("lon"))
        except GeoJSONError as error:
            raise CaptureError(str(error), "lat") from None
        values["lat"], values["lon"] = round(lat, 7), round(lon, 7)
    elif not partial:
        values["lat"] = values["lon"] = None
    if not partial or "accuracy" in payload:
        values["accuracy"] = _accuracy(payload.get("accuracy"))
    source = payload.get("location_source")
    if not _blank(source):
        if source not in LOCATION_SOURCES:
            raise CaptureError(_l("The position source must be gps, exif, map or landmark."), "location_source")
        values["location_source"] = source
    elif not partial:
        values["location_source"] = None
    if not partial or "text" in payload:
        text = payload.get("text") or ""
        if not isinstance(text, str):
            raise CaptureError(_l("The text must be plain text."), "text")
        text = text.replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise CaptureError(_l("The text can be at most %(n)d characters.", n=MAX_TEXT), "text")
        values["text"] = text
    if not partial or "safety" in payload:
        values["safety"] = _rating(payload.get("safety"), "safety", required=True)
    if not partial or any(k in payload for k in ("ratings", *(f"rating_{n}" for n in FINER_RATINGS))):
        values["ratings"] = _ratings_from(payload)
    if not partial:
        values["observed_at"] = _observed_at(payload.get("observed_at"))
    return values


def content_hash(uuid: str, values: dict) -> str:
    """A hash of what the walker sent (not of photos: those are attached idempotently on their own)."""
    observed = values.get("observed_at")
    content = {**values, "uuid": uuid, "observed_at": observed.isoformat() if observed else None}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def check_uuid(value) -> str:
    try:
        return str(uuidlib.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        raise CaptureError(_l("The observation has no valid id (UUID). Reload the page and try again."),
                           "uuid") from None


# ---- photos ----------------------------------------------------------------------------------

def prepare_photos(datas: list[bytes], config) -> list[photo_pipeline.PreparedPhoto]:
    """Check and encode every photo in memory; one bad photo refuses them all (nothing is stored)."""
    if len(datas) > MAX_PHOTOS_PER_REQUEST:
        raise CaptureError(_l("Send at most %(n)d photos at a time.", n=MAX_PHOTOS_PER_REQUEST), "photos")
    prepared, seen = [], set()
    for data in datas:
        if len(data) > config["MAX_PHOTO_BYTES"]:
            raise CaptureError(_l("The photo is larger than %(mb)d MB.",
                                       mb=config["MAX_PHOTO_BYTES"] // (1024 * 1024)), "photos", status=413)
        try:
            photo = photo_pipeline.prepare_photo(data, max_bytes=config["MAX_PHOTO_BYTES"],
                                                 max_pixels=config["MAX_PHOTO_PIXELS"])
        except photo_pipeline.PhotoError as error:
            raise CaptureError(error.args[0], "photos") from None
        if photo.sha256 not in seen:
            seen.add(photo.sha256)
            prepared.append(photo)
    return prepared


def _attach(observation: Observation, prepared: list[photo_pipeline.PreparedPhoto], upload_dir: str) -> int:
    """Store the photos the observation does not have yet (by sha256) and add their rows.

    The files follow the session: they go live when the request commits and vanish if it rolls back.
    """
    have = {p.sha256 for p in observation.photos}
    added = 0
    for photo in prepared:
        if photo.sha256 in have:
            continue
        observation.photos.append(photo_pipeline.new_photo(photo, upload_dir, db.session))
        have.add(photo.sha256)
        added += 1
    return added


# ---- observations ----------------------------------------------------------------------------

def is_outside_area(walk: Walk, lat: float, lon: float, margin_m: float) -> bool:
    """Whether a point lies more than margin_m outside the walk's area (never without a boundary)."""
    distance = distance_outside_m(walk.area.boundary if walk.area else None, lat, lon)
    return distance is not None and distance > margin_m


def photo_by_filename(filename: str) -> Photo | None:
    """The photo stored under this name (the full size or the thumbnail)."""
    if not photo_pipeline.is_stored_name(filename):
        return None
    return db.session.scalar(sa.select(Photo).where(
        sa.or_(Photo.filename == filename, Photo.thumb_filename == filename)))


def find_observation(uuid) -> Observation | None:
    try:
        key = str(uuidlib.UUID(str(uuid)))
    except ValueError:
        return None
    return db.session.scalar(sa.select(Observation).where(Observation.uuid == key))


def create_observation(walk: Walk, participant: Participant, payload: dict, photos: list[bytes],
                       config, seconds: Observation | None = None) -> CaptureResult:
    """Create an observation, or return the existing one when the same UUID sends the same content.

    Same UUID with different content: 409. Photos sent again with a known observation are attached
    if new (by content hash), so a retry can complete what an interrupted upload left out.
    `seconds`: the open point this is a "me too" for (metoo.target_for): it takes that point's
    category, and its position when the walker's phone had none.
    """
    require_open(walk)
    if participant.walk_id != walk.id:
        raise CaptureError(_l("You have not joined this walk. Open its link again."), status=403)
    uuid = check_uuid(payload.get("uuid") if isinstance(payload, dict) else None)
    values = normalize_observation(payload)
    digest = content_hash(uuid, values)
    upload_dir = config["UPLOAD_DIR"]
    existing = find_observation(uuid)
    if existing is not None:
        if existing.participant_id != participant.id or existing.content_hash != digest:
            raise CaptureError(_l("An observation with this id already exists with other content."),
                               status=409)
        added = _attach(existing, prepare_photos(photos, config), upload_dir)
        db.session.flush()
        return CaptureResult(existing, created=False, photos_added=added)

    prepared = prepare_photos(photos, config)
    lat, lon, source, accuracy = values["lat"], values["lon"], values["location_source"], values["accuracy"]
    if lat is None and seconds is not None:
        lat, lon, source = seconds.lat, seconds.lon, "map"
    if lat is None:
        with_gps = next((p for p in prepared if p.gps), None)
        if with_gps is None:
            raise CaptureError(_l(
                "The observation has no position. Allow location access on your phone, or place the "
                "point on the map, or add a photo that has a position."), "lat")
        (lat, lon), source, accuracy = with_gps.gps, "exif", None
    elif source is None:
        source = "gps" if accuracy is not None else "map"
    category = seconds.category if seconds is not None else category_by_code(values["category"])
    ratings = values["ratings"]
    observation = Observation(
        uuid=uuid, content_hash=digest, walk=walk, area_id=walk.area_id, participant=participant,
        category=category, source="walk" if seconds is None else "metoo", merged_into=seconds,
        lat=lat, lon=lon, accuracy_m=accuracy, location_source=source,
        text=values["text"], safety=values["safety"], observed_at=values["observed_at"] or utcnow(),
        address=nearest_address(lat, lon) or "",
        outside_area=is_outside_area(walk, lat, lon, config.get("OUTSIDE_AREA_MARGIN_M", DEFAULT_OUTSIDE_MARGIN_M)),
        **{f"rating_{name}": ratings[name] for name in FINER_RATINGS})
    db.session.add(observation)
    added = _attach(observation, prepared, upload_dir)
    db.session.flush()
    return CaptureResult(observation, created=True, photos_added=added)


LOCKED_STATUSES = ("reported", "in_action", "resolved")


def lock_reason(observation: Observation):
    """Why the walker can no longer change the observation, and with whom it is; None while they can.

    Once it is in a sent fault report or an action, the sent record must stay true.
    """
    if observation.status not in LOCKED_STATUSES:
        return None
    action = db.session.scalars(
        sa.select(ActionItem).join(action_observations, action_observations.c.action_id == ActionItem.id)
        .where(action_observations.c.observation_id == observation.id,
               ActionItem.status.in_(("proposed", "planned", "in_progress", "done")))
        .order_by(ActionItem.id.desc())).first()
    if action is not None:
        if action.organization is not None:
            return _l("It is part of the action “%(title)s”, with %(organization)s.",
                      title=action.title, organization=action.organization.name)
        return _l("It is part of the action “%(title)s” in the area's action plan.", title=action.title)
    report = db.session.scalars(
        sa.select(FaultReport).join(FaultReportItem, FaultReportItem.report_id == FaultReport.id)
        .where(FaultReportItem.observation_id == observation.id, FaultReport.status != "draft")
        .order_by(FaultReport.id.desc())).first()
    if report is not None:
        return _l("It was sent to %(organization)s in fault report %(reference)s.",
                  organization=report.organization.name, reference=report.reference)
    return _l("It has been passed on to be fixed.")


def check_editable(observation: Observation, participant: Participant | None) -> None:
    """The walker's own observation, on their open walk, not yet passed on; else a CaptureError."""
    if not access.participant_owns(participant, observation):
        raise CaptureError(_l("That observation was not found."), status=404)
    require_open(observation.walk)
    reason = lock_reason(observation)
    if reason is not None:
        raise CaptureError(_l("You can no longer change this observation. %(reason)s", reason=reason),
                           status=409)




def add_photos(observation: Observation, participant: Participant | None, photos: list[bytes],
               config) -> CaptureResult:
    check_editable(observation, participant)
    if not photos:
        raise CaptureError(_l("Choose a photo to add."), "photos")
    added = _attach(observation, prepare_photos(photos, config), config["UPLOAD_DIR"])
    db.session.flush()
    return CaptureResult(observation, created=False, photos_added=added)


def update_observation(observation: Observation, participant: Participant | None, payload: dict,
                       outside_margin_m: float = DEFAULT_OUTSIDE_MARGIN_M) -> Observation:
    """The walker edits their own observation while the walk is open (only the fields sent)."""
    check_editable(observation, participant)
    values = normalize_observation(payload, partial=True)
    if "category" in values:
        observation.category = category_by_code(values["category"])
    if "lat" in values:
        observation.lat, observation.lon = values["lat"], values["lon"]
        observation.location_source = values.get("location_source") or "map"
        observation.accuracy_m = values.get("accuracy")
        observation.outside_area = is_outside_area(observation.walk, observation.lat, observation.lon,
                                                   outside_margin_m)
    if "text" in values:
        observation.text = values["text"]
    if "safety" in values:
        observation.safety = values["safety"]
    for name, rating in values.get("ratings", {}).items():
        setattr(observation, f"rating_{name}", rating)
    db.session.flush()
    return observation


def delete_observation(observation: Observation, participant: Participant | None, upload_dir: str) -> None:
    """Delete an own observation; its photo files go when the deletion is committed."""
    check_editable(observation, participant)
    for photo in list(observation.photos):
        photo_pipeline.delete_photo(db.session, upload_dir, photo)
    db.session.delete(observation)
    db.session.flush()


def own_observations(walk: Walk, participant: Participant) -> list[Observation]:
    return list(db.session.scalars(
        sa.select(Observation).where(Observation.walk_id == walk.id,
                                     Observation.participant_id == participant.id)
        .order_by(Observation.observed_at.desc(), Observation.id.desc())))


def walk_points(walk: Walk, participant: Participant | None = None, locale: str = "sv") -> list[dict]:
    """Everyone's points on the walk for the shared map: no names, no text, nothing hidden."""
    rows = db.session.scalars(
        sa.select(Observation).where(Observation.walk_id == walk.id, visible()).order_by(Observation.id))
    return [{"uuid": o.uuid, "lat": o.lat, "lon": o.lon, "category": o.category.code,
             "name": o.category.name(locale), "icon": o.category.icon, "color": o.category.color,
             "safety": o.safety, "mine": participant is not None and o.participant_id == participant.id}
            for o in rows]


# ---- track -----------------------------------------------------------------------------------

def record_track(walk: Walk, participant: Participant, points) -> int:
    """Store breadcrumbs the walker chose to share (opt-in on the phone); return how many."""
    require_open(walk)
    if not isinstance(points, list) or not points:
        raise CaptureError(_l("Send a list of points."), "points")
    if len(points) > MAX_TRACK_POINTS:
        raise CaptureError(_l("Send at most %(n)d points at a time.", n=MAX_TRACK_POINTS), "points")
    rows = []
    for point in points:
        if not isinstance(point, dict):
            raise CaptureError(_l("Each point needs lat and lon."), "points")
        try:
            lat, lon = check_lat_lon(point.get("lat"), point.get("lon"))
        except GeoJSONError as error:
            raise CaptureError(str(error), "points") from None
        recorded = _observed_at(point.get("t")) or utcnow()
        rows.append(TrackPoint(walk_id=walk.id, participant_id=participant.id, lat=round(lat, 7),
                               lon=round(lon, 7), accuracy_m=_accuracy(point.get("accuracy")),
                               recorded_at=recorded))
    participant.track_enabled = True
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def observation_json(observation: Observation, photo_url) -> dict:
    """What the API answers about an observation (photo_url: a function name -> URL)."""
    return {
        "uuid": observation.uuid, "category": observation.category.code, "lat": observation.lat,
        "lon": observation.lon, "accuracy": observation.accuracy_m,
        "location_source": observation.location_source, "text": observation.text,
        "safety": observation.safety, "outside_area": observation.outside_area,
        "ratings": {name: getattr(observation, f"rating_{name}") for name in FINER_RATINGS},
        "observed_at": observation.observed_at.isoformat() + "Z",
        "photos": [{"sha256": p.sha256, "url": photo_url(p.filename), "thumb_url": photo_url(p.thumb_filename)}
                   for p in observation.photos],
    }
