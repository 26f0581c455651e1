""""Me too" in Chromium on a phone: the nearby point is offered, one tap seconds it; if the point is
hidden before the phone sends, the observation is saved as a new one without the walker doing anything."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories
from tests.e2e.helpers import watch_errors
from walks.extensions import db
from walks.models import Observation

from .test_capture import POSITION, join

pytestmark = pytest.mark.e2e

METRE = 1 / 111_320


@pytest.fixture
def walk_with_lamp(live_app):
    """An open walk with another walker's broken street light 10 m north of the phone."""
    app, _ = live_app
    with app.app_context():
        walk = factories.walk(title="Kvällsvandring Brunnsbo")
        other = factories.participant(walk=walk, display_name="Eva")
        lamp = factories.observation(walk=walk, participant=other, lat=POSITION["latitude"] + 10 * METRE,
                                     lon=POSITION["longitude"], text="Lampan är släckt")
        db.session.commit()
        return walk.join_code, lamp.uuid


@pytest.fixture
def walker(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="sv-SE", permissions=["geolocation"], geolocation=POSITION)
    yield watch_errors(context.new_page())
    context.close()


def saved(app):
    with app.app_context():
        return [(o.source, o.merged_into.uuid if o.merged_into else None, o.category.code, o.safety)
                for o in db.session.scalars(sa.select(Observation).order_by(Observation.id)).all()[1:]]


def second_the_lamp(page):
    offer = page.locator("[data-capture-metoo]")
    offer.get_by_text("Redan noterat här nära").wait_for()
    assert "Eva" not in offer.inner_text() and "släckt" not in offer.inner_text()
    offer.locator("li", has_text="Belysning · 10 m bort").get_by_role("button", name="Jag med").click()
    offer.get_by_text("”Jag med” till: Belysning, 10 m bort.").wait_for()
    assert page.locator('input[name="category"][value="lighting"]').is_checked()
    page.locator(".capture-safety-buttons label", has_text="Mycket otryggt").click()


def test_one_tap_seconds_the_point_nearby(live_app, walker, walk_with_lamp):
    app, base_url = live_app
    code, lamp_uuid = walk_with_lamp
    join(walker, base_url, code)
    second_the_lamp(walker)
    walker.get_by_role("button", name="Spara observationen").click()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert saved(app) == [("metoo", lamp_uuid, "lighting", 0)]
    assert walker.locator("[data-capture-metoo-chosen]").inner_text() == ""  # the next point starts afresh


def test_a_point_hidden_before_sending_is_saved_as_a_new_one(live_app, walker, walk_with_lamp):
    app, base_url = live_app
    code, lamp_uuid = walk_with_lamp
    join(walker, base_url, code)
    second_the_lamp(walker)
    with app.app_context():  # the coordinator hides it meanwhile
        db.session.execute(sa.update(Observation).where(Observation.uuid == lamp_uuid).values(hidden=True))
        db.session.commit()
    walker.get_by_role("button", name="Spara observationen").click()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    walker.wait_for_function("document.querySelector('[data-capture-failed]').children.length === 0")
    assert saved(app) == [("walk", None, "lighting", 0)]
