"""Follow-up figures: the dashboard of an area and the before/after comparison of two walks.

Plain functions over the models, returning the figures as dataclasses. Hidden observations and those
merged into another are left out everywhere: they are not part of the picture the walk gave.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (ACTION_STATUSES, SAFETY_RATINGS, THEMES, ActionItem, Area, Category, FaultReport,
                      FaultReportItem, Observation, Walk)
from ..observations import in_area, outcome_counts, visible
from ..web import DomainError

SENT_STATUSES = ("sent", "acknowledged", "resolved", "rejected")
ACTION_CLOSED = ("done", "cancelled")
FAULT_CLOSED = ("resolved", "dismissed")


class CompareError(DomainError):
    """Two walks that cannot be compared; the message says why."""


@dataclass
class SafetySummary:
    """Perceived safety: how many ratings, their mean, and how many of each (0 very unsafe .. 3 safe)."""
    count: int
    mean: float | None
    distribution: list[int]


@dataclass
class WalkFigures:
    id: int
    title: str
    starts_at: dt.datetime
    status: str
    observations: int
    themes: dict[str, int]
    safety: SafetySummary
    faults: dict  # observations.outcome_counts of the walk


@dataclass
class FaultFigures:
    """The recipients' answers about the area's faults, and the faults not found on a walk."""
    sent: int
    by_status: dict[str, int]
    resolved: int
    open: int
    median_days_to_resolve: float | None
    outside_walks: dict  # observations.outcome_counts


@dataclass
class ActionFigures:
    total: int
    by_status: dict[str, int]
    overdue: int


@dataclass
class AreaFigures:
    """Everything the dashboard of an area shows."""
    area_id: int
    area_name: str
    today: dt.date
    walks: list[WalkFigures]
    observations: int
    outcomes: dict  # observations.outcome_counts of the whole area
    faults: FaultFigures
    actions: ActionFigures


@dataclass
class WalkSide:
    walk: Walk
    observations: int
    safety: SafetySummary


@dataclass
class CategoryRow:
    category: Category
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass
class FaultProgress:
    """What became of the faults found on the first walk (counted by observations.outcome_counts)."""
    total: int
    reported: int
    resolved: int
    dismissed: int
    open: list[Observation]


@dataclass
class Comparison:
    before: WalkSide
    after: WalkSide
    categories: list[CategoryRow]
    faults: FaultProgress
    points_before: list[Observation]
    points_after: list[Observation]


def visible_observations(walk_ids) -> list[Observation]:
    """The walks' observations that count, with their categories."""
    if not walk_ids:
        return []
    return list(db.session.scalars(
        sa.select(Observation)
        .where(Observation.walk_id.in_(list(walk_ids)), visible())
        .options(selectinload(Observation.category))
        .order_by(Observation.observed_at, Observation.id)))


def safety_summary(counts) -> SafetySummary:
    """Count, mean and distribution of perceived safety from {rating 0–3: number of observations}."""
    distribution = [counts.get(r, 0) for r in SAFETY_RATINGS]
    total = sum(distribution)
    return SafetySummary(
        count=total,
        mean=round(sum(r * n for r, n in zip(SAFETY_RATINGS, distribution)) / total, 2) if total else None,
        distribution=distribution)


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def median(values) -> float | None:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


def area_walks(area: Area) -> list[Walk]:
    return list(db.session.scalars(
        sa.select(Walk).where(Walk.area_id == area.id).order_by(Walk.starts_at, Walk.id)))


def resolve_days(status: str, sent_at: dt.datetime | None, report_resolved_at: dt.datetime | None,
                 item_updated_at: dt.datetime | None) -> float | None:
    """Days from sending a report to resolving one of its items: the report's resolved_at when it has
    one, else the item's last change (an item can be resolved on its own, e.g. over Open311)."""
    if status != "resolved" or sent_at is None:
        return None
    end = report_resolved_at or item_updated_at
    if end is None or end < sent_at:
        return None
    return days_between(sent_at, end)


