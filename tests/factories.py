"""Test factories: make_x(**overrides) -> a flushed model with sensible defaults.

Call them inside an app context (the `app` fixture provides one).
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import secrets
import uuid as uuidlib

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from walks.extensions import db
from walks.models import (ActionItem, Area, Category, Contact, FaultReport, FaultReportItem, Meeting, Observation,
                          Organization, Participant, User, Walk, hash_token, utcnow)

_seq = itertools.count(1)


@functools.lru_cache(maxsize=None)
def _password_hash(password: str) -> str:
    # Cheap scrypt parameters for test users only; the app's own create_user uses the full default.
    return generate_password_hash(password, method="scrypt:1024:8:1")

# Around Hjalmar Brantingsplatsen, Göteborg.
CENTRE = (57.7215, 11.9525)
BOUNDARY = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9575, 57.7190], [11.9575, 57.7240], [11.9480, 57.7240], [11.9480, 57.7190]]]}


def _save(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def user(**overrides) -> User:
    n = next(_seq)
    password = overrides.pop("password", "correct horse battery")
    # Admin by default: a test about a coordinator's or viewer's reach says so, with its areas.
    values = {"email": f"user{n}@example.se", "name": f"Samordnare {n}", "role": "admin",
              "password_hash": _password_hash(password)}
    values.update(overrides)
    return _save(User(**values))


def area(**overrides) -> Area:
    n = next(_seq)
    values = {"name": f"Område {n}", "description": "", "boundary": BOUNDARY,
              "centre_lat": CENTRE[0], "centre_lon": CENTRE[1]}
    values.update(overrides)
    return _save(Area(**values))


def walk(**overrides) -> Walk:
    values = {"title": f"Trygghetsvandring {next(_seq)}", "starts_at": utcnow() - dt.timedelta(hours=1),
              "light_condition": "dark", "status": "open", "join_code": secrets.token_hex(4).upper()}
    values.update(overrides)
    if "area" not in values and "area_id" not in values:
        values["area"] = area()
    return _save(Walk(**values))


def participant(token: str | None = None, **overrides) -> Participant:
    values = {"display_name": "", "role": "resident", "token_hash": hash_token(token or secrets.token_hex(16))}
    values.update(overrides)
    if "walk" not in values and "walk_id" not in values:
        values["walk"] = walk()
    return _save(Participant(**values))


def category(code: str = "lighting") -> Category:
    return db.session.scalar(sa.select(Category).where(Category.code == code))


def observation(**overrides) -> Observation:
    values = {"uuid": str(uuidlib.uuid4()), "lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 8.0,
              "location_source": "gps", "text": "Trasig lampa", "safety": 1}
    if "category" not in overrides and "category_id" not in overrides:
        values["category"] = category("lighting")
    values.update(overrides)
    if "walk" not in values and "walk_id" not in values:
        values["walk"] = walk()
    obs = Observation(**values)
    if obs.area_id is None and obs.area is None and obs.walk is not None:
        obs.area = obs.walk.area
    return _save(obs)


def organization(**overrides) -> Organization:
    n = next(_seq)
    values = {"name": f"Förvaltning {n}", "kind": "municipal", "report_channel": "email",
              "report_email": f"felanmalan{n}@example.se"}
    values.update(overrides)
    return _save(Organization(**values))


def contact(**overrides) -> Contact:
    n = next(_seq)
    values = {"name": f"Kontakt {n}", "role": "Handläggare", "phone": "031-123 45 67",
              "email": f"kontakt{n}@example.se"}
    values.update(overrides)
    if "organization" not in values and "organization_id" not in values:
        values["organization"] = organization()
    return _save(Contact(**values))


def fault_report(observations=(), **overrides) -> FaultReport:
    """A fault report (draft unless told) with one item per observation."""
    n = next(_seq)
    values = {"reference": f"TV-2026-{n:04d}", "status": "draft", "channel": "email"}
    values.update(overrides)
    if "organization" not in values and "organization_id" not in values:
        values["organization"] = organization()
    observations = list(observations)
    if "area" not in values and "area_id" not in values and observations:
        values["area_id"] = observations[0].area_id
    report = _save(FaultReport(**values))
    item_status = "draft" if report.status == "draft" else "sent"
    for obs in observations:
        _save(FaultReportItem(report=report, observation=obs, status=item_status))
    return report


def action(observations=(), **overrides) -> ActionItem:
    values = {"title": f"Åtgärd {next(_seq)}", "status": "planned"}
    values.update(overrides)
    observations = list(observations)
    if "area" not in values and "area_id" not in values:
        values["area_id"] = observations[0].area_id if observations else area().id
    item = _save(ActionItem(**values))
    item.observations.extend(observations)
    db.session.flush()
    return item


def meeting(**overrides) -> Meeting:
    values = {"held_on": dt.date.today(), "title": f"Uppföljningsmöte {next(_seq)}"}
    values.update(overrides)
    if "area" not in values and "area_id" not in values:
        values["area"] = area()
    return _save(Meeting(**values))
