"""Scheduled jobs against real parts: a local Open311 endpoint on 127.0.0.1 and a real SMTP server."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from walks.extensions import db
from walks.jobs import reminders, runner
from walks.models import FaultReport, JobState, utcnow

from .test_reports_sending import Inbox, free_port


class Recipient:
    """A recipient's Open311 server answering GET requests.json and tokens/{token}.json."""

    def __init__(self):
        self.statuses: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}
        self.mode = "ok"
        self.gets = []
        recipient = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                recipient.gets.append(url)
                if recipient.mode == "500":
                    return self._send(500, b"oops")
                if recipient.mode == "garbage":
                    return self._send(200, b"<html>not json")
                if url.path.startswith("/open311/v2/tokens/"):
                    token = url.path.rsplit("/", 1)[1].removesuffix(".json")
                    return self._send(200, json.dumps([{"token": token,
                                                         "service_request_id": recipient.tokens.get(token)}]).encode())
                ids = parse_qs(url.query).get("service_request_id", [""])[0].split(",")
                body = [dict(service_request_id=i, **recipient.statuses[i]) for i in ids if i in recipient.statuses]
                self._send(200, json.dumps(body).encode())

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/open311/v2"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def recipient(app):
    app.config["OUTBOUND_ALLOWED_HOSTS"] = ["127.0.0.1"]  # the test's recipient is on loopback
    server = Recipient()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_SENDER="trygg@example.se")
    yield inbox
    controller.stop()


def forwarded(make, recipient, count=1, **item):
    org = make.organization(report_channel="open311", open311_base_url=recipient.base)
    observations = [make.observation() for _ in range(count)]
    report = make.fault_report(observations, status="sent", channel="open311", organization=org,
                               sent_at=utcnow() - dt.timedelta(days=3))
    for n, it in enumerate(report.items):
        it.external_id = item.get("external_id", f"R{it.id}")
        it.external_token = item.get("external_token", "")
        it.observation.status = "reported"
    db.session.commit()
    return report


def test_closed_by_the_recipient_resolves_the_item_and_its_observation(app, make, recipient):
    report = forwarded(make, recipient, count=2)
    first, second = report.items
    recipient.statuses[first.external_id] = {"status": "closed", "status_notes": "Lampan är bytt."}
    recipient.statuses[second.external_id] = {"status": "open", "status_notes": "Beställt."}
    summary = runner.run_job("open311-status")
    assert summary == "closed 1, open 1"
    assert (first.status, first.recipient_notes, first.observation.status) == ("resolved", "Lampan är bytt.", "resolved")
    assert (second.status, second.recipient_status, second.observation.status) == ("acknowledged", "open", "reported")
    assert len(recipient.gets) == 1  # both ids in one request


def test_a_token_is_turned_into_the_recipients_id(app, make, recipient):
    report = forwarded(make, recipient, external_id="", external_token="tok-1")
    recipient.tokens["tok-1"] = "4711"
    recipient.statuses["4711"] = {"status": "closed"}
    runner.run_job("open311-status")
    assert (report.items[0].external_id, report.items[0].status) == ("4711", "resolved")


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_a_broken_recipient_changes_nothing(app, make, recipient, mode):
    report = forwarded(make, recipient)
    recipient.mode = mode
    assert runner.run_job("open311-status") == "errors 1"
    assert report.items[0].status == "sent"


def test_unknown_ids_and_backward_statuses_change_nothing(app, make, recipient):
    report = forwarded(make, recipient, count=2)
    known = report.items[0]
    known.status = "acknowledged"
    db.session.commit()
    recipient.statuses[known.external_id] = {"status": "reopened?"}
    assert runner.run_job("open311-status") == "ignored 1, unknown 1"
    assert [i.status for i in report.items] == ["acknowledged", "sent"]


def test_an_internal_address_is_refused_as_an_error(app, make):
    report = forwarded(make, type("R", (), {"base": "http://10.0.0.7/open311/v2"})())
    assert runner.run_job("open311-status") == "errors 1"
    assert report.items[0].status == "sent"


