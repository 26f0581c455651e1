"""The action plan (åtgärdsplan): action items, their status rules and update log, follow-up meetings.

Plain functions: they take models, plain values and the acting user, change the models and flush;
the caller commits. "Today" is always passed in, so tests control time.

Status rules (`TRANSITIONS`): föreslagen → planerad → pågår → klar, and any open item can be
cancelled (avbruten). An item in progress can go back to planned (it has stalled). Klar and avbruten
are final except for reopening: a finished item that turns out not to be fixed goes back to pågår;
a cancelled one can be proposed again. Everything else is refused by `transition()`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from .. import access, dates
from ..extensions import db
from ..models import (ACTION_HORIZONS, ACTION_PRIORITIES, ACTION_STATUSES, ActionItem, ActionUpdate, Area,
                      Contact, Meeting, Observation, Organization, audit, utcnow)
from ..observations import in_area, set_status, visible
from ..web import DomainError

STATUS_LABELS = {
    "proposed": _l("proposed"),
    "planned": _l("planned"),
    "in_progress": _l("in progress"),
    "done": _l("done"),
    "cancelled": _l("cancelled"),
}
HORIZON_LABELS = {
    "short": _l("short (1–2 years)"),
    "medium": _l("medium (2–5 years)"),
    "long": _l("long (5–15 years)"),
}
PRIORITY_LABELS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}
OBSERVATION_STATUS_LABELS = {
    "new": _l("new"), "reported": _l("reported"), "in_action": _l("in an action"),
    "resolved": _l("resolved"), "dismissed": _l("dismissed"),
    "partly_fixed": _l("partly fixed"), "closed_not_fixed": _l("closed, not fixed"),
}

TRANSITIONS = {
    "proposed": ("planned", "cancelled"),
    "planned": ("in_progress", "cancelled"),
    "in_progress": ("done", "cancelled", "planned"),
    "done": ("in_progress",),
    "cancelled": ("proposed",),
}
OPEN_STATUSES = ("proposed", "planned", "in_progress")
DUE_SOON_DAYS = 30
TEXT_FIELDS = ("title", "description", "mandate", "resources", "goal", "indicators", "outcome")
TITLE_MAX = 300
TEXT_MAX = 10_000


class ActionError(DomainError):
    """Values that cannot be stored: `errors` maps each field name to its message (the first one is
    the DomainError's field; the message names them all)."""

    def __init__(self, errors: dict, status: int | None = None):
        super().__init__("; ".join(str(message) for message in errors.values()), next(iter(errors)), status)
        self.errors = errors


class InvalidTransition(ActionError):
    def __init__(self, old: str, new: str):
        allowed = ", ".join(str(STATUS_LABELS[s]) for s in TRANSITIONS.get(old, ()))
        message = _l("An action that is %(old)s cannot become %(new)s (it can become: %(allowed)s).",
                     old=STATUS_LABELS.get(old, old), new=STATUS_LABELS.get(new, new), allowed=allowed)
        super().__init__({"status": message}, status=409)


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def status_path(old: str, new: str) -> list[str]:
    """The shortest chain of allowed changes from old to new (old itself left out; [] when equal)."""
    paths = {old: []}
    queue = [old]
    while queue and new not in paths:
        status = queue.pop(0)
        for following in TRANSITIONS.get(status, ()):
            if following not in paths:
                paths[following] = paths[status] + [following]
                queue.append(following)
    if new not in paths:
        raise InvalidTransition(old, new)
    return paths[new]


def check_transition(old: str, new: str) -> None:
    if new not in ACTION_STATUSES:
        raise ActionError({"status": _l("Unknown status “%(status)s”.", status=new)})
    if old != new and new not in TRANSITIONS.get(old, ()):
        raise InvalidTransition(old, new)


def is_overdue(action: ActionItem, today: dt.date) -> bool:
    return action.status in OPEN_STATUSES and action.due_date is not None and action.due_date < today


# --- Validation ----------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _id(value) -> int | None:
    """A row id, or -1 (found nowhere) for something that is not a number."""
    if value in (None, "", 0):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def clean_values(values: dict, action: ActionItem | None = None) -> dict:
    """Check the editable fields of an action; return them cleaned or raise ActionError(all problems).

    values may hold: title, description, organization_id (or organization), contact_id (or contact),
    mandate, resources, start_date, due_date, goal, indicators, outcome, horizon, priority, status.
    Fields left out keep the action's current value (or the default for a new action).
    """
    errors: dict = {}
    current = action
    clean: dict = {}
    for field in TEXT_FIELDS:
        if field in values:
            clean[field] = _text(values[field])
        else:
            clean[field] = getattr(current, field) if current else ""
        limit = TITLE_MAX if field == "title" else TEXT_MAX
        if len(clean[field]) > limit:
            errors[field] = _l("At most %(n)d characters.", n=limit)
    if not clean["title"]:
        errors["title"] = _l("Say what is to be done.")

    org = values.get("organization", ...)
    if org is ...:
        org_id = _id(values.get("organization_id", current.organization_id if current else None))
        org = db.session.get(Organization, org_id) if org_id else None
        if org_id and org is None:
            errors["organization_id"] = _l("That actor does not exist.")
    contact = values.get("contact", ...)
    if contact is ...:
        contact_id = _id(values.get("contact_id", current.contact_id if current else None))
        contact = db.session.get(Contact, contact_id) if contact_id else None
        if contact_id and contact is None:
            errors["contact_id"] = _l("That contact does not exist.")
    if contact is not None and (org is None or contact.organization_id != org.id):
        errors["contact_id"] = _l("The contact person must work for the responsible actor.")
    clean["organization"], clean["contact"] = org, contact

    for field in ("start_date", "due_date"):
        value = values.get(field, getattr(current, field) if current else None)
        if isinstance(value, dt.datetime):
            value = value.date()
        if value is not None and not isinstance(value, dt.date):
            errors[field] = _l("Not a date.")
            value = None
        if value is not None:
            try:
                dates.check_range(value)
            except dates.DateError as error:
                errors[field], value = error.message, None
        clean[field] = value
    if clean["start_date"] and clean["due_date"] and clean["due_date"] < clean["start_date"]:
        errors["due_date"] = _l("The due date cannot be before the start date.")

    for field, allowed, default, message in (
            ("horizon", ACTION_HORIZONS, "short", _l("Choose a time horizon: short, medium or long.")),
            ("priority", ACTION_PRIORITIES, "medium", _l("Choose a priority: high, medium or low.")),
            ("status", ACTION_STATUSES, "proposed", _l("Unknown status."))):
        value = values.get(field) or (getattr(current, field) if current else default)
        if value not in allowed:
            errors[field] = message
        clean[field] = value
    if current is not None and "status" not in errors:
        try:
            check_transition(current.status, clean["status"])
        except ActionError as error:
            errors.update(error.errors)
    if errors:
        raise ActionError(errors)
    return clean


# --- Changes and the log -------------------------------------------------------------------------

def _loggable(field: str, value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (Organization, Contact)):
        return value.name
    return value


def _apply(action: ActionItem, clean: dict) -> dict:
    """Set the cleaned values; return {field: [old, new]} for what changed."""
    changes = {}
    for field, new in clean.items():
        old = getattr(action, field)
        if old is None and new == "" or old == new:
            continue
        changes[field] = [_loggable(field, old), _loggable(field, new)]
        setattr(action, field, new)
    return changes


def _log(action: ActionItem, user, changes: dict, comment: str = "") -> ActionUpdate:
    update = ActionUpdate(action=action, user_id=getattr(user, "id", None), changes=changes,
                          comment=_text(comment), at=utcnow())
    db.session.add(update)
    return update


def observation_in_area(observation: Observation, area: Area) -> bool:
    return access.area_id_of(observation) == area.id


def area_observations(area: Area, ids) -> list[Observation]:
    """The observations with these ids; every one must exist and belong to the area."""
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ActionError({"observation_ids": _l("Observation ids are numbers.")}) from None
    found = list(db.session.scalars(sa.select(Observation).where(Observation.id.in_(wanted), in_area(area))
                                    .order_by(Observation.id))) if wanted else []
    if len(found) != len(wanted):
        raise ActionError({"observation_ids": _l("Some of the chosen observations do not belong to this area.")})
    return found


def _link(action: ActionItem, observations, user) -> list[int]:
    added = []
    for obs in observations:
        if obs not in action.observations:
            action.observations.append(obs)
            added.append(obs.id)
    db.session.flush()
    for obs in observations:
        set_status(obs, "action_linked", user, action_id=action.id)
    return added


def _resolve_observations(action: ActionItem, user) -> list[int]:
    """Done with its observations resolved: each one that was not resolved or dismissed before."""
    resolved = []
    for obs in action.observations:
        if obs.status not in ("resolved", "dismissed"):
            set_status(obs, "action_done", user, action_id=action.id)
            resolved.append(obs.id)
    return resolved


def _follow_status(action: ActionItem, old: str, user, resolve_observations: bool) -> list[int]:
    """The linked observations follow the action's new status; returns those it resolved."""
    if action.status == "done":
        return _resolve_observations(action, user) if resolve_observations else []
    if action.status == "cancelled":
        event = "action_cancelled"
    elif old in ("done", "cancelled"):
        event = "action_reopened"
    else:
        return []
    for obs in action.observations:
        set_status(obs, event, user, action_id=action.id)
    return []


def create_action(area: Area, values: dict, user, observations=()) -> ActionItem:
    """A new action in the area, optionally made from observations (which must be in the area)."""
    clean = clean_values(values)
    observations = list(observations)
    if not all(observation_in_area(o, area) for o in observations):
        raise ActionError({"observation_ids": _l("Some of the chosen observations do not belong to this area.")})
    action = ActionItem(area=area, created_at=utcnow(), updated_at=utcnow())
    db.session.add(action)
    changes = _apply(action, clean)
    linked = _link(action, observations, user)
    if linked:
        changes["observations"] = [[], linked]
    db.session.flush()
    _log(action, user, changes, values.get("comment") or str(_l("Created.")))
    audit(user, action, "create", title=action.title)
    db.session.flush()
    return action


def update_action(action: ActionItem, values: dict, user, comment: str = "",
                  resolve_observations: bool = False, only_if_changed: bool = False) -> ActionUpdate | None:
    """Change an action; a status change must follow TRANSITIONS.

    Logs one ActionUpdate when a field changed or a comment was written (with only_if_changed, a
    comment alone is not logged). Returns it, or None.
    """
    update = change_action(action, values, user, comment, resolve_observations, only_if_changed)
    db.session.flush()
    return update


def change_action(action: ActionItem, values: dict, user, comment: str = "", resolve_observations: bool = False,
                  only_if_changed: bool = False) -> ActionUpdate | None:
    """update_action() without the flush, for many changes in a row (the caller flushes once)."""
    clean = clean_values(values, action)
    old = action.status
    changes = _apply(action, clean)
    if "status" in changes:
        resolved = _follow_status(action, old, user, resolve_observations)
        if resolved:
            changes["resolved_observations"] = [[], resolved]
    if not changes and (only_if_changed or not _text(comment)):
        return None
    action.updated_at = utcnow()
    return _log(action, user, changes, comment)


def transition(action: ActionItem, new_status: str, user, comment: str = "",
               resolve_observations: bool = False) -> ActionUpdate:
    """Move an action to a new status, or raise InvalidTransition. Logged with the comment.

    Finishing (done) with resolve_observations marks its linked observations resolved.
    """
    check_transition(action.status, new_status)
    if new_status == action.status:
        raise InvalidTransition(action.status, new_status)
    changes = {"status": [action.status, new_status]}
    old, action.status = action.status, new_status
    resolved = _follow_status(action, old, user, resolve_observations)
    if resolved:
        changes["resolved_observations"] = [[], resolved]
    action.updated_at = utcnow()
    update = _log(action, user, changes, comment)
    db.session.flush()
    return update


def unlink_observation(action: ActionItem, observation: Observation, user) -> ActionUpdate | None:
    if observation not in action.observations:
        return None
    before = [o.id for o in action.observations]
    action.observations.remove(observation)
    set_status(observation, "action_unlinked", user, action_id=action.id)
    update = _log(action, user, {"observations": [before, [i for i in before if i != observation.id]]})
    db.session.flush()
    return update


# --- Reading the plan ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanFilters:
    """The plan's filters. actor: "" (all), "none" (no responsible actor yet) or an actor's id."""
    status: str = ""
    horizon: str = ""
    actor: str = ""
    overdue_only: bool = False

    @classmethod
    def from_args(cls, args) -> "PlanFilters":
        """Unknown values are ignored (a filter is a view, never an error)."""
        actor = args.get("actor", "")
        return cls(status=args.get("status", "") if args.get("status") in ACTION_STATUSES else "",
                   horizon=args.get("horizon", "") if args.get("horizon") in ACTION_HORIZONS else "",
                   actor=actor if actor == "none" or (actor.isascii() and actor.isdigit() and len(actor) < 10)
                   else "",
                   overdue_only=args.get("overdue") == "1")

    @property
    def organization_id(self) -> int | None:
        """0 for "no actor yet", an id, or None for all."""
        return 0 if self.actor == "none" else (int(self.actor) if self.actor else None)

    def __bool__(self) -> bool:
        return self != PlanFilters()


def plan(area: Area, filters: PlanFilters = PlanFilters(), today: dt.date | None = None) -> list[ActionItem]:
    """The area's action items, open ones first by due date (no date last), then finished ones."""
    query = sa.select(ActionItem).where(ActionItem.area_id == area.id).options(
        selectinload(ActionItem.organization), selectinload(ActionItem.contact),
        selectinload(ActionItem.observations))
    if filters.status:
        query = query.where(ActionItem.status == filters.status)
    if filters.organization_id == 0:
        query = query.where(ActionItem.organization_id.is_(None))
    elif filters.organization_id:
        query = query.where(ActionItem.organization_id == filters.organization_id)
    if filters.horizon:
        query = query.where(ActionItem.horizon == filters.horizon)
    items = list(db.session.scalars(query))
    if filters.overdue_only and today is not None:
        items = [a for a in items if is_overdue(a, today)]
    far = dt.date.max
    return sorted(items, key=lambda a: (a.status not in OPEN_STATUSES, a.due_date or far, a.id))


def status_counts(area: Area, today: dt.date) -> dict:
    counts = dict.fromkeys(ACTION_STATUSES, 0)
    overdue = 0
    for action in db.session.scalars(sa.select(ActionItem).where(ActionItem.area_id == area.id)):
        counts[action.status] = counts.get(action.status, 0) + 1
        overdue += is_overdue(action, today)
    counts["overdue"] = overdue
    return counts


def meetings_for(action: ActionItem) -> list[Meeting]:
    return list(db.session.scalars(sa.select(Meeting).where(Meeting.actions.any(ActionItem.id == action.id))
                                   .order_by(Meeting.held_on.desc())))


# --- Follow-up meetings --------------------------------------------------------------------------

def last_meeting(area: Area, today: dt.date) -> Meeting | None:
    return db.session.scalar(sa.select(Meeting).where(Meeting.area_id == area.id, Meeting.held_on <= today)
                             .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(1))


def past_meetings(area: Area) -> list[Meeting]:
    return list(db.session.scalars(sa.select(Meeting).where(Meeting.area_id == area.id)
                                   .order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def meeting_overview(area: Area, today: dt.date) -> dict:
    """What a follow-up meeting goes through.

    due: open actions overdue or due within DUE_SOON_DAYS, grouped by responsible actor (overdue first);
    changes: the log entries since the day after the last meeting (or the last 30 days when there was none);
    new_observations: observations in the area observed since then (not hidden, not merged).
    """
    last = last_meeting(area, today)
    since_day = last.held_on + dt.timedelta(days=1) if last else today - dt.timedelta(days=DUE_SOON_DAYS)
    since = dt.datetime.combine(since_day, dt.time.min)
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due = [a for a in plan(area) if a.status in OPEN_STATUSES and a.due_date and a.due_date <= horizon]
    groups: dict = {}
    for action in sorted(due, key=lambda a: (not is_overdue(a, today), a.due_date, a.id)):
        groups.setdefault(action.organization, []).append(action)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0].name.lower() if kv[0] else ""))
    changes = list(db.session.scalars(
        sa.select(ActionUpdate).join(ActionItem).where(ActionItem.area_id == area.id, ActionUpdate.at >= since)
        .options(selectinload(ActionUpdate.action), selectinload(ActionUpdate.user))
        .order_by(ActionUpdate.at, ActionUpdate.id)))
    new_observations = list(db.session.scalars(
        sa.select(Observation).options(selectinload(Observation.category))
        .where(in_area(area), visible(), Observation.observed_at >= since)
        .order_by(Observation.observed_at)))
    return {
        "today": today, "last_meeting": last, "since": since_day, "groups": ordered,
        "overdue_count": sum(is_overdue(a, today) for a in due), "due_count": len(due),
        "changes": changes, "new_observations": new_observations,
    }


