"""Every kind of page under the Content-Security-Policy in Chromium: no violation, no page error.

One server with the demo data (both walks, photos, the action plan, a meeting, a draft fault report)
serves the whole module. A category whose name is markup shows as text on the walker's maps and on
the coordinator's map.
"""
from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import create_app
from tests.e2e.helpers import log_in, map_settled, shoot
from walks import demo
from walks.auth import service as accounts
from walks.extensions import db
from walks.models import ActionItem, Category, Meeting, Observation, Walk, utcnow
from walks.reports import service as reports

pytestmark = pytest.mark.e2e

MARKUP_NAME = "<img src=x onerror=alert(1)>"
MARKUP_COLOUR = "#123456"
ADMIN_PASSWORD = "admin password for the csp test"
POSITION = {"latitude": demo.CENTRE[0], "longitude": demo.CENTRE[1], "accuracy": 12}

# Report each violation on the console, where the test collects it with Chromium's own CSP messages.
VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
                + `at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _markup_category() -> Category:
    category = Category(code="markup", name_sv=MARKUP_NAME, name_en=MARKUP_NAME, theme="safety",
                        color=MARKUP_COLOUR, icon="!", is_fault=True)
    db.session.add(category)
    return category


def _observation(walk: Walk, category: Category, participant=None) -> Observation:
    now = utcnow()
    observation = Observation(uuid=str(uuid.uuid4()), walk=walk, area=walk.area, category=category,
                              participant=participant, lat=demo.CENTRE[0] + 0.0002,
                              lon=demo.CENTRE[1] + 0.0003, accuracy_m=5, location_source="gps",
                              text=MARKUP_NAME, safety=0, observed_at=now)
    db.session.add(observation)
    return observation


def _load(app) -> dict:
    with app.app_context():
        loaded = demo.load_demo([])
        demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
        drafts, _ = reports.build_drafts(loaded["observations"], loaded["coordinator"])
        category = _markup_category()
        open_walk = loaded["walks"][1]
        _observation(open_walk, category, open_walk.participants[0])
        markup_walk = Walk(area=loaded["area"], title="Kvällsvandring med märklig kategori",
                           starts_at=utcnow(), light_condition="dark", status="closed", join_code="MARKUP01")
        db.session.add(markup_walk)
        _observation(markup_walk, category)
        admin = accounts.create_user("admin@example.se", ADMIN_PASSWORD, role="admin")
        db.session.commit()
        area = loaded["area"]
        return {
            "admin_email": admin.email,
            "password": loaded["password"], "area": area.id, "open_walk": open_walk.id,
            "code": open_walk.join_code, "first_walk": loaded["walks"][0].id, "markup_walk": markup_walk.id,
            "observation": loaded["observations"][0].id, "report": drafts[0].id, "spare_report": drafts[-1].id,
            "action": db.session.scalar(sa.select(ActionItem.id).where(ActionItem.area_id == area.id).limit(1)),
            "meeting": db.session.scalar(sa.select(Meeting.id).where(Meeting.area_id == area.id).limit(1)),
        }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base_url, ids of the demo data): one live app with the demo for the whole module."""
    folder = tmp_path_factory.mktemp("csp")
    app = create_app({
        "SECRET_KEY": "e2e-csp",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'e2e.db'}",
        "UPLOAD_DIR": str(folder / "uploads"),
        # Another origin than the app: the policy's img-src must name it.
        "TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
    })
    with app.app_context():
        db.create_all()
    ids = _load(app)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", ids
    finally:
        http.shutdown()
        thread.join()
        with app.app_context():
            db.engine.dispose()


def _context(browser, **options):
    context = browser.new_context(locale="sv-SE", **options)
    context.add_init_script(VIOLATION_LISTENER)
    return context


@pytest.fixture(scope="module")
def coordinator(browser, server):
    base_url, ids = server
    context = _context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base_url, demo.DEMO_EMAIL, ids["password"])
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="module")
def admin(browser, server):
    base_url, ids = server
    context = _context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base_url, ids["admin_email"], ADMIN_PASSWORD)
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="module")
def walker(browser, server):
    """A phone that joined the demo's open walk, with location access, standing at the tram stop."""
    base_url, ids = server
    context = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                       permissions=["geolocation"], geolocation=POSITION)
    page = context.new_page()
    page.goto(f"{base_url}/j/{ids['code']}")
    page.get_by_label("Jag har läst texten ovan och vill delta.").check()
    page.get_by_role("button", name="Gå med i vandringen").click()
    page.wait_for_url(f"**/j/{ids['code']}/capture")
    page.close()
    yield context
    context.close()


@pytest.fixture(scope="module")
def stranger(browser):
    context = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield context
    context.close()


def open_page(context, url):
    """A new page on url, collecting CSP violations, page errors and dialogs (an alert is an attack)."""
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: page.problems.append(message.text)
            if message.type == "error" and ("CSP violation" in message.text
                                            or "Content Security Policy" in message.text) else None)
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    return page


LEAFLET_READY = ".leaflet-interactive, .map-marker, .map-cluster"

# name -> (who, path made from the demo's ids, an element that shows the page has done its work)
PAGES = {
    "login": ("stranger", lambda i: "/login", "main form"),
    "join": ("stranger", lambda i: f"/j/{i['code']}", "main form"),
    "capture": ("walker", lambda i: f"/j/{i['code']}/capture", "#capture-map .leaflet-interactive"),
    "my list": ("walker", lambda i: f"/j/{i['code']}/mine", "#capture-walk-map .leaflet-interactive"),
    "areas": ("coordinator", lambda i: "/areas", "main h1"),
    "area": ("coordinator", lambda i: f"/areas/{i['area']}", "main h1"),
    "walk": ("coordinator", lambda i: f"/walks/{i['open_walk']}/manage", "main h1"),
    "poster": ("coordinator", lambda i: f"/walks/{i['open_walk']}/poster", "main img, main svg"),
    "maps": ("coordinator", lambda i: "/maps", "main h1"),
    "area map": ("coordinator", lambda i: f"/areas/{i['area']}/map", LEAFLET_READY),
    "walk map": ("coordinator", lambda i: f"/walks/{i['first_walk']}/map", LEAFLET_READY),
    "review": ("coordinator", lambda i: f"/walks/{i['first_walk']}/observations", "main h1"),
    "observation": ("coordinator", lambda i: f"/observations/{i['observation']}", "main h1"),
    "reports": ("coordinator", lambda i: "/reports", "main h1"),
    "report": ("coordinator", lambda i: f"/reports/{i['report']}", "main h1"),
    "report print": ("coordinator", lambda i: f"/reports/{i['report']}/print", "main h1"),
    "dashboard": ("coordinator", lambda i: f"/areas/{i['area']}/dashboard", "svg.chart"),
    "compare": ("coordinator", lambda i: f"/areas/{i['area']}/compare", "#compare-map .leaflet-interactive"),
    "meeting": ("coordinator", lambda i: f"/areas/{i['area']}/meeting", "main h1"),
    "meeting record": ("coordinator", lambda i: f"/meetings/{i['meeting']}", "main h1"),
    "agenda": ("coordinator", lambda i: f"/areas/{i['area']}/meeting/agenda", "main h1"),
    "action plan": ("coordinator", lambda i: f"/areas/{i['area']}/actions", "main h1"),
    "action": ("coordinator", lambda i: f"/actions/{i['action']}", "main h1"),
    "contacts": ("coordinator", lambda i: f"/areas/{i['area']}/contacts", "main h1"),
    "categories": ("coordinator", lambda i: "/categories", "main h1"),
    "participants": ("coordinator", lambda i: f"/walks/{i['open_walk']}/participants", "main h1"),
    "public page preview": ("coordinator", lambda i: f"/p/walks/{i['first_walk']}", "main h1"),
    "privacy": ("stranger", lambda i: "/privacy", "main h1"),
    "my data": ("walker", lambda i: f"/j/{i['code']}/my-data", "main h1"),
    "users": ("admin", lambda i: "/admin/users", "main form"),
    "audit log": ("admin", lambda i: "/admin/audit", "main h1"),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_runs_without_csp_violations(request, server, name):
    base_url, ids = server
    who, path, ready = PAGES[name]
    page = open_page(request.getfixturevalue(who), base_url + path(ids))
    page.wait_for_load_state("networkidle")
    assert page.problems == []  # a blocked script would only show as a missing element below
    page.wait_for_selector(ready, state="attached", timeout=10_000)
    shoot(page, f"csp-{name.replace(' ', '-')}")
    assert page.problems == []
    page.close()


def test_colours_from_data_are_applied_without_style_attributes(server, coordinator):
    base_url, _ = server
    page = open_page(coordinator, f"{base_url}/categories")
    swatch = page.locator(f".category-swatch[data-colour='{MARKUP_COLOUR}']")
    assert swatch.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(18, 52, 86)"
    assert page.problems == []
    page.close()


def _tooltip_text(page, map_selector):
    """Hover the marked category's point on a walker's map; return the tooltip's text."""
    point = page.locator(f"{map_selector} path[fill='{MARKUP_COLOUR}']")
    point.wait_for(state="attached")
    point.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    return tooltip.inner_text()


@pytest.mark.parametrize("path, map_selector", [("capture", "#capture-map"), ("mine", "#capture-walk-map")])
def test_markup_in_a_category_name_is_text_on_the_walkers_maps(server, walker, path, map_selector):
    base_url, ids = server
    page = open_page(walker, f"{base_url}/j/{ids['code']}/{path}")
    assert _tooltip_text(page, map_selector) == f"! {MARKUP_NAME}"
    assert page.locator("img[src='x']").count() == 0
    assert page.problems == []
    page.close()


def test_markup_in_a_category_name_is_text_on_the_coordinators_map(server, coordinator):
    base_url, ids = server
    page = open_page(coordinator, f"{base_url}/walks/{ids['markup_walk']}/map")
    marker = page.locator(".map-marker")
    marker.wait_for()
    assert marker.get_attribute("aria-label") == MARKUP_NAME
    map_settled(page)  # a click during the opening zoom misses the marker
    marker.click()
    popup = page.locator(".map-popup")
    popup.wait_for()
    assert popup.locator(".map-popup-category strong").inner_text() == MARKUP_NAME
    assert popup.locator(".map-popup-text").inner_text() == MARKUP_NAME
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_load_state("networkidle")
    assert page.problems == []
    page.close()


def test_print_buttons_print(server, coordinator):
    base_url, ids = server
    page = open_page(coordinator, f"{base_url}/areas/{ids['area']}/contacts")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.locator("button[data-print]").click()
    assert page.evaluate("() => window.printed") == 1
    assert page.problems == []
    page.close()


def test_a_confirmed_button_asks_first(server, coordinator):
    """The question that was an inline onsubmit: cancelling sends nothing, accepting sends the form."""
    base_url, ids = server
    url = f"{base_url}/reports/{ids['spare_report']}"
    page = coordinator.new_page()
    page.goto(url)
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    button = page.get_by_role("button", name="Ta bort utkastet")
    page.once("dialog", lambda dialog: answer(dialog, False))
    button.click()
    assert questions == ["Ta bort utkastet?"]
    page.wait_for_load_state("networkidle")
    assert page.url == url and page.request.get(url).status == 200
    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        button.click()
    assert len(questions) == 2 and page.request.get(url).status == 404
    page.close()
