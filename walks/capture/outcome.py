"""What became of an observation, in plain words: the one place that words it for walkers and the public.

`outcome_for(observation)` reads the fault report items, actions and "was it fixed?" answers the
observation is part of and returns an `Outcome`: a `kind` (a stable key, also what the walker was last
mailed about), a sentence, and the facts behind it. No Flask request is needed; call it inside
`force_locale` to word it in another language.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from ..extensions import db
from ..models import (ActionItem, FaultReport, FaultReportItem, FixedQuestion, Observation, action_observations)

OPEN_ITEM = ("sent", "acknowledged")
OPEN_ACTION = ("proposed", "planned", "in_progress")


@dataclass
class Outcome:
    kind: str  # noted, sent, fixed, partly_fixed, reopened, closed_not_fixed, in_action, not_a_fault, merged, hidden
    text: str
    date: dt.datetime | None = None
    recipient: str = ""
    reference: str = ""
    recipient_notes: str = ""
    item: FaultReportItem | None = None
    action: ActionItem | None = None
    merged_with: Observation | None = None
    merged_outcome: "Outcome | None" = None
    answers: list[FixedQuestion] = field(default_factory=list)  # walkers' answers to "was it fixed?"


def latest_item(observation: Observation) -> FaultReportItem | None:
    """The observation's most recent item of a report that was sent (drafts are not news)."""
    return db.session.scalar(
        sa.select(FaultReportItem).join(FaultReport)
        .where(FaultReportItem.observation_id == observation.id, FaultReportItem.status != "draft")
        .order_by(FaultReport.sent_at.desc(), FaultReportItem.id.desc()).limit(1))


def latest_action(observation: Observation) -> ActionItem | None:
    return db.session.scalar(
        sa.select(ActionItem).join(action_observations, action_observations.c.action_id == ActionItem.id)
        .where(action_observations.c.observation_id == observation.id)
        .order_by(ActionItem.updated_at.desc(), ActionItem.id.desc()).limit(1))


def answers_for(item: FaultReportItem | None) -> list[FixedQuestion]:
    if item is None:
        return []
    return list(db.session.scalars(sa.select(FixedQuestion).where(
        FixedQuestion.item_id == item.id, FixedQuestion.answered_at.is_not(None)).order_by(FixedQuestion.answered_at)))


def merge_root(observation: Observation) -> Observation:
    """The observation it was merged into, followed to the end (a chain of merges stays short)."""
    seen = {observation.id}
    while observation.merged_into is not None and observation.merged_into.id not in seen:
        observation = observation.merged_into
        seen.add(observation.id)
    return observation


def _day(value: dt.datetime | dt.date | None) -> str:
    return format_date(value, "long") if value else ""


def _reference(item: FaultReportItem) -> str:
    """The recipient's own number where they gave one, else ours."""
    return item.external_id or item.report.external_ref or item.report.reference


def _item_outcome(observation: Observation, item: FaultReportItem, answers: list[FixedQuestion]) -> Outcome:
    report = item.report
    facts = {"recipient": report.organization.name, "reference": _reference(item),
             "recipient_notes": item.recipient_notes, "item": item, "answers": answers}
    if observation.status == "closed_not_fixed":
        return Outcome("closed_not_fixed", _("Closed without being fixed: %(recipient)s will not fix it.",
                                             recipient=report.organization.name), date=item.updated_at, **facts)
    if observation.status == "partly_fixed":
        return Outcome("partly_fixed", _("Partly fixed, reported fixed by %(recipient)s on %(date)s.",
                                         recipient=report.organization.name, date=_day(item.updated_at)),
                       date=item.updated_at, **facts)
    if item.status == "resolved":
        return Outcome("fixed", _("Fixed on %(date)s, says %(recipient)s (their reference %(reference)s).",
                                  date=_day(item.updated_at), recipient=report.organization.name,
                                  reference=facts["reference"]), date=item.updated_at, **facts)
    if item.status in OPEN_ITEM and any(a.answer == "not_fixed" for a in answers):
        return Outcome("reopened", _("Not fixed after all: a walker said so, and the coordinator has taken it up "
                                     "again with %(recipient)s.", recipient=report.organization.name),
                       date=answers[-1].answered_at, **facts)
    if item.status in OPEN_ITEM:
        return Outcome("sent", _("Sent to %(recipient)s on %(date)s, their reference %(reference)s.",
                                 recipient=report.organization.name, date=_day(report.sent_at),
                                 reference=facts["reference"]), date=report.sent_at, **facts)
    return Outcome("noted", _("Noted. %(recipient)s did not take it on; the coordinator will find another way.",
                              recipient=report.organization.name), date=item.updated_at, **facts)


def outcome_for(observation: Observation) -> Outcome:
    if observation.merged_into is not None:
        root = merge_root(observation)
        other = outcome_for(root)
        if observation.source == "metoo":  # the walker's own "me too", not a merge someone else made
            text = _("You said “me too” to another walker's point here: %(outcome)s", outcome=other.text)
        else:
            text = _("Merged with another walker's point at the same place: %(outcome)s", outcome=other.text)
        return Outcome("merged", text, merged_with=root, merged_outcome=other)
    if observation.hidden:
        return Outcome("hidden", _("Set aside by the coordinator."))
    if observation.status == "dismissed":
        return Outcome("not_a_fault", _("Looked at by the coordinator and judged not to be a fault."))
    item = latest_item(observation)
    action = latest_action(observation)
    if action is not None and action.status in OPEN_ACTION and (item is None or item.status not in OPEN_ITEM):
        return Outcome("in_action", _("Part of the action “%(title)s”, which is %(status)s.",
                                      title=action.title, status=action_words(action.status)),
                       date=action.updated_at, action=action, item=item)
    if item is not None:
        outcome = _item_outcome(observation, item, answers_for(item))
        outcome.action = action
        return outcome
    if action is not None and action.status == "done":
        return Outcome("fixed", _("Fixed through the action “%(title)s”.", title=action.title),
                       date=action.updated_at, action=action)
    return Outcome("noted", _("Noted. The coordinator has it and decides what happens next."))


def action_words(status: str) -> str:
    return {"proposed": _("proposed"), "planned": _("planned"), "in_progress": _("in progress"),
            "done": _("done"), "cancelled": _("cancelled")}.get(status, status)


def answer_words(answer: str) -> str:
    return {"fixed": _("fixed"), "partly": _("partly fixed"), "not_fixed": _("not fixed")}.get(answer, answer)
