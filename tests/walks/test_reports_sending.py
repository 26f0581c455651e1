"""Sending for real: a local SMTP server (aiosmtpd) and a local Open311 endpoint (http.server)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import csrf_token_from
from tests.walks.test_reports_routes import add_photo
from walks.capture import links
from walks.extensions import db
from walks.models import FaultReport, utcnow
from walks.reports import delivery, service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SENDER="trygg@example.se")
    yield inbox
    controller.stop()


class Open311Endpoint:
    """A small Open311 server: checks each POST and answers as told (ok, 500, garbage, fail_after)."""

    def __init__(self):
        self.posts = []
        self.mode = "ok"
        self.fail_after = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
                endpoint.posts.append((self.path, self.headers.get("Content-Type"), form))
                if endpoint.mode == "500" or (endpoint.fail_after is not None
                                              and len(endpoint.posts) > endpoint.fail_after):
                    self._answer(500, [{"code": 500, "description": "database down"}])
                elif endpoint.mode == "garbage":
                    self._answer(200, None, b"<html>Service Unavailable</html>")
                elif form.get("api_key") != "secret-key" or not form.get("lat") or not form.get("long"):
                    self._answer(403, [{"code": 403, "description": "bad request from client"}])
                else:
                    self._answer(200, [{"service_request_id": f"GBG-{len(endpoint.posts)}",
                                        "service_notice": ""}])

            def _answer(self, status, data, raw=None):
                body = raw if raw is not None else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/open311/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def open311():
    endpoint = Open311Endpoint()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()
    endpoint.thread.join()


@pytest.fixture
def draft(app, make):
    """A draft for an e-mail recipient with two items, one with a photo."""
    area = make.area(name="Hjalmar Brantingsplatsen")
    walk = make.walk(area=area)
    city = make.organization(name="Stadsmiljöförvaltningen", report_email="felanmalan@stad.example.se")
    for code in ("lighting", "litter"):
        service.save_rule(area, None, category_id=make.category(code).id, organization_id=city.id)
    lamp = make.observation(walk=walk, text="Lampan är trasig", address="Hjalmar Brantingsgatan 3")
    add_photo(app, lamp)
    make.observation(walk=walk, category=make.category("litter"), text="Nedskräpat vid trappan")
    (report,), _ = service.build_drafts(walk.observations, None)
    db.session.commit()
    return report


def send(client, report):
    page = client.get(f"/reports/{report.id}")
    return client.post(f"/reports/{report.id}/send", data={"csrf_token": csrf_token_from(page.get_data(True))})


def refreshed(report) -> FaultReport:
    db.session.expire_all()
    return db.session.get(FaultReport, report.id)


# --- e-mail -----------------------------------------------------------------------------------------

def test_the_email_arrives_with_photos_and_the_pdf(client, login, smtp, draft):
    login()
    response = send(client, draft)
    assert response.status_code == 303
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["felanmalan@stad.example.se"] and envelope.mail_from == "trygg@example.se"
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert draft.reference in message["Subject"] and "Hjalmar Brantingsplatsen" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Lampan är trasig" in body and "SWEREF 99 TM" in body and "Hjalmar Brantingsgatan 3" in body
    assert draft.reference in body
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert f"{draft.reference}.pdf" in attachments
    assert attachments[f"{draft.reference}.pdf"].get_content().startswith(b"%PDF")
    photos = [name for name in attachments if name.endswith(".jpeg")]
    assert len(photos) == 1 and attachments[photos[0]].get_content()[:2] == b"\xff\xd8"
    report = refreshed(draft)
    assert report.status == "sent" and report.sent_at and report.send_attempts == 1 and not report.last_error
    assert {i.observation.status for i in report.items} == {"reported"}


def test_photos_are_linked_when_too_large_to_attach(app, client, login, smtp, draft):
    app.config["MAIL_MAX_ATTACHMENT_BYTES"] = 100
    login()
    send(client, draft)
    message = email.message_from_bytes(smtp.envelopes[0].content, policy=email.policy.default)
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == [f"{draft.reference}.pdf"]
    body = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"http://localhost/photos/signed/(\S+)", body)  # signed, expiring (90 days)
    claim = links._serializer().loads(link)  # served to anyone: tests/walks/test_reports_mail.py
    assert claim["file"] == draft.items[0].observation.photos[0].filename
    assert claim["until"] - utcnow().replace(tzinfo=dt.timezone.utc).timestamp() == pytest.approx(90 * 86400, abs=60)


def test_a_double_click_sends_once(client, login, smtp, draft):
    login()
    first, second = send(client, draft), send(client, draft)
    assert first.status_code == second.status_code == 303
    assert len(smtp.envelopes) == 1
    assert "redan skickad" in client.get(second.headers["Location"]).get_data(True)
    assert refreshed(draft).send_attempts == 1


def test_a_claim_in_progress_blocks_a_second_sender(app, smtp, draft):
    """Two workers: the first has claimed (and committed); the second finds nothing to send."""
    assert service.claim_for_sending(draft)
    db.session.commit()
    with app.app_context():  # another request, another session
        other = db.session.get(FaultReport, draft.id)
        assert service.claim_for_sending(other) is False
    assert smtp.envelopes == []


def test_smtp_refusing_the_connection_leaves_the_report_unsent(app, client, login, draft):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    login()
    response = send(client, draft)
    page = client.get(response.headers["Location"]).get_data(True)
    report = refreshed(draft)
    assert report.status == "draft" and report.sending_since is None and report.send_attempts == 1
    assert "127.0.0.1" in report.last_error
    assert "Inte skickad" in page and report.last_error.split(":")[0] in page
    assert {i.observation.status for i in report.items} == {"new"}


def test_a_failed_email_can_be_retried(app, client, login, smtp, draft):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    login()
    send(client, draft)
    assert refreshed(draft).status == "draft"
    app.config["MAIL_PORT"] = port
    send(client, draft)
    report = refreshed(draft)
    assert report.status == "sent" and report.send_attempts == 2 and report.last_error == ""
    assert len(smtp.envelopes) == 1


# --- Open311 ----------------------------------------------------------------------------------------

@pytest.fixture
def open311_draft(app, draft, open311):
    app.config["OUTBOUND_ALLOWED_HOSTS"] = ["127.0.0.1"]  # the test's Open311 server is on loopback
    organization = draft.organization
    organization.report_channel, organization.open311_base_url = "open311", open311.url
    organization.open311_api_key, organization.open311_jurisdiction = "secret-key", "goteborg.se"
    organization.open311_service_codes = {"lighting": "GATBELYSNING"}
    draft.channel = "open311"
    db.session.commit()
    return draft


def test_one_open311_post_per_item_with_the_right_fields(client, login, open311, open311_draft):
    login()
    assert send(client, open311_draft).status_code == 303
    assert len(open311.posts) == 2
    (path, content_type, lamp), (_, _, litter) = open311.posts
    assert path == "/open311/v2/requests.json" and content_type == "application/x-www-form-urlencoded"
    assert lamp["api_key"] == "secret-key" and lamp["jurisdiction_id"] == "goteborg.se"
    assert lamp["service_code"] == "GATBELYSNING" and litter["service_code"] == "litter"
    assert float(lamp["lat"]) == pytest.approx(57.7215) and float(lamp["long"]) == pytest.approx(11.9525)
    assert "Lampan är trasig" in lamp["description"] and open311_draft.reference in lamp["description"]
    assert lamp["address_string"] == "Hjalmar Brantingsgatan 3"
    assert lamp["media_url"].startswith("http://localhost/photos/signed/")
    assert "media_url" not in litter
    report = refreshed(open311_draft)
    assert report.status == "sent"
    assert [i.external_id for i in report.items] == ["GBG-1", "GBG-2"]
    # The recipient opens the photo without an account; the report's own photo links stay staff-only.
    stranger = client.application.test_client()
    with stranger.get(lamp["media_url"].removeprefix("http://localhost")) as response:
        assert response.status_code == 200 and response.get_data()[:2] == b"\xff\xd8"
        assert "private" in response.headers["Cache-Control"]
    photo = report.items[0].observation.photos[0]
    assert stranger.get(f"/reports/{report.id}/photos/{photo.filename}").status_code == 404
    # Once the observation is hidden, the link serves nothing.
    report.items[0].observation.hidden = True
    db.session.commit()
    assert stranger.get(lamp["media_url"].removeprefix("http://localhost")).status_code == 404


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_an_open311_error_leaves_the_report_unsent_and_a_retry_works(client, login, open311, open311_draft,
                                                                      mode):
    open311.mode = mode
    login()
    send(client, open311_draft)
    report = refreshed(open311_draft)
    assert report.status == "draft" and report.send_attempts == 1 and report.sending_since is None
    assert ("500" in report.last_error and "database down" in report.last_error) if mode == "500" \
        else "tolka" in report.last_error
    assert [i.external_id for i in report.items] == ["", ""]
    open311.mode = "ok"
    send(client, open311_draft)
    report = refreshed(open311_draft)
    assert report.status == "sent" and report.send_attempts == 2 and all(i.external_id for i in report.items)


def test_a_retry_skips_items_already_forwarded(client, login, open311, open311_draft):
    open311.fail_after = 1  # the first item gets through, the second meets a 500
    login()
    send(client, open311_draft)
    report = refreshed(open311_draft)
    assert report.status == "draft" and [bool(i.external_id) for i in report.items] == [True, False]
    open311.fail_after = None
    send(client, open311_draft)
    report = refreshed(open311_draft)
    assert report.status == "sent"
    lamp_posts = [form for _, _, form in open311.posts if form["service_code"] == "GATBELYSNING"]
    assert len(lamp_posts) == 1 and len(open311.posts) == 3


def test_an_unreachable_open311_server_is_an_error_not_a_crash(app, open311_draft, make):
    open311_draft.organization.open311_base_url = f"http://127.0.0.1:{free_port()}/open311/v2"
    assert service.claim_for_sending(open311_draft)
    with app.test_request_context():
        assert delivery.deliver(open311_draft, None) is False
    assert "nå" in open311_draft.last_error and open311_draft.status == "draft"


def test_our_own_open311_api_can_receive_a_forwarded_report(app, make, draft):
    """Forwarding speaks the same wire format our API reads: a live round trip on a real port."""
    from werkzeug.serving import make_server

    from walks.open311.service import create_api_key

    app.config["OUTBOUND_ALLOWED_HOSTS"] = ["127.0.0.1"]
    key = create_api_key("loopback")
    # One item: both ends share one SQLite file here, and a flushed write would hold its lock.
    service.remove_item(draft.items[1], None)
    organization = draft.organization
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        organization.report_channel = draft.channel = "open311"
        organization.open311_base_url = f"http://127.0.0.1:{server.server_port}/open311/v2"
        organization.open311_api_key = key
        db.session.commit()
        assert service.claim_for_sending(draft)
        db.session.commit()
        with app.test_request_context():
            assert delivery.deliver(draft, None) is True, draft.last_error
        db.session.commit()
    finally:
        server.shutdown()
        thread.join()
    from walks.models import Observation
    created = db.session.scalars(sa.select(Observation).where(Observation.source == "open311")).all()
    assert len(created) == 1 and str(created[0].id) == draft.items[0].external_id
    assert created[0].category.code == "lighting" and "Lampan är trasig" in created[0].text
