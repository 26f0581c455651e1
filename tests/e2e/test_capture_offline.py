"""The capture page with no signal, in Chromium on a phone: once opened with signal, the service worker
keeps the page, its scripts and Leaflet; reloaded offline it still works, what the walker logs waits in
the outbox and reaches the database when the network is back, also after the session cookie is gone."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests import factories
from tests.e2e.helpers import shoot, watch_errors
from tests.walks.capture_samples import jpeg_bytes
from walks.extensions import db
from walks.models import Observation

pytestmark = pytest.mark.e2e

POSITION = {"latitude": 57.7216, "longitude": 11.9527, "accuracy": 12}
OFFLINE_TEXT = "Ingen uppkoppling – det du sparar skickas när nätet kommer tillbaka"


@pytest.fixture
def walk_code(live_app):
    app, _ = live_app
    with app.app_context():
        walk = factories.walk(title="Kvällsvandring Hammarkullen", status="open")
        db.session.commit()
        return walk.join_code


@pytest.fixture
def walker(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="sv-SE",
                                  permissions=["geolocation", "background-sync"], geolocation=POSITION)
    page = watch_errors(context.new_page())
    yield page
    context.close()




def stored(app, photos=False):
    with app.app_context():
        return [(o.category.code, o.safety, o.text) + ((len(o.photos),) if photos else ())
                for o in db.session.scalars(sa.select(Observation))]


def wait_for_rows(app, count, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = stored(app)
        if len(rows) >= count:
            return rows
        time.sleep(0.25)
    return stored(app)


def join_and_go_offline_ready(page, base_url, code):
    page.goto(f"{base_url}/j/{code}")
    page.get_by_label("Boende").check()
    page.get_by_label("Jag har läst texten ovan och vill delta.").check()
    page.get_by_role("button", name="Gå med i vandringen").click()
    page.wait_for_url(f"**/j/{code}/capture")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{base_url}/"
    # The worker has stored this page (loaded before it was in control) and its precache.
    page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=10000)
    cached = page.evaluate("""async () => {
        const names = await caches.keys();
        const hits = [];
        for (const url of ['/static/js/capture.js', '/vendor/leaflet/leaflet.js', location.pathname]) {
            hits.push(!!(await caches.match(url)));
        }
        return {names, hits};
    }""")
    assert all(cached["hits"]), cached
    assert not any("api" in name for name in cached["names"])


def log_observation(page, text):
    page.get_by_text("Positionen stämmer på ungefär 12 m").wait_for()
    page.locator("label.capture-category", has_text="Belysning").click()
    page.locator("label.capture-safety-1").click()  # 1 otryggt
    page.get_by_text("Skriv några ord, fler betyg (frivilligt)").click()
    page.fill("#capture-text", text)
    page.get_by_role("button", name="Spara observationen").click()


def test_reload_offline_log_and_send_when_back(live_app, walker, walk_code):
    app, base_url = live_app
    join_and_go_offline_ready(walker, base_url, walk_code)
    banner = walker.locator("[data-capture-offline]")
    assert banner.is_hidden()

    walker.context.set_offline(True)
    walker.reload()
    # Served by the worker: the categories and Leaflet are there without any network.
    walker.locator("label.capture-category", has_text="Belysning").wait_for()
    assert walker.evaluate("!!window.L && !!window.CaptureQueue && !!navigator.serviceWorker.controller")
    assert banner.is_visible() and banner.inner_text() == OFFLINE_TEXT
    walker.set_input_files("input[data-capture-photos]", files=[
        {"name": "IMG_0100.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(3000, 2000))}])
    log_observation(walker, "Lampan vid gångtunneln är trasig")
    walker.get_by_text("1 väntar på att skickas").wait_for()
    shoot(walker, "offline-waiting", full_page=False)
    assert stored(app) == []
    # Reloading again with no network keeps it waiting (the outbox is in IndexedDB).
    walker.reload()
    walker.get_by_text("1 väntar på att skickas").wait_for()
    # Chromium has Background Sync: a sync is asked for while something waits.
    tags = walker.evaluate("navigator.serviceWorker.ready.then(r => r.sync ? r.sync.getTags() : null)")
    assert tags == ["capture-outbox"]

    walker.context.set_offline(False)
    wait_for_rows(app, 1)
    assert stored(app, photos=True) == [("lighting", 1, "Lampan vid gångtunneln är trasig", 1)]
    walker.locator("[data-capture-pending]").wait_for(state="hidden")
    assert banner.is_hidden()
    # Nothing but the walker's pages and the precached files is kept: no API answers, no photos,
    # no other page's scripts.
    kept = walker.evaluate("""async () => {
        await fetch('/static/js/reports.js');
        await fetch(location.pathname.replace('/capture', '/mine'));
        const urls = [];
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
        }
        return urls;
    }""")
    assert f"/j/{walk_code}/capture" in kept and "/static/js/capture.js" in kept
    assert not [u for u in kept if u.startswith(("/api/", "/photos/")) or u == "/static/js/reports.js"], kept
    assert walker.errors == []


def test_home_screen_start_offline_opens_the_last_walk(live_app, walker, walk_code):
    app, base_url = live_app
    join_and_go_offline_ready(walker, base_url, walk_code)
    # With signal the start page is the ordinary one.
    walker.goto(f"{base_url}/")
    assert walker.url == f"{base_url}/"
    walker.context.set_offline(True)
    walker.goto(f"{base_url}/")  # the manifest's start_url
    walker.wait_for_url(f"**/j/{walk_code}/capture")
    walker.locator("label.capture-category", has_text="Belysning").wait_for()
    # The list page was kept too.
    walker.goto(f"{base_url}/j/{walk_code}/mine")
    walker.get_by_role("heading", name="Mina observationer").wait_for()
    assert walker.errors == []


def test_stale_csrf_token_of_a_kept_page_is_renewed_before_sending(live_app, walker, walk_code):
    """The browser was closed: the session cookie (and with it the CSRF secret) is gone, the participant
    cookie stays. The kept page's token is refused once; the outbox takes a fresh one and sends."""
    app, base_url = live_app
    join_and_go_offline_ready(walker, base_url, walk_code)
    walker.context.set_offline(True)
    walker.context.clear_cookies(name="session")
    assert any(c["name"].startswith("tvp_") for c in walker.context.cookies())  # the participant cookie stays
    walker.reload()
    log_observation(walker, "Buskarna skymmer sikten")
    walker.get_by_text("1 väntar på att skickas").wait_for()
    walker.context.set_offline(False)
    rows = wait_for_rows(app, 1)
    assert rows == [("lighting", 1, "Buskarna skymmer sikten")]
    assert walker.locator("[data-capture-failed] li").count() == 0
    assert walker.errors == []


