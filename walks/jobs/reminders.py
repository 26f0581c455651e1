"""Reminders by e-mail, so nothing waits on someone remembering.

- To an action's responsible contact: once when its due date is near, and weekly once it is overdue.
- To the area's coordinators: once when a fault has been open longer than its category promises
  (offensive graffiti has its own, shorter promise: OFFENSIVE_PROMISED_HOURS).
Each mail is claimed with a conditional update of its marker column first, so two machines running the
job at once send it once; a mail that cannot be sent releases its claim for the next run.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..extensions import db
from ..models import (ActionItem, Category, Contact, FaultReport, FaultReportItem, Observation, User, user_areas)
from .runner import job

DUE_SOON_DAYS = 7
OVERDUE_EVERY = dt.timedelta(days=7)
OPEN_ACTIONS = ("proposed", "planned", "in_progress")


def _claim(model, row_id: int, column, value, condition) -> bool:
    taken = db.session.execute(sa.update(model).where(model.id == row_id, condition)
                               .values({column: value})).rowcount == 1
    db.session.commit()
    return taken


def _send(to: str, subject: str, body: str) -> bool:
    try:
        mail.send(mail.plain_message(to, subject, body))
    except mail.MailError as error:
        current_app.logger.warning("reminder to %s not sent: %s", to, error)
        return False
    return True


def _action_text(action: ActionItem) -> str:
    return _("Action: %(title)s\nArea: %(area)s\nDue: %(due)s\nStatus: %(status)s\n\nGoal: %(goal)s\n",
             title=action.title, area=action.area.name, due=f"{action.due_date:%Y-%m-%d}",
             status=action.status, goal=action.goal or "–")


def remind_actions(today: dt.date) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    candidates = db.session.scalars(
        sa.select(ActionItem).join(Contact, Contact.id == ActionItem.contact_id)
        .where(ActionItem.status.in_(OPEN_ACTIONS), ActionItem.due_date.is_not(None), Contact.email != "",
               ActionItem.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS))).all()
    for action in candidates:
        to = action.contact.email
        if action.due_date >= today:
            marker, value = ActionItem.due_reminded_on, action.due_date
            condition = sa.or_(marker.is_(None), marker != action.due_date)
            subject = _("Reminder: %(title)s is due %(due)s", title=action.title, due=f"{action.due_date:%Y-%m-%d}")
            kind = "due_soon"
        else:
            marker, value = ActionItem.overdue_reminded_on, today
            condition = sa.or_(marker.is_(None), marker <= today - OVERDUE_EVERY)
            subject = _("Overdue action: %(title)s (due %(due)s)", title=action.title, due=f"{action.due_date:%Y-%m-%d}")
            kind = "overdue"
        if not _claim(ActionItem, action.id, marker.key, value, condition):
            continue
        if _send(to, subject, _action_text(action)):
            counts[kind] += 1
        else:
            _claim(ActionItem, action.id, marker.key, None, sa.true())
            counts["failed"] += 1
    return counts


def _coordinators(area_id: int) -> list[str]:
    return list(db.session.scalars(
        sa.select(User.email).join(user_areas, user_areas.c.user_id == User.id)
        .where(user_areas.c.area_id == area_id, User.active.is_(True), User.role == "coordinator")))


def promised_hours(observation: Observation) -> int | None:
    if observation.offensive:
        return current_app.config["OFFENSIVE_PROMISED_HOURS"]
    return observation.category.promised_hours


def remind_overdue_faults(now: dt.datetime) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    rows = db.session.execute(
        sa.select(FaultReportItem, FaultReport.sent_at).join(FaultReport).join(Observation)
        .join(Category, Category.id == Observation.category_id)
        .where(FaultReportItem.status.in_(("sent", "acknowledged")), FaultReportItem.overdue_reminded_at.is_(None),
               FaultReport.sent_at.is_not(None),
               sa.or_(Category.promised_hours.is_not(None), Observation.offensive.is_(True)))).all()
    for item, sent_at in rows:
        hours = promised_hours(item.observation)
        if hours is None or sent_at + dt.timedelta(hours=hours) > now:
            continue
        if not _claim(FaultReportItem, item.id, "overdue_reminded_at", now,
                      FaultReportItem.overdue_reminded_at.is_(None)):
            continue
        report = item.report
        observation = item.observation
        subject = _("Fault open longer than promised: %(reference)s – %(category)s",
                    reference=report.reference, category=observation.category.name_sv)
        body = _("%(reference)s was sent to %(recipient)s on %(sent)s UTC.\nCategory: %(category)s (promised "
                 "within %(hours)s hours)\nDescription: %(text)s\nStatus: %(status)s\n",
                 reference=report.reference, recipient=report.organization.name, sent=f"{sent_at:%Y-%m-%d %H:%M}",
                 category=observation.category.name_sv, hours=hours, text=observation.text or "–", status=item.status)
        sent = [_send(to, subject, body) for to in _coordinators(report.area_id)] if report.area_id else []
        if any(sent):
            counts["overdue_faults"] += 1
        else:
            _claim(FaultReportItem, item.id, "overdue_reminded_at", None, sa.true())
            counts["no_coordinator" if not sent else "failed"] += 1
    return counts


@job("reminders", every=dt.timedelta(hours=1),
     help="Mail responsible contacts about due and overdue actions, coordinators about overdue faults.")
def send_reminders(now: dt.datetime) -> str:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")):
        counts = remind_actions(now.date())
        for key, value in remind_overdue_faults(now).items():
            counts[key] += value
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "nothing due"
