"""Ask "was it fixed?": a question per resolved item and walker who reported it, mailed where they opted in.

Each mail is claimed first (a conditional update of `mailed_at`), so two machines send it once; a mail
the server refuses releases its claim for the next run. Unmailed questions still show on the walker's list.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from .. import mail
from ..capture.outcome import outcome_for
from ..extensions import db
from ..models import FixedQuestion, Observation, Participant, utcnow
from ..updates import mails, service
from .runner import job


def _claim(question_id: int, value) -> bool:
    condition = FixedQuestion.mailed_at.is_(None) if value is not None else sa.true()
    taken = db.session.execute(sa.update(FixedQuestion).where(FixedQuestion.id == question_id, condition)
                               .values(mailed_at=value)).rowcount == 1
    db.session.commit()
    return taken


def mail_questions(now: dt.datetime) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    fresh = now - dt.timedelta(days=current_app.config["WALKER_LINK_MAX_AGE_DAYS"])
    questions = db.session.scalars(
        sa.select(FixedQuestion).join(Participant)
        .where(FixedQuestion.mailed_at.is_(None), FixedQuestion.answered_at.is_(None),
               FixedQuestion.created_at >= fresh, Participant.email_verified_at.is_not(None))).all()
    for question in questions:
        if not _claim(question.id, now):
            continue
        observation = question.item.observation
        try:
            mails.send_question(question, outcome_for(observation))
        except mail.MailError as error:
            current_app.logger.warning("question %s not mailed: %s", question.id, error)
            _claim(question.id, None)
            counts["failed"] += 1
            continue
        for own in db.session.scalars(sa.select(Observation).where(
                Observation.participant_id == question.participant_id,
                sa.or_(Observation.id == observation.id, Observation.merged_into_id == observation.id))):
            own.walker_notified = service.news_key(own)  # the question carries the news
        db.session.commit()
        counts["mailed"] += 1
    return counts


@job("fixed-question", every=dt.timedelta(minutes=15),
     help="Ask the walkers who reported a resolved fault whether it was fixed.")
def ask_fixed(now: dt.datetime) -> str:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")):
        # The clock now, not when `jobs run` started: the status fetch just before may have resolved items.
        asked = service.ask_questions(max(now, utcnow()), current_app.config["FIXED_QUESTION_AFTER_DAYS"])
        db.session.commit()
        counts = mail_questions(now)
    if asked:
        counts["asked"] = asked
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "nothing to ask"
