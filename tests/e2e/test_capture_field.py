"""The walker in the field (issue 11, items 1–5) in Chromium on a 390×844 phone: four taps and one screen
of scrolling for a point with a photo, feedback where the thumb is, GPS that knows its limits, an offline
map from a local tile server, and a way through without the map for keyboard and screen-reader users."""
from __future__ import annotations

import io
import random
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.serving import make_server

from app import create_app
from tests import factories
from tests.e2e.helpers import shoot, watch_errors
from tests.walks.capture_samples import jpeg_bytes
from walks.categories.service import seed_categories
from walks.extensions import db
from walks.models import Observation

pytestmark = pytest.mark.e2e

INSIDE = {"latitude": 57.7216, "longitude": 11.9527, "accuracy": 12}
OUTSIDE = {"latitude": 57.7294, "longitude": 11.9527, "accuracy": 8}  # about 600 m north of the area
VIEWPORT = {"width": 390, "height": 844}
LANDMARKS = [{"name": "Hållplats Brunnsbotorget", "lat": 57.7219, "lon": 11.9530},
             {"name": "Skolans entré", "lat": 57.7201, "lon": 11.9502}]


# ---- a local tile server: PNGs the test makes ------------------------------------------------

class TileServer:
    """Serves /{z}/{x}/{y}.png on 127.0.0.1 (mode "ok" or "404"), with CORS, counting requests."""

    def __init__(self, tile_bytes: int = 0):
        self.mode = "ok"
        self.requests: list[str] = []
        self.png = self._png(noisy=tile_bytes > 0)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if server.mode != "ok" or not self.path.endswith(".png"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(server.png)))
                self.end_headers()
                self.wfile.write(server.png)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def _png(noisy: bool) -> bytes:
        image = Image.new("RGB", (256, 256), (200, 220, 200))
        if noisy:  # incompressible: about 200 kB a tile, to fill a small storage quota
            rng = random.Random(11)
            image = Image.frombytes("RGB", (256, 256), bytes(rng.getrandbits(8) for _ in range(256 * 256 * 3)))
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()


