"""The action plan over HTTP: plan page, forms, from observations, status, import, meeting."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from walks.actions import service, spreadsheet
from walks.extensions import db
from walks.models import ActionItem, ActionUpdate, Meeting

from ..conftest import csrf_token_from


def token(client):
    return csrf_token_from(client.get("/actions").get_data(True))


@pytest.fixture
def area_setup(make):
    walk = make.walk()
    area = walk.area
    owner = make.organization(name="Bostadsbolaget", kind="property_owner")
    owner.areas.append(area)
    contact = make.contact(organization=owner, name="Lena Holm")
    db.session.commit()
    return area, walk, owner, contact


def action_form(**overrides):
    data = {"title": "Beskär buskarna", "description": "", "organization_id": "0", "contact_id": "0",
            "mandate": "", "resources": "", "start_date": "", "due_date": "", "goal": "", "indicators": "",
            "outcome": "", "horizon": "short", "priority": "medium", "status": "proposed", "comment": ""}
    data.update(overrides)
    return data


def count_actions():
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActionItem))


def test_nav_link_and_area_list(client, login, area_setup):
    login()
    area = area_setup[0]
    page = client.get("/actions").get_data(True)
    assert 'href="/actions"' in page and area.name in page
    assert client.get(f"/areas/{area.id}/actions").status_code == 200
    assert client.get("/areas/99999/actions").status_code == 404


def test_create_from_observations_then_plan_shows_it(client, login, area_setup, make):
    login()
    area, walk, owner, contact = area_setup
    observations = [make.observation(walk=walk, area=walk.area, text=f"Lampa {n}") for n in range(3)]
    db.session.commit()
    ids = [str(o.id) for o in observations]
    page = client.post(f"/areas/{area.id}/actions/from-observations",
                       data={"csrf_token": token(client), "observation_ids": ids})
    assert page.status_code == 200
    html = page.get_data(True)
    assert "Belysning" in html and "Lampa 2" in html and html.count('name="observation_ids"') == 3
    assert count_actions() == 0  # the form only; nothing stored yet
    response = client.post(f"/areas/{area.id}/actions/new", data=action_form(
        csrf_token=token(client), observation_ids=ids, title="Byt belysning", organization_id=str(owner.id),
        contact_id=str(contact.id), due_date="2026-06-30"))
    assert response.status_code == 302, response.get_data(True)
    action = db.session.scalar(sa.select(ActionItem))
    assert {o.id for o in action.observations} == {o.id for o in observations}
    assert action.organization == owner and action.due_date == dt.date(2026, 6, 30)
    assert all(o.status == "in_action" for o in observations)
    plan = client.get(f"/areas/{area.id}/actions").get_data(True)
    assert "Byt belysning" in plan and "Bostadsbolaget" in plan and "2026-06-30" in plan


def test_from_observations_also_takes_a_comma_list(client, login, area_setup, make):
    login()
    area, walk, *_ = area_setup
    a, b = make.observation(walk=walk, area=walk.area), make.observation(walk=walk, area=walk.area)
    db.session.commit()
    page = client.post(f"/areas/{area.id}/actions/from-observations",
                       data={"csrf_token": token(client), "observation_ids": f"{a.id},{b.id}"})
    assert page.status_code == 200 and page.get_data(True).count('name="observation_ids"') == 2


@pytest.mark.parametrize("ids", [[], ["abc"], ["99999"], "foreign"])
def test_from_observations_refuses_bad_ids(client, login, area_setup, make, ids):
    login()
    area = area_setup[0]
    if ids == "foreign":
        ids = [str(make.observation().id)]
        db.session.commit()
    response = client.post(f"/areas/{area.id}/actions/from-observations",
                           data={"csrf_token": token(client), "observation_ids": ids})
    assert response.status_code == 400
    response = client.post(f"/areas/{area.id}/actions/new",
                           data=action_form(csrf_token=token(client), observation_ids=ids))
    assert response.status_code == 400 if ids else response.status_code == 302
    assert count_actions() == (0 if ids else 1)


@pytest.mark.parametrize("overrides, message", [
    ({"start_date": "2026-06-01", "due_date": "2026-05-01"}, "före startdatum"),
    ({"due_date": "31/12"}, ""),
    ({"title": ""}, ""),
    ({"horizon": "forever"}, ""),
    ({"contact_id": "CONTACT", "organization_id": "0"}, "ansvariga aktören"),
])
def test_bad_action_form_shows_errors_and_stores_nothing(client, login, area_setup, overrides, message):
    login()
    area, walk, owner, contact = area_setup
    if overrides.get("contact_id") == "CONTACT":
        overrides = {**overrides, "contact_id": str(contact.id)}
    response = client.post(f"/areas/{area.id}/actions/new", data=action_form(csrf_token=token(client), **overrides))
    assert response.status_code == 400
    html = response.get_data(True)
    assert 'class="error"' in html and message in html
    assert count_actions() == 0


def test_edit_offers_only_allowed_statuses_and_refuses_a_jump(client, login, area_setup):
    user = login()
    area = area_setup[0]
    action = service.create_action(area, {"title": "Städa tunneln"}, user)
    db.session.commit()
    html = client.get(f"/actions/{action.id}/edit").get_data(True)
    assert 'value="planned"' in html and 'value="done"' not in html
    response = client.post(f"/actions/{action.id}/edit", data=action_form(csrf_token=token(client), status="done"))
    assert response.status_code == 400
    db.session.refresh(action)
    assert action.status == "proposed"


def test_status_change_logged_and_resolves_observations(client, login, area_setup, make):
    user = login()
    area, walk, *_ = area_setup
    obs = make.observation(walk=walk, area=walk.area)
    action = service.create_action(area, {"title": "Lampa", "status": "in_progress"}, user, [obs])
    db.session.commit()
    response = client.post(f"/actions/{action.id}/status", data={
        "csrf_token": token(client), "status": "done", "comment": "Lampan bytt", "resolve_observations": "y"})
    assert response.status_code == 302
    db.session.refresh(action)
    db.session.refresh(obs)
    assert action.status == "done" and obs.status == "resolved"
    page = client.get(f"/actions/{action.id}").get_data(True)
    assert "Lampan bytt" in page and "klar" in page
    # A finished action cannot be cancelled.
    response = client.post(f"/actions/{action.id}/status", data={"csrf_token": token(client), "status": "cancelled"})
    assert response.status_code == 409
    assert "kan inte bli" in response.get_data(True)


def test_comment_and_unlink(client, login, area_setup, make):
    user = login()
    area, walk, *_ = area_setup
    obs = make.observation(walk=walk, area=walk.area)
    action = service.create_action(area, {"title": "Lampa"}, user, [obs])
    db.session.commit()
    assert client.post(f"/actions/{action.id}/comment", data={"csrf_token": token(client), "comment": "Ringt"}
                       ).status_code == 302
    assert client.post(f"/actions/{action.id}/observations/{obs.id}/unlink",
                       data={"csrf_token": token(client)}).status_code == 302
    db.session.refresh(action)
    assert action.observations == [] and action.updates[-2].comment == "Ringt"


def test_export_and_import_over_http(client, login, area_setup):
    user = login()
    area, walk, owner, contact = area_setup
    action = service.create_action(area, {"title": "Lampa", "organization_id": owner.id}, user)
    db.session.commit()
    response = client.get(f"/areas/{area.id}/actions.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    sheet.cell(2, 9).value = dt.date(2026, 9, 1)  # Klart senast
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(f"/areas/{area.id}/actions/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(buffer.getvalue()), "plan.xlsx")})
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.due_date == dt.date(2026, 9, 1)
    csv_response = client.get(f"/areas/{area.id}/actions.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert "Klart senast" in csv_response.get_data(True)


@pytest.mark.parametrize("cell, value, shown", [
    (9, "snart", "inte ett datum"),
    (4, "Okänd AB", "Okänd aktör"),
    (15, "Färdig", "Okänt värde"),
])
def test_import_errors_are_listed_on_the_page(client, login, area_setup, cell, value, shown):
    user = login()
    area, walk, owner, contact = area_setup
    action = service.create_action(area, {"title": "Lampa"}, user)
    db.session.commit()
    workbook = openpyxl.load_workbook(io.BytesIO(spreadsheet.export_xlsx(area)))
    workbook.active.cell(2, 2).value = "Ny titel som inte får sparas"
    workbook.active.cell(2, cell).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(f"/areas/{area.id}/actions/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(buffer.getvalue()), "plan.xlsx")})
    assert response.status_code == 400
    html = response.get_data(True)
    assert "ingenting importerades" in html and shown in html and "<td>2</td>" in html
    db.session.refresh(action)
    assert action.title == "Lampa"


def test_import_of_a_file_that_is_not_xlsx(client, login, area_setup):
    login()
    area = area_setup[0]
    response = client.post(f"/areas/{area.id}/actions/import", data={
        "csrf_token": token(client), "file": (io.BytesIO(b"ID,Atgard\n1,x\n"), "plan.csv")})
    assert response.status_code == 400 and ".xlsx" in response.get_data(True)
    assert count_actions() == 0


def test_meeting_page_records_notes_linked_to_actions(client, login, area_setup):
    user = login()
    area, walk, owner, contact = area_setup
    late = service.create_action(area, {"title": "Sen åtgärd", "organization_id": owner.id,
                                        "due_date": dt.date.today() - dt.timedelta(days=2)}, user)
    db.session.commit()
    page = client.get(f"/areas/{area.id}/meeting").get_data(True)
    assert "Sen åtgärd" in page and "försenad" in page and "Bostadsbolaget" in page
    agenda = client.get(f"/areas/{area.id}/meeting/agenda").get_data(True)
    assert "Dagordning" in agenda and "Sen åtgärd" in agenda
    response = client.post(f"/areas/{area.id}/meetings", data={
        "csrf_token": token(client), "held_on": dt.date.today().isoformat(), "title": "Möte 3",
        "notes": "Gick igenom listan", "decisions": "Bostadsbolaget återkommer", "action_ids": [str(late.id)]})
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting.actions == [late]
    assert "Bostadsbolaget återkommer" in client.get(f"/meetings/{meeting.id}").get_data(True)
    assert "Möte 3" in client.get(f"/actions/{late.id}").get_data(True)


@pytest.mark.parametrize("data", [
    {"held_on": "", "notes": "x"},
    {"held_on": "2026-01-01", "notes": "", "decisions": ""},
    {"held_on": "2026-01-01", "notes": "x", "action_ids": ["99999"]},
])
def test_bad_meeting_is_refused(client, login, area_setup, data):
    login()
    area = area_setup[0]
    response = client.post(f"/areas/{area.id}/meetings", data={"csrf_token": token(client), **data})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_viewer_sees_the_plan_but_cannot_change_it(client, login, area_setup, make):
    area = area_setup[0]
    login(make.user(role="viewer", areas=[area]))
    html = client.get(f"/areas/{area.id}/actions").get_data(True)
    assert "Ny åtgärd" not in html
    assert client.get(f"/areas/{area.id}/actions/new").status_code == 403
    assert client.post(f"/areas/{area.id}/actions/new", data=action_form(csrf_token=token(client))).status_code == 403
    assert client.get(f"/areas/{area.id}/meeting").status_code == 200
    assert count_actions() == 0


def test_pages_in_english(client, login, area_setup):
    user = login()
    area, walk, owner, contact = area_setup
    service.create_action(area, {"title": "Lampa", "organization_id": owner.id, "status": "planned",
                                 "due_date": dt.date.today() - dt.timedelta(days=1)}, user)
    db.session.commit()
    client.set_cookie("lang", "en")
    plan = client.get(f"/areas/{area.id}/actions").get_data(True)
    assert "Action plan" in plan and "overdue" in plan and "planned" in plan
    meeting = client.get(f"/areas/{area.id}/meeting").get_data(True)
    assert "Due within 30 days or overdue" in meeting
    assert "Kind of actor" in client.get("/actors").get_data(True)


# --- who sees and changes what ----------------------------------------------------------------------

@pytest.fixture
def other_area_plan(make, area_setup):
    """An action and a meeting in area_setup's area, and the people of another area."""
    area, walk, owner, contact = area_setup
    action = make.action([make.observation(walk=walk, area=area)], area_id=area.id)
    meeting = make.meeting(area=area)
    there = make.area(name="Annanstans")
    db.session.commit()
    return {"area": area, "action": action, "meeting": meeting, "there": there,
            "stranger": make.user(role="coordinator", areas=[there]),
            "viewer": make.user(role="viewer", areas=[area]),
            "coordinator": make.user(role="coordinator", areas=[area])}


