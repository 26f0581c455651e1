"""Walkers hear what happened: opt-in e-mail, signed links, news once per change, "was it fixed?"."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.conftest import csrf_token_from
from walks.extensions import db
from walks.jobs import runner
from walks.models import FixedQuestion, Participant, Photo, utcnow
from walks.observations import set_status
from walks.updates import service

from .test_jobs import smtp  # noqa: F401  (the fixture)

TOKEN = "walker-token-0123456789"


@pytest.fixture
def walker(app, client, make):
    walk = make.walk(title="Kvällsvandring")
    participant = make.participant(token=TOKEN, walk=walk)
    db.session.commit()
    client.set_cookie(f"tvp_{walk.id}", TOKEN)
    client.set_cookie("lang", "en")  # the tests read the English messages
    assert participant.walk.area is not None  # loaded now, so the factories need no autoflush
    return participant


def own(make, walker, **overrides):
    """An observation of this walker (no autoflush while the expired walker loads again)."""
    with db.session.no_autoflush:
        return make.observation(walk=walker.walk, participant=walker, **overrides)


def verified(participant, address="walker@example.se"):
    participant.email, participant.email_verified_at = address, utcnow()
    db.session.commit()
    return participant


def resolved(make, observation, **item):
    report = make.fault_report([observation], status="sent", sent_at=utcnow() - dt.timedelta(days=3))
    set_status(observation, "sent")
    report.items[0].status = "resolved"
    report.status = "resolved"
    for key, value in item.items():
        setattr(report.items[0], key, value)
    set_status(observation, "report_resolved")
    db.session.commit()
    return report.items[0]


def mails_to(inbox, address):
    return [email.message_from_bytes(e.content, policy=email.policy.default)
            for e in inbox.envelopes if address in e.rcpt_tos]


def link_paths(message) -> list[str]:
    return [urlsplit(url).path for url in re.findall(r"http://\S+", message.get_body(("plain",)).get_content())]


def token_of(page) -> str:
    return csrf_token_from(page.get_data(True))


# --- opt-in -----------------------------------------------------------------------------------------

def test_opting_in_mails_a_link_that_verifies_the_address(app, client, walker, smtp):  # noqa: F811
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    assert "updates" in mine.get_data(True)
    response = client.post(f"/j/{walker.walk.join_code}/updates",
                           data={"csrf_token": token_of(mine), "email": " Walker@Example.se "})
    assert response.status_code == 302
    (message,) = mails_to(smtp, "Walker@example.se")  # trimmed, the domain in lower case
    (verify,) = link_paths(message)
    assert walker.email_verified_at is None
    assert client.get(verify).status_code == 200
    db.session.expire_all()
    assert db.session.get(Participant, walker.id).email_verified_at is not None


@pytest.mark.parametrize("address", ["", "not an address", "walker@", "@example.se", "a b@example.se",
                                     "walker@example.se\nBcc: x@example.se"])
def test_an_email_that_is_not_an_address_is_refused_and_nothing_is_kept(client, walker, smtp, address):  # noqa: F811
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    response = client.post(f"/j/{walker.walk.join_code}/updates", data={"csrf_token": token_of(mine), "email": address})
    assert response.status_code == 400
    expected = ("must be a single line" if "\n" in address  # the app's one text cleaner says it first
                else "is not an e-mail address" if address else "Write your e-mail address")
    assert expected in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Participant, walker.id).email == ""
    assert smtp.envelopes == []


def test_an_address_the_mail_server_refuses_is_not_kept(app, client, walker):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    response = client.post(f"/j/{walker.walk.join_code}/updates",
                           data={"csrf_token": token_of(mine), "email": "walker@example.se"})
    assert response.status_code == 400 and "No mail could be sent" in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Participant, walker.id).email == ""


def test_opting_in_needs_the_walkers_cookie(app, make, smtp):  # noqa: F811
    walk = make.walk()
    db.session.commit()
    client = app.test_client()
    page = client.get("/join")
    response = client.post(f"/j/{walk.join_code}/updates", data={"csrf_token": token_of(page), "email": "a@example.se"})
    assert response.status_code == 403


def test_stopping_deletes_the_address(client, walker):
    verified(walker)
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    client.post(f"/j/{walker.walk.join_code}/updates/stop", data={"csrf_token": token_of(mine)})
    db.session.expire_all()
    assert (db.session.get(Participant, walker.id).email, db.session.get(Participant, walker.id).email_verified_at) \
        == ("", None)


# --- signed links -----------------------------------------------------------------------------------

def verify_path(app, participant, **payload):
    token = service.make_token(app.config["SECRET_KEY"], service.VERIFY,
                               payload or {"p": participant.id, "e": participant.email})
    return f"/updates/verify/{token}"


@pytest.mark.parametrize("kind, status, says", [("forged", 404, "not valid"), ("other_purpose", 404, "not valid"),
                                                ("other_address", 404, "no longer on file"),
                                                ("expired", 410, "has expired")])
def test_a_bad_verification_link_is_a_clear_4xx_and_changes_nothing(app, client, walker, monkeypatch, kind, status,
                                                                    says):
    walker.email = "walker@example.se"
    db.session.commit()
    path = verify_path(app, walker)
    if kind == "forged":
        path = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    elif kind == "other_purpose":
        path = "/updates/verify/" + service.make_token(app.config["SECRET_KEY"], service.QUESTION,
                                                       {"p": walker.id, "e": walker.email})
    elif kind == "other_address":
        path = verify_path(app, walker, p=walker.id, e="someone@else.se")
    elif kind == "expired":
        app.config["WALKER_LINK_MAX_AGE_DAYS"] = 60
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 10**10)
    response = client.get(path)
    assert response.status_code == status
    assert says in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Participant, walker.id).email_verified_at is None


# --- news: one mail per change --------------------------------------------------------------------

def test_one_mail_per_status_change_with_a_link_back_to_the_list(app, make, walker, smtp):  # noqa: F811
    app.config["PUBLIC_BASE_URL"] = "http://trygg.example.se"
    observation = own(make, walker)
    db.session.commit()
    service.verify_email(verified(walker), walker.email)
    db.session.commit()
    assert runner.run_job("walker-updates") == "no news"
    make.fault_report([observation], status="sent", sent_at=utcnow())
    set_status(observation, "sent")
    db.session.commit()
    assert runner.run_job("walker-updates") == "mailed 1"
    assert runner.run_job("walker-updates") == "no news"  # the same change is not mailed again
    (message,) = mails_to(smtp, "walker@example.se")
    assert f"/j/{walker.walk.join_code}/mine" in link_paths(message)


def test_no_mail_without_a_verified_address(make, walker, smtp):  # noqa: F811
    walker.email = "walker@example.se"  # given, never verified
    observation = own(make, walker)
    make.fault_report([observation], status="sent", sent_at=utcnow())
    set_status(observation, "sent")
    db.session.commit()
    runner.run_job("walker-updates")
    assert smtp.envelopes == []


def test_a_refused_mail_is_tried_again_on_the_next_run(app, make, walker, smtp):  # noqa: F811
    observation = own(make, walker)
    verified(walker)
    make.fault_report([observation], status="sent", sent_at=utcnow())
    set_status(observation, "sent")
    db.session.commit()
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    assert runner.run_job("walker-updates") == "failed 1"
    app.config["MAIL_PORT"] = port
    assert runner.run_job("walker-updates") == "mailed 1"


def test_two_runs_at_once_mail_each_change_once(app, make, walker, smtp, monkeypatch):  # noqa: F811
    from walks.jobs import walker_updates
    observation = own(make, walker)
    verified(walker)
    make.fault_report([observation], status="sent", sent_at=utcnow())
    set_status(observation, "sent")
    db.session.commit()
    real_claim = walker_updates._claim

    def racing_claim(observation_id, old, new):
        # another machine claims the same change first
        db.session.execute(sa.update(type(observation)).where(type(observation).id == observation_id)
                           .values(walker_notified=new))
        return real_claim(observation_id, old, new)

    monkeypatch.setattr(walker_updates, "_claim", racing_claim)
    assert walker_updates.mail_changes() == {}
    assert smtp.envelopes == []


# --- "was it fixed?" ------------------------------------------------------------------------------

def asked(make, walker, **item):
    observation = own(make, walker)
    item = resolved(make, observation, **item)
    assert service.ask_questions(utcnow(), 0) == 1
    db.session.commit()
    return db.session.scalar(sa.select(FixedQuestion).where(FixedQuestion.item_id == item.id))


def question_path(app, question):
    return "/fixed/" + service.question_token(app.config["SECRET_KEY"], question)


def answer(client, path, value, **extra):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(True)
    return client.post(path, data={"csrf_token": token_of(page), "answer": value, **extra})


def test_the_walkers_of_merged_points_are_asked_too(make, walker):
    other_walker = make.participant(walk=walker.walk)
    observation = own(make, walker)
    make.observation(walk=walker.walk, participant=other_walker, merged_into=observation)
    resolved(make, observation)
    assert service.ask_questions(utcnow(), 0) == 2
    assert service.ask_questions(utcnow(), 0) == 0  # asked once


def test_not_asked_before_the_setting_says(make, walker):
    resolved(make, own(make, walker))
    assert service.ask_questions(utcnow(), 28) == 0


def test_the_question_is_mailed_once_to_walkers_who_opted_in(app, make, walker, smtp):  # noqa: F811
    verified(walker)
    question = asked(make, walker)
    assert runner.run_job("fixed-question") == "mailed 1"
    assert runner.run_job("fixed-question") == "nothing to ask"
    (message,) = mails_to(smtp, "walker@example.se")
    assert any(path.startswith("/fixed/") for path in link_paths(message))
    assert question.mailed_at is not None


def test_fixed_is_recorded_and_changes_no_status(app, client, make, walker):
    question = asked(make, walker)
    response = answer(client, question_path(app, question), "fixed")
    assert response.status_code == 200
    db.session.expire_all()
    question = db.session.get(FixedQuestion, question.id)
    assert (question.answer, question.item.observation.status) == ("fixed", "resolved")


def test_partly_fixed_is_a_status_of_its_own(app, client, make, walker):
    question = asked(make, walker)
    answer(client, question_path(app, question), "partly", words="Halva lampan lyser")
    db.session.expire_all()
    assert db.session.get(FixedQuestion, question.id).item.observation.status == "partly_fixed"


def test_an_answer_with_a_photo_goes_through_the_pipeline(app, client, make, walker):
    question = asked(make, walker)
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 20, 30)).save(buffer, "JPEG")
    page = client.get(question_path(app, question))
    response = client.post(question_path(app, question), content_type="multipart/form-data", data={
        "csrf_token": token_of(page), "answer": "not_fixed", "photo": (io.BytesIO(buffer.getvalue()), "nu.jpg")})
    assert response.status_code == 200, response.get_data(True)
    db.session.expire_all()
    photo = db.session.get(FixedQuestion, question.id).photo
    assert photo is not None and photo.width == 640 and photo.observation_id == question.item.observation_id
    assert (Path(app.config["UPLOAD_DIR"]) / photo.filename).is_file()


def test_a_fake_photo_is_refused_and_nothing_is_recorded(app, client, make, walker):
    question = asked(make, walker)
    page = client.get(question_path(app, question))
    response = client.post(question_path(app, question), content_type="multipart/form-data", data={
        "csrf_token": token_of(page), "answer": "not_fixed", "photo": (io.BytesIO(b"not a picture"), "x.jpg")})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(FixedQuestion, question.id).answered_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0


def test_an_answer_that_is_not_one_of_the_three_is_refused(app, client, make, walker):
    question = asked(make, walker)
    response = answer(client, question_path(app, question), "maybe")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(FixedQuestion, question.id).answered_at is None


def test_a_link_used_twice_is_409(app, client, make, walker):
    question = asked(make, walker)
    path = question_path(app, question)
    answer(client, path, "not_fixed")
    second = client.get(path)
    assert second.status_code == 409 and "already answered" in second.get_data(True)


@pytest.mark.parametrize("kind", ["forged", "expired", "unknown question"])
def test_a_forged_expired_or_unknown_link_is_a_clear_4xx(app, client, make, walker, monkeypatch, kind):
    question = asked(make, walker)
    path = question_path(app, question)
    if kind == "forged":
        path = path[:-2] + ("xy" if not path.endswith("xy") else "zz")
    elif kind == "expired":
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 10**10)
    else:
        path = "/fixed/" + service.make_token(app.config["SECRET_KEY"], service.QUESTION, {"q": 999})
    response = client.get(path)
    assert response.status_code in (404, 410)
    assert response.status_code == (410 if kind == "expired" else 404)


@pytest.mark.parametrize("change", ["hidden", "merged"])
def test_was_it_fixed_on_a_hidden_or_merged_observation_is_refused(app, client, make, walker, change):
    question = asked(make, walker)
    observation = question.item.observation
    if change == "hidden":
        observation.hidden = True
    else:
        observation.merged_into = own(make, walker)
    db.session.commit()
    response = client.get(question_path(app, question))
    assert response.status_code == 409 and "no longer applies" in response.get_data(True)
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    response = client.post(f"/j/{walker.walk.join_code}/questions/{question.id}",
                           data={"csrf_token": token_of(mine), "answer": "not_fixed"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(FixedQuestion, question.id).answered_at is None


def test_the_list_asks_and_answers_with_one_tap(app, client, make, walker):
    question = asked(make, walker)
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    assert "Was it fixed?" in mine.get_data(True)
    response = client.post(f"/j/{walker.walk.join_code}/questions/{question.id}",
                           data={"csrf_token": token_of(mine), "answer": "fixed"})
    assert response.status_code == 302
    assert "Was it fixed?" not in client.get(f"/j/{walker.walk.join_code}/mine").get_data(True)


def test_another_walkers_question_is_404_from_the_list(app, client, make, walker):
    stranger = make.participant(walk=walker.walk)
    observation = make.observation(walk=walker.walk, participant=stranger)
    resolved(make, observation)
    service.ask_questions(utcnow(), 0)
    db.session.commit()
    question = db.session.scalar(sa.select(FixedQuestion))
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    response = client.post(f"/j/{walker.walk.join_code}/questions/{question.id}",
                           data={"csrf_token": token_of(mine), "answer": "fixed"})
    assert response.status_code == 404


def test_the_coordinator_closes_a_reopened_item_as_not_fixed(app, client, login, make, walker):
    question = asked(make, walker)
    answer(client, question_path(app, question), "not_fixed", words="Lika mörkt")
    login()
    report = question.item.report
    page = client.get(f"/reports/{report.id}")
    client.post(f"/reports/items/{question.item_id}/closed-not-fixed", data={"csrf_token": token_of(page)})
    db.session.expire_all()
    question = db.session.get(FixedQuestion, question.id)
    assert (question.item.status, question.item.observation.status) == ("rejected", "closed_not_fixed")


class RefusingInbox:
    """An SMTP server that refuses the recipient, as a mailbox that does not exist."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_an_address_the_mail_server_bounces_is_not_kept(app, client, walker):
    from aiosmtpd.controller import Controller

    from .test_reports_sending import free_port
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        mine = client.get(f"/j/{walker.walk.join_code}/mine")
        response = client.post(f"/j/{walker.walk.join_code}/updates",
                               data={"csrf_token": token_of(mine), "email": "nobody@example.se"})
    finally:
        controller.stop()
    assert response.status_code == 400 and "No mail could be sent" in response.get_data(True)
    db.session.expire_all()
    assert db.session.get(Participant, walker.id).email == ""


def test_the_coordinators_pages_name_the_walkers_verdicts(app, client, login, make, walker):
    question = asked(make, walker)
    answer(client, question_path(app, question), "partly", words="Bara ena lampan")
    login()
    observation = question.item.observation
    html = client.get(f"/observations/{observation.id}").get_data(True)
    assert "Partly fixed" in html and "Bara ena lampan" in html
    assert "Partly fixed" in client.get(f"/walks/{walker.walk_id}/observations").get_data(True)


def test_asking_for_news_again_and_again_is_limited(app, client, walker, smtp):  # noqa: F811
    from walks.limits import limiter
    app.config.update(RATELIMIT_ENABLED=True, LIMIT_WALKER_MAIL="2 per hour")
    limiter.init_app(app)  # re-reads RATELIMIT_* from the config: enabled, a new storage
    mine = client.get(f"/j/{walker.walk.join_code}/mine")
    codes = [client.post(f"/j/{walker.walk.join_code}/updates",
                         data={"csrf_token": token_of(mine), "email": f"someone{n}@example.se"}).status_code
             for n in range(3)]
    assert codes == [302, 302, 429]
    assert len(smtp.envelopes) == 2