@pytest.fixture
def tile_server():
    server = TileServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def dead_tile_url():
    """A tile address on which nothing answers (the port is closed again at once)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_port
    httpd.server_close()
    return f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"


@contextmanager
def serve(tmp_path, **config):
    app = create_app({"SECRET_KEY": "e2e", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
                      **config})
    with app.app_context():
        db.create_all()
        seed_categories()
        walk = factories.walk(title="Kvällsvandring Brunnsbo", landmarks=LANDMARKS)
        db.session.commit()
        code = walk.join_code
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}", code
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def field_app(tmp_path):
    with serve(tmp_path, GPS_FIX_WAIT_S=2) as running:
        yield running


def phone_context(browser, position=INSIDE, **extra):
    permissions = ["geolocation"] if position else []
    return browser.new_context(viewport=VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True,
                               locale="sv-SE", permissions=permissions,
                               geolocation=position or None, **extra)


@pytest.fixture
def walker(browser):
    context = phone_context(browser)
    yield watch_errors(context.new_page())
    context.close()


def stored(app):
    with app.app_context():
        return [{"category": o.category.code, "safety": o.safety, "source": o.location_source,
                 "lat": round(o.lat, 4), "lon": round(o.lon, 4), "accuracy": o.accuracy_m,
                 "outside": o.outside_area, "photos": len(o.photos)}
                for o in db.session.scalars(sa.select(Observation).order_by(Observation.id))]


def join(page, base_url, code):
    page.goto(f"{base_url}/j/{code}")
    page.get_by_label("Boende").check()
    page.get_by_label("Jag har läst texten ovan och vill delta.").check()
    page.get_by_role("button", name="Gå med i vandringen").click()
    page.wait_for_url(f"**/j/{code}/capture")


def photo_file(**kwargs):
    return {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(1600, 1200), **kwargs)}


def in_viewport(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]


# ---- 1 and 2: four taps, one screen of scrolling, the confirmation in view -----------------------

COUNT_SCROLLING = """() => {
  window.__scrolled = 0;
  let last = window.scrollY;
  window.addEventListener("scroll", () => { window.__scrolled += Math.abs(window.scrollY - last); last = window.scrollY; });
}"""


def test_point_with_a_photo_takes_four_taps_and_one_screen_of_scrolling(field_app, walker):
    app, base_url, code = field_app
    join(walker, base_url, code)
    walker.get_by_text("Positionen stämmer på ungefär 12 m").wait_for()
    walker.evaluate(COUNT_SCROLLING)
    taps = 0

    def tap(locator):
        """Scroll only as far as needed to see the target (as a thumb does), then tap what is on screen."""
        nonlocal taps
        if not in_viewport(locator):
            locator.evaluate("e => e.scrollIntoView({block: 'nearest'})")
        box = locator.bounding_box()
        walker.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        taps += 1

    tap(walker.locator("label.capture-category", has_text="Belysning"))
    tap(walker.locator(".capture-safety-buttons label", has_text="Mycket otryggt"))
    with walker.expect_file_chooser() as chooser:
        tap(walker.locator("label.capture-photo-button"))
    chooser.value.set_files(files=[photo_file()])
    walker.get_by_text("1 foto valda").wait_for()
    save = walker.get_by_role("button", name="Spara observationen")
    assert in_viewport(save)  # it stays at the bottom of the screen
    scrolled = walker.evaluate("window.__scrolled")
    tap(save)
    toast = walker.get_by_role("status").filter(has_text="Sparad. Tack!")
    toast.wait_for(timeout=15000)
    shoot(walker, "field-saved", full_page=False)
    assert taps == 4
    assert 0 < scrolled <= VIEWPORT["height"], f"scrolled {scrolled} px"
    assert in_viewport(toast)
    assert walker.evaluate("window.scrollY") == 0  # back at the categories for the next point
    assert stored(app) == [{"category": "lighting", "safety": 0, "source": "gps", "lat": 57.7216,
                            "lon": 11.9527, "accuracy": 12.0, "outside": False, "photos": 1}]
    # Ready for the next point: nothing chosen, no photo, the optional parts folded.
    assert walker.locator("input[name=category]:checked").count() == 0
    assert walker.locator("input[name=safety]:checked").count() == 0
    assert walker.locator("[data-capture-thumbs] img").count() == 0
    assert walker.locator("details[open]").count() == 0
    assert walker.errors == []


def test_optional_parts_are_folded_behind_visible_markers(field_app, walker):
    _, base_url, code = field_app
    join(walker, base_url, code)
    for name in ("Skriv några ord, fler betyg (frivilligt)", "Dela min väg (frivilligt)"):
        summary = walker.locator("summary", has_text=name)
        marker = summary.evaluate("s => getComputedStyle(s, '::before').content")
        assert marker == '"▸"'
        assert summary.evaluate("s => s.parentElement.open") is False
        summary.tap()
        assert summary.evaluate("s => s.parentElement.open") is True
        assert summary.evaluate("s => getComputedStyle(s, '::before').transform") != "none"


def test_empty_save_shows_each_error_at_its_field_and_focuses_the_first(field_app, browser):
    _, base_url, code = field_app
    context = phone_context(browser, position=None)
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Platsåtkomst är avstängd").wait_for()
    page.get_by_role("button", name="Spara observationen").tap()
    assert page.locator("#capture-category-error").inner_text() == "Välj en kategori."
    assert page.locator("#capture-safety-error").inner_text() == "Välj hur trygg platsen känns."
    assert page.locator("#capture-position-error").inner_text().startswith("Ingen position ännu")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "category"
    assert in_viewport(page.locator("#capture-category-error"))
    assert page.locator('fieldset[data-field="category"]').get_attribute("aria-invalid") == "true"
    # Choosing fixes the next error in line: the page now goes to the safety question.
    page.locator("label.capture-category", has_text="Nedskräpning").tap()
    page.get_by_role("button", name="Spara observationen").tap()
    assert page.locator("#capture-category-error").inner_text() == ""
    assert page.evaluate("document.activeElement.name") == "safety"
    assert in_viewport(page.locator("#capture-safety-error"))
    # With only the position missing, the focus goes to the first way of giving one.
    page.locator(".capture-safety-buttons label", has_text="Ganska tryggt").tap()
    page.get_by_role("button", name="Spara observationen").tap()
    assert page.evaluate("document.activeElement.hasAttribute('data-capture-here')")
    assert in_viewport(page.locator("#capture-position-error"))
    assert page.errors == []
    context.close()


def test_position_from_the_photo_is_shown_before_saving(field_app, browser):
    app, base_url, code = field_app
    context = phone_context(browser, position=None)
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Platsåtkomst är avstängd").wait_for()
    page.set_input_files("input[data-capture-photos]", files=[photo_file(gps=(57.7205, 11.9510))])
    page.get_by_text("Positionen är hämtad från fotot").wait_for()
    # The pin stands on the map before saving (no GPS here: only the photo could have put it there).
    page.locator("#capture-map .leaflet-marker-icon").wait_for()
    page.locator("label.capture-category", has_text="Nedskräpning").tap()
    page.locator(".capture-safety-buttons label", has_text="Ganska tryggt").tap()
    page.get_by_role("button", name="Spara observationen").tap()
    page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    [row] = stored(app)
    assert (row["source"], row["lat"], row["lon"], row["photos"]) == ("exif", 57.7205, 11.951, 1)
    assert page.errors == []
    context.close()


def test_a_photo_the_phone_cannot_open_gets_a_message(field_app, walker):
    app, base_url, code = field_app
    join(walker, base_url, code)
    walker.get_by_text("Positionen stämmer på ungefär 12 m").wait_for()
    walker.set_input_files("input[data-capture-photos]", files=[
        {"name": "IMG_0007.HEIC", "mimeType": "image/heic", "buffer": b"\x00\x00\x00\x18ftypheic" + b"\x00" * 400}])
    error = walker.locator("#capture-photos-error")
    error.get_by_text("Telefonen kan inte öppna fotot ”IMG_0007.HEIC”").wait_for()
    assert walker.locator("[data-capture-thumbs] img").count() == 0
    # The point is still saved, without the photo that could not be opened.
    walker.locator("label.capture-category", has_text="Belysning").tap()
    walker.locator(".capture-safety-buttons label", has_text="Otryggt").first.tap()
    walker.get_by_role("button", name="Spara observationen").tap()
    walker.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert [row["photos"] for row in stored(app)] == [0]
    assert walker.errors == []


# ---- 3: GPS that knows its limits ----------------------------------------------------------------

def test_weak_fix_is_shown_waited_on_and_a_better_one_taken(field_app, browser):
    app, base_url, code = field_app
    context = phone_context(browser, position={**INSIDE, "accuracy": 80})
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Osäker position (ungefär 80 m)").wait_for()
    assert "capture-accuracy-poor" in page.locator("[data-capture-accuracy]").get_attribute("class")
    page.locator("label.capture-category", has_text="Belysning").tap()
    page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
    page.get_by_role("button", name="Spara observationen").tap()
    page.get_by_text("Väntar några sekunder på en bättre position (nu ungefär 80 m)").wait_for()
    context.set_geolocation({**INSIDE, "accuracy": 9})
    page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert [row["accuracy"] for row in stored(app)] == [9.0]
    assert page.errors == []
    context.close()


def test_weak_fix_still_saves_after_the_wait(field_app, browser):
    app, base_url, code = field_app
    context = phone_context(browser, position={**INSIDE, "accuracy": 80})
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Osäker position (ungefär 80 m)").wait_for()
    page.locator("label.capture-category", has_text="Belysning").tap()
    page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
    page.get_by_role("button", name="Spara observationen").tap()
    page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    assert [row["accuracy"] for row in stored(app)] == [80.0]
    context.close()


def test_point_outside_the_area_asks_to_confirm_or_move_and_is_flagged(field_app, browser):
    app, base_url, code = field_app
    context = phone_context(browser, position=OUTSIDE)
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Positionen stämmer på ungefär 8 m").wait_for()
    page.locator("label.capture-category", has_text="Belysning").tap()
    page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
    page.get_by_role("button", name="Spara observationen").tap()
    question = page.get_by_role("alert").filter(has_text="utanför vandringens område")
    question.wait_for()
    assert "ungefär 6" in question.inner_text()  # about 600 m (the polygon edge is 57.7240)
    assert page.evaluate("document.activeElement.textContent") == "Spara ändå"
    assert stored(app) == []
    # "Move the pin" goes to the map; choosing a listed place inside the area saves without a question.
    page.get_by_role("button", name="Flytta nålen").tap()
    assert question.is_hidden()
    page.get_by_label("…eller välj en plats i listan").select_option(label="Skolans entré")
    page.get_by_role("button", name="Spara observationen").tap()
    page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
    # The next one outside: confirmed, saved, and flagged by the server.
    page.locator("label.capture-category", has_text="Belysning").tap()
    page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
    page.get_by_role("button", name="Spara observationen").tap()
    question.wait_for()
    page.get_by_role("button", name="Spara ändå").tap()
    page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)  # a new save empties the bar first
    assert [(r["source"], r["outside"]) for r in stored(app)] == [("landmark", False), ("gps", True)]
    assert page.errors == []
    context.close()


# ---- 4: the offline map --------------------------------------------------------------------------

def wait_tiles_kept(page):
    page.wait_for_selector("html[data-tiles-kept]", timeout=30000)
    return page.locator("html").get_attribute("data-tiles-kept")


def loaded_tiles(page) -> int:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#capture-map img.leaflet-tile-loaded'))
      .filter(img => img.naturalWidth === 256).length""")


