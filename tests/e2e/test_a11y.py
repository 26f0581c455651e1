"""Accessibility measured with axe-core in Chromium (WCAG 2.2 AA: nothing serious or critical) on the
walker's and the coordinator's pages of the demo; Leaflet's controls in the page's language; the
capture page mirrored right to left in Arabic and Persian without sideways overflow.

One demo site for the whole module, one logged-in coordinator page and one joined walker page."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from app import create_app
from tests.e2e.helpers import PASSWORD, log_in, map_settled, shoot, watch_errors
from walks import demo
from walks.auth import service as accounts
from walks.extensions import db
from walks.models import Observation
from walks.reports import service as reports

pytestmark = pytest.mark.e2e

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
POSITION = {"latitude": 57.7216, "longitude": 11.9527, "accuracy": 12}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo on a real port: {"base": url, "area": id, "walk": id, "code": join code, "report": id}."""
    folder = tmp_path_factory.mktemp("a11y")
    app = create_app({"SECRET_KEY": "e2e", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'a11y.db'}",
                      "UPLOAD_DIR": str(folder / "uploads"), "TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png"})
    with app.app_context():
        db.create_all()
        accounts.create_user(demo.DEMO_EMAIL, PASSWORD, role="coordinator")  # the demo keeps this account
        loaded = demo.load_demo()
        demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
        closed, open_walk = loaded["walks"]
        faults = db.session.scalars(sa.select(Observation).where(Observation.walk_id == closed.id)).all()
        drafts, _unrouted = reports.build_drafts(faults, loaded["coordinator"])
        db.session.commit()
        ids = {"area": loaded["area"].id, "walk": closed.id, "code": open_walk.join_code, "report": drafts[0].id,
               "email": loaded["coordinator"].email}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {**ids, "base": f"http://127.0.0.1:{server.server_port}"}
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


def logged_in(browser, site, **options):
    """The demo coordinator's page in a new browser context (closed by the caller)."""
    page = watch_errors(browser.new_context(locale="sv-SE", **options).new_page())
    log_in(page, site["base"], email=site["email"])
    return page


