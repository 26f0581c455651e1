"""Reviewing on a phone (issue 9 item 7): the walk's table and the merge candidates fit 390 px, and a
duplicate is merged with one thumb."""
from __future__ import annotations

import pytest

from tests import factories
from tests.e2e.helpers import PASSWORD, log_in, shoot
from tests.walks.capture_samples import jpeg_bytes, payload
from walks.capture import service as capture
from walks.extensions import db
from walks.models import Observation

pytestmark = pytest.mark.e2e

LONG_TEXT = "Belysningen vid gångtunneln under Lundbyleden är släckt sedan flera veckor " * 2


def walk_with_observations(app):
    with app.app_context():
        user = factories.user(password=PASSWORD)
        walk = factories.walk(title="Kvällsvandring vid Brantingsplatsen")
        ids = []
        for n, (lat, lon) in enumerate(((57.7215, 11.9525), (57.7216, 11.9526), (57.7230, 11.9550))):
            participant = factories.participant(walk=walk, role="police" if n else "resident")
            result = capture.create_observation(walk, participant, payload(lat=lat, lon=lon, text=LONG_TEXT),
                                                [jpeg_bytes()], app.config)
            ids.append(result.observation.id)
        db.session.commit()
        return user.email, walk.id, ids


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_review_table_fits_a_phone(live_app, phone):
    app, base_url = live_app
    email, walk_id, ids = walk_with_observations(app)
    page = phone
    log_in(page, base_url, email)
    page.goto(f"{base_url}/walks/{walk_id}/observations")
    rows = page.locator(".review-table tbody tr")
    assert rows.count() == 3
    shoot(page, "review-table-phone")
    assert fits(page)
    for index in range(3):
        for cell in ("review-cell-category", "review-cell-text"):
            box = rows.nth(index).locator(f".{cell}").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (index, cell)
        assert rows.nth(index).locator("td[data-label]").first.is_visible()
    assert page.errors == []


def test_merge_a_duplicate_on_a_phone(live_app, phone):
    app, base_url = live_app
    email, _walk_id, (first, nearest, farthest) = walk_with_observations(app)
    page = phone
    log_in(page, base_url, email)
    page.goto(f"{base_url}/observations/{first}")
    candidates = page.locator(".merge-candidate")
    assert candidates.count() == 2
    assert f"#{nearest}" in candidates.nth(0).text_content() and f"#{farthest}" in candidates.nth(1).text_content()
    assert candidates.nth(0).locator("img.review-thumb").is_visible()
    shoot(page, "merge-candidates-phone")
    assert fits(page)
    candidates.nth(0).tap()
    assert candidates.nth(0).locator("input").is_checked()
    with page.expect_navigation():
        page.locator("button", has_text="Slå ihop").tap()
    assert page.url == f"{base_url}/observations/{first}"
    with app.app_context():
        assert db.session.get(Observation, nearest).merged_into_id == first
    assert page.errors == []
