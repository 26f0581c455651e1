"""A coordinator on a phone logs in, plans a walk and sees its QR code."""
from __future__ import annotations

import pytest

from walks.extensions import db
from walks.models import Walk

from .. import factories

pytestmark = pytest.mark.e2e


def test_log_in_on_a_phone_create_a_walk_and_see_its_qr_code(live_app, phone):
    app, base = live_app
    with app.app_context():
        user = factories.user(email="samordnare@example.se", password="correct horse battery")
        area = factories.area(name="Hjalmar Brantingsplatsen")
        db.session.commit()
        area_id = area.id

    phone.goto(f"{base}/areas/{area_id}")
    assert "/login" in phone.url  # sent to log in first, and back afterwards
    phone.get_by_label("E-postadress").fill("samordnare@example.se")
    phone.get_by_label("Lösenord").fill("correct horse battery")
    phone.get_by_role("button", name="Logga in").click()
    phone.wait_for_url(f"{base}/areas/{area_id}")

    phone.get_by_role("link", name="Planera en vandring").click()
    phone.get_by_label("Rubrik").fill("Kvällsvandring vid hållplatsen")
    phone.get_by_label("Börjar").fill("2026-11-24T18:00")
    phone.get_by_label("Slutar").fill("2026-11-24T19:30")
    phone.get_by_label("Samlingsplats").fill("Vid väderskyddet")
    phone.get_by_label("Status").select_option("open")
    phone.get_by_role("button", name="Skapa vandring").click()
    phone.wait_for_url("**/manage")

    with app.app_context():
        walk = db.session.scalar(db.select(Walk))
        code = walk.join_code
    qr = phone.get_by_role("img", name="QR-kod för länken till vandringen")
    qr.wait_for()
    assert phone.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert code in phone.content()
    # Nothing is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.errors == []