def plan_reads(world):
    area, action = world["area"].id, world["action"].id
    return [f"/areas/{area}/actions", f"/actions/{action}", f"/areas/{area}/actions.xlsx",
            f"/areas/{area}/actions.csv", f"/areas/{area}/meeting", f"/areas/{area}/meeting/agenda",
            f"/meetings/{world['meeting'].id}"]


def plan_writes(world):
    area, action = world["area"].id, world["action"].id
    obs = world["action"].observations[0].id
    return [(f"/areas/{area}/actions/new", action_form()), (f"/actions/{action}/edit", action_form()),
            (f"/actions/{action}/status", {"status": "in_progress"}), (f"/actions/{action}/comment", {"comment": "x"}),
            (f"/actions/{action}/observations/{obs}/unlink", {}),
            (f"/areas/{area}/meetings", {"held_on": "2026-01-01", "notes": "x"})]


def test_a_coordinator_of_another_area_finds_nothing(client, login, other_area_plan):
    world = other_area_plan
    login(world["stranger"])
    for url in plan_reads(world):
        assert client.get(url).status_code == 404, url
    csrf = token(client)
    for url, data in plan_writes(world):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    page = client.get("/actions").get_data(True)
    assert world["area"].name not in page and "Annanstans" in page
    assert db.session.get(ActionItem, world["action"].id).status == "planned"