def test_background_sync_makes_the_open_page_send_its_outbox(live_app, browser, walk_code):
    """The server is unreachable (the phone itself thinks it is online, so no 'online' event will come):
    the observation waits. When Chromium fires the worker's sync event, the page sends it at once."""
    app, base_url = live_app
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="sv-SE", permissions=["geolocation", "background-sync"],
                                  geolocation=POSITION)
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        join_and_go_offline_ready(page, base_url, walk_code)

        context.route("**/api/walks/*/observations", lambda route: route.abort("internetdisconnected"))
        log_observation(page, "Trasig lykta vid lekplatsen")
        page.get_by_text("1 väntar på att skickas").wait_for()
        assert stored(app) == []
        context.unroute("**/api/walks/*/observations")

        registration = [r for r in registrations if not r.get("isDeleted")][-1]
        sent_at = time.monotonic()
        cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": base_url, "tag": "capture-outbox",
                                                     "registrationId": registration["registrationId"],
                                                     "lastChance": False})
        # The page's own timer retries only every 20 s; the sync makes it go now.
        rows = wait_for_rows(app, 1, seconds=5)
        assert rows == [("lighting", 1, "Trasig lykta vid lekplatsen")]
        assert time.monotonic() - sent_at < 5
        page.locator("[data-capture-pending]").wait_for(state="hidden")
        assert errors == []
    finally:
        context.close()
