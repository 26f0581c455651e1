"""Real-browser tests: the app served on 127.0.0.1 in a thread, Debian's Chromium driven by Playwright."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from tests.e2e.helpers import watch_errors
from walks.categories.service import seed_categories
from walks.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_app(tmp_path):
    """An app on a real port; yields (app, base_url). Use `with app.app_context()` to set up data."""
    app = create_app({
        "SECRET_KEY": "e2e",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # Tiles are not reachable from the test machine: markers must still show without them.
        "TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
    })
    with app.app_context():
        db.create_all()
        seed_categories()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (390×844, touch), failing the test on any page error."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="sv-SE")
    yield watch_errors(context.new_page())
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    yield watch_errors(context.new_page())
    context.close()


def pytest_collection_modifyitems(config, items):
    """Everything under tests/e2e is a browser test (deselect with -m 'not e2e')."""
    for item in items:
        if "/tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
