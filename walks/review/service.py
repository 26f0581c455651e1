"""Coordinator review of a walk's observations: filter, edit, hide, merge duplicates.

Plain functions taking the acting user; they flush and record an AuditEvent; the routes commit.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import photos
from ..capture import metoo
from ..capture.service import MAX_TEXT, CaptureError, category_by_code
from ..extensions import db
from ..geo import GeoJSONError, check_lat_lon, distance_m
from ..models import (OBSERVATION_STATUSES, PARTICIPANT_ROLES, SAFETY_RATINGS, THEMES, Category, Observation,
                      Participant, Walk, audit, utcnow)
from ..observations import set_status, visible
from ..web import DomainError

MAX_REASON = 300


class ReviewError(DomainError):
    """A refused review change; `field` names the form field it concerns."""


@dataclass
class Filters:
    category: str = ""
    theme: str = ""
    safety: int | None = None
    role: str = ""
    status: str = ""
    show_hidden: bool = False

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Unknown values are ignored (a filter is a view, never an error)."""
        safety = args.get("safety", "")
        return cls(
            category=args.get("category", "")[:40],
            theme=args.get("theme", "") if args.get("theme") in THEMES else "",
            safety=int(safety) if safety.isascii() and safety.isdigit() and int(safety) in SAFETY_RATINGS else None,
            role=args.get("role", "") if args.get("role") in PARTICIPANT_ROLES else "",
            status=args.get("status", "") if args.get("status") in OBSERVATION_STATUSES else "",
            show_hidden=args.get("show_hidden") in ("1", "y", "on", "true"),
        )


def walk_observations(walk: Walk, filters: Filters) -> list[Observation]:
    query = (sa.select(Observation).join(Category, Observation.category_id == Category.id)
             .outerjoin(Participant, Observation.participant_id == Participant.id)
             .where(Observation.walk_id == walk.id))
    if filters.category:
        query = query.where(Category.code == filters.category)
    if filters.theme:
        query = query.where(Category.theme == filters.theme)
    if filters.safety is not None:
        query = query.where(Observation.safety == filters.safety)
    if filters.role:
        query = query.where(Participant.role == filters.role)
    if filters.status:
        query = query.where(Observation.status == filters.status)
    if not filters.show_hidden:  # a "me too" is counted on its point (visible() leaves it out)
        query = query.where(visible())
    # More "me too" first: the points many walkers noted come up for review first.
    return list(db.session.scalars(query.order_by(metoo.count_column().desc(), Observation.observed_at,
                                                  Observation.id)))


def edit_observation(observation: Observation, user, *, category_code: str, text: str,
                     lat=None, lon=None) -> dict:
    """Change category, text and position; return the changes {field: [old, new]} (also audited)."""
    try:
        category = category_by_code(category_code)
    except CaptureError as error:
        raise ReviewError(error.message, "category") from None
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise ReviewError(_l("The text can be at most %(n)d characters.", n=MAX_TEXT), "text")
    try:
        lat, lon = check_lat_lon(lat, lon)
    except GeoJSONError as error:
        raise ReviewError(str(error), "lat") from None
    lat, lon = round(lat, 7), round(lon, 7)
    changes = {}
    if category.id != observation.category_id:
        changes["category"] = [observation.category.code, category.code]
        observation.category = category
    if text != observation.text:
        changes["text"] = [observation.text, text]
        observation.text = text
    if (lat, lon) != (round(observation.lat, 7), round(observation.lon, 7)):
        changes["position"] = [[observation.lat, observation.lon], [lat, lon]]
        observation.lat, observation.lon = lat, lon
        observation.location_source, observation.accuracy_m = "map", None
    if changes:
        db.session.flush()
        audit(user, observation, "edit", changes=changes)
    return changes


def hide(observation: Observation, user, reason: str) -> None:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ReviewError(_l("The reason can be at most %(n)d characters.", n=MAX_REASON), "reason")
    if observation.hidden:
        return
    observation.hidden, observation.hidden_at = True, utcnow()
    observation.hidden_by_id, observation.hidden_reason = user.id, reason
    db.session.flush()
    audit(user, observation, "hide", reason=reason)


def unhide(observation: Observation, user) -> None:
    if observation.merged_into_id is not None:
        raise ReviewError(_l("A merged observation stays hidden; it is part of the one it was merged into."),
                          status=409)
    if not observation.hidden:
        return
    observation.hidden, observation.hidden_at, observation.hidden_by_id = False, None, None
    observation.hidden_reason = ""
    db.session.flush()
    audit(user, observation, "unhide")


def merge(survivor: Observation, duplicate: Observation, user, upload_dir: str) -> None:
    """Merge a duplicate into the survivor: photos move over, the duplicate points to the survivor and is
    hidden and dismissed; its own ratings stay on it. Photos the survivor already had (by content hash)
    are deleted; their files go when the merge is committed."""
    if survivor.id == duplicate.id:
        raise ReviewError(_l("Choose another observation to merge with."), "other")
    if survivor.walk_id != duplicate.walk_id:
        raise ReviewError(_l("Only observations from the same walk can be merged."), "other")
    if survivor.merged_into_id is not None or duplicate.merged_into_id is not None:
        raise ReviewError(_l("One of them has already been merged into another observation."), "other")
    have = {p.sha256 for p in survivor.photos}
    moved = []
    for photo in list(duplicate.photos):
        if photo.sha256 in have:
            photos.delete_photo(db.session, upload_dir, photo)
        else:
            photo.observation = survivor
            have.add(photo.sha256)
            moved.append(photo.id)
    duplicate.merged_into = survivor
    set_status(duplicate, "dismissed", user, into=survivor.id)
    if not duplicate.hidden:
        duplicate.hidden, duplicate.hidden_at, duplicate.hidden_by_id = True, utcnow(), user.id
    duplicate.hidden_reason = "merged"
    # Walkers who said "me too" to the duplicate now second the survivor.
    for seconding in db.session.scalars(sa.select(Observation).where(
            Observation.merged_into_id == duplicate.id, Observation.source == "metoo")):
        seconding.merged_into = survivor
    db.session.flush()
    audit(user, survivor, "merge", merged=duplicate.id, photos_moved=moved)
    audit(user, duplicate, "merged_into", into=survivor.id)


def merge_candidates(observation: Observation) -> list[tuple[Observation, float]]:
    """Other visible observations of the same walk with their distance in metres, nearest first."""
    if observation.walk_id is None:
        return []
    others = db.session.scalars(sa.select(Observation).where(
        Observation.walk_id == observation.walk_id, Observation.id != observation.id, visible()))
    distances = [(other, distance_m(observation.lat, observation.lon, other.lat, other.lon)) for other in others]
    return sorted(distances, key=lambda pair: (pair[1], pair[0].id))