@pytest.fixture(scope="module")
def coordinator(browser, site):
    page = logged_in(browser, site, viewport={"width": 1280, "height": 900})
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def walker(browser, site):
    """A phone that has joined the demo's open walk."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="sv-SE", permissions=["geolocation"], geolocation=POSITION)
    page = watch_errors(context.new_page())
    page.goto(f"{site['base']}/j/{site['code']}")
    page.get_by_label("Boende").check()
    page.get_by_label("Jag har läst texten ovan och vill delta.").check()
    page.get_by_role("button", name="Gå med i vandringen").click()
    page.wait_for_url(f"**/j/{site['code']}/capture")
    yield page
    context.close()


PAGES = [
    ("start", "walker", "/"),
    ("join", "walker", "/join"),
    ("capture", "walker", "/j/{code}/capture"),
    ("my list", "walker", "/j/{code}/mine"),
    ("walk map", "coordinator", "/walks/{walk}/map"),
    ("review", "coordinator", "/walks/{walk}/observations"),
    ("report", "coordinator", "/reports/{report}"),
    ("action plan", "coordinator", "/areas/{area}/actions"),
    ("dashboard", "coordinator", "/areas/{area}/dashboard"),
    ("public page", "coordinator", "/p/walks/{walk}"),
]


# WCAG 2.5.8's "essential" exception: a map marker stands where the place is, so markers may crowd.
ON_THE_MAP = "(selector) => !!document.querySelector(selector)?.closest('.leaflet-marker-pane')"


def serious_violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA},
                                       "resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        nodes = violation["nodes"]
        if violation["id"] == "target-size":
            nodes = [n for n in nodes if not (len(n["target"]) == 1 and page.evaluate(ON_THE_MAP, n["target"][0]))]
        if nodes and violation["impact"] in ("serious", "critical"):
            problems.append(f"{violation['id']} ({violation['impact']}): {violation['help']} – "
                            f"{[n['target'] for n in nodes[:5]]}")
    return problems


@pytest.mark.parametrize("name, who, path", PAGES, ids=[name for name, _who, _path in PAGES])
def test_no_serious_accessibility_violations(request, site, name, who, path):
    page = request.getfixturevalue(who)
    response = page.goto(site["base"] + path.format(**site))
    assert response.status == 200, name
    page.wait_for_load_state("load")
    if page.locator(".leaflet-container").count():
        map_settled(page)
    problems = serious_violations(page)
    shoot(page, f"a11y-{name.replace(' ', '-')}")
    assert not problems, f"{name}:\n" + "\n".join(problems)
    assert not page.errors, page.errors


@pytest.mark.parametrize("who, path", [("walker", "/j/{code}/capture"), ("coordinator", "/walks/{walk}/map")])
def test_leaflet_controls_are_in_swedish(request, site, who, path):
    page = request.getfixturevalue(who)
    page.goto(site["base"] + path.format(**site))
    zoom_in = page.locator(".leaflet-control-zoom-in").first
    zoom_in.wait_for()
    assert zoom_in.get_attribute("title") == "Zooma in"
    assert page.locator(".leaflet-control-zoom-out").first.get_attribute("title") == "Zooma ut"
    leaflet_link = page.locator(".leaflet-control-attribution a[href='https://leafletjs.com']")
    assert leaflet_link.get_attribute("title") == "Ett JavaScript-bibliotek för interaktiva kartor"
    layers = page.locator(".leaflet-control-layers-toggle")
    if layers.count():
        assert layers.first.get_attribute("title") == "Lager"
    html = page.content()
    assert "Zoom in" not in html and "A JavaScript library" not in html


@pytest.mark.parametrize("language, title", [("ar", "1. ما هو؟"), ("fa", "1. چه چیزی است؟")])
def test_capture_page_mirrors_right_to_left(walker, site, language, title):
    walker.context.add_cookies([{"name": "lang", "value": language, "url": site["base"]}])
    try:
        walker.goto(f"{site['base']}/j/{site['code']}/capture")
        walker.locator(".leaflet-control-zoom-in").first.wait_for()
        assert walker.evaluate("document.documentElement.dir") == "rtl"
        assert walker.get_by_text(title).is_visible()
        # Nothing sticks out sideways: no horizontal scrolling on a 390 px phone.
        widths = walker.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        # Mirrored: a category's icon stands to the right of its name, its colour bar on the right edge.
        category = walker.locator("label.capture-category").first
        icon = category.locator(".capture-category-icon").bounding_box()
        name = category.locator("span").last.bounding_box()
        assert icon["x"] > name["x"]
        bar = category.evaluate("e => [getComputedStyle(e).borderRightWidth, getComputedStyle(e).borderLeftWidth]")
        assert bar[0] == "6px" and bar[1] != "6px"
        shoot(walker, f"capture-{language}")
        assert not serious_violations(walker)
        for path in ("/", "/join", f"/j/{site['code']}/mine"):
            walker.goto(site["base"] + path)
            widths = walker.evaluate("[document.documentElement.dir, document.documentElement.scrollWidth,"
                                     " document.documentElement.clientWidth]")
            assert widths[0] == "rtl" and widths[1] <= widths[2], (path, widths)
        assert not walker.errors, walker.errors
    finally:
        walker.context.clear_cookies(name="lang")


@pytest.fixture(scope="module")
def phone_coordinator(browser, site):
    page = logged_in(browser, site, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


@pytest.mark.parametrize("path", [
    "/areas/{area}", "/walks/{walk}/manage", "/walks/{walk}/observations", "/walks/{walk}/participants",
    "/reports/{report}", "/areas/{area}/actions", "/areas/{area}/dashboard", "/areas/{area}/compare",
    "/areas/{area}/routing", "/p/walks/{walk}", "/p/areas/{area}",
])
def test_coordinator_pages_fit_a_phone(phone_coordinator, site, path):
    """Nothing runs off the right edge at 390 px: wide tables become cards or scroll inside their own box."""
    page = phone_coordinator
    assert page.goto(site["base"] + path.format(**site)).status == 200
    width, inner = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width <= inner, f"{path} is {width} px wide on a {inner} px phone"