def record_meeting(area: Area, values: dict, user, actions=()) -> Meeting:
    """Record a meeting's notes and decisions, linked to the actions they concern (all in the area)."""
    errors = {}
    held_on = values.get("held_on")
    if not isinstance(held_on, dt.date):
        errors["held_on"] = _l("Give the date of the meeting.")
    else:
        try:
            dates.check_range(held_on)
        except dates.DateError as error:
            errors["held_on"] = error.message
    title = _text(values.get("title"))[:200]
    notes, decisions = _text(values.get("notes")), _text(values.get("decisions"))
    if not (notes or decisions):
        errors["notes"] = _l("Write the notes or the decisions of the meeting.")
    actions = list(actions)
    if any(a.area_id != area.id for a in actions):
        errors["action_ids"] = _l("Some of the chosen actions belong to another area.")
    if errors:
        raise ActionError(errors)
    meeting = Meeting(area=area, held_on=held_on, title=title, notes=notes, decisions=decisions,
                      actions=actions, created_at=utcnow())
    db.session.add(meeting)
    db.session.flush()
    audit(user, meeting, "create", held_on=held_on.isoformat(), actions=[a.id for a in actions])
    return meeting


def area_actions(area: Area, ids) -> list[ActionItem]:
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ActionError({"action_ids": _l("Action ids are numbers.")}) from None
    found = list(db.session.scalars(sa.select(ActionItem).where(ActionItem.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted) or any(a.area_id != area.id for a in found):
        raise ActionError({"action_ids": _l("Some of the chosen actions belong to another area.")})
    return found


def suggested_title(observations, locale: str = "sv") -> str:
    """A first title for an action made from observations: their categories."""
    names = []
    for obs in observations:
        name = obs.category.name(locale) if obs.category else ""
        if name and name not in names:
            names.append(name)
    return ", ".join(names)[:TITLE_MAX]
