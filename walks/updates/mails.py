"""The walker's mails: verify the address, news of something they reported, "was it fixed?".

Links are absolute (PUBLIC_BASE_URL, else this request's host, else the development server), since
jobs build them with no request. Mails speak the app's default language.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import gettext as _

from .. import mail
from ..capture.outcome import Outcome
from ..models import FixedQuestion, Observation, Participant
from . import service


def absolute_url(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or \
        (request.host_url if has_request_context() else "http://127.0.0.1:5000/")
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return base.rstrip("/") + path


def list_url(participant: Participant) -> str:
    return absolute_url("capture.mine", code=participant.walk.join_code)


def send_verification(participant: Participant) -> None:
    """Raises mail.MailError when the mail server refuses the address or cannot be reached."""
    token = service.make_token(current_app.config["SECRET_KEY"], service.VERIFY,
                               {"p": participant.id, "e": participant.email})
    days = current_app.config["WALKER_LINK_MAX_AGE_DAYS"]
    body = _("You asked for news of what happens to your observations from the safety walk "
             "“%(walk)s”.\n\nConfirm your address by opening this link (it works for %(days)s days):\n%(link)s\n\n"
             "We use the address for this walk only, and delete it with the walk's other data. "
             "If you did not ask for this, ignore this mail.\n",
             walk=participant.walk.title, days=days, link=absolute_url("updates.verify", token=token))
    mail.send(mail.plain_message(participant.email, _("Confirm your address for news of your walk"), body))


def send_news(participant: Participant, observation: Observation, outcome: Outcome) -> None:
    body = _("News of what you noted on the safety walk “%(walk)s” (%(category)s, %(date)s):\n\n%(news)s\n\n"
             "All your observations and their status:\n%(link)s\n",
             walk=participant.walk.title, category=observation.category.name_sv,
             date=f"{observation.observed_at:%Y-%m-%d}", news=outcome.text, link=list_url(participant))
    mail.send(mail.plain_message(participant.email, _("News of your observation: %(category)s",
                                                      category=observation.category.name_sv), body))


def send_question(question: FixedQuestion, outcome: Outcome) -> None:
    participant = question.participant
    observation = question.item.observation
    token = service.question_token(current_app.config["SECRET_KEY"], question)
    body = _("%(news)s\n\nIs it? You know the place: tell us with one tap (fixed, partly, not fixed), "
             "and add a photo if you like:\n%(link)s\n\nIf it is not fixed, the coordinator takes it up again. "
             "The link works once, for %(days)s days. Your list: %(list)s\n",
             news=outcome.text, link=absolute_url("updates.question", token=token),
             days=current_app.config["WALKER_LINK_MAX_AGE_DAYS"], list=list_url(participant))
    mail.send(mail.plain_message(participant.email, _("Was it fixed? %(category)s",
                                                      category=observation.category.name_sv), body))
