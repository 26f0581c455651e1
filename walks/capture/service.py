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
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import photos as photo_pipeline
from ..addresses import nearest_address
from ..extensions import db
from ..geo import GeoJSONError, check_lat_lon, distance_outside_m
from ..models import (FINER_RATINGS, LOCATION_SOURCES, PARTICIPANT_ROLES, SAFETY_RATINGS, Category,
                      Observation, Participant, Photo, TrackPoint, Walk, hash_token, utcnow)

MAX_TEXT = 2000
MAX_NAME = 80
MAX_ACCURACY_M = 100_000
MAX_TRACK_POINTS = 500
MAX_PHOTOS_PER_REQUEST = 10
DEFAULT_OUTSIDE_MARGIN_M = 100


class CaptureError(Exception):
    """A refusal: an HTTP status and a message (optionally the field it concerns)."""

    def __init__(self, status: int, message, field_name: str | None = None):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.field = field_name


@dataclass
class CaptureResult:
    observation: Observation
    created: bool
    written_files: list[str] = field(default_factory=list)
    photos_added: int = 0


# ---- walks and participants ------------------------------------------------------------------

def find_walk(code: str) -> Walk | None:
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())  # as typed: "k7p2-qx" works
    if not code or len(code) > 16:
        return None
    return db.session.scalar(sa.select(Walk).where(sa.func.upper(Walk.join_code) == code))


def require_open(walk: Walk) -> None:
    if walk.status == "closed":
        raise CaptureError(403, _l("This walk is closed. Nothing more can be added or changed."))
    if walk.status != "open":
        raise CaptureError(403, _l("This walk has not started yet. You can add observations when it opens."))


