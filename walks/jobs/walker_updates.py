"""One mail to a walker (opted in, verified) each time something they reported changes status.

`Observation.walker_notified` holds what the walker was last told; a change is claimed with a
conditional update from the old value to the new, so two machines mail it once; a refused mail puts
the old value back for the next run. A change to "fixed" that a "was it fixed?" question is about to
carry is not mailed twice.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from .. import mail
from ..capture.outcome import merge_root, outcome_for
from ..extensions import db
from ..models import FaultReportItem, FixedQuestion, Observation, Participant
from ..updates import mails, service
from .runner import job


def _claim(observation_id: int, old: str, new: str) -> bool:
    taken = db.session.execute(
        sa.update(Observation).where(Observation.id == observation_id, Observation.walker_notified == old)
        .values(walker_notified=new)).rowcount == 1
    db.session.commit()
    return taken


def _question_pending(observation: Observation) -> bool:
    """An unanswered question to this walker about the point (or the one it was merged into)."""
    root = merge_root(observation)
    return db.session.scalar(sa.select(sa.exists().where(
        FixedQuestion.participant_id == observation.participant_id, FixedQuestion.answered_at.is_(None),
        FixedQuestion.item_id.in_(sa.select(FaultReportItem.id)
                                  .where(FaultReportItem.observation_id == root.id))))) or False


def mail_changes() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    observations = db.session.scalars(
        sa.select(Observation).join(Participant, Participant.id == Observation.participant_id)
        .where(Participant.email_verified_at.is_not(None)).order_by(Observation.id)).all()
    for observation in observations:
        old, new = observation.walker_notified, service.news_key(observation)
        if old == new:
            continue
        quiet = (old == "" and new == "noted") or (new in ("fixed", "merged:fixed") and _question_pending(observation))
        if not _claim(observation.id, old, new) or quiet:
            continue
        try:
            mails.send_news(observation.participant, observation, outcome_for(observation))
        except mail.MailError as error:
            current_app.logger.warning("news of observation %s not mailed: %s", observation.id, error)
            _claim(observation.id, new, old)
            counts["failed"] += 1
            continue
        counts["mailed"] += 1
    return counts


@job("walker-updates", every=dt.timedelta(minutes=5),
     help="Mail walkers who asked for news when something they reported changes status.")
def send_walker_updates(now: dt.datetime) -> str:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")):
        counts = mail_changes()
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "no news"
