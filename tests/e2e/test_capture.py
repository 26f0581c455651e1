"""Field capture in Chromium on a phone: join from the link, log an observation with a photo, keep
it on the phone while offline and send it when the network is back; the coordinator sees it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import factories
from tests.e2e.helpers import PASSWORD, shoot, watch_errors
from tests.walks.capture_samples import jpeg_bytes
from walks.extensions import db
from walks.models import Observation

pytestmark = pytest.mark.e2e

POSITION = {"latitude": 57.7216, "longitude": 11.9527, "accuracy": 12}


@pytest.fixture
def walk_code(live_app):
    app, _ = live_app
    with app.app_context():
        walk = factories.walk(title="Kvällsvandring Brunnsbo", meeting_point="Vid spårvagnshållplatsen")
        factories.user(email="samordnare@example.se", password=PASSWORD)
        db.session.commit()
        return walk.join_code


@pytest.fixture
def walker(browser):
    """A phone that has allowed location access and stands inside the area."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="sv-SE",
                                  permissions=["geolocation"], geolocation=POSITION)
    page = watch_errors(context.new_page())
    yield page
    context.close()




def observations(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(Observation)).all()
        return [(o.category.code, o.safety, o.text, o.location_source, round(o.lat, 4), round(o.lon, 4),
                 len(o.photos)) for o in rows]


def join(page, base_url, code):
    page.goto(f"{base_url}/j/{code}")
    shoot(page, "join")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Polis").check()
    page.get_by_label("Jag har läst texten ovan och vill delta.").check()
    page.get_by_role("button", name="Gå med i vandringen").click()
    page.wait_for_url(f"**/j/{code}/capture")


def fill_observation(page, text):
    page.get_by_text("Positionen stämmer på ungefär 12 m").wait_for()
    page.locator("label.capture-category", has_text="Belysning").click()
    page.locator(".capture-safety-buttons label", has_text="Mycket otryggt").click()
    page.set_input_files("input[data-capture-photos]", files=[
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(3000, 2000), orientation=6)}])
    page.get_by_text("1 foto valda").wait_for()
    page.get_by_text("Skriv några ord, fler betyg (frivilligt)").click()
    page.fill("#capture-text", text)


def test_walker_joins_and_logs_an_observation_with_a_photo(live_app, walker, walk_code):
    app, base_url = live_app
    join(walker, base_url, walk_code)
    fill_observation(walker, "Lampan vid gångtunneln är släckt")
    shoot(walker, "capture")
    walker.locator("#capture-text").scroll_into_view_if_needed()
    shoot(walker, "capture-bottom", full_page=False)
    assert walker.evaluate("document.documentElement.scrollWidth") <= 390
    walker.get_by_role("button", name="Spara observationen").click()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert observations(app) == [("lighting", 0, "Lampan vid gångtunneln är släckt", "gps", 57.7216, 11.9527, 1)]
    # The form is ready for the next one and nothing waits in the outbox.
    assert walker.locator("[data-capture-pending]").is_hidden()
    assert not walker.locator("input[name=category]:checked").count()

    walker.get_by_role("link", name="Min lista").click()
    walker.wait_for_url(f"**/j/{walk_code}/mine")
    walker.locator(".capture-list img").wait_for()
    assert walker.locator(".capture-list img").evaluate("img => img.naturalWidth") > 0
    walker.locator("#capture-walk-map .leaflet-interactive").first.wait_for()
    shoot(walker, "mine")
    assert walker.errors == []


def test_observation_made_offline_is_kept_and_sent_later(live_app, walker, walk_code):
    app, base_url = live_app
    join(walker, base_url, walk_code)
    fill_observation(walker, "Buskage skymmer sikten")
    walker.context.set_offline(True)
    walker.get_by_role("button", name="Spara observationen").click()
    walker.get_by_text("1 väntar på att skickas").wait_for(timeout=15000)
    assert observations(app) == []
    # Even a reload while offline does not lose it: it is in IndexedDB.
    walker.context.set_offline(False)
    walker.reload()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert [row[2] for row in observations(app)] == ["Buskage skymmer sikten"]
    assert walker.locator("[data-capture-pending]").is_hidden()
    assert walker.errors == []


def test_coordinator_sees_it_with_its_thumbnail(live_app, walker, desktop, walk_code):
    app, base_url = live_app
    join(walker, base_url, walk_code)
    fill_observation(walker, "Klotter på elskåpet")
    walker.get_by_role("button", name="Spara observationen").click()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    with app.app_context():
        walk_id = db.session.scalar(sa.select(Observation.walk_id))
    desktop.goto(f"{base_url}/login")
    desktop.fill("input[name=email]", "samordnare@example.se")
    desktop.fill("input[name=password]", PASSWORD)
    desktop.locator("main button.button-primary").click()
    desktop.wait_for_load_state()
    desktop.goto(f"{base_url}/walks/{walk_id}/observations")
    thumb = desktop.locator("img.review-thumb")
    thumb.wait_for()
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Klotter på elskåpet" in desktop.content()
    shoot(desktop, "review")
    assert desktop.errors == [] and walker.errors == []


def test_without_location_access_the_point_is_placed_on_the_map(live_app, phone, walk_code):
    app, base_url = live_app
    join(phone, base_url, walk_code)
    phone.get_by_text("Platsåtkomst är avstängd").wait_for()
    phone.locator("label.capture-category", has_text="Nedskräpning").click()
    phone.locator(".capture-safety-buttons label", has_text="Ganska tryggt").click()
    phone.get_by_role("button", name="Spara observationen").click()
    assert phone.locator("#capture-position-error").inner_text().startswith("Ingen position ännu")
    phone.locator("#capture-map").click(position={"x": 120, "y": 80})
    phone.get_by_text("Positionen är utsatt på kartan.").wait_for()
    phone.get_by_role("button", name="Spara observationen").click()
    phone.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    [row] = observations(app)
    assert row[0] == "litter" and row[1] == 2 and row[3] == "map"
    assert 57.70 < row[4] < 57.74 and 11.93 < row[5] < 11.97
    assert phone.errors == []
