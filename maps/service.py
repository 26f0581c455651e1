"""What the maps show: filters parsed from the query string, and rows read from the database.

Plain functions: they take values and models, never read flask.session, and change nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from walks.extensions import db
from walks.models import (LIGHT_CONDITIONS, OBSERVATION_STATUSES, SAFETY_RATINGS, THEMES, Area, Category,
                          Observation, TrackPoint, Walk)
from walks.observations import in_area, visible
from walks.web import DomainError

from .builders import CategoryStyle, MapPoint


class FilterError(DomainError):
    """A filter value that cannot be used; str(error) is a message a person understands."""


@dataclass(frozen=True)
class MapFilters:
    walk_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    theme: str | None = None
    category: str | None = None
    status: str | None = None
    rating: int | None = None

    def is_empty(self) -> bool:
        return self == MapFilters()


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(_l("The date %(field)s must be written as YYYY-MM-DD, e.g. 2026-03-14.",
                             field=name)) from None


def parse_filters(args, category_codes, walk_ids=None) -> MapFilters:
    """Query parameters -> MapFilters. Empty values mean "no filter"; anything else unknown is an error.

    args: a mapping (request.args); category_codes: the codes that exist; walk_ids: the walks that may
    be chosen (None: any).
    """
    def arg(name):
        return (args.get(name) or "").strip()

    walk_id = None
    if arg("walk"):
        try:
            walk_id = int(arg("walk"))
        except ValueError:
            raise FilterError(_l("The walk must be given by its number.")) from None
        if walk_ids is not None and walk_id not in walk_ids:
            raise FilterError(_l("There is no such walk in this area."))
    date_from = _date(arg("date_from"), "date_from")
    date_to = _date(arg("date_to"), "date_to")
    if date_from and date_to and date_from > date_to:
        raise FilterError(_l("The start date is after the end date."))
    theme = arg("theme") or None
    if theme and theme not in THEMES:
        raise FilterError(_l("Unknown theme “%(value)s”.", value=theme))
    category = arg("category") or None
    if category and category not in set(category_codes):
        raise FilterError(_l("Unknown category “%(value)s”.", value=category))
    status = arg("status") or None
    if status and status not in OBSERVATION_STATUSES:
        raise FilterError(_l("Unknown status “%(value)s”.", value=status))
    rating = None
    if arg("rating"):
        try:
            rating = int(arg("rating"))
        except ValueError:
            rating = -1
        if rating not in SAFETY_RATINGS:
            raise FilterError(_l("The rating must be 0, 1, 2 or 3."))
    return MapFilters(walk_id=walk_id, date_from=date_from, date_to=date_to, theme=theme,
                      category=category, status=status, rating=rating)


def local_day_start_utc(day: dt.date, timezone: str) -> dt.datetime:
    """Midnight of a local calendar day, as naive UTC (how times are stored)."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _filter_conditions(filters: MapFilters, timezone: str) -> list:
    conditions = []
    if filters.walk_id is not None:
        conditions.append(Observation.walk_id == filters.walk_id)
    if filters.date_from:
        conditions.append(Observation.observed_at >= local_day_start_utc(filters.date_from, timezone))
    if filters.date_to:
        conditions.append(Observation.observed_at <
                          local_day_start_utc(filters.date_to + dt.timedelta(days=1), timezone))
    if filters.theme:
        conditions.append(Category.theme == filters.theme)
    if filters.category:
        conditions.append(Category.code == filters.category)
    if filters.status:
        conditions.append(Observation.status == filters.status)
    if filters.rating is not None:
        conditions.append(Observation.safety == filters.rating)
    return conditions


def map_points(*, area: Area | None = None, walk: Walk | None = None,
               filters: MapFilters = MapFilters(), timezone: str = "Europe/Stockholm") -> list[MapPoint]:
    """The visible observations of an area or a walk, as numbers and codes only."""
    query = (sa.select(Observation.id, Observation.lat, Observation.lon, Category.theme, Category.code,
                       Observation.safety)
             .join(Category, Category.id == Observation.category_id)
             .where(visible(), *_filter_conditions(filters, timezone))
             .order_by(Observation.id))
    if area is not None:
        query = query.where(in_area(area))
    if walk is not None:
        query = query.where(Observation.walk_id == walk.id)
    return [MapPoint(*row) for row in db.session.execute(query)]


def category_styles(locale: str) -> list[CategoryStyle]:
    """Every category (retired ones too: old observations still use them), named in the locale."""
    categories = db.session.scalars(sa.select(Category).order_by(Category.sort_order, Category.id))
    return [CategoryStyle(c.code, c.name(locale), c.icon, c.color, c.theme) for c in categories]


def walk_tracks(walk_ids, filters: MapFilters = MapFilters(),
                timezone: str = "Europe/Stockholm") -> list[list[tuple[float, float]]]:
    """One line of (lat, lon) per walker and walk, in time order."""
    walk_ids = list(walk_ids)
    if filters.walk_id is not None:
        walk_ids = [w for w in walk_ids if w == filters.walk_id]
    if not walk_ids:
        return []
    query = (sa.select(TrackPoint.walk_id, TrackPoint.participant_id, TrackPoint.lat, TrackPoint.lon)
             .where(TrackPoint.walk_id.in_(walk_ids))
             .order_by(TrackPoint.walk_id, TrackPoint.participant_id, TrackPoint.recorded_at, TrackPoint.id))
    if filters.date_from:
        query = query.where(TrackPoint.recorded_at >= local_day_start_utc(filters.date_from, timezone))
    if filters.date_to:
        query = query.where(TrackPoint.recorded_at <
                            local_day_start_utc(filters.date_to + dt.timedelta(days=1), timezone))
    lines: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for walk_id, participant_id, lat, lon in db.session.execute(query):
        lines.setdefault((walk_id, participant_id), []).append((lat, lon))
    return list(lines.values())


def area_walks(area: Area) -> list[Walk]:
    return list(db.session.scalars(sa.select(Walk).where(Walk.area_id == area.id).order_by(Walk.starts_at)))


def area_counts(areas) -> dict[int, int]:
    """Visible observations per area id of these areas (by the observation's area or its walk's area)."""
    area_of = sa.func.coalesce(Observation.area_id, Walk.area_id)
    query = (sa.select(area_of, sa.func.count()).select_from(Observation)
             .outerjoin(Walk, Walk.id == Observation.walk_id)
             .where(visible(), area_of.in_([area.id for area in areas])).group_by(area_of))
    return dict(db.session.execute(query).all())


def light_condition_of(observation: Observation) -> str | None:
    value = observation.walk.light_condition if observation.walk else None
    return value if value in LIGHT_CONDITIONS else None


def export_observations(walk: Walk) -> list[Observation]:
    """A walk's visible observations with their categories, for KML and GPX."""
    query = (sa.select(Observation).where(Observation.walk_id == walk.id, visible())
             .options(sa.orm.selectinload(Observation.category)).order_by(Observation.observed_at, Observation.id))
    return list(db.session.scalars(query))