def test_area_tiles_are_kept_and_the_map_works_offline(tmp_path, browser, tile_server):
    with serve(tmp_path, TILE_URL=tile_server.url, TILE_PREFETCH_MAX=120) as (app, base_url, code):
        context = phone_context(browser)
        page = watch_errors(context.new_page())
        join(page, base_url, code)
        assert wait_tiles_kept(page) == "all"
        page.get_by_text("Kartan över området finns sparad i telefonen").wait_for()
        fetched = [p for p in tile_server.requests]
        zooms = {int(p.split("/")[1]) for p in fetched}
        assert zooms <= {15, 16, 17, 18} and 15 in zooms
        assert len(set(fetched)) <= 120

        context.set_offline(True)
        tile_server.requests.clear()
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('#capture-map img.leaflet-tile-loaded').length > 3")
        assert loaded_tiles(page) > 3
        assert tile_server.requests == []  # every tile came from the phone
        page.locator("#capture-map").scroll_into_view_if_needed()
        shoot(page, "field-offline-map", full_page=False)
        assert page.errors == []
        context.close()


def test_with_prefetch_off_the_tiles_seen_are_kept(tmp_path, browser, tile_server):
    with serve(tmp_path, TILE_URL=tile_server.url, TILE_PREFETCH=False) as (app, base_url, code):
        context = phone_context(browser)
        page = watch_errors(context.new_page())
        join(page, base_url, code)
        page.wait_for_selector("html[data-offline-ready]", timeout=20000)
        page.reload()  # now through the worker: the tiles shown go through it and are kept
        page.wait_for_function("() => document.querySelectorAll('#capture-map img.leaflet-tile-loaded').length > 3")
        seen = tile_server.requests[:]
        assert seen and all(p.startswith(("/17/", "/18/")) for p in seen)  # only what the map showed
        page.wait_for_function("""async () => (await (await caches.open('tryggvandring-tiles')).keys()).length > 3""")
        context.set_offline(True)
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('#capture-map img.leaflet-tile-loaded').length > 3")
        assert page.locator("html").get_attribute("data-tiles-kept") is None
        assert page.errors == []
        context.close()


