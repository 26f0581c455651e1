"""Walkers hear what happened: opt-in e-mail for one walk, signed links, and "was it fixed?".

- A walker may leave an e-mail address for news of this walk only. It is stored on the participant
  (it goes with the participant, and so with the walk's retention) and used only once verified by a
  signed link.
- A resolved fault asks the walkers who reported it (the observation's walker and those whose points
  were merged into it) whether it was fixed: one question per item and walker, answered once.
  "Not fixed" opens the item again for the coordinator with the walker's words; "partly fixed" and
  "closed, not fixed" are statuses of their own.
Links are signed with the app's secret (itsdangerous), expire, and a question's link works once.
Plain functions: they take models and values (the secret and limits as arguments), change the session
and flush; the routes commit.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import photos as photo_pipeline
from ..batches import batched
from ..capture import service as capture
from ..capture.outcome import outcome_for
from ..extensions import db
from ..models import (FIXED_ANSWERS, FaultReportItem, FixedQuestion, Observation, Participant, Photo, audit,
                      utcnow)
from ..observations import is_visible, set_status
from ..reports import service as reports
from ..web import DomainError

MAX_WORDS = 2000
VERIFY = "walker-email"
QUESTION = "fixed-question"


class LinkError(DomainError):
    """A signed link that is forged, expired or already used: a 4xx page that says which."""


# --- signed links -----------------------------------------------------------------------------------

def make_token(secret: str, purpose: str, payload: dict) -> str:
    return URLSafeTimedSerializer(secret, salt=purpose).dumps(payload)


def read_token(secret: str, purpose: str, token: str, max_age_days: int) -> dict:
    try:
        payload = URLSafeTimedSerializer(secret, salt=purpose).loads(token, max_age=max_age_days * 86400)
    except SignatureExpired:
        raise LinkError(_l("This link has expired. Links in our e-mails work for %(days)s days.",
                           days=max_age_days), status=410) from None
    except BadSignature:
        raise LinkError(_l("This link is not valid. Check that the whole link was copied."), status=404) from None
    if not isinstance(payload, dict):
        raise LinkError(_l("This link is not valid. Check that the whole link was copied."), status=404)
    return payload


# --- opt-in e-mail ----------------------------------------------------------------------------------

def normalized_email(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_l("Write your e-mail address."), "email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise DomainError(_l("“%(value)s” is not an e-mail address. Check it and try again.",
                             value=value[:100]), "email") from None


def request_updates(participant: Participant, email: str) -> str:
    """Keep the address, unverified until the walker opens the link mailed to it; the address."""
    participant.email = normalized_email(email)
    participant.email_verified_at = None
    db.session.flush()
    return participant.email


def verify_email(participant: Participant | None, email: str, now: dt.datetime | None = None) -> Participant:
    """Confirm the address the link was made for; from now on the walker hears of changes."""
    if participant is None or not participant.email or participant.email != email:
        raise LinkError(_l("This link is for an address that is no longer on file. Leave your address "
                           "again on your list."), status=404)
    if participant.email_verified_at is None:
        participant.email_verified_at = now or utcnow()
        for observation in db.session.scalars(sa.select(Observation)
                                              .where(Observation.participant_id == participant.id)):
            observation.walker_notified = news_key(observation)  # what they see now is not news
        db.session.flush()
    return participant


def stop_updates(participant: Participant) -> None:
    participant.email = ""
    participant.email_verified_at = None
    db.session.flush()


def news_key(observation: Observation) -> str:
    """What the walker would be told about the observation now; a change of it is worth a mail."""
    outcome = outcome_for(observation)
    if outcome.merged_outcome is not None:
        return f"merged:{outcome.merged_outcome.kind}"
    return outcome.kind


# --- "was it fixed?" -------------------------------------------------------------------------------

def reporters(observations: list[Observation]) -> dict[int, list[int]]:
    """Observation id -> the participants who reported it: its own walker and those whose points were
    merged into it (one query per 500 observations, not one each)."""
    merged: dict[int, list[int]] = {}
    for some in batched([o.id for o in observations], 500):
        rows = db.session.execute(sa.select(Observation.merged_into_id, Observation.participant_id).where(
            Observation.merged_into_id.in_(some), Observation.participant_id.is_not(None)))
        for into, participant_id in rows:
            merged.setdefault(into, []).append(participant_id)
    return {o.id: list(dict.fromkeys(([o.participant_id] if o.participant_id else []) + merged.get(o.id, [])))
            for o in observations}


def ask_questions(now: dt.datetime, after_days: int) -> int:
    """One question per resolved item (resolved at least `after_days` ago) and walker; how many were new."""
    items = db.session.scalars(
        sa.select(FaultReportItem).join(Observation, Observation.id == FaultReportItem.observation_id)
        .where(FaultReportItem.status == "resolved", FaultReportItem.updated_at <= now - dt.timedelta(days=after_days),
               Observation.hidden.is_(False), Observation.merged_into_id.is_(None),
               ~sa.exists().where(FixedQuestion.item_id == FaultReportItem.id))).all()
    made = 0
    walkers = reporters([item.observation for item in items])
    for item in items:
        for participant_id in walkers[item.observation_id]:
            try:
                with db.session.begin_nested():  # another machine may ask the same question at once
                    db.session.add(FixedQuestion(item_id=item.id, participant_id=participant_id, created_at=now,
                                                 answer="", words=""))
                made += 1
            except sa.exc.IntegrityError:
                continue
    db.session.flush()
    return made


def question_token(secret: str, question: FixedQuestion) -> str:
    return make_token(secret, QUESTION, {"q": question.id})


def question_from_token(secret: str, token: str, max_age_days: int) -> FixedQuestion:
    payload = read_token(secret, QUESTION, token, max_age_days)
    question = db.session.get(FixedQuestion, payload.get("q")) if isinstance(payload.get("q"), int) else None
    if question is None:
        raise LinkError(_l("This question is no longer on file."), status=404)
    return question


def open_questions(participant: Participant | None) -> dict[int, FixedQuestion]:
    """The walker's unanswered questions, by the id of the observation each is about."""
    if participant is None:
        return {}
    questions = db.session.scalars(sa.select(FixedQuestion).where(
        FixedQuestion.participant_id == participant.id, FixedQuestion.answered_at.is_(None))).all()
    return {q.item.observation_id: q for q in questions}