def fault_figures(area: Area) -> FaultFigures:
    """The recipients' answers: items of sent reports about this area's observations (by the
    observation's area or walk), and what became of the area's faults not found on a walk."""
    rows = db.session.execute(
        sa.select(FaultReportItem.status, FaultReport.sent_at, FaultReport.resolved_at, FaultReportItem.updated_at)
        .join(FaultReport, FaultReportItem.report_id == FaultReport.id)
        .join(Observation, FaultReportItem.observation_id == Observation.id)
        .where(in_area(area), FaultReportItem.status.in_(SENT_STATUSES))).all()
    by_status = Counter(row.status for row in rows)
    days = (resolve_days(row.status, row.sent_at, row.resolved_at, row.updated_at) for row in rows)
    return FaultFigures(
        sent=len(rows),
        by_status={status: by_status.get(status, 0) for status in SENT_STATUSES},
        resolved=by_status.get("resolved", 0),
        open=by_status.get("sent", 0) + by_status.get("acknowledged", 0),
        median_days_to_resolve=median(d for d in days if d is not None),
        outside_walks=outcome_counts(sa.and_(in_area(area), Observation.walk_id.is_(None))))


def action_figures(area: Area, today: dt.date) -> ActionFigures:
    by_status = dict(db.session.execute(
        sa.select(ActionItem.status, sa.func.count()).where(ActionItem.area_id == area.id)
        .group_by(ActionItem.status)).all())
    overdue = db.session.scalar(
        sa.select(sa.func.count()).select_from(ActionItem)
        .where(ActionItem.area_id == area.id, ActionItem.due_date < today,
               ActionItem.status.not_in(ACTION_CLOSED)))
    return ActionFigures(total=sum(by_status.values()),
                         by_status={status: by_status.get(status, 0) for status in ACTION_STATUSES},
                         overdue=overdue)


def _counts_per_walk(walk_ids, column) -> dict[int, Counter]:
    """{walk id: Counter(value of column: visible observations)}, counted by the database."""
    counts: dict[int, Counter] = {walk_id: Counter() for walk_id in walk_ids}
    if walk_ids:
        rows = db.session.execute(
            sa.select(Observation.walk_id, column, sa.func.count())
            .join(Category, Observation.category_id == Category.id)
            .where(Observation.walk_id.in_(list(walk_ids)), visible())
            .group_by(Observation.walk_id, column))
        for walk_id, value, count in rows:
            counts[walk_id][value] = count
    return counts


def area_figures(area: Area, today: dt.date) -> AreaFigures:
    """Everything the dashboard of an area shows."""
    walks = area_walks(area)
    walk_ids = [w.id for w in walks]
    themes = _counts_per_walk(walk_ids, Category.theme)
    ratings = _counts_per_walk(walk_ids, Observation.safety)
    walk_rows = [WalkFigures(
        id=walk.id, title=walk.title, starts_at=walk.starts_at, status=walk.status,
        observations=sum(themes[walk.id].values()),
        themes={theme: themes[walk.id].get(theme, 0) for theme in THEMES},
        safety=safety_summary(ratings[walk.id]),
        faults=outcome_counts(Observation.walk_id == walk.id)) for walk in walks]
    return AreaFigures(area_id=area.id, area_name=area.name, today=today, walks=walk_rows,
                       observations=sum(row.observations for row in walk_rows),
                       outcomes=outcome_counts(in_area(area)), faults=fault_figures(area),
                       actions=action_figures(area, today))


def default_pair(area: Area) -> tuple[Walk | None, Walk | None]:
    """The area's first and latest walk; planned walks only when there are not two others."""
    walks = area_walks(area)
    held = [w for w in walks if w.status != "planned"]
    pool = held if len(held) >= 2 else walks
    if len(pool) < 2:
        return (pool[0] if pool else None), None
    return pool[0], pool[-1]


