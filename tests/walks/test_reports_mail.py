"""A fault report mail a department can act on, through a real SMTP server: size, headers, signature,
an HTML part with every user text escaped; positive observations never drafted as faults."""
from __future__ import annotations

import email
import email.policy
import io
import random
import re

import pytest
from PIL import Image, ImageFilter

from walks import photos as photo_pipeline
from walks.extensions import db
from walks.reports import service

from .test_reports_sending import free_port, refreshed, send, smtp  # noqa: F401

CENTRE = (57.7215, 11.9525)


def phone_photo(seed: int) -> bytes:
    """A 4000×3000 camera JPEG with detail like a street at dusk (not a flat colour that compresses away)."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (160, 120), bytes(rng.getrandbits(8) for _ in range(160 * 120 * 3)))
    image = small.resize((4000, 3000), Image.Resampling.BICUBIC).filter(ImageFilter.DETAIL)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def store_photo(app, observation, seed):
    prepared = photo_pipeline.prepare_photo(phone_photo(seed), max_bytes=app.config["MAX_PHOTO_BYTES"],
                                            max_pixels=app.config["MAX_PHOTO_PIXELS"])
    observation.photos.append(photo_pipeline.new_photo(prepared, app.config["UPLOAD_DIR"], db.session))


@pytest.fixture
def area_world(app, make):
    area = make.area(name="Brunnsbo")
    walk = make.walk(area=area)
    city = make.organization(name="Park- och naturförvaltningen", report_email="felanmalan@stad.example.se")
    service.save_rule(area, None, category_id=make.category("lighting").id, organization_id=city.id)
    return area, walk


def draft_of(walk):
    (report,), _ = service.build_drafts(walk.observations, None)
    db.session.commit()
    return report


def received(smtp):
    (envelope,) = smtp.envelopes
    return envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_a_report_of_12_items_with_phone_photos_is_well_under_1_mb(app, client, login, smtp, make, area_world):
    area, walk = area_world
    for n in range(12):
        observation = make.observation(walk=walk, lat=CENTRE[0] + n * 0.0003, text=f"Lampa {n} är släckt")
        store_photo(app, observation, n)
    report = draft_of(walk)
    login()
    send(client, report)
    envelope, message = received(smtp)
    size = len(envelope.content)
    print(f"12 items, 12 photos: {size / 1024:.0f} kB")
    assert size < 700 * 1024
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == [f"{report.reference}.pdf"]  # the photos are linked, not attached
    body = message.get_body(("plain",)).get_content()
    links = re.findall(r"http://localhost/photos/signed/\S+", body)
    assert len(set(links)) == 12
    html = message.get_body(("html",)).get_content()
    assert all(f'href="{link}"' in html for link in links)
    with client.application.test_client().get(links[5]) as anonymous:  # no account needed
        assert anonymous.status_code == 200 and anonymous.mimetype == "image/jpeg"


def test_from_reply_to_and_signature_name_the_areas_coordinator(app, client, login, smtp, make, area_world):
    area, walk = area_world
    area.reply_to, area.reply_name, area.reply_phone = "lena.berg@stad.example.se", "Lena Berg", "031-365 00 00"
    make.user(role="coordinator", areas=[area], email="annan@example.se", name="Annan Person")
    make.observation(walk=walk, text="Lampan är trasig")
    report = draft_of(walk)
    login()
    send(client, report)
    envelope, message = received(smtp)
    assert envelope.mail_from == "trygg@example.se"  # the app's own address: the recipient's spam checks pass
    assert message["From"].addresses[0].addr_spec == "trygg@example.se"
    assert message["From"].addresses[0].display_name == "Lena Berg – Tryggvandring"
    assert message["Reply-To"].addresses[0].addr_spec == "lena.berg@stad.example.se"
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        text = part.get_content()
        assert "Lena Berg" in text and "Telefon: 031-365 00 00" in text and "Samordnare för trygghetsvandringar, Brunnsbo" in text


def test_without_its_own_address_the_area_answers_with_its_first_coordinator(app, client, login, smtp, make,
                                                                              area_world):
    area, walk = area_world
    make.user(role="viewer", areas=[area], email="tittare@example.se")
    make.user(role="coordinator", areas=[area], email="samordnare@example.se", name="Omar Ali")
    make.user(role="coordinator", areas=[area], email="andra@example.se", name="Andra")
    make.observation(walk=walk)
    report = draft_of(walk)
    login()
    send(client, report)
    _, message = received(smtp)
    assert message["Reply-To"].addresses[0].addr_spec == "samordnare@example.se"
    assert "Omar Ali" in message.get_body(("plain",)).get_content()


def test_with_nobody_to_answer_there_is_no_reply_to(app, client, login, smtp, make, area_world):
    area, walk = area_world
    make.observation(walk=walk)
    report = draft_of(walk)
    login()
    send(client, report)
    _, message = received(smtp)
    assert message["Reply-To"] is None and message["From"].addresses[0].display_name == "Tryggvandring"


def test_user_text_is_escaped_in_the_html_part_and_kept_as_is_in_the_plain_one(app, client, login, smtp, make,
                                                                               area_world):
    area, walk = area_world
    area.reply_name = 'Eva "<b>" Ek'
    area.reply_to = "eva@example.se"
    hostile = '<script>alert(1)</script> <img src=x onerror=alert(2)> & "citat"'
    make.observation(walk=walk, text=hostile, address="<b>Storgatan 1</b>")
    report = draft_of(walk)
    report.cover_text = "Hej <i>avdelningen</i>,\nse nedan."
    db.session.commit()
    login()
    send(client, report)
    _, message = received(smtp)
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html and "<i>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&amp; &#34;citat&#34;" in html
    assert "Hej &lt;i&gt;avdelningen&lt;/i&gt;,<br>se nedan." in html
    assert "&lt;b&gt;Storgatan 1&lt;/b&gt;" in html and "Eva &#34;&lt;b&gt;&#34; Ek" in html
    plain = message.get_body(("plain",)).get_content()
    assert hostile in plain


def test_a_positive_observation_is_never_drafted_as_a_fault(app, make, area_world):
    area, walk = area_world
    positive = make.category("positive")
    positive.is_fault = True  # even when an admin ticked "fault" on it by mistake
    city = make.organization(name="Fastighetsbolaget", report_email="f@example.se")
    with pytest.raises(service.ReportError):
        service.save_rule(area, None, category_id=positive.id, organization_id=city.id)
    make.observation(walk=walk, category=positive, text="Tryggt och bra: ny belysning")
    make.observation(walk=walk, text="Lampan är trasig")
    (report,), unrouted = service.build_drafts(walk.observations, None)
    assert [item.observation.text for item in report.items] == ["Lampan är trasig"] and unrouted == []
    assert service.unrouted_faults(walk.observations) == []


def sender_page(client, area):
    return client.get(f"/areas/{area.id}/mail-sender")


def post_sender(client, area, **data):
    from tests.conftest import csrf_token_from
    page = sender_page(client, area)
    return client.post(f"/areas/{area.id}/mail-sender",
                       data={"csrf_token": csrf_token_from(page.get_data(True)), **data})


def test_a_coordinator_sets_the_areas_reply_to_and_signature(client, login, make, area_world):
    area, _ = area_world
    login(make.user(role="coordinator", areas=[area], email="omar@example.se", name="Omar Ali"))
    assert "Omar Ali (omar@example.se)" in sender_page(client, area).get_data(True)
    answer = post_sender(client, area, reply_to=" Lena.Berg@Stad.example.se ", reply_name="Lena Berg",
                         reply_phone="031-365 00 00")
    assert answer.status_code == 303
    db.session.refresh(area)
    assert (area.reply_to, area.reply_name, area.reply_phone) == \
        ("Lena.Berg@stad.example.se", "Lena Berg", "031-365 00 00")


@pytest.mark.parametrize("data, message", [
    ({"reply_to": "inte en adress"}, "är ingen e-postadress"),
    ({"reply_to": "a@example.se\r\nBcc: x@example.se"}, "får bara vara en rad"),
    ({"reply_phone": "ring mig"}, "Skriv telefonnumret med siffror"),
])
def test_bad_sender_input_is_400_and_changes_nothing(client, login, make, area_world, data, message):
    area, _ = area_world
    login(make.user(role="coordinator", areas=[area]))
    answer = post_sender(client, area, **data)
    assert answer.status_code == 400 and message in answer.get_data(True)
    db.session.refresh(area)
    assert (area.reply_to, area.reply_phone) == ("", "")


def test_only_the_areas_editors_reach_the_sender_page(client, login, make, area_world):
    area, _ = area_world
    login(make.user(role="coordinator", areas=[make.area()]))
    assert sender_page(client, area).status_code == 404
