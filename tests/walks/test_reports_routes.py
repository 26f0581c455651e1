"""Fault-report pages over HTTP: routing rules, drafts from a walk, editing drafts, outputs, statuses."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from PIL import Image

from tests.conftest import csrf_token_from
from walks.extensions import db
from walks.models import FaultReport, Observation, Photo, RoutingRule
from walks.open311.service import create_api_key
from walks.reports import service

ESTATE = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9525, 57.7190], [11.9525, 57.7215], [11.9480, 57.7215], [11.9480, 57.7190]]]}


def add_photo(app, observation, name="p"):
    """A real JPEG file in UPLOAD_DIR and its Photo row, as the capture issue stores them."""
    # 24 characters before ".jpg", as the photo pipeline names files
    filename, thumb = (f"{prefix}{observation.id:0{24 - len(prefix)}d}.jpg" for prefix in (name, f"t{name}"))
    for fname, size in ((filename, (800, 600)), (thumb, (200, 150))):
        Image.new("RGB", size, (120, 80, 40)).save(f"{app.config['UPLOAD_DIR']}/{fname}", "JPEG")
    photo = Photo(observation=observation, sha256=f"{observation.id:064d}", filename=filename,
                  thumb_filename=thumb, width=800, height=600, bytes=1000, original_width=800,
                  original_height=600, original_format="JPEG")
    db.session.add(photo)
    db.session.flush()
    return photo


@pytest.fixture
def world(app, make):
    area = make.area(name="Hjalmar Brantingsplatsen")
    walk = make.walk(area=area, title="Kvällsvandring")
    city = make.organization(name="Stadsmiljöförvaltningen")
    owner = make.organization(name="Bostadsbolaget", kind="property_owner")
    for code, org, sub in (("lighting", city, None), ("lighting", owner, ESTATE), ("litter", city, None)):
        service.save_rule(area, None, category_id=make.category(code).id, organization_id=org.id,
                          sub_area_raw=json.dumps(sub) if sub else "", sub_area_name="Gården" if sub else "")
    lamp = make.observation(walk=walk, lat=57.7230, lon=11.9560, text="Lampan är trasig")
    owner_lamp = make.observation(walk=walk, lat=57.7200, lon=11.9500, text="Mörk gård")
    litter = make.observation(walk=walk, category=make.category("litter"), text="=HYPERLINK(\"x\")")
    graffiti = make.observation(walk=walk, category=make.category("graffiti"), text="Klotter på muren")
    add_photo(app, lamp)
    db.session.commit()
    return {"area": area, "walk": walk, "city": city, "owner": owner, "lamp": lamp, "owner_lamp": owner_lamp,
            "litter": litter, "graffiti": graffiti}


def token(client, url="/reports"):
    return csrf_token_from(client.get(url).get_data(True))


def build(client, world):
    return client.post(f"/walks/{world['walk'].id}/reports", data={"csrf_token": token(client)})


def report_to(org) -> FaultReport:
    return db.session.scalar(sa.select(FaultReport).where(FaultReport.organization_id == org.id))


# --- routing rules ----------------------------------------------------------------------------------

def test_rules_page_lists_and_adds_a_rule(client, login, make, world):
    login()
    area = world["area"]
    page = client.get(f"/areas/{area.id}/routing")
    assert page.status_code == 200 and "Gården" in page.get_data(True)
    response = client.post(f"/areas/{area.id}/routing", data={
        "csrf_token": csrf_token_from(page.get_data(True)), "category_id": make.category("graffiti").id,
        "organization_id": world["owner"].id, "sub_area_name": "Gården", "sub_area": json.dumps(ESTATE)})
    assert response.status_code == 303
    assert service.route_fault(world["graffiti"]) is None  # the graffiti lies outside the estate
    rule = db.session.scalar(sa.select(RoutingRule).order_by(RoutingRule.id.desc()))
    assert rule.category.code == "graffiti" and rule.sub_area == ESTATE


@pytest.mark.parametrize("change, message", [
    ({"category_id": "999999"}, "Välj en känd kategori"),
    ({"organization_id": "999999"}, "Välj en känd mottagare"),
    ({"bad_email": True}, "är inte giltig"),
    ({"sub_area": "{not json"}, "JSON"),
])
def test_bad_rules_are_refused_with_the_message_next_to_the_field(client, login, make, world, change, message):
    login()
    area = world["area"]
    org = world["city"]
    if change.pop("bad_email", False):
        org = make.organization(report_email="felanmalan(at)example")
        db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule))
    data = {"csrf_token": token(client, f"/areas/{area.id}/routing"), "category_id": make.category("graffiti").id,
            "organization_id": org.id, "sub_area_name": "X", "sub_area": ""}
    data.update(change)
    response = client.post(f"/areas/{area.id}/routing", data=data)
    assert response.status_code == 400
    assert message in response.get_data(True) and 'class="error"' in response.get_data(True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == before


def test_edit_and_delete_a_rule(client, login, make, world):
    login()
    area = world["area"]
    rule = db.session.scalar(sa.select(RoutingRule).where(RoutingRule.sub_area_name != ""))
    page = client.get(f"/areas/{area.id}/routing/{rule.id}")
    assert page.status_code == 200 and "Gården" in page.get_data(True)
    response = client.post(f"/areas/{area.id}/routing/{rule.id}", data={
        "csrf_token": csrf_token_from(page.get_data(True)), "category_id": make.category("lighting").id,
        "organization_id": world["city"].id, "sub_area_name": "", "sub_area": ""})
    assert response.status_code == 303
    db.session.refresh(rule)
    assert rule.sub_area is None and rule.organization_id == world["city"].id
    response = client.post(f"/areas/{area.id}/routing/{rule.id}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 303 and db.session.get(RoutingRule, rule.id) is None


def test_a_viewer_cannot_change_rules_or_build_reports(client, login, make, world):
    login(make.user(role="viewer", areas=[world["area"]]))
    data = {"csrf_token": token(client), "category_id": make.category("graffiti").id,
            "organization_id": world["city"].id}
    assert client.post(f"/areas/{world['area'].id}/routing", data=data).status_code == 403
    assert build(client, world).status_code == 403


def test_pages_need_a_login(client, world):
    assert client.get("/reports").status_code in (302, 401)
    assert client.get(f"/areas/{world['area'].id}/routing").status_code in (302, 401)


# --- drafts -----------------------------------------------------------------------------------------

def test_build_from_a_walk_lists_drafts_and_the_faults_with_no_recipient(client, login, world):
    login()
    response = build(client, world)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(True)
    city, owner = report_to(world["city"]), report_to(world["owner"])
    assert {i.observation for i in city.items} == {world["lamp"], world["litter"]}
    assert [i.observation for i in owner.items] == [world["owner_lamp"]]
    assert city.reference in page and owner.reference in page
    assert "Ingen mottagare" in page and "Klotter på muren" in page


@pytest.mark.parametrize("clashes, status", [(1, 303), (3, 409)])
def test_a_reference_taken_at_the_same_moment_is_retried(client, login, world, monkeypatch, make, clashes, status):
    """Two coordinators building drafts at once may pick the same number: retry, never a 500."""
    login()
    taken = FaultReport(reference="TV-2026-0001", organization=make.organization())
    db.session.add(taken)
    db.session.commit()
    real, calls = service.next_reference, []

    def clashing(year):
        calls.append(year)
        return "TV-2026-0001" if len(calls) <= clashes else real(year)

    monkeypatch.setattr(service, "next_reference", clashing)
    response = build(client, world)
    assert response.status_code == status
    drafts = db.session.scalars(sa.select(FaultReport).where(FaultReport.id != taken.id)).all()
    assert len(drafts) == (2 if status == 303 else 0)


def test_edit_a_draft_cover_address_move_and_leave_out(client, login, world):
    login()
    build(client, world)
    city, owner = report_to(world["city"]), report_to(world["owner"])
    url = f"/reports/{city.id}"
    page = client.get(url)
    assert page.status_code == 200 and "SWEREF 99 TM" in page.get_data(True)
    csrf = csrf_token_from(page.get_data(True))
    assert client.post(f"{url}/cover", data={"csrf_token": csrf, "cover_text": "Hej! Se nedan."}).status_code == 303
    lamp_item = next(i for i in city.items if i.observation == world["lamp"])
    litter_item = next(i for i in city.items if i.observation == world["litter"])
    assert client.post(f"{url}/items/{lamp_item.id}/address",
                       data={"csrf_token": csrf, "address": "Hjalmar Brantingsgatan 3"}).status_code == 303
    assert client.post(f"{url}/items/{litter_item.id}/move",
                       data={"csrf_token": csrf, "target_id": owner.id}).status_code == 303
    assert client.post(f"{url}/items/{lamp_item.id}/remove", data={"csrf_token": csrf}).status_code == 303
    db.session.expire_all()
    assert city.cover_text == "Hej! Se nedan." and city.items == []
    assert {i.observation for i in owner.items} == {world["owner_lamp"], world["litter"]}
    assert world["lamp"].address == "Hjalmar Brantingsgatan 3"


def test_an_item_of_another_report_is_not_found(client, login, world):
    login()
    build(client, world)
    city, owner = report_to(world["city"]), report_to(world["owner"])
    response = client.post(f"/reports/{city.id}/items/{owner.items[0].id}/remove",
                           data={"csrf_token": token(client)})
    assert response.status_code == 404 and len(owner.items) == 1


def test_sending_an_empty_report_is_refused(client, login, world):
    login()
    build(client, world)
    owner = report_to(world["owner"])
    csrf = token(client)
    client.post(f"/reports/{owner.id}/items/{owner.items[0].id}/remove", data={"csrf_token": csrf})
    response = client.post(f"/reports/{owner.id}/send", data={"csrf_token": csrf})
    assert response.status_code == 400 and "inga punkter" in response.get_data(True)
    db.session.refresh(owner)
    assert owner.status == "draft" and owner.send_attempts == 0 and owner.sending_since is None


def test_a_missing_csrf_token_changes_nothing(client, login, world):
    login()
    build(client, world)
    city = report_to(world["city"])
    assert client.post(f"/reports/{city.id}/cover", data={"cover_text": "x"}).status_code == 400
    assert client.post(f"/reports/{city.id}/send").status_code == 400
    db.session.refresh(city)
    assert city.cover_text != "x" and city.status == "draft"


# --- outputs ----------------------------------------------------------------------------------------

def test_print_pdf_csv_and_xlsx(client, login, world):
    login()
    build(client, world)
    city = report_to(world["city"])
    page = client.get(f"/reports/{city.id}/print")
    assert page.status_code == 200
    html = page.get_data(True)
    assert city.reference in html and "Lampan är trasig" in html and "SWEREF 99 TM" in html
    assert f"/reports/{city.id}/photos/" in html

    pdf = client.get(f"/reports/{city.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert len(pdf.data) > 3000

    csv_response = client.get(f"/reports/{city.id}.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    text = csv_response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 3 and rows[1][0] == city.reference
    assert rows[0][11] == "Status" and {r[11] for r in rows[1:]} == {"Utkast"}  # words, not the code "draft"
    lamp_row = next(r for r in rows if r[3] == "Lampan är trasig")
    north, east = float(lamp_row[6]), float(lamp_row[7])
    assert 6_400_000 < north < 6_405_000 and 310_000 < east < 325_000  # Göteborg in SWEREF 99 TM
    litter_row = next(r for r in rows if "HYPERLINK" in r[3])
    assert litter_row[3].startswith("'=")  # no formula injection

    xlsx = client.get(f"/reports/{city.id}.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3 and values[0][0] == "Referens"
    assert {v[3] for v in values[1:]} == {"Lampan är trasig", "'=HYPERLINK(\"x\")"}
    assert {v[11] for v in values[1:]} == {"Utkast"}


def test_a_reports_photos_are_for_its_staff_only(client, login, world, app):
    build_client = app.test_client()
    login()
    build(client, world)
    city = report_to(world["city"])
    photo = world["lamp"].photos[0]
    url = f"/reports/{city.id}/photos/{photo.filename}"
    with client.get(url) as response:  # a file response: close it
        assert response.status_code == 200 and response.get_data()[:2] == b"\xff\xd8"
    assert build_client.get(url).status_code == 404
    assert client.get(f"/reports/{city.id}/photos/not-a-photo.jpg").status_code == 404


# --- statuses ---------------------------------------------------------------------------------------

def test_status_buttons_and_recipient_reference(client, login, world):
    user = login()
    build(client, world)
    city = report_to(world["city"])
    city.organization.report_channel = "paper"  # "sending" a paper report marks it handed over
    db.session.commit()
    csrf = token(client)
    assert client.post(f"/reports/{city.id}/send", data={"csrf_token": csrf}).status_code == 303
    db.session.refresh(city)
    assert city.status == "sent" and world["lamp"].status == "reported"
    assert client.post(f"/reports/{city.id}/external-ref",
                       data={"csrf_token": csrf, "external_ref": "SMF-2026-777"}).status_code == 303
    lamp_item = next(i for i in city.items if i.observation == world["lamp"])
    response = client.post(f"/reports/{city.id}/items/{lamp_item.id}/status",
                           data={"csrf_token": csrf, "status": "resolved", "reason": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert world["lamp"].status == "resolved" and city.external_ref == "SMF-2026-777"
    overview = client.get("/reports").get_data(True)
    assert city.reference in overview and "SMF-2026-777" in overview
    history = client.get(f"/reports/{city.id}").get_data(True).split("Historik", 1)[1]
    assert "Punkt åtgärdad" in history and "Skickad" in history and user.name in history


@pytest.mark.parametrize("data", [{"status": "rejected", "reason": ""}, {"status": "rejected", "reason": "bored"},
                                  {"status": "draft", "reason": ""}, {"status": "sent", "reason": ""}])
def test_bad_status_changes_are_refused(client, login, world, data):
    login()
    build(client, world)
    city = report_to(world["city"])
    city.organization.report_channel = "paper"
    db.session.commit()
    csrf = token(client)
    client.post(f"/reports/{city.id}/send", data={"csrf_token": csrf})
    response = client.post(f"/reports/{city.id}/status", data={"csrf_token": csrf, **data})
    assert response.status_code == 400
    db.session.refresh(city)
    assert city.status == "sent"


def test_observation_resolved_via_report_is_closed_in_open311(client, login, world):
    login()
    build(client, world)
    city = report_to(world["city"])
    city.organization.report_channel = "paper"
    db.session.commit()
    csrf = token(client)
    client.post(f"/reports/{city.id}/send", data={"csrf_token": csrf})
    client.post(f"/reports/{city.id}/status", data={"csrf_token": csrf, "status": "resolved", "reason": ""})
    key = create_api_key("stadens-system", world["city"].id)
    db.session.commit()
    (read,) = client.get(f"/open311/v2/requests/{world['lamp'].id}.json?api_key={key}").get_json()
    assert read["status"] == "closed" and read["agency_responsible"] == "Stadsmiljöförvaltningen"
    assert db.session.get(Observation, world["lamp"].id).status == "resolved"


# --- who sees and changes what ----------------------------------------------------------------------

@pytest.fixture
def people(make, world):
    there = make.area(name="Annanstans")
    world["city"].areas.append(world["area"])
    service.build_drafts(world["walk"].observations, None)
    people = {"there": there, "stranger": make.user(role="coordinator", areas=[there]),
              "viewer": make.user(role="viewer", areas=[world["area"]]),
              "coordinator": make.user(role="coordinator", areas=[world["area"]])}
    db.session.commit()
    return people


def report_reads(world):
    city = report_to(world["city"])
    item = city.items[0].id
    return [f"/reports/{city.id}", f"/reports/{city.id}/print", f"/reports/{city.id}.pdf",
            f"/reports/{city.id}.csv", f"/reports/{city.id}.xlsx", f"/reports/{city.id}/items/{item}/map.png",
            f"/areas/{world['area'].id}/routing", f"/reports?walk={world['walk'].id}"]


def report_writes(world):
    city = report_to(world["city"])
    item, area = city.items[0].id, world["area"].id
    rule = db.session.scalar(sa.select(RoutingRule).where(RoutingRule.area_id == area))
    return [(f"/reports/{city.id}/cover", {"cover_text": "x"}), (f"/reports/{city.id}/items/{item}/remove", {}),
            (f"/reports/{city.id}/items/{item}/address", {"address": "x"}), (f"/reports/{city.id}/delete", {}),
            (f"/reports/{city.id}/send", {}), (f"/walks/{world['walk'].id}/reports", {}),
            (f"/areas/{area}/routing", {"category_id": "1", "organization_id": str(world["city"].id)}),
            (f"/areas/{area}/routing/{rule.id}/delete", {}),
            (f"/areas/{area}/routing/open311", {"open311_public": "y"})]


def test_a_coordinator_of_another_area_finds_no_report_here(client, login, world, people):
    login(people["stranger"])
    for url in report_reads(world):
        assert client.get(url).status_code == 404, url
    csrf = token(client)
    for url, data in report_writes(world):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    page = client.get("/reports").get_data(True)
    assert report_to(world["city"]).reference not in page and "Kvällsvandring" not in page
    assert report_to(world["city"]).status == "draft" and not world["area"].open311_public


def test_a_viewer_reads_reports_and_changes_nothing(client, login, world, people):
    login(people["viewer"])
    for url in report_reads(world):
        assert client.get(url).status_code == 200, url
    csrf = token(client)
    for url, data in report_writes(world):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert report_to(world["city"]).reference in client.get("/reports").get_data(True)


def test_the_areas_coordinator_publishes_on_open311_and_the_join_page_says_so(client, login, world, people):
    join = f"/j/{world['walk'].join_code}"
    assert "Open311" not in client.get(join).get_data(True)
    login(people["coordinator"])
    response = client.post(f"/areas/{world['area'].id}/routing/open311",
                           data={"open311_public": "y", "csrf_token": token(client)})
    assert response.status_code == 303 and db.session.get(type(world["area"]), world["area"].id).open311_public
    assert "Open311" in client.get(join).get_data(True)
    ids = {r["service_request_id"] for r in client.get("/open311/v2/requests.json").get_json()}
    assert str(world["lamp"].id) in ids and str(world["graffiti"].id) in ids
    client.post(f"/areas/{world['area'].id}/routing/open311", data={"csrf_token": token(client)})
    assert client.get("/open311/v2/requests.json").get_json() == []


def test_a_report_is_moved_only_to_a_draft_the_user_may_change(client, login, make, world, people):
    elsewhere = make.fault_report([make.observation(walk=make.walk(area=people["there"]))])
    db.session.commit()
    login(people["coordinator"])
    city = report_to(world["city"])
    response = client.post(f"/reports/{city.id}/items/{city.items[0].id}/move",
                           data={"target_id": str(elsewhere.id), "csrf_token": token(client)})
    assert response.status_code == 400 and len(elsewhere.items) == 1
