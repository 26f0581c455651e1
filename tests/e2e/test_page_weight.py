"""A walker's first visit moves each file once: the service worker's precache comes from the HTTP cache
the page has just filled (content-hashed URLs), not from a second download. Sizes: bench/page_weight.py."""
from __future__ import annotations

from collections import Counter

import pytest

from tests import factories
from walks.capture import service as capture
from walks.extensions import db

pytestmark = pytest.mark.e2e


def count_downloads(app) -> Counter:
    """Full answers (200) per path, whatever the ?v=; revalidations (304) move no file."""
    downloads: Counter = Counter()
    inner = app.wsgi_app

    def counting(environ, start_response):
        def start(status, headers, exc_info=None):
            if status.startswith("200"):
                downloads[environ["PATH_INFO"]] += 1
            return start_response(status, headers, exc_info)
        return inner(environ, start)

    app.wsgi_app = counting
    return downloads


def test_first_visit_downloads_each_asset_once(live_app, browser):
    app, base = live_app
    with app.app_context():
        walk = factories.walk()
        _participant, token = capture.join_walk(walk, display_name="", role="resident", consent=True)
        db.session.commit()
        code, cookie = walk.join_code, f"tvp_{walk.id}"
    downloads = count_downloads(app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="sv-SE")
    context.add_cookies([{"name": cookie, "value": token, "url": base}])
    page = context.new_page()
    try:
        page.goto(f"{base}/j/{code}/capture")
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=15000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assets = {path: n for path, n in downloads.items() if path.startswith(("/static/", "/maps/assets/"))}
    assert "/static/js/capture.js" in assets and "/maps/assets/leaflet/leaflet.js" in assets
    assert {path: n for path, n in assets.items() if n > 1} == {}


def test_a_walker_who_joined_downloads_the_capture_page_once(live_app, browser):
    """The service worker keeps the page the walker has open from the browser's own cache."""
    app, base = live_app
    with app.app_context():
        walk = factories.walk()
        db.session.commit()
        code = walk.join_code
    downloads = count_downloads(app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="sv-SE")
    page = context.new_page()
    try:
        page.goto(f"{base}/j/{code}")
        page.get_by_label("Jag har läst texten ovan och vill delta.").check()
        page.get_by_role("button", name="Gå med i vandringen").click()
        page.wait_for_url(f"**/j/{code}/capture")
        page.wait_for_selector("html[data-offline-ready]", state="attached", timeout=15000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert downloads[f"/j/{code}/capture"] == 1
    assert downloads[f"/j/{code}/mine"] == 1  # kept for use without signal
