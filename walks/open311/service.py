"""Open311 GeoReport v2: categories as services, observations as service requests, API keys.

service_request_id is str(Observation.id); the token of a request is its Observation.uuid.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid as uuidlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import geo
from ..addresses import nearest_address
from ..categories.service import theme_name
from ..extensions import db
from ..models import ApiKey, Area, Category, FaultReport, FaultReportItem, Observation, audit, hash_token, utcnow

DESCRIPTION_MAX = 4000
MAX_RANGE = dt.timedelta(days=90)
MAX_RESULTS = 1000
CLOSED = ("resolved", "dismissed")
DEFAULT_SAFETY = 1  # "unsafe": a fault reported from outside a walk, with no rating given
SAFETY_VALUES = (("0", _l("Very unsafe")), ("1", _l("Unsafe")), ("2", _l("Fairly safe")),
                 ("3", _l("Safe")))


class Open311Error(Exception):
    """An error in the spec's form: an HTTP status (400, 403, 404) and a description."""

    def __init__(self, status: int, description):
        super().__init__(str(description))
        self.status = status
        self.description = str(description)


# --- API keys ---------------------------------------------------------------------------------------

def create_api_key(name: str) -> str:
    """Make a key for an Open311 client; only its sha256 is stored. Returns the key (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError(_l("Give the key a name of 1–100 characters."))
    if db.session.scalar(sa.select(ApiKey).where(ApiKey.name == name)):
        raise ValueError(_l("A key named %(name)s already exists.", name=name))
    key = secrets.token_urlsafe(32)
    api_key = ApiKey(name=name, key_hash=hash_token(key))
    db.session.add(api_key)
    db.session.flush()
    audit(None, api_key, "create", name=name)
    return key


def revoke_api_key(name: str) -> ApiKey:
    api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == name.strip()))
    if api_key is None:
        raise ValueError(_l("No key is named %(name)s.", name=name))
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        db.session.flush()
        audit(None, api_key, "revoke", name=api_key.name)
    return api_key


def check_api_key(key: str | None) -> ApiKey:
    if not key:
        raise Open311Error(403, _l("An api_key is required."))
    api_key = db.session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
    if api_key is None or api_key.revoked_at is not None:
        raise Open311Error(403, _l("The api_key is not valid."))
    return api_key


# --- services ---------------------------------------------------------------------------------------

def services() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).where(Category.retired.is_(False))
                                   .order_by(Category.sort_order, Category.id)))


def find_service(code: str) -> Category | None:
    return db.session.scalar(sa.select(Category).where(Category.code == code, Category.retired.is_(False)))


def service_dict(category: Category, locale: str) -> dict:
    return {"service_code": category.code, "service_name": category.name(locale),
            "description": category.name(locale), "metadata": True, "type": "realtime",
            "keywords": category.theme, "group": theme_name(category.theme, locale)}


def service_definition(category: Category) -> dict:
    return {"service_code": category.code, "attributes": [{
        "variable": True, "code": "safety", "datatype": "singlevaluelist", "required": False,
        "datatype_description": str(_l("How safe the place feels, 0 (very unsafe) to 3 (safe).")),
        "order": 1, "description": str(_l("How safe does the place feel?")),
        "values": [{"key": key, "name": str(name)} for key, name in SAFETY_VALUES]}]}


# --- requests ---------------------------------------------------------------------------------------

def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with a time zone; our clock is naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc, microsecond=0).isoformat()


def parse_datetime(raw: str, name: str) -> dt.datetime:
    """An ISO 8601 date or datetime -> naive UTC. A datetime without a zone is taken as UTC."""
    try:
        # An unencoded "+01:00" in a query string arrives as " 01:00".
        value = dt.datetime.fromisoformat(re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw.strip()).replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, _l("%(name)s is not an ISO 8601 date and time.", name=name)) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def public_observations():
    return sa.select(Observation).where(Observation.hidden.is_(False), Observation.merged_into_id.is_(None))


def find_request(request_id: str) -> Observation:
    if not request_id.isdigit():
        raise Open311Error(404, _l("No service request has the id %(id)s.", id=request_id))
    found = db.session.scalar(public_observations().where(Observation.id == int(request_id)))
    if found is None:
        raise Open311Error(404, _l("No service request has the id %(id)s.", id=request_id))
    return found


def find_token(token: str) -> Observation:
    found = db.session.scalar(public_observations().where(Observation.uuid == token))
    if found is None:
        raise Open311Error(404, _l("No service request has the token %(token)s.", token=token))
    return found


def search_requests(args) -> list[Observation]:
    """GET requests with the spec's filters; service_request_id overrides the others."""
    ids = args.get("service_request_id", "").strip()
    query = public_observations()
    if ids:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        numbers = [int(part) for part in wanted if part.isdigit()]
        return list(db.session.scalars(query.where(Observation.id.in_(numbers)).order_by(Observation.id)))
    start_raw, end_raw = args.get("start_date", "").strip(), args.get("end_date", "").strip()
    start = parse_datetime(start_raw, "start_date") if start_raw else None
    end = parse_datetime(end_raw, "end_date") if end_raw else None
    if start is None and end is None:
        end = utcnow()
    if start is None:
        start = end - MAX_RANGE
    if end is None:
        end = start + MAX_RANGE
    if start > end:
        raise Open311Error(400, _l("start_date is after end_date."))
    if end - start > MAX_RANGE:
        raise Open311Error(400, _l("start_date and end_date may be at most 90 days apart."))
    query = query.where(Observation.observed_at >= start, Observation.observed_at <= end)
    codes = [c.strip() for c in args.get("service_code", "").split(",") if c.strip()]
    if codes:
        query = query.join(Category).where(Category.code.in_(codes))
    statuses = [s.strip() for s in args.get("status", "").split(",") if s.strip()]
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, _l("status must be open or closed."))
    if statuses == ["open"]:
        query = query.where(Observation.status.not_in(CLOSED))
    elif statuses == ["closed"]:
        query = query.where(Observation.status.in_(CLOSED))
    return list(db.session.scalars(query.order_by(Observation.observed_at.desc(), Observation.id.desc())
                                   .limit(MAX_RESULTS)))


