"""An observation's lifecycle: which observations count, where they belong, and their status.

The status has one writer, `set_status`. An observation is part of fault reports and action items;
it keeps the strongest state of everything it is part of (new < reported < in action < resolved), so
an open action is not undone by a rejected report, and a report sent about an observation already in
an action does not demote it. Dismissed (merged into another, or judged no fault) stands apart, and so
do the walkers' verdicts on a resolved fault, "partly fixed" and "closed, not fixed" (until the next event).
"""
from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .models import (ActionItem, Area, Category, FaultReport, FaultReportItem, Observation, Walk,
                     action_observations, audit)
from .web import DomainError

STRENGTH = ("new", "reported", "in_action", "resolved")

OPEN_ACTION_STATUSES = ("proposed", "planned", "in_progress")
OPEN_ITEM_STATUSES = ("sent", "acknowledged")

# event -> the least status it leaves behind (None: only what the observation is still part of).
EVENTS = {
    "sent": "reported",               # a fault report with it went to its recipient
    "report_resolved": "resolved",    # the recipient fixed it
    "report_rejected": None,          # the recipient said no: back to what else it is part of
    "report_reopened": None,          # a resolved item was opened again
    "action_linked": "in_action",     # it became part of an action item
    "action_unlinked": None,
    "action_done": "resolved",        # the action was finished with its observations resolved
    "action_reopened": None,
    "action_cancelled": None,
    "restored": None,                 # a dismissed observation taken back
    "dismissed": "dismissed",         # merged into another, or judged no fault
    "walker_partly_fixed": "partly_fixed",    # a walker says the resolved fault is only partly fixed
    "walker_not_fixed": None,                 # a walker says it is not fixed: the item is open again
    "closed_not_fixed": "closed_not_fixed",   # the coordinator closes it, honestly, as not fixed
}
# Verdicts that stand apart from membership, as "dismissed" does (but any later event recomputes them).
VERDICTS = ("partly_fixed", "closed_not_fixed")


def visible():
    """WHERE condition: the observations that count (not hidden, not merged into another)."""
    return sa.and_(Observation.hidden.is_(False), Observation.merged_into_id.is_(None))


def is_visible(observation: Observation) -> bool:
    return not observation.hidden and observation.merged_into_id is None


def in_area(area: Area | int):
    """WHERE condition: the observations of an area (its own, and those of its walks)."""
    area_id = area if isinstance(area, int) else area.id
    return sa.or_(Observation.area_id == area_id,
                  Observation.walk_id.in_(sa.select(Walk.id).where(Walk.area_id == area_id)))


def status_from_membership(observation: Observation) -> str:
    """The strongest state of the reports and actions the observation is part of."""
    best = "new"
    actions = db.session.execute(
        sa.select(ActionItem.status).join(action_observations, action_observations.c.action_id == ActionItem.id)
        .where(action_observations.c.observation_id == observation.id)).scalars()
    for status in actions:
        if status == "done":
            return "resolved"
        if status in OPEN_ACTION_STATUSES:
            best = "in_action"
    items = db.session.execute(
        sa.select(FaultReportItem.status).join(FaultReport)
        .where(FaultReportItem.observation_id == observation.id)).scalars()
    for status in items:
        if status == "resolved":
            return "resolved"
        if status in OPEN_ITEM_STATUSES and best == "new":
            best = "reported"
    return best


def _stronger(a: str, b: str) -> str:
    return a if STRENGTH.index(a) >= STRENGTH.index(b) else b


def set_status(observation: Observation, event: str, actor=None, **details) -> str:
    """Apply a lifecycle event; the one writer of Observation.status. Returns the new status."""
    if event not in EVENTS:
        raise DomainError(f"unknown observation event {event!r}")
    before = observation.status
    target = EVENTS[event]
    if target == "dismissed" or target in VERDICTS:
        after = target
    elif before == "dismissed" and event != "restored":
        after = before
    elif target == STRENGTH[-1]:
        after = target  # nothing the observation is part of is stronger: no need to look
    else:
        db.session.flush()
        after = status_from_membership(observation)
        if target is not None:
            after = _stronger(target, after)
    if after != before:
        observation.status = after
        if observation.id is not None:
            audit(actor, observation, "status", before=before, after=after, event=event, **details)
    return after



TAKEN_UP = ("reported", "in_action", "resolved")


def outcome_counts(where) -> dict:
    """What became of the faults among the observations matching `where` (a WHERE condition), counting
    only those that count (`visible()`): total; reported (taken up: sent to a body in a fault report,
    whatever it answered, or part of an action item); resolved; dismissed; unresolved (neither).
    The dashboard and the before/after page both count with this, so they agree."""
    sent = sa.select(FaultReportItem.observation_id).join(FaultReport).where(FaultReport.status != "draft")
    reported = sa.or_(Observation.status.in_(TAKEN_UP), Observation.id.in_(sent))
    row = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(reported),
                  sa.func.count().filter(Observation.status == "resolved"),
                  sa.func.count().filter(Observation.status == "dismissed"))
        .select_from(Observation).join(Category, Observation.category_id == Category.id)
        .where(where, visible(), Category.is_fault.is_(True))).one()
    total, reported_count, resolved, dismissed = row
    return {"total": total, "reported": reported_count, "resolved": resolved, "dismissed": dismissed,
            "unresolved": total - resolved - dismissed}