def join_walk(walk: Walk, *, display_name: str, role: str, consent: bool) -> tuple[Participant, str]:
    """A new participant with a fresh secret token; only the token's hash is stored."""
    require_open(walk)
    if not consent:
        raise CaptureError(400, _l("Tick the box to accept how your observations are used."), "consent")
    if role not in PARTICIPANT_ROLES:
        raise CaptureError(400, _l("Choose one of the roles."), "role")
    display_name = (display_name or "").strip()
    if len(display_name) > MAX_NAME:
        raise CaptureError(400, _l("The name can be at most %(n)d characters.", n=MAX_NAME), "display_name")
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
            raise CaptureError(400, _l("Choose how safe the place feels (0–3)."), name)
        return None
    if isinstance(value, bool):
        raise CaptureError(400, _l("A rating must be a whole number from 0 to 3."), name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CaptureError(400, _l("A rating must be a whole number from 0 to 3."), name) from None
    if not math.isfinite(number) or number != int(number) or int(number) not in SAFETY_RATINGS:
        raise CaptureError(400, _l("A rating must be a whole number from 0 to 3."), name)
    return int(number)


def _accuracy(value):
    if _blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CaptureError(400, _l("The accuracy must be a number of metres."), "accuracy") from None
    if not math.isfinite(number) or number < 0 or number > MAX_ACCURACY_M:
        raise CaptureError(400, _l("The accuracy must be a number of metres, 0 or more."), "accuracy")
    return round(number, 1)


def _observed_at(value):
    if _blank(value):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise CaptureError(400, _l("The time is not a valid ISO 8601 date and time."), "observed_at") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if moment > utcnow() + dt.timedelta(days=1) or moment.year < 2000:
        raise CaptureError(400, _l("The time is not a plausible time for this observation."), "observed_at")
    return moment.replace(microsecond=0)


def category_by_code(code) -> Category:
    if _blank(code):
        raise CaptureError(400, _l("Choose a category."), "category")
    category = db.session.scalar(sa.select(Category).where(Category.code == str(code).strip()))
    if category is None:
        raise CaptureError(400, _l("That category does not exist. Choose one of the buttons."), "category")
    if category.retired:
        raise CaptureError(400, _l("That category is no longer used. Choose another one."), "category")
    return category


def _ratings_from(payload: dict) -> dict:
    nested = payload.get("ratings")
    nested = nested if isinstance(nested, dict) else {}
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
        raise CaptureError(400, _l("The observation was not sent as a set of fields."))
    values: dict = {}
    if not partial or "category" in payload:
        values["category"] = category_by_code(payload.get("category")).code
    has_lat, has_lon = not _blank(payload.get("lat")), not _blank(payload.get("lon"))
    if has_lat or has_lon:
        if not (has_lat and has_lon):
            raise CaptureError(400, _l("Send both latitude and longitude, or neither."), "lat")
        if isinstance(payload.get("lat"), bool) or isinstance(payload.get("lon"), bool):
            raise CaptureError(400, _l("The position is not a pair of numbers."), "lat")
        try:
            lat, lon = check_lat_lon(payload.get("lat"), payload.get("lon"))
        except GeoJSONError as error:
            raise CaptureError(400, str(error), "lat") from None
        values["lat"], values["lon"] = round(lat, 7), round(lon, 7)
    elif not partial:
        values["lat"] = values["lon"] = None
    if not partial or "accuracy" in payload:
        values["accuracy"] = _accuracy(payload.get("accuracy"))
    source = payload.get("location_source")
    if not _blank(source):
        if source not in LOCATION_SOURCES:
            raise CaptureError(400, _l("The position source must be gps, exif, map or landmark."),
                               "location_source")
        values["location_source"] = source
    elif not partial:
        values["location_source"] = None
    if not partial or "text" in payload:
        text = payload.get("text") or ""
        if not isinstance(text, str):
            raise CaptureError(400, _l("The text must be plain text."), "text")
        text = text.replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise CaptureError(400, _l("The text can be at most %(n)d characters.", n=MAX_TEXT), "text")
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
        raise CaptureError(400, _l("The observation has no valid id (UUID). Reload the page and try again."),
                           "uuid") from None


# ---- photos ----------------------------------------------------------------------------------

def prepare_photos(datas: list[bytes], config) -> list[photo_pipeline.PreparedPhoto]:
    """Check and encode every photo in memory; one bad photo refuses them all (nothing is stored)."""
    if len(datas) > MAX_PHOTOS_PER_REQUEST:
        raise CaptureError(400, _l("Send at most %(n)d photos at a time.", n=MAX_PHOTOS_PER_REQUEST), "photos")
    prepared, seen = [], set()
    for data in datas:
        if len(data) > config["MAX_PHOTO_BYTES"]:
            raise CaptureError(413, _l("The photo is larger than %(mb)d MB.",
                                       mb=config["MAX_PHOTO_BYTES"] // (1024 * 1024)), "photos")
        try:
            photo = photo_pipeline.prepare_photo(data, max_bytes=config["MAX_PHOTO_BYTES"],
                                                 max_pixels=config["MAX_PHOTO_PIXELS"])
        except photo_pipeline.PhotoError as error:
            raise CaptureError(400, error.args[0], "photos") from None
        if photo.sha256 not in seen:
            seen.add(photo.sha256)
            prepared.append(photo)
    return prepared


def _attach(observation: Observation, prepared: list[photo_pipeline.PreparedPhoto], upload_dir: str,
            written: list[str]) -> int:
    """Store the photos the observation does not have yet (by sha256) and add their rows."""
    have = {p.sha256 for p in observation.photos}
    added = 0
    for photo in prepared:
        if photo.sha256 in have:
            continue
        written.extend(photo_pipeline.store_photo(photo, upload_dir))
        observation.photos.append(Photo(
            sha256=photo.sha256, filename=photo.filename, thumb_filename=photo.thumb_filename,
            content_type="image/jpeg", width=photo.width, height=photo.height, bytes=photo.size_bytes,
            original_width=photo.original_width, original_height=photo.original_height,
            original_format=photo.original_format, taken_at=photo.taken_at))
        have.add(photo.sha256)
        added += 1
    return added


def _flush_or_remove(upload_dir: str, written: list[str]) -> None:
    try:
        db.session.flush()
    except BaseException:
        photo_pipeline.remove_files(upload_dir, written)
        raise


# ---- observations ----------------------------------------------------------------------------

def is_outside_area(walk: Walk, lat: float, lon: float, margin_m: float) -> bool:
    """Whether a point lies more than margin_m outside the walk's area (never without a boundary)."""
    distance = distance_outside_m(walk.area.boundary if walk.area else None, lat, lon)
    return distance is not None and distance > margin_m


def find_observation(uuid) -> Observation | None:
    try:
        key = str(uuidlib.UUID(str(uuid)))
    except ValueError:
        return None
    return db.session.scalar(sa.select(Observation).where(Observation.uuid == key))


def create_observation(walk: Walk, participant: Participant, payload: dict, photos: list[bytes],
                       config) -> CaptureResult:
    """Create an observation, or return the existing one when the same UUID sends the same content.

    Same UUID with different content: 409. Photos sent again with a known observation are attached
    if new (by content hash), so a retry can complete what an interrupted upload left out.
    """
    require_open(walk)
    if participant.walk_id != walk.id:
        raise CaptureError(403, _l("You have not joined this walk. Open its link again."))
    uuid = check_uuid(payload.get("uuid") if isinstance(payload, dict) else None)
    values = normalize_observation(payload)
    digest = content_hash(uuid, values)
    upload_dir = config["UPLOAD_DIR"]
    existing = find_observation(uuid)
    if existing is not None:
        if existing.participant_id != participant.id or existing.content_hash != digest:
            raise CaptureError(409, _l("An observation with this id already exists with other content."))
        prepared = prepare_photos(photos, config)
        written: list[str] = []
        added = _attach(existing, prepared, upload_dir, written)
        _flush_or_remove(upload_dir, written)
        return CaptureResult(existing, created=False, written_files=written, photos_added=added)

    prepared = prepare_photos(photos, config)
    lat, lon, source, accuracy = values["lat"], values["lon"], values["location_source"], values["accuracy"]
    if lat is None:
        with_gps = next((p for p in prepared if p.gps), None)
        if with_gps is None:
            raise CaptureError(400, _l(
                "The observation has no position. Allow location access on your phone, or place the "
                "point on the map, or add a photo that has a position."), "lat")
        (lat, lon), source, accuracy = with_gps.gps, "exif", None
    elif source is None:
        source = "gps" if accuracy is not None else "map"
    category = category_by_code(values["category"])
    ratings = values["ratings"]
    observation = Observation(
        uuid=uuid, content_hash=digest, walk=walk, area_id=walk.area_id, participant=participant,
        category=category, source="walk", lat=lat, lon=lon, accuracy_m=accuracy, location_source=source,
        text=values["text"], safety=values["safety"], observed_at=values["observed_at"] or utcnow(),
        address=nearest_address(lat, lon) or "",
        outside_area=is_outside_area(walk, lat, lon, config.get("OUTSIDE_AREA_MARGIN_M", DEFAULT_OUTSIDE_MARGIN_M)),
        **{f"rating_{name}": ratings[name] for name in FINER_RATINGS})
    db.session.add(observation)
    written = []
    try:
        added = _attach(observation, prepared, upload_dir, written)
    except BaseException:
        photo_pipeline.remove_files(upload_dir, written)
        raise
    _flush_or_remove(upload_dir, written)
    return CaptureResult(observation, created=True, written_files=written, photos_added=added)


def _own_open(observation: Observation, participant: Participant | None) -> None:
    if participant is None or observation.participant_id != participant.id:
        raise CaptureError(403, _l("You can only change your own observations."))
    require_open(observation.walk)


def add_photos(observation: Observation, participant: Participant | None, photos: list[bytes],
               config) -> CaptureResult:
    _own_open(observation, participant)
    if not photos:
        raise CaptureError(400, _l("Choose a photo to add."), "photos")
    prepared = prepare_photos(photos, config)
    written: list[str] = []
    added = _attach(observation, prepared, config["UPLOAD_DIR"], written)
    _flush_or_remove(config["UPLOAD_DIR"], written)
    return CaptureResult(observation, created=False, written_files=written, photos_added=added)


def update_observation(observation: Observation, participant: Participant | None, payload: dict,
                       outside_margin_m: float = DEFAULT_OUTSIDE_MARGIN_M) -> Observation:
    """The walker edits their own observation while the walk is open (only the fields sent)."""
    _own_open(observation, participant)
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


def delete_observation(observation: Observation, participant: Participant | None) -> list[str]:
    """Delete an own observation; return the photo files to remove once the deletion is committed."""
    _own_open(observation, participant)
    files = [name for p in observation.photos for name in (p.filename, p.thumb_filename)]
    db.session.delete(observation)
    db.session.flush()
    return files


def own_observations(walk: Walk, participant: Participant) -> list[Observation]:
    return list(db.session.scalars(
        sa.select(Observation).where(Observation.walk_id == walk.id,
                                     Observation.participant_id == participant.id)
        .order_by(Observation.observed_at.desc(), Observation.id.desc())))


def walk_points(walk: Walk, participant: Participant | None = None, locale: str = "sv") -> list[dict]:
    """Everyone's points on the walk for the shared map: no names, no text, nothing hidden."""
    rows = db.session.scalars(
        sa.select(Observation).where(Observation.walk_id == walk.id, Observation.hidden.is_(False),
                                     Observation.merged_into_id.is_(None)).order_by(Observation.id))
    return [{"uuid": o.uuid, "lat": o.lat, "lon": o.lon, "category": o.category.code,
             "name": o.category.name(locale), "icon": o.category.icon, "color": o.category.color,
             "safety": o.safety, "mine": participant is not None and o.participant_id == participant.id}
            for o in rows]


# ---- track -----------------------------------------------------------------------------------

def record_track(walk: Walk, participant: Participant, points) -> int:
    """Store breadcrumbs the walker chose to share (opt-in on the phone); return how many."""
    require_open(walk)
    if not isinstance(points, list) or not points:
        raise CaptureError(400, _l("Send a list of points."), "points")
    if len(points) > MAX_TRACK_POINTS:
        raise CaptureError(400, _l("Send at most %(n)d points at a time.", n=MAX_TRACK_POINTS), "points")
    rows = []
    for point in points:
        if not isinstance(point, dict):
            raise CaptureError(400, _l("Each point needs lat and lon."), "points")
        try:
            lat, lon = check_lat_lon(point.get("lat"), point.get("lon"))
        except GeoJSONError as error:
            raise CaptureError(400, str(error), "points") from None
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
