"""The follow-up pages in Chromium at phone size: charts drawn, difference map with its markers."""

import pytest

from tests import factories
from tests.e2e.helpers import PASSWORD, log_in, shoot
from tests.walks.test_followup_service import add_actions, add_fault_reports, build_two_walks
from walks.extensions import db

pytestmark = pytest.mark.e2e



@pytest.fixture
def area_id(live_app):
    app, _ = live_app
    with app.app_context():
        factories.user(email="samordnare@example.se", password=PASSWORD)
        data = build_two_walks(factories)
        add_fault_reports(factories, data)
        add_actions(data)
        db.session.commit()
        return data.area.id






def test_dashboard_on_a_phone(live_app, phone, area_id):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/areas/{area_id}/dashboard")
    charts = phone.locator("svg.chart[role=img]")
    assert charts.count() == 4
    box = charts.first.bounding_box()
    assert 300 <= box["width"] <= 390 and box["height"] > 100
    # No sideways scrolling at 390 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.locator("details.figures summary").first.click()
    assert phone.locator("details.figures table").first.is_visible()
    shoot(phone, "dashboard-phone")
    assert phone.errors == []


def test_compare_page_and_difference_map_on_a_phone(live_app, phone, area_id):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/areas/{area_id}/compare")
    phone.wait_for_selector("#compare-map path.leaflet-interactive")
    assert phone.locator("#compare-map path.marker-before").count() == 5
    assert phone.locator("#compare-map path.marker-after").count() == 4
    assert phone.locator("#compare-map path.marker-open-ring").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone, "compare-phone")
    # A popup shows the walker's text as text.
    phone.locator("#compare-map path.marker-open").first.dispatch_event("click")
    popup = phone.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Fortfarande öppen" in popup.inner_text()
    assert phone.errors == []


def test_choosing_other_walks_in_the_form(live_app, phone, area_id):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/areas/{area_id}/compare")
    phone.click("details.choose-walks summary")
    phone.select_option("#after", label="Planerad vandring (2026-12-12)")
    phone.click("form.compare-form button")
    phone.wait_for_selector("#compare-map")
    assert "Planerad vandring" in phone.locator(".walk-after h2").inner_text()
    assert phone.locator("#compare-map path.marker-after").count() == 0
    assert phone.errors == []
