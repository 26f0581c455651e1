"""The retry-sends job against a real SMTP server (aiosmtpd) and a local Open311 endpoint."""
from __future__ import annotations

import datetime as dt

import pytest

from walks.extensions import db
from walks.jobs import runner
from walks.models import utcnow
from walks.reports import service

from .test_reports_sending import draft, free_port, open311, open311_draft, refreshed, send, smtp  # noqa: F401


def later(minutes: float) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def fail_once_by_hand(app, client, login, report):
    """The coordinator presses Send while the mail server is away."""
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    login()
    send(client, report)
    app.config["MAIL_PORT"] = port
    return refreshed(report)


def test_a_failed_email_is_sent_by_the_job_once_its_backoff_has_passed(app, client, login, smtp, draft):
    report = fail_once_by_hand(app, client, login, draft)
    assert report.status == "draft" and report.next_attempt_at == pytest.approx(later(5), abs=dt.timedelta(seconds=30))
    assert runner.run_job("retry-sends", later(1)) == "nothing to retry"
    assert smtp.envelopes == []
    assert runner.run_job("retry-sends", later(6)) == "sent 1"
    report = refreshed(draft)
    assert (report.status, report.send_attempts, report.last_error, report.next_attempt_at) == ("sent", 2, "", None)
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["felanmalan@stad.example.se"] and report.reference in envelope.content.decode()
    assert runner.run_job("retry-sends", later(60)) == "nothing to retry"


def test_the_job_gives_up_after_the_last_try_and_says_so_on_both_pages(app, client, login, draft):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), SEND_MAX_ATTEMPTS=3)  # nobody listens
    login()
    send(client, draft)
    assert runner.run_job("retry-sends", later(6)) == "failed 1"
    report = refreshed(draft)
    assert report.next_attempt_at == pytest.approx(later(30), abs=dt.timedelta(seconds=30))  # the second delay
    assert runner.run_job("retry-sends", later(20)) == "nothing to retry"
    assert runner.run_job("retry-sends", later(31)) == "gave_up 1"
    report = refreshed(draft)
    assert (report.send_attempts, report.next_attempt_at, report.status) == (3, None, "draft")
    assert report.gave_up_at is not None and "127.0.0.1" in report.last_error
    assert runner.run_job("retry-sends", later(60 * 24)) == "nothing to retry"
    detail = client.get(f"/reports/{draft.id}").get_data(True)
    assert "Försökt 3 gånger" in detail and "127.0.0.1" in detail
    assert "Gav upp efter 3 försök" in client.get("/reports").get_data(True)


def test_a_retry_by_hand_after_giving_up_clears_the_error(app, client, login, smtp, draft):
    app.config["SEND_MAX_ATTEMPTS"] = 1
    report = fail_once_by_hand(app, client, login, draft)
    assert report.gave_up_at is not None and report.next_attempt_at is None
    send(client, draft)
    report = refreshed(draft)
    assert (report.status, report.gave_up_at, report.last_error) == ("sent", None, "")
    assert "Gav upp" not in client.get("/reports").get_data(True)


def test_a_draft_never_sent_is_left_for_the_coordinator(app, smtp, draft):
    assert runner.run_job("retry-sends", later(60 * 24 * 30)) == "nothing to retry"
    assert smtp.envelopes == [] and refreshed(draft).status == "draft"


def test_a_report_claimed_elsewhere_is_not_sent_twice(app, client, login, smtp, draft):
    fail_once_by_hand(app, client, login, draft)
    with app.app_context():  # another machine took it a moment ago
        other = db.session.get(type(draft), draft.id)
        assert service.claim_for_sending(other, retry_due=later(6))
        db.session.commit()
    assert runner.run_job("retry-sends", later(6)) == "skipped 1"
    assert smtp.envelopes == []


def test_an_open311_send_is_retried_and_skips_the_items_already_forwarded(app, client, login, open311,
                                                                         open311_draft):
    open311.fail_after = 1  # the first item gets through, the second meets a 500
    login()
    send(client, open311_draft)
    report = refreshed(open311_draft)
    assert report.status == "draft" and "database down" in report.last_error
    open311.fail_after = None
    assert runner.run_job("retry-sends", later(6)) == "sent 1"
    report = refreshed(open311_draft)
    assert report.status == "sent" and [i.external_id for i in report.items] == ["GBG-1", "GBG-3"]
    assert len(open311.posts) == 3
    assert report.items[0].observation.photos and \
        open311.posts[0][2]["media_url"].startswith("http://localhost/photos/signed/")


def test_links_in_a_retried_report_use_the_public_address(app, client, login, open311, open311_draft):
    app.config["PUBLIC_BASE_URL"] = "https://trygg.example.se"
    open311.mode = "500"
    login()
    send(client, open311_draft)
    open311.mode = "ok"
    assert runner.run_job("retry-sends", later(6)) == "sent 1"
    assert open311.posts[-2][2]["media_url"].startswith("https://trygg.example.se/photos/signed/")


def test_a_report_deleted_after_it_was_listed_is_skipped(app, client, login, smtp, draft, monkeypatch):
    fail_once_by_hand(app, client, login, draft)
    listed = service.reports_to_retry(later(6))
    service.delete_draft(refreshed(draft), None)
    db.session.commit()
    monkeypatch.setattr(service, "reports_to_retry", lambda now: listed)
    assert runner.run_job("retry-sends", later(6)) == "skipped 1"
    assert smtp.envelopes == []