def check_pair(before: Walk, after: Walk, area: Area | None = None) -> None:
    """Raise CompareError unless the two walks are two different walks of one area."""
    if before.id == after.id:
        raise CompareError(_("Choose two different walks: the same walk was given twice."))
    if area is not None:
        for walk in (before, after):
            if walk.area_id != area.id:
                raise CompareError(_("The walk “%(title)s” belongs to another area than %(area)s. "
                                     "Only walks of the same area can be compared.",
                                     title=walk.title, area=area.name))
    if before.area_id != after.area_id:
        raise CompareError(_("The walks “%(before)s” and “%(after)s” belong to different areas. "
                             "Only walks of the same area can be compared.",
                             before=before.title, after=after.title))


def compare_walks(before: Walk, after: Walk) -> Comparison:
    """The figures of two walks of one area side by side: counts per category, perceived safety,
    and what became of the faults found on the first walk."""
    check_pair(before, after)
    first = visible_observations([before.id])
    second = visible_observations([after.id])
    count_before = Counter(o.category_id for o in first)
    count_after = Counter(o.category_id for o in second)
    categories = {o.category.id: o.category for o in first + second}
    rows = [CategoryRow(category, count_before.get(category.id, 0), count_after.get(category.id, 0))
            for category in sorted(categories.values(), key=lambda c: (c.sort_order, c.id))]
    faults = [o for o in first if o.category.is_fault]
    outcomes = outcome_counts(Observation.walk_id == before.id)
    return Comparison(
        before=WalkSide(before, len(first), safety_summary(Counter(o.safety for o in first))),
        after=WalkSide(after, len(second), safety_summary(Counter(o.safety for o in second))),
        categories=rows,
        faults=FaultProgress(total=outcomes["total"], reported=outcomes["reported"], resolved=outcomes["resolved"],
                             dismissed=outcomes["dismissed"],
                             open=[o for o in faults if o.status not in FAULT_CLOSED]),
        points_before=first, points_after=second)


def mean_change(comparison: Comparison) -> float | None:
    before, after = comparison.before.safety.mean, comparison.after.safety.mean
    return None if before is None or after is None else round(after - before, 2)


def map_points(comparison: Comparison, locale: str, link: Callable[[Observation], str]) -> dict:
    """The difference map's data: plain values only (the page hands them to Leaflet as JSON)."""
    open_ids = {o.id for o in comparison.faults.open}

    def point(obs: Observation, which: str) -> dict:
        return {"id": obs.id, "lat": obs.lat, "lon": obs.lon, "which": which,
                "category": obs.category.name(locale), "text": obs.text, "safety": obs.safety,
                "status": obs.status, "open_fault": obs.id in open_ids, "url": link(obs)}

    return {"before": [point(o, "before") for o in comparison.points_before],
            "after": [point(o, "after") for o in comparison.points_after]}


def comparison_json(comparison: Comparison, locale: str) -> dict:
    """The machine twin of the compare page."""
    def walk_part(part: WalkSide) -> dict:
        walk = part.walk
        return {"id": walk.id, "title": walk.title, "starts_at": walk.starts_at.isoformat(),
                "observations": part.observations, "safety": asdict(part.safety)}

    faults = comparison.faults
    return {
        "before": walk_part(comparison.before),
        "after": walk_part(comparison.after),
        "mean_safety_change": mean_change(comparison),
        "categories": [{"code": row.category.code, "name": row.category.name(locale),
                        "before": row.before, "after": row.after, "change": row.change}
                       for row in comparison.categories],
        "faults_from_first_walk": {
            "total": faults.total, "reported": faults.reported, "resolved": faults.resolved,
            "dismissed": faults.dismissed,
            "open": [{"id": o.id, "category": o.category.code, "text": o.text, "status": o.status,
                      "lat": o.lat, "lon": o.lon} for o in faults.open],
        },
    }


def figures_json(figures: AreaFigures) -> dict:
    """The machine twin of the dashboard: dates as ISO strings."""
    data = asdict(figures)
    return {
        "area": {"id": data.pop("area_id"), "name": data.pop("area_name")},
        **data,
        "today": figures.today.isoformat(),
        "walks": [{**row, "starts_at": row["starts_at"].isoformat()} for row in data["walks"]],
    }
