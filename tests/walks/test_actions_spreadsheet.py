"""The action plan as XLSX and CSV: round trip, all-or-nothing import, row-level errors."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from walks.actions import service, spreadsheet
from walks.extensions import db
from walks.models import ActionItem, ActionUpdate

HEADERS = ["ID", "Åtgärd", "Beskrivning", "Ansvarig aktör", "Kontaktperson", "Mandat", "Resurser", "Start",
           "Klart senast", "Vad ska uppnås", "Indikatorer", "Vad har vi uppnått", "Tidshorisont", "Prioritet",
           "Status"]


@pytest.fixture
def plan(make):
    user = make.user()
    walk = make.walk()
    area = walk.area
    org = make.organization(name="Bostadsbolaget", kind="property_owner")
    org.areas.append(area)
    contact = make.contact(organization=org, name="Lena Holm")
    police = make.organization(name="Polisen", kind="police")
    first = service.create_action(area, {
        "title": "Beskär buskar vid gångvägen", "description": "Skymmer sikten", "organization_id": org.id,
        "contact_id": contact.id, "start_date": dt.date(2026, 4, 1), "due_date": dt.date(2026, 5, 31),
        "goal": "Fri sikt", "indicators": "Trygghet på nästa vandring", "horizon": "short", "priority": "high",
        "status": "planned"}, user)
    second = service.create_action(area, {"title": "=SUM(1,2) ska vara text", "organization_id": police.id,
                                          "horizon": "medium"}, user)
    db.session.commit()
    return user, area, org, contact, police, first, second


def workbook_of(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def saved(workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def count_actions():
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActionItem))


def test_export_has_the_collaborations_columns_and_values(plan):
    user, area, org, contact, police, first, second = plan
    sheet = workbook_of(spreadsheet.export_xlsx(area))["Åtgärdsplan"]
    assert [c.value for c in sheet[1]] == HEADERS
    row = {h: c.value for h, c in zip(HEADERS, sheet[2])}
    assert row["ID"] == first.id and row["Ansvarig aktör"] == "Bostadsbolaget" and row["Kontaktperson"] == "Lena Holm"
    assert row["Start"] == dt.datetime(2026, 4, 1) and row["Klart senast"] == dt.datetime(2026, 5, 31)
    assert (row["Tidshorisont"], row["Prioritet"], row["Status"]) == ("Kort (1–2 år)", "Hög", "Planerad")
    formula_like = sheet.cell(3, 2)
    assert formula_like.value == "'=SUM(1,2) ska vara text" and formula_like.data_type == "s"


def test_unchanged_round_trip_changes_nothing(plan):
    user, area, *_ = plan
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate))
    result = spreadsheet.import_xlsx(area, io.BytesIO(spreadsheet.export_xlsx(area)), user)
    assert result.ok and result.unchanged == 2 and not result.created and not result.updated
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionUpdate)) == before


def test_edit_in_a_spreadsheet_updates_the_same_items_and_adds_new_rows(plan):
    user, area, org, contact, police, first, second = plan
    workbook = workbook_of(spreadsheet.export_xlsx(area))
    sheet = workbook["Åtgärdsplan"]
    col = {h: i + 1 for i, h in enumerate(HEADERS)}
    sheet.cell(2, col["Status"], "Pågår")
    sheet.cell(2, col["Klart senast"], dt.date(2026, 6, 15))
    sheet.cell(2, col["Vad har vi uppnått"], "Hälften beskuret")
    sheet.cell(3, col["Status"], "planerad")  # lower case, as people type
    sheet.append([None, "Ny belysning i tunneln", "", "Polisen", "", "", "", "2026-07-01", "2026-09-30", "",
                  "", "", "Lång", "Låg", ""])
    result = spreadsheet.import_xlsx(area, saved(workbook), user)
    assert result.ok, result.errors
    assert [a.id for a in result.updated] == [first.id, second.id] and len(result.created) == 1
    db.session.commit()
    db.session.refresh(first)
    assert first.status == "in_progress" and first.due_date == dt.date(2026, 6, 15)
    assert first.outcome == "Hälften beskuret" and first.contact is contact
    log = first.updates[-1]
    assert log.changes["status"] == ["planned", "in_progress"]
    assert log.comment in ("Imported from a spreadsheet.", "Importerat från ett kalkylark.")
    new = result.created[0]
    assert (new.title, new.organization, new.horizon, new.priority, new.status) == \
        ("Ny belysning i tunneln", police, "long", "low", "proposed")
    assert new.start_date == dt.date(2026, 7, 1)
    assert count_actions() == 3


def edited(area, change):
    workbook = workbook_of(spreadsheet.export_xlsx(area))
    change(workbook["Åtgärdsplan"])
    return saved(workbook)


def set_cell(header, value, row=2):
    def change(sheet):
        sheet.cell(row, HEADERS.index(header) + 1).value = value
    return change


@pytest.mark.parametrize("change, row, column, words", [
    (set_cell("Klart senast", "nästa vår"), 2, "Klart senast", "date"),
    (set_cell("Start", "2026-13-45"), 2, "Start", "date"),
    (set_cell("Ansvarig aktör", "Okänd Förvaltning AB"), 2, "Ansvarig aktör", "Unknown actor"),
    (set_cell("Kontaktperson", "Ingen Alls"), 2, "Kontaktperson", "not a contact"),
    (set_cell("Status", "Färdig"), 2, "Status", "Unknown value"),
    (set_cell("Status", "Klar", row=3), 3, "Status", "cannot become"),
    (set_cell("Tidshorisont", "evig"), 2, "Tidshorisont", "Unknown value"),
    (set_cell("Start", dt.date(2026, 6, 1)), 2, "Klart senast", "before the start"),
    (set_cell("ID", 99999), 2, "ID", "no action with ID"),
    (set_cell("ID", "abc"), 2, "ID", "whole number"),
    (set_cell("Åtgärd", None), 2, "Åtgärd", "what is to be done"),
    (set_cell("Åtgärd", "Titel", row=1), 1, "B", "Unknown column"),
    (lambda sheet: sheet.delete_cols(HEADERS.index("Mandat") + 1), 1, "Mandat", "missing"),
    (lambda sheet: sheet.cell(3, 1, sheet.cell(2, 1).value), 3, "ID", "also on row 2"),
])
def test_bad_rows_are_listed_and_nothing_is_imported(plan, change, row, column, words):
    user, area, org, contact, police, first, second = plan
    good_edit = set_cell("Vad har vi uppnått", "Detta får inte sparas", row=2)

    def both(sheet):
        good_edit(sheet)
        sheet.append([None, "En ny rad som inte får skapas"] + [None] * 13)
        change(sheet)

    with force_locale("en"):
        result = spreadsheet.import_xlsx(area, edited(area, both), user)
    assert not result.ok
    assert any(e.row == row and e.column == column and words.lower() in e.message.lower() for e in result.errors), \
        result.errors
    db.session.rollback()
    db.session.refresh(first)
    assert first.outcome == "" and count_actions() == 2


def test_several_errors_are_all_listed(plan):
    user, area, *_ = plan

    def change(sheet):
        sheet.cell(2, HEADERS.index("Klart senast") + 1, "snart")
        sheet.cell(3, HEADERS.index("Ansvarig aktör") + 1, "Ingen")
    result = spreadsheet.import_xlsx(area, edited(area, change), user)
    assert {(e.row, e.column) for e in result.errors} == {(2, "Klart senast"), (3, "Ansvarig aktör")}


@pytest.mark.parametrize("data", [
    b"ID;Atgard\n1;Lampa\n",
    b"%PDF-1.4 not a workbook",
    b"PK\x03\x04 broken zip",
    b"",
])
def test_a_file_that_is_not_xlsx_is_refused(plan, data):
    user, area, *_ = plan
    with force_locale("en"):
        with pytest.raises(spreadsheet.ImportFileError) as caught:
            spreadsheet.import_xlsx(area, io.BytesIO(data), user)
        assert "not an Excel workbook (.xlsx)" in str(caught.value)


def test_a_zip_that_is_not_a_workbook_is_refused(plan):
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hej")
    buffer.seek(0)
    with pytest.raises(spreadsheet.ImportFileError):
        spreadsheet.import_xlsx(plan[1], buffer, plan[0])


def test_ids_of_another_area_are_refused(plan, make):
    user, area, org, contact, police, first, second = plan
    other_area = make.area()
    result = spreadsheet.import_xlsx(other_area, io.BytesIO(spreadsheet.export_xlsx(area)), user)
    assert not result.ok and all(e.column == "ID" for e in result.errors)


def test_csv_export(plan):
    user, area, org, contact, police, first, second = plan
    rows = list(csv.reader(io.StringIO(spreadsheet.export_csv(area))))
    assert rows[0] == HEADERS
    assert rows[1][0] == str(first.id) and rows[1][7] == "2026-04-01" and rows[1][14] == "Planerad"
    assert rows[2][1].startswith("'=")


def test_done_when_three_observations_to_overdue(make):
    """Issue 6's "done when", parts 1–4: observations → action → XLSX → edited → imported → overdue."""
    user = make.user()
    walk = make.walk()
    area = walk.area
    owner = make.organization(name="Bostadsbolaget", kind="property_owner")
    owner.areas.append(area)
    make.contact(organization=owner, name="Lena Holm")
    observations = [make.observation(walk=walk, text=t) for t in ("Trasig lampa", "Mörk entré", "Släckt stolpe")]
    chosen = service.area_observations(area, [o.id for o in observations])
    action = service.create_action(area, {"title": service.suggested_title(chosen), "organization_id": owner.id,
                                          "due_date": dt.date(2026, 6, 30)}, user, chosen)
    db.session.commit()
    assert [o.status for o in observations] == ["in_action"] * 3

    workbook = workbook_of(spreadsheet.export_xlsx(area))
    sheet = workbook.active
    col = {c.value: c.column for c in sheet[1]}
    assert sheet.cell(2, col["ID"]).value == action.id
    sheet.cell(2, col["Klart senast"]).value = dt.datetime(2026, 8, 31)
    sheet.cell(2, col["Status"]).value = "Planerad"
    sheet.cell(2, col["Kontaktperson"]).value = "Lena Holm"
    result = spreadsheet.import_xlsx(area, saved(workbook), user)
    assert result.ok and [a.id for a in result.updated] == [action.id] and not result.created
    db.session.commit()
    assert count_actions() == 1
    assert action.due_date == dt.date(2026, 8, 31) and action.status == "planned"
    assert action.contact.name == "Lena Holm"

    before = service.meeting_overview(area, dt.date(2026, 8, 31))
    [(org, [listed])] = before["groups"]
    assert org is owner and listed is action and before["overdue_count"] == 0
    after = service.meeting_overview(area, dt.date(2026, 9, 1))
    [(org, [listed])] = after["groups"]
    assert listed is action and after["overdue_count"] == 1 and service.is_overdue(action, dt.date(2026, 9, 1))
