"""The maps in a real browser: injection attempts stay text, 10,000 points load, layers switch."""
from __future__ import annotations

import random
import re
import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests import factories
from tests.e2e.helpers import PASSWORD, log_in
from walks.extensions import db
from walks.models import Category, Observation, utcnow

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "${globalThis.pwned=1}",
    "</script><script>globalThis.pwned2=1</script>",
    '<img src=x onerror="globalThis.pwned3=1">',
    "`; globalThis.pwned4=1; `",
]
FLAGS = "() => [globalThis.pwned, globalThis.pwned2, globalThis.pwned3, globalThis.pwned4]"




def make_area_with(app, texts=(), many=0):
    """An area with one walk; observations with the given texts and `many` random ones."""
    with app.app_context():
        user = factories.user(password=PASSWORD)
        area = factories.area(name="Kartområdet")
        walk = factories.walk(area=area, title="Kvällsvandring")
        ids = [factories.observation(walk=walk, area=area, text=text, category=factories.category("graffiti"),
                                     safety=0).id for text in texts]
        if many:
            rnd = random.Random(7)
            categories = list(db.session.scalars(sa.select(Category.id)))
            now = utcnow()
            db.session.execute(sa.insert(Observation), [
                dict(uuid=str(uuid.uuid4()), walk_id=walk.id, area_id=area.id, category_id=rnd.choice(categories),
                     lat=57.7190 + rnd.random() * 0.0050, lon=11.9480 + rnd.random() * 0.0095,
                     text="", safety=rnd.randint(0, 3), observed_at=now, created_at=now, updated_at=now,
                     status="new", source="walk", location_source="gps")
                for _ in range(many)])
        db.session.commit()
        return user.email, area.id, walk.id, ids


# Points on screen: the counts of cluster icons plus single markers.
READ_POINTS = """() => [...document.querySelectorAll('.map-cluster-count')].map(e => +e.textContent)
    .reduce((a, b) => a + b, 0) + document.querySelectorAll('.map-marker').length"""
# Leaflet re-enables clicks on a layer control it has just opened in its next task: wait for that task.
NEXT_TASK = "() => new Promise(resolve => setTimeout(resolve))"
# The zoom of the page's one Leaflet map (Folium names its variable map_<hash>).
MAP_ZOOM = "() => Object.values(window).find(value => value instanceof L.Map).getZoom()"


def visible_point_count(page) -> int:
    """Points on screen, once animations are over."""
    count = page.evaluate("""async () => {
        const read = """ + READ_POINTS + """;
        let last = -1;
        for (let i = 0; i < 40; i++) {
            await new Promise(r => setTimeout(r, 150));
            const now = read();
            if (now === last && !document.querySelector('.leaflet-cluster-anim')) return now;
            last = now;
        }
        return last;
    }""")
    return count


def test_injected_text_stays_text_in_the_popup(live_app, desktop):
    app, base_url = live_app
    email, area_id, _walk_id, ids = make_area_with(app, PAYLOADS)
    page = desktop
    log_in(page, base_url, email)
    page.goto(f"{base_url}/areas/{area_id}/map")
    page.wait_for_selector(".map-cluster, .map-marker")
    # All four share one spot: clicks on the cluster zoom in and then spread them out.
    for _ in range(4):
        if page.locator(".map-marker").count() == len(PAYLOADS):
            break
        zoom = page.evaluate(MAP_ZOOM)
        page.locator(".map-cluster").first.click()
        # Zoomed in, or spread out, with the animation over. A click on a cluster icon that is being
        # redrawn does nothing: then the loop clicks again.
        try:
            page.wait_for_function("""([zoom, wanted]) => ((""" + MAP_ZOOM + """)() > zoom
                || document.querySelectorAll('.map-marker').length === wanted)
                && !document.querySelector('.leaflet-cluster-anim, .leaflet-zoom-anim')""",
                                   arg=[zoom, len(PAYLOADS)], timeout=3000)
        except PlaywrightTimeoutError:
            continue
    assert page.locator(".map-marker").count() == len(PAYLOADS)
    seen = set()
    for index in range(len(PAYLOADS)):
        # A DOM click on the icon itself: the spread-out markers may lie under the previous popup's place.
        page.locator(".map-marker").nth(index).dispatch_event("click")
        text = page.locator(".map-popup-text").first
        text.wait_for()
        seen.add(text.text_content())
        assert page.locator(".leaflet-popup-content img:not(.map-popup-photo)").count() == 0
        page.locator(".leaflet-popup-close-button").click()
        page.wait_for_function("() => !document.querySelector('.leaflet-popup')")  # it fades out first
    assert seen == set(PAYLOADS)
    assert page.evaluate(FLAGS) == [None, None, None, None]
    assert page.errors == []


