"""The demo's actors and action plan: loaded through the demo's hooks, and usable for issue 6's story."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from walks import demo
from walks.actions import service
from walks.actions.demo import load_demo as load_actions
from walks.actors.demo import ACTORS
from walks.actors.demo import load_demo as load_actors
from walks.extensions import db
from walks.models import ActionItem, Meeting, Organization, utcnow


def test_demo_hooks_load_actors_and_plan(app):
    loaded = demo.load_demo()
    messages = demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    assert "walks.actors.demo: loaded" in messages and "walks.actions.demo: loaded" in messages, messages
    db.session.commit()
    area = loaded["area"]
    names = {o.name for o in area.organizations}
    assert set(ACTORS) <= names
    owner = db.session.scalar(sa.select(Organization).where(Organization.name == "Bostadsbolaget"))
    assert owner.kind == "property_owner" and owner.report_email and 1 <= len(owner.contacts) <= 2
    assert all(c.email.endswith("example.se") and c.phone.startswith("031-") for o in area.organizations
               if o.name in ACTORS for c in o.contacts)

    today = utcnow().date()
    actions = service.plan(area)
    assert len(actions) == 7
    assert {a.status for a in actions} == {"proposed", "planned", "in_progress", "done"}
    overview = service.meeting_overview(area, today)
    assert overview["last_meeting"] is not None and overview["overdue_count"] == 1
    assert len(overview["changes"]) == 2  # only what happened after the meeting
    assert len(overview["new_observations"]) == len(loaded["walks"][1].observations)
    # Enough new observations are left for a coordinator to make an action from three of them.
    first_walk_new = [o for o in loaded["walks"][0].observations if o.status == "new"]
    assert len(first_walk_new) >= 3
    resolved = [o for o in loaded["walks"][0].observations if o.status == "resolved"]
    # Fixed by actions (lighting, the transit stop) and by the housing company's answered fault report.
    assert {o.category.code for o in resolved} == {"lighting", "vegetation", "transit_stop", "abandoned_vehicles"}


def test_loading_twice_reuses_the_actors(make):
    user, walk = make.user(), make.walk()
    load_actors(walk.area, [walk], user)
    second_area = make.area()
    load_actors(second_area, [], user)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == len(ACTORS)
    assert all(second_area in o.areas and walk.area in o.areas for o in second_area.organizations)


def test_action_demo_without_observations(make):
    user, walk = make.user(), make.walk()
    load_actors(walk.area, [walk], user)
    actions = load_actions(walk.area, [walk], user)
    assert len(actions) == 7 and all(a.observations == [] for a in actions)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1
    overdue = [a for a in actions if service.is_overdue(a, utcnow().date())]
    assert [a.title for a in overdue] == ["Belysning och insyn i gångtunneln under Lundbyleden"]
    assert overdue[0].due_date == utcnow().date() - dt.timedelta(days=20)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionItem)) == 7


def test_done_when_from_the_demo(app):
    """Issue 6, parts 1–4, on the demo: three observations become an action for the property owner with a
    due date; the plan goes to XLSX, is edited as in a spreadsheet and comes back; after the due date
    the meeting view shows it overdue."""
    import io

    import openpyxl

    from walks.actions import spreadsheet

    loaded = demo.load_demo()
    demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    db.session.commit()
    area, user = loaded["area"], loaded["coordinator"]
    owner = db.session.scalar(sa.select(Organization).where(Organization.name == "Bostadsbolaget"))
    three = [o for o in loaded["walks"][0].observations if o.status == "new"][:3]
    chosen = service.area_observations(area, [o.id for o in three])
    due = utcnow().date() + dt.timedelta(days=10)
    action = service.create_action(area, {"title": "Städa och laga runt cykelstället", "organization": owner,
                                          "due_date": due}, user, chosen)
    db.session.commit()
    assert all(o.status == "in_action" for o in three)
    before = {a.id for a in service.plan(area)}

    workbook = openpyxl.load_workbook(io.BytesIO(spreadsheet.export_xlsx(area)))
    sheet = workbook["Åtgärdsplan"]
    col = {c.value: c.column for c in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col["ID"]).value == action.id)
    sheet.cell(row, col["Kontaktperson"]).value = "Lena Holm"
    sheet.cell(row, col["Status"]).value = "Planerad"
    sheet.cell(row, col["Vad ska uppnås"]).value = "Helt och rent vid cykelstället"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    result = spreadsheet.import_xlsx(area, buffer, user)
    assert result.ok, result.errors
    assert [a.id for a in result.updated] == [action.id] and not result.created
    db.session.commit()
    assert {a.id for a in service.plan(area)} == before
    assert (action.status, action.contact.name, action.goal) == ("planned", "Lena Holm",
                                                                 "Helt och rent vid cykelstället")

    on_time = service.meeting_overview(area, due)
    late = service.meeting_overview(area, due + dt.timedelta(days=1))
    owner_actions = dict(late["groups"])[owner]
    assert action in owner_actions and not service.is_overdue(action, due)
    assert service.is_overdue(action, due + dt.timedelta(days=1))
    assert late["overdue_count"] == on_time["overdue_count"] + 1
