"""The action plan in Chromium: a coordinator adds an action on a phone and sees it in the plan."""
from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.e2e.helpers import PASSWORD, log_in, shoot
from walks.actions import service
from walks.extensions import db

pytestmark = pytest.mark.e2e



@pytest.fixture
def plan_area(live_app):
    app, _ = live_app
    with app.app_context():
        user = factories.user(email="samordnare@example.se", password=PASSWORD)
        walk = factories.walk()
        area = walk.area
        owner = factories.organization(name="Bostadsbolaget", kind="property_owner")
        owner.areas.append(area)
        factories.contact(organization=owner, name="Lena Holm", role="Förvaltare")
        police = factories.organization(name="Polisen", kind="police")
        police.areas.append(area)
        factories.contact(organization=police, name="Anders Ek", role="Kommunpolis")
        service.create_action(area, {"title": "Belysning och insyn i gångtunneln", "organization": police,
                                     "status": "planned", "due_date": dt.date.today() - dt.timedelta(days=5)},
                              user)
        db.session.commit()
        return area.id






def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_coordinator_creates_an_action_and_sees_it_in_the_plan(live_app, phone, plan_area):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/actions")
    phone.click(f"a[href='/areas/{plan_area}/actions']")
    assert phone.locator("tr.overdue").count() == 1
    assert no_sideways_scroll(phone)
    shoot(phone, "plan-phone")
    phone.get_by_role("link", name="Ny åtgärd").click()
    phone.locator("#title").fill("Beskär buskarna vid gården")
    phone.get_by_label("Ansvarig aktör").select_option(label="Bostadsbolaget")
    phone.get_by_label("Kontaktperson").select_option(label="Lena Holm (Förvaltare)")
    phone.get_by_label("Start").fill("2026-04-01")
    phone.get_by_label("Klart senast").fill("2026-05-31")
    phone.get_by_label("Tidshorisont").select_option("short")
    assert no_sideways_scroll(phone)
    shoot(phone, "new-action-phone")
    phone.get_by_role("button", name="Spara").click()
    phone.wait_for_load_state()
    assert phone.locator("h1").inner_text() == "Beskär buskarna vid gården"
    assert "Åtgärden är tillagd" in phone.locator(".flash").inner_text()
    shoot(phone, "action-detail-phone")
    phone.get_by_role("link", name="Åtgärdsplan:").first.click()
    row = phone.locator("tr", has_text="Beskär buskarna vid gården")
    assert row.count() == 1
    assert "Bostadsbolaget" in row.inner_text() and "2026-05-31" in row.inner_text()
    assert phone.errors == []


def test_due_date_before_start_is_shown_next_to_the_field(live_app, phone, plan_area):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/areas/{plan_area}/actions/new")
    phone.locator("#title").fill("Ny skylt")
    phone.get_by_label("Start").fill("2026-06-01")
    phone.get_by_label("Klart senast").fill("2026-05-01")
    phone.get_by_role("button", name="Spara").click()
    phone.wait_for_load_state()
    assert "före startdatum" in phone.locator(".has-error .error").inner_text()
    shoot(phone, "new-action-error-phone")


def test_meeting_and_contact_list_fit_a_phone(live_app, phone, plan_area):
    _, base_url = live_app
    log_in(phone, base_url)
    phone.goto(f"{base_url}/areas/{plan_area}/meeting")
    assert "Belysning och insyn i gångtunneln" in phone.locator("ul.due-list").inner_text()
    assert no_sideways_scroll(phone)
    shoot(phone, "meeting-phone")
    phone.goto(f"{base_url}/areas/{plan_area}/contacts")
    assert "Lena Holm" in phone.locator("table").inner_text()
    assert no_sideways_scroll(phone)
    shoot(phone, "contacts-phone")
    phone.goto(f"{base_url}/actors")
    assert no_sideways_scroll(phone)
    shoot(phone, "actors-phone")
    assert phone.errors == []