def check_answerable(question: FixedQuestion) -> None:
    if question.answered_at is not None:
        raise LinkError(_l("This question was already answered on %(date)s. Thank you!",
                           date=f"{question.answered_at:%Y-%m-%d}"), status=409)
    if not is_visible(question.item.observation):
        raise LinkError(_l("This point was set aside or merged with another by the coordinator, so the "
                           "question no longer applies."), status=409)


def _attach_photo(observation: Observation, data: bytes, config) -> Photo:
    try:
        (prepared,) = capture.prepare_photos([data], config)
    except capture.CaptureError as error:
        raise DomainError(error.message, "photo", status=error.status) from None
    existing = next((p for p in observation.photos if p.sha256 == prepared.sha256), None)
    if existing is not None:
        return existing
    photo = photo_pipeline.new_photo(prepared, config["UPLOAD_DIR"], db.session)  # files follow the commit
    observation.photos.append(photo)
    return photo


def answer_question(question: FixedQuestion, answer: str, words: str, photo: bytes | None, config,
                    now: dt.datetime | None = None) -> FixedQuestion:
    """Record the walker's answer once; a photo's files are kept only if the answer is committed."""
    check_answerable(question)
    if answer not in FIXED_ANSWERS:
        raise DomainError(_l("Choose fixed, partly fixed or not fixed."), "answer")
    words = (words or "").strip()
    if len(words) > MAX_WORDS:
        raise DomainError(_l("Write at most %(n)d characters.", n=MAX_WORDS), "words")
    observation = question.item.observation
    if photo:
        question.photo = _attach_photo(observation, photo, config)
    question.answer, question.words, question.answered_at = answer, words, now or utcnow()
    if answer == "not_fixed":
        reports.reopen_item(question.item, None, event="walker_not_fixed", words=words[:200])
    elif answer == "partly":
        set_status(observation, "walker_partly_fixed", None)
    db.session.flush()
    audit(None, observation, "fixed_answer", answer=answer, participant=question.participant_id)
    return question


def answers_about(item: FaultReportItem) -> list[FixedQuestion]:
    """The walkers' answers about an item, newest first (for the coordinator's pages)."""
    return list(db.session.scalars(sa.select(FixedQuestion).where(
        FixedQuestion.item_id == item.id, FixedQuestion.answered_at.is_not(None))
        .order_by(FixedQuestion.answered_at.desc())))


def close_not_fixed(item: FaultReportItem, user) -> None:
    """The coordinator closes an item honestly as not fixed (the recipient will not, or cannot)."""
    if item.status not in reports.OPEN_STATUSES:
        raise DomainError(_l("Only an open item can be closed as not fixed."))
    reports.set_item_status(item, "rejected", user, reason="no_action")
    set_status(item.observation, "closed_not_fixed", user)