@pytest.mark.parametrize("trouble", ["404", "down"])
def test_tile_server_trouble_while_keeping_tells_the_walker_and_the_walk_goes_on(
        tmp_path, browser, tile_server, dead_tile_url, trouble):
    tile_server.mode = "404"
    url = tile_server.url if trouble == "404" else dead_tile_url
    with serve(tmp_path, TILE_URL=url, TILE_PREFETCH_MAX=40) as (app, base_url, code):
        context = phone_context(browser)
        page = watch_errors(context.new_page())
        join(page, base_url, code)
        assert wait_tiles_kept(page) == "partial"
        page.get_by_text("Kartan är bara delvis sparad i telefonen").wait_for()
        page.locator("label.capture-category", has_text="Belysning").tap()
        page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
        page.get_by_role("button", name="Spara observationen").tap()
        page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
        assert len(stored(app)) == 1
        assert page.errors == []
        context.close()


def test_storage_full_while_keeping_tells_the_walker(tmp_path, browser):
    big = TileServer(tile_bytes=200_000)
    big.thread.start()
    try:
        with serve(tmp_path, TILE_URL=big.url, TILE_PREFETCH_MAX=120) as (app, base_url, code):
            context = phone_context(browser)
            page = watch_errors(context.new_page())
            cdp = context.new_cdp_session(page)
            # Room for the app's own files and pages, not for 88 tiles of 200 kB.
            cdp.send("Storage.overrideQuotaForOrigin", {"origin": base_url, "quotaSize": 2_000_000})
            join(page, base_url, code)
            assert wait_tiles_kept(page) == "partial"
            page.get_by_text("Telefonens lagring är full").wait_for()
            page.locator("label.capture-category", has_text="Belysning").tap()
            page.locator(".capture-safety-buttons label", has_text="Tryggt").last.tap()
            page.get_by_role("button", name="Spara observationen").tap()
            page.get_by_text("Sparad. Tack!").wait_for(timeout=15000)
            assert len(stored(app)) == 1
            context.close()
    finally:
        big.httpd.shutdown()
        big.httpd.server_close()