def test_walk_map_popup_on_a_phone(live_app, phone):
    app, base_url = live_app
    email, _area_id, walk_id, _ids = make_area_with(app, [PAYLOADS[0]])
    page = phone
    log_in(page, base_url, email)
    page.goto(f"{base_url}/walks/{walk_id}/map")
    page.locator(".map-marker").first.tap()
    popup = page.locator(".map-popup")
    popup.wait_for()
    assert PAYLOADS[0] in popup.text_content()
    assert "Klotter och skadegörelse" in popup.text_content()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.evaluate(FLAGS) == [None, None, None, None]
    assert page.errors == []


def test_ten_thousand_points_load_cluster_and_switch(live_app, desktop):
    app, base_url = live_app
    email, area_id, _walk_id, _ids = make_area_with(app, many=10_000)
    page = desktop
    log_in(page, base_url, email)
    page.goto(f"{base_url}/areas/{area_id}/map")
    page.wait_for_selector(".map-cluster")
    page.wait_for_function("() => document.querySelectorAll('.map-cluster').length > 0")
    assert page.errors == []
    assert visible_point_count(page) == 10_000
    assert page.locator(".map-cluster").count() < 400  # clustered, not 10,000 elements

    # The heat layer: off at first, drawn when switched on, gone when switched off.
    heat = page.locator(".leaflet-control-layers label", has_text="Värmekarta")
    assert page.locator("canvas.map-heat-layer").count() == 0
    # Like a person: the pointer rests on the control before clicking (Leaflet ignores a click in
    # the same instant the pointer enters it, so that the tap that opens it switches nothing).
    page.locator(".leaflet-control-layers").hover()
    page.wait_for_selector(".leaflet-control-layers-expanded")
    page.evaluate(NEXT_TASK)
    heat.click()
    page.wait_for_selector("canvas.map-heat-layer")
    painted = page.evaluate("""() => {
        const c = document.querySelector('canvas.map-heat-layer');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n / (c.width * c.height);
    }""")
    assert painted > 0.05
    heat.click()
    assert page.locator("canvas.map-heat-layer").count() == 0

    # A theme off: its points leave the clusters.
    safety = page.locator(".leaflet-control-layers label", has_text=re.compile(r"^\s*Trygghet\s*$"))
    safety.click()
    page.wait_for_function(f"() => ({READ_POINTS})() < 10000")
    without_safety = visible_point_count(page)
    assert 0 < without_safety < 10_000
    with app.app_context():
        safety_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Observation).join(Category).where(Category.theme == "safety"))
    assert without_safety == 10_000 - safety_count
    safety.click()
    page.wait_for_function(f"() => ({READ_POINTS})() === 10000")
    assert visible_point_count(page) == 10_000
    assert page.errors == []


def test_map_page_fits_a_phone_and_the_layer_button_opens(live_app, phone):
    app, base_url = live_app
    email, area_id, _walk_id, _ids = make_area_with(app, many=200)
    page = phone
    log_in(page, base_url, email)
    page.goto(f"{base_url}/areas/{area_id}/map")
    page.wait_for_selector(".map-cluster")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    box = page.locator(".map-canvas").bounding_box()
    assert box["width"] >= 380 and box["height"] >= 300
    toggle = page.locator(".leaflet-control-layers-toggle")
    assert toggle.bounding_box()["width"] >= 44
    toggle.tap()
    page.locator(".leaflet-control-layers label", has_text="Värmekarta").tap()
    page.wait_for_selector("canvas.map-heat-layer")
    # The tap that opened the control switched nothing else.
    checked = page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-layers-selector')]
        .filter(i => !i.checked).length""")
    assert checked == 0
    assert page.errors == []
