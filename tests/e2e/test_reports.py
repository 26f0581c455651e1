"""Fault reports in Chromium: a coordinator builds drafts from a walk and opens the printable page."""
from __future__ import annotations

import json

import pytest

from tests import factories
from tests.e2e.helpers import PASSWORD, shoot
from walks.extensions import db
from walks.reports import service

pytestmark = pytest.mark.e2e

ESTATE = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9525, 57.7190], [11.9525, 57.7215], [11.9480, 57.7215], [11.9480, 57.7190]]]}


@pytest.fixture
def walk_with_faults(live_app):
    app, _ = live_app
    with app.app_context():
        factories.user(email="samordnare@example.se", password=PASSWORD)
        area = factories.area(name="Hjalmar Brantingsplatsen")
        walk = factories.walk(area=area, title="Kvällsvandring i november")
        city = factories.organization(name="Stadsmiljöförvaltningen")
        owner = factories.organization(name="Bostadsbolaget", kind="property_owner")
        service.save_rule(area, None, category_id=factories.category("lighting").id, organization_id=city.id)
        service.save_rule(area, None, category_id=factories.category("lighting").id, organization_id=owner.id,
                          sub_area_raw=json.dumps(ESTATE), sub_area_name="Gården")
        factories.observation(walk=walk, lat=57.7230, lon=11.9560, text="Trasig gatlykta vid hållplatsen")
        factories.observation(walk=walk, lat=57.7200, lon=11.9500, text="Mörkt på gården")
        factories.observation(walk=walk, category=factories.category("graffiti"), text="Klotter på elskåpet")
        db.session.commit()
        return walk.id




def test_coordinator_builds_drafts_and_opens_the_printable_page(live_app, phone, walk_with_faults):
    _, base_url = live_app
    phone.goto(f"{base_url}/login")
    phone.fill("input[name=email]", "samordnare@example.se")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button.button-primary")
    phone.wait_for_load_state()

    phone.goto(f"{base_url}/reports")
    phone.locator("li", has_text="Kvällsvandring i november").get_by_role("button", name="Skapa utkast").click()
    phone.wait_for_url(f"**/reports?walk={walk_with_faults}")
    drafts = phone.locator(".report-card")
    assert drafts.count() == 2
    assert drafts.filter(has_text="Stadsmiljöförvaltningen").count() == 1
    assert drafts.filter(has_text="Bostadsbolaget").count() == 1
    unrouted = phone.locator(".unrouted")
    assert "Klotter på elskåpet" in unrouted.inner_text()  # listed, not dropped
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "drafts-phone")

    drafts.filter(has_text="Stadsmiljöförvaltningen").get_by_role("link").click()
    phone.wait_for_load_state()
    assert "SWEREF 99 TM" in phone.inner_text("main")
    assert "Trasig gatlykta vid hållplatsen" in phone.inner_text("main")
    shoot(phone, "draft-phone")

    phone.get_by_role("link", name="Utskriftsvänlig sida").click()
    phone.wait_for_load_state()
    text = phone.inner_text("main")
    assert "Felanmälan TV-" in text and "Trasig gatlykta vid hållplatsen" in text
    assert "Mörkt på gården" not in text  # that one went to the property owner
    assert "Stadsmiljöförvaltningen" in text and "N 64" in text  # SWEREF 99 TM northing
    map_ok = phone.evaluate("Array.from(document.querySelectorAll('img.item-map'))"
                            ".every(img => img.complete && img.naturalWidth > 0)")
    assert map_ok
    assert phone.errors == []
    shoot(phone, "print-phone")
