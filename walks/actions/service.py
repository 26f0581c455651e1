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

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import (ACTION_HORIZONS, ACTION_PRIORITIES, ACTION_STATUSES, ActionItem, ActionUpdate, Area,
                      Contact, Meeting, Observation, Organization, Walk, audit, utcnow)

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


class ActionError(ValueError):
    """Values that cannot be stored: `errors` maps a field name to a message."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidTransition(ActionError):
    def __init__(self, old: str, new: str):
        allowed = ", ".join(str(STATUS_LABELS[s]) for s in TRANSITIONS.get(old, ()))
        message = _l("An action that is %(old)s cannot become %(new)s (it can become: %(allowed)s).",
                     old=STATUS_LABELS.get(old, old), new=STATUS_LABELS.get(new, new), allowed=allowed)
        super().__init__({"status": message})


def allowed_next(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


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
    if observation.area_id is not None:
        return observation.area_id == area.id
    return observation.walk is not None and observation.walk.area_id == area.id


def area_observations(area: Area, ids) -> list[Observation]:
    """The observations with these ids; every one must exist and belong to the area."""
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise ActionError({"observation_ids": _l("Observation ids are numbers.")}) from None
    found = list(db.session.scalars(sa.select(Observation).where(Observation.id.in_(wanted))
                                    .order_by(Observation.id))) if wanted else []
    if len(found) != len(wanted) or not all(observation_in_area(o, area) for o in found):
        raise ActionError({"observation_ids": _l("Some of the chosen observations do not belong to this area.")})
    return found


def _link(action: ActionItem, observations) -> list[int]:
    added = []
    for obs in observations:
        if obs not in action.observations:
            action.observations.append(obs)
            added.append(obs.id)
        if obs.status == "new":
            obs.status = "in_action"
    return added


def _resolve_observations(action: ActionItem) -> list[int]:
    resolved = []
    for obs in action.observations:
        if obs.status not in ("resolved", "dismissed"):
            obs.status = "resolved"
            resolved.append(obs.id)
    return resolved


def create_action(area: Area, values: dict, user, observations=()) -> ActionItem:
    """A new action in the area, optionally made from observations (which must be in the area)."""
    clean = clean_values(values)
    observations = list(observations)
    if not all(observation_in_area(o, area) for o in observations):
        raise ActionError({"observation_ids": _l("Some of the chosen observations do not belong to this area.")})
    action = ActionItem(area=area, created_at=utcnow(), updated_at=utcnow())
    db.session.add(action)
    changes = _apply(action, clean)
    linked = _link(action, observations)
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
    changes = _apply(action, clean)
    if action.status == "done" and "status" in changes and resolve_observations:
        resolved = _resolve_observations(action)
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
    action.status = new_status
    if new_status == "done" and resolve_observations:
        resolved = _resolve_observations(action)
        if resolved:
            changes["resolved_observations"] = [[], resolved]
    action.updated_at = utcnow()
    update = _log(action, user, changes, comment)
    db.session.flush()
    return update


def link_observations(action: ActionItem, observations, user, comment: str = "") -> ActionUpdate | None:
    observations = list(observations)
    if not all(observation_in_area(o, action.area) for o in observations):
        raise ActionError({"observation_ids": _l("Some of the chosen observations do not belong to this area.")})
    before = [o.id for o in action.observations]
    added = _link(action, observations)
    if not added:
        return None
    update = _log(action, user, {"observations": [before, before + added]}, comment)
    db.session.flush()
    return update


def unlink_observation(action: ActionItem, observation: Observation, user) -> ActionUpdate | None:
    if observation not in action.observations:
        return None
    before = [o.id for o in action.observations]
    action.observations.remove(observation)
    if observation.status == "in_action" and not _in_other_open_action(observation, action):
        observation.status = "new"
    update = _log(action, user, {"observations": [before, [i for i in before if i != observation.id]]})
    db.session.flush()
    return update


def _in_other_open_action(observation: Observation, action: ActionItem) -> bool:
    from ..models import action_observations as link
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(link).join(ActionItem, ActionItem.id == link.c.action_id)
        .where(link.c.observation_id == observation.id, ActionItem.id != action.id,
               ActionItem.status.in_(OPEN_STATUSES))) > 0


# --- Reading the plan ------------------------------------------------------------------------------

def plan(area: Area, status: str = "", organization_id: int | None = None, horizon: str = "",
         overdue_only: bool = False, today: dt.date | None = None) -> list[ActionItem]:
    """The area's action items, open ones first by due date (no date last), then finished ones."""
    query = sa.select(ActionItem).where(ActionItem.area_id == area.id).options(
        selectinload(ActionItem.organization), selectinload(ActionItem.contact),
        selectinload(ActionItem.observations))
    if status:
        query = query.where(ActionItem.status == status)
    if organization_id == 0:
        query = query.where(ActionItem.organization_id.is_(None))
    elif organization_id:
        query = query.where(ActionItem.organization_id == organization_id)
    if horizon:
        query = query.where(ActionItem.horizon == horizon)
    items = list(db.session.scalars(query))
    if overdue_only and today is not None:
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
    in_area = sa.or_(Observation.area_id == area.id,
                     sa.and_(Observation.area_id.is_(None), Observation.walk.has(Walk.area_id == area.id)))
    new_observations = list(db.session.scalars(
        sa.select(Observation).options(selectinload(Observation.category))
        .where(in_area, Observation.observed_at >= since, Observation.hidden.is_(False),
                                     Observation.merged_into_id.is_(None))
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
