"""The public page of a walk or an area ("Vad hände sedan?"): what was found and what became of it.

Published by a coordinator; until then nobody without an account sees it. What it shows is chosen
for the public: positions rounded to the map's scale, no names, no walker's own words, only photos
the coordinator marked publishable; categories and statuses in plain words (capture.outcome), what
was sent to whom and what came back, the action plan, and the before/after figures (followup).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..capture.outcome import Outcome, outcome_for
from ..extensions import db
from ..followup import service as followup
from ..models import ActionItem, Area, Observation, Photo, Walk, action_observations, audit, utcnow
from ..observations import visible


@dataclass
class PublicPoint:
    observation: Observation
    lat: float
    lon: float
    outcome: Outcome
    photos: list[Photo]


def is_published(obj: Walk | Area) -> bool:
    return obj.published_at is not None


def set_published(obj: Walk | Area, published: bool, user) -> None:
    """Publish or withdraw the public page; publishing again keeps the first date."""
    if published and obj.published_at is None:
        obj.published_at = utcnow()
    elif not published:
        obj.published_at = None
    db.session.flush()
    audit(user, obj, "published" if published else "unpublished")


def set_photo_published(photo: Photo, published: bool, user) -> None:
    photo.published = published
    db.session.flush()
    audit(user, photo.observation, "photo_published" if published else "photo_unpublished", photo=photo.id)


def rounded(value: float, decimals: int) -> float:
    """A position rounded to the map's scale: 3 decimals is about 110 m north–south, 60 m east–west here."""
    return round(value, decimals)


def public_points(walk_ids: list[int], area: Area | None, decimals: int) -> list[PublicPoint]:
    """The points that count (not hidden, not merged away), each with its outcome and published photos."""
    where = Observation.walk_id.in_(walk_ids or [-1])
    if area is not None:
        where = sa.or_(where, Observation.area_id == area.id)
    observations = db.session.scalars(
        sa.select(Observation).where(where, visible())
        .options(selectinload(Observation.category), selectinload(Observation.photos))
        .order_by(Observation.observed_at, Observation.id)).all()
    return [PublicPoint(o, rounded(o.lat, decimals), rounded(o.lon, decimals), outcome_for(o),
                        [p for p in o.photos if p.published]) for o in observations]


def walk_actions(walk: Walk) -> list[ActionItem]:
    """The action plan's items that take up one of the walk's observations."""
    return list(db.session.scalars(
        sa.select(ActionItem).join(action_observations, action_observations.c.action_id == ActionItem.id)
        .join(Observation, Observation.id == action_observations.c.observation_id)
        .where(Observation.walk_id == walk.id).distinct().order_by(ActionItem.due_date, ActionItem.id)))


def area_actions(area: Area) -> list[ActionItem]:
    return list(db.session.scalars(sa.select(ActionItem).where(ActionItem.area_id == area.id)
                                   .order_by(ActionItem.due_date, ActionItem.id)))


def previous_walk(walk: Walk) -> Walk | None:
    """The area's walk before this one, for the before/after figures."""
    return db.session.scalar(
        sa.select(Walk).where(Walk.area_id == walk.area_id, Walk.id != walk.id, Walk.starts_at <= walk.starts_at)
        .order_by(Walk.starts_at.desc(), Walk.id.desc()).limit(1))


def walk_page(walk: Walk, decimals: int) -> dict:
    before = previous_walk(walk)
    return {
        "walk": walk,
        "area": walk.area,
        "points": public_points([walk.id], None, decimals),
        "actions": walk_actions(walk),
        "comparison": followup.compare_walks(before, walk) if before is not None else None,
    }


def area_page(area: Area, decimals: int, today: dt.date) -> dict:
    walks = followup.area_walks(area)
    before, after = followup.default_pair(area)
    return {
        "area": area,
        "walks": [w for w in walks if is_published(w)],
        "points": public_points([w.id for w in walks], area, decimals),
        "actions": area_actions(area),
        "figures": followup.area_figures(area, today),
        "comparison": followup.compare_walks(before, after) if before is not None and after is not None else None,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def page_json(page: dict, locale: str) -> dict:
    """The page's machine twin: the same public facts as plain values (no names, rounded positions)."""
    return {
        "points": [{
            "lat": p.lat, "lon": p.lon, "category": p.observation.category.code,
            "category_name": p.observation.category.name(locale), "observed_on": _iso(p.observation.observed_at.date()),
            "status": p.outcome.kind, "status_text": p.outcome.text, "recipient": p.outcome.recipient or None,
            "reference": p.outcome.reference or None, "recipient_notes": p.outcome.recipient_notes or None,
            "sent_on": _iso(p.outcome.item.report.sent_at.date()) if p.outcome.item and p.outcome.item.report.sent_at
            else None,
            "walkers_checked": [{"on": _iso(a.answered_at.date()), "answer": a.answer} for a in p.outcome.answers],
        } for p in page["points"]],
        "actions": [{"title": a.title, "responsible": a.organization.name if a.organization else None,
                     "due": _iso(a.due_date), "status": a.status, "outcome": a.outcome or None}
                    for a in page["actions"]],
    }