def test_a_viewer_reads_the_plan_and_changes_nothing(client, login, other_area_plan):
    world = other_area_plan
    login(world["viewer"])
    for url in plan_reads(world):
        assert client.get(url).status_code == 200, url
    csrf = token(client)
    for url, data in plan_writes(world):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert "Annanstans" not in client.get("/actions").get_data(True)


def test_the_areas_coordinator_changes_the_plan(client, login, other_area_plan):
    world = other_area_plan
    login(world["coordinator"])
    response = client.post(f"/actions/{world['action'].id}/status",
                           data={"status": "in_progress", "csrf_token": token(client)})
    assert response.status_code == 302
    assert db.session.get(ActionItem, world["action"].id).status == "in_progress"


def test_the_actor_list_offers_only_actors_the_coordinator_may_see(client, login, other_area_plan, make):
    world = other_area_plan
    hidden = make.organization(name="Annan förvaltning")
    hidden.areas.append(world["there"])
    db.session.commit()
    login(world["coordinator"])
    page = client.get(f"/areas/{world['area'].id}/actions/new").get_data(True)
    assert "Bostadsbolaget" in page and "Annan förvaltning" not in page
    response = client.post(f"/areas/{world['area'].id}/actions/new",
                           data=action_form(organization_id=str(hidden.id), csrf_token=token(client)))
    assert response.status_code == 400 and db.session.scalar(
        sa.select(sa.func.count()).select_from(ActionItem).where(ActionItem.organization_id == hidden.id)) == 0


def test_the_action_log_shows_the_areas_local_time(client, login, area_setup):
    user = login()
    action = service.create_action(area_setup[0], {"title": "Lampa"}, user)
    action.updates[0].at = dt.datetime(2026, 1, 15, 12, 0)  # UTC; 13:00 in Göteborg (CET)
    db.session.add(ActionUpdate(action=action, at=dt.datetime(2026, 7, 1, 21, 30), comment="Sommar"))
    db.session.commit()
    page = client.get(f"/actions/{action.id}").get_data(True)
    assert "2026-01-15 13:00" in page and "2026-07-01 23:30" in page  # CEST in summer
    assert "UTC" not in page
