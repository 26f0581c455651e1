""""Me too": a walker seconds an open observation near them instead of logging a duplicate.

A "me too" is an Observation of its own (source "metoo", `merged_into` the point it seconds): it keeps
the walker's own safety rating, text and photos, goes through the same idempotent, offline-safe
capture path (its UUID), appears on the walker's own list, and is left out of maps, reports and
review as a separate point exactly as a merged observation is. Counting them is one GROUP BY.
"""
from __future__ import annotations

import math

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import access
from ..extensions import db
from ..geo import distance_m
from ..models import Category, Observation, Participant, Walk
from ..observations import in_area, visible
from .service import CaptureError, find_observation

OPEN_STATUSES = ("new", "reported", "in_action")
MAX_NEARBY = 20
METRES_PER_DEGREE = 111_320


def counts(observation_ids) -> dict[int, int]:
    """How many "me too" each of these observations has (only those with at least one)."""
    ids = list(observation_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Observation.merged_into_id, sa.func.count()).where(
            Observation.source == "metoo", Observation.hidden.is_(False), Observation.merged_into_id.in_(ids))
        .group_by(Observation.merged_into_id)).all())


def count_column():
    """A correlated count of an observation's "me too", for ORDER BY (more voices: higher priority)."""
    seconded = sa.orm.aliased(Observation)
    return (sa.select(sa.func.count()).select_from(seconded)
            .where(seconded.source == "metoo", seconded.hidden.is_(False),
                   seconded.merged_into_id == Observation.id)
            .correlate(Observation).scalar_subquery())


def _candidates(walk: Walk):
    """The open points a walker of this walk may second: the walk's own and the rest of its area's."""
    place = in_area(walk.area_id) if walk.area_id is not None else Observation.walk_id == walk.id
    return sa.and_(visible(), Observation.status.in_(OPEN_STATUSES), Observation.source != "metoo", place)


def require_walker(walk: Walk, participant: Participant | None) -> None:
    """Only the walk's own walkers, while it is open, see what is near them."""
    if not access.participant_may_see_walk(participant, walk):
        raise CaptureError(_l("You have not joined this walk, or it is not open."), status=403)


def nearby(walk: Walk, participant: Participant | None, lat: float, lon: float, locale: str) -> list[dict]:
    """Open points within their category's "me too" radius of (lat, lon), nearest first; no names."""
    require_walker(walk, participant)
    reach = db.session.scalar(sa.select(sa.func.max(Category.metoo_radius_m))) or 0
    dlat = reach / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    rows = db.session.scalars(sa.select(Observation).join(Category).where(
        _candidates(walk), Observation.lat.between(lat - dlat, lat + dlat),
        Observation.lon.between(lon - dlon, lon + dlon))).all()
    found = []
    for observation in rows:
        distance = distance_m(lat, lon, observation.lat, observation.lon)
        radius = observation.category.metoo_radius_m
        if radius > 0 and distance <= radius and observation.participant_id != participant.id:
            found.append((distance, observation))
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    found = found[:MAX_NEARBY]
    seconded = counts(o.id for _, o in found)
    return [{"uuid": o.uuid, "category": o.category.code, "name": o.category.name(locale),
             "icon": o.category.icon, "color": o.category.color, "distance_m": round(distance),
             "metoo": seconded.get(o.id, 0), "observed_at": o.observed_at.isoformat() + "Z"}
            for distance, o in found]


def target_for(walk: Walk, participant: Participant, uuid) -> Observation:
    """The point a "me too" seconds; refused (409) when it was hidden, merged or closed meanwhile.

    The refusal tells the phone to send the walker's entry again as a new observation (the same UUID,
    so a "me too" that was saved before its answer got lost is found again rather than doubled).
    """
    target = find_observation(uuid)
    if target is None or db.session.scalar(sa.select(sa.func.count()).select_from(Observation).where(
            Observation.id == target.id, _candidates(walk))) == 0 or target.participant_id == participant.id:
        raise CaptureError(_l("The point you said “me too” to has been merged, hidden or closed "
                              "meanwhile. Your observation is saved as a new one instead."), "metoo_of",
                           status=409, resend_without=("metoo_of",))
    return target
