"""The walker's one tap on "was it fixed?" and the public page, in Chromium under the CSP."""
from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.e2e.helpers import shoot
from walks.extensions import db
from walks.models import hash_token, utcnow
from walks.observations import set_status
from walks.updates import service

pytestmark = pytest.mark.e2e

TOKEN = "e2e-walker-token-0123456789"


@pytest.fixture
def story(live_app):
    app, base_url = live_app
    with app.app_context():
        walk = factories.walk(title="Kvällsvandring", published_at=utcnow())
        walker = factories.participant(walk=walk, token_hash=hash_token(TOKEN))
        observation = factories.observation(walk=walk, participant=walker, text="Mörkt i tunneln")
        city = factories.organization(name="Park- och naturförvaltningen")
        report = factories.fault_report([observation], status="resolved", organization=city,
                                        sent_at=utcnow() - dt.timedelta(days=5))
        report.items[0].status, report.items[0].external_id = "resolved", "PNF-9"
        report.items[0].recipient_notes = "Lampan är bytt."
        set_status(observation, "report_resolved")
        db.session.flush()  # resolved before the job's "now"
        service.ask_questions(utcnow(), 0)
        db.session.commit()
        ids = {"walk": walk.id, "code": walk.join_code}
    return base_url, ids


def open_page(browser, base_url, cookies):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": name, "value": value, "url": base_url} for name, value in cookies.items()])
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    return context, page


def test_the_walker_answers_not_fixed_with_one_tap_on_the_list(browser, story):
    base_url, ids = story
    context, page = open_page(browser, base_url, {f"tvp_{ids['walk']}": TOKEN, "lang": "en"})
    page.goto(f"{base_url}/j/{ids['code']}/mine")
    assert page.locator(".walker-outcome").first.inner_text().count("Fixed on") == 1
    shoot(page, "loop-list-question")
    page.get_by_role("button", name="Not fixed").click()
    page.wait_for_selector(".flash-success")
    outcome = page.locator(".walker-outcome").first.inner_text()
    assert "Not fixed after all" in outcome and "Was it fixed?" not in outcome
    assert page.problems == []
    context.close()


def test_the_public_page_runs_under_the_csp_and_prints(browser, story):
    base_url, ids = story
    context, page = open_page(browser, base_url, {"lang": "en"})
    page.goto(f"{base_url}/p/walks/{ids['walk']}")
    assert "Fixed on" in page.locator(".public-points").inner_text()
    assert "Lampan är bytt." in page.locator(".public-points").inner_text()
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    shoot(page, "loop-public-print")
    assert page.problems == []
    context.close()
