"""Shared steps of the browser tests: log in, collect page errors, keep screenshots to look at."""
from __future__ import annotations

import os
from pathlib import Path

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder: keep screenshots to look at


def watch_errors(page):
    """Collect the page's uncaught JavaScript errors in `page.errors`."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def log_in(page, base_url, email="samordnare@example.se", password=PASSWORD):
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button").first.click()
    page.wait_for_load_state()


def shoot(page, name, full_page=True):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


def map_settled(page) -> None:
    """Leaflet has drawn its controls and no zoom or cluster animation is running."""
    page.locator(".leaflet-control-zoom-in").first.wait_for()
    # A locator wait, not wait_for_function: the app's CSP forbids evaluating strings in the page.
    page.locator(".leaflet-zoom-anim, .leaflet-cluster-anim").first.wait_for(state="detached")