# ---- 5: without the map: keyboard only, names for screen readers -------------------------------

def test_keyboard_only_walker_logs_a_point_at_a_listed_place(field_app, browser):
    app, base_url, code = field_app
    context = phone_context(browser, position=None)
    page = watch_errors(context.new_page())
    join(page, base_url, code)
    page.get_by_text("Platsåtkomst är avstängd").wait_for()
    # Every control has a name a screen reader reads out.
    page.get_by_role("radio", name="Belysning").wait_for(state="attached")
    page.get_by_role("radio", name="1 Otryggt").wait_for(state="attached")
    page.get_by_role("button", name="📷 Ta eller välj foton").wait_for(state="attached")
    page.get_by_role("button", name="📍 Använd min position här").wait_for()
    page.get_by_role("combobox", name="…eller välj en plats i listan").wait_for()
    page.get_by_role("button", name="Spara observationen").wait_for()
    # Tab order reaches every control: walk it with the keyboard alone, from the top.
    page.locator("body").focus()
    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("""() => { const e = document.activeElement;
          return e.name || e.getAttribute('data-capture-here') !== null && 'here' || e.textContent.trim().slice(0, 60); }"""))
    for control in ("category", "safety", "photos", "here", "landmark", "Skriv några ord, fler betyg (frivilligt)",
                    "Spara observationen", "Dela min väg (frivilligt)"):
        assert control in reached, (control, reached)
    assert reached.index("category") < reached.index("safety") < reached.index("landmark") \
        < reached.index("Spara observationen")

    # Log a point with keys only: arrows within a radio group, the place list, Enter on Save.
    page.locator("input[name=category]").first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # into the safety group, then one step: 1
    page.locator("#capture-landmark").focus()
    page.keyboard.press("ArrowDown")
    status = page.locator("[data-capture-accuracy]")
    assert status.get_attribute("role") == "status"
    status.get_by_text("Position: Hållplats Brunnsbotorget").wait_for()
    page.get_by_role("button", name="Spara observationen").focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Sparad. Tack!").wait_for(timeout=15000)
    [row] = stored(app)
    assert (row["source"], row["lat"], row["lon"], row["safety"]) == ("landmark", 57.7219, 11.953, 1)
    assert row["category"] == page.evaluate("document.querySelectorAll('input[name=category]')[1].value")

    # The list of the walker's own points: reachable from the capture page, readable without the map.
    page.get_by_role("link", name="Min lista").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/j/{code}/mine")
    item = page.get_by_role("listitem").filter(has_text="1 – Otryggt")
    item.wait_for()
    assert "Hållplats Brunnsbotorget" in item.inner_text() or "57.7219" in item.inner_text()
    assert page.errors == []
    context.close()