def _latest_item(observation: Observation) -> FaultReportItem | None:
    return db.session.scalar(sa.select(FaultReportItem).join(FaultReport).where(
        FaultReportItem.observation_id == observation.id, FaultReport.status != "draft")
        .order_by(FaultReportItem.id.desc()))


STATUS_NOTES = {"new": _l("Received."), "reported": _l("Sent to the body responsible."),
                "in_action": _l("Part of the action plan."), "resolved": _l("Resolved."),
                "dismissed": _l("Closed without action.")}


def request_dict(observation: Observation, locale: str) -> dict:
    item = _latest_item(observation)
    notes = str(STATUS_NOTES.get(observation.status, ""))
    if item is not None:
        notes = f"{notes} {item.report.reference}".strip()
    return {
        "service_request_id": str(observation.id),
        "status": "closed" if observation.status in CLOSED else "open",
        "status_notes": notes,
        "service_name": observation.category.name(locale),
        "service_code": observation.category.code,
        "description": observation.text,
        "agency_responsible": item.report.organization.name if item else "",
        "service_notice": "",
        "requested_datetime": iso(observation.observed_at),
        "updated_datetime": iso(observation.updated_at),
        "expected_datetime": None,
        "address": observation.address,
        "address_id": "",
        "zipcode": "",
        "lat": observation.lat,
        "long": observation.lon,
        "media_url": observation.media_url or "",
    }


def create_request(form) -> Observation:
    """POST requests: check everything, then create one observation with source "open311"."""
    check_api_key(form.get("api_key"))
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _l("service_code is required."))
    category = find_service(code)
    if category is None:
        raise Open311Error(400, _l("service_code %(code)s is not a known service.", code=code))
    lat_raw, lon_raw = form.get("lat", "").strip(), form.get("long", "").strip()
    if bool(lat_raw) != bool(lon_raw):
        raise Open311Error(400, _l("lat and long must be given together."))
    if not lat_raw:
        if form.get("address_string") or form.get("address_id"):
            raise Open311Error(400, _l("This server needs a position: give lat and long."))
        raise Open311Error(400, _l("A location is required: lat and long."))
    try:
        lat, lon = geo.check_lat_lon(lat_raw, lon_raw)
    except geo.GeoJSONError as error:
        raise Open311Error(400, error) from None
    description = form.get("description", "")
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, _l("description is longer than 4000 characters."))
    media_url = form.get("media_url", "").strip()
    if media_url and (len(media_url) > 500 or not media_url.startswith(("http://", "https://"))):
        raise Open311Error(400, _l("media_url must be an http(s) URL of at most 500 characters."))
    safety = form.get("attribute[safety]", "").strip()
    if safety and safety not in {key for key, _ in SAFETY_VALUES}:
        raise Open311Error(400, _l("attribute[safety] must be 0, 1, 2 or 3."))
    area = next((a for a in db.session.scalars(sa.select(Area).where(Area.boundary.is_not(None))
                                                .order_by(Area.id))
                 if geo.contains(a.boundary, lat, lon)), None)
    observation = Observation(
        uuid=str(uuidlib.uuid4()), walk_id=None, area_id=area.id if area else None, category=category,
        source="open311", lat=lat, lon=lon, location_source="map", text=description.strip(),
        address=form.get("address_string", "").strip()[:300] or nearest_address(lat, lon) or "",
        media_url=media_url,
        safety=int(safety) if safety else DEFAULT_SAFETY, status="new")
    db.session.add(observation)
    db.session.flush()
    audit(None, observation, "open311_create", service_code=code)
    return observation