def test_an_unreachable_recipient_is_an_error(app, make):
    app.config["OUTBOUND_ALLOWED_HOSTS"] = ["127.0.0.1"]
    org_base = f"http://127.0.0.1:{free_port()}/open311/v2"  # nothing listens there
    report = forwarded(make, type("R", (), {"base": org_base})())
    assert runner.run_job("open311-status") == "errors 1"
    assert report.items[0].status == "sent"


def test_two_runs_at_once_handle_each_item_once(app, make, recipient):
    forwarded(make, recipient, count=3)
    now = utcnow()
    assert runner.claim("open311-status", now, due_only=False)
    assert not runner.claim("open311-status", now, due_only=False)  # the second machine stays out
    runner.release("open311-status", "done")
    assert runner.run_job("open311-status", now) == "unknown 3"
    assert runner.run_job("open311-status", now) == "nothing to fetch"  # items were just checked
    assert len(recipient.gets) == 1


def test_jobs_run_runs_only_what_is_due(app, runner_cli):
    first = runner_cli.invoke(args=["jobs", "run"])
    assert "open311-status: nothing to fetch" in first.output and "reminders: nothing due" in first.output
    second = runner_cli.invoke(args=["jobs", "run"])
    assert "not due" in second.output
    assert db.session.get(JobState, "reminders").last_finished_at is not None


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()


def test_action_reminders_are_sent_once(app, make, smtp):
    contact = make.contact(email="lena@bostad.example.se")
    today = dt.date.today()
    soon = make.action(title="Beskär häcken", due_date=today + dt.timedelta(days=3),
                       organization=contact.organization, contact=contact)
    late = make.action(title="Byt lampan", due_date=today - dt.timedelta(days=2),
                       organization=contact.organization, contact=contact)
    make.action(title="Klar", due_date=today, status="done", contact=contact)
    db.session.commit()
    assert dict(reminders.remind_actions(today)) == {"due_soon": 1, "overdue": 1}
    assert dict(reminders.remind_actions(today)) == {}
    subjects = sorted(e.content.decode() for e in smtp.envelopes)
    assert len(subjects) == 2 and all("lena@bostad.example.se" in e.rcpt_tos for e in smtp.envelopes)
    assert (soon.due_reminded_on, late.overdue_reminded_on) == (soon.due_date, today)
    assert dict(reminders.remind_actions(today + dt.timedelta(days=7))) == {"overdue": 2}


def test_a_fault_open_longer_than_promised_reminds_the_coordinators(app, make, smtp):
    area = make.area()
    make.user(role="coordinator", areas=[area], email="samordnare@example.se")
    obs = make.observation(walk=make.walk(area=area), category=make.category("graffiti"))
    obs.category.promised_hours = 48
    report = make.fault_report([obs], status="sent", area_id=area.id, sent_at=utcnow() - dt.timedelta(hours=30))
    db.session.commit()
    assert dict(reminders.remind_overdue_faults(utcnow())) == {}  # 30 h < 48 h
    obs.offensive = True  # offensive graffiti: 24 h
    db.session.commit()
    assert dict(reminders.remind_overdue_faults(utcnow())) == {"overdue_faults": 1}
    assert dict(reminders.remind_overdue_faults(utcnow())) == {}
    assert smtp.envelopes[0].rcpt_tos == ["samordnare@example.se"]
    assert report.reference in smtp.envelopes[0].content.decode()


def test_a_mail_that_cannot_be_sent_is_tried_again_next_run(app, make):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens
    contact = make.contact(email="lena@bostad.example.se")
    action = make.action(due_date=dt.date.today() + dt.timedelta(days=1), contact=contact,
                         organization=contact.organization)
    db.session.commit()
    assert dict(reminders.remind_actions(dt.date.today())) == {"failed": 1}
    assert action.due_reminded_on is None
