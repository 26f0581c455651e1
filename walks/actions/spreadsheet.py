"""The action plan as a spreadsheet (XLSX with openpyxl, and CSV), in the collaboration's own words.

Round trip: export, edit in Excel or LibreOffice, import. Rows with an ID update that action; rows
without one create a new action. The import is all or nothing: every problem is listed with its row,
column and a message, and then nothing is changed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

import openpyxl
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..extensions import db
from ..models import ActionItem, Area, Organization
from ..spreadsheets import read_cell, safe_cell
from . import service

SHEET_NAME = "Åtgärdsplan"
# (field, header as the collaborations write it, column width)
COLUMNS = (
    ("id", "ID", 6),
    ("title", "Åtgärd", 36),
    ("description", "Beskrivning", 40),
    ("organization", "Ansvarig aktör", 26),
    ("contact", "Kontaktperson", 22),
    ("mandate", "Mandat", 24),
    ("resources", "Resurser", 24),
    ("start_date", "Start", 12),
    ("due_date", "Klart senast", 12),
    ("goal", "Vad ska uppnås", 32),
    ("indicators", "Indikatorer", 28),
    ("outcome", "Vad har vi uppnått", 32),
    ("horizon", "Tidshorisont", 16),
    ("priority", "Prioritet", 10),
    ("status", "Status", 12),
)
HEADERS = {key: header for key, header, _ in COLUMNS}

# Values in the sheet are Swedish, as the collaborations write them.
STATUS_SV = {"proposed": "Föreslagen", "planned": "Planerad", "in_progress": "Pågår", "done": "Klar",
             "cancelled": "Avbruten"}
HORIZON_SV = {"short": "Kort (1–2 år)", "medium": "Medel (2–5 år)", "long": "Lång (5–15 år)"}
PRIORITY_SV = {"high": "Hög", "medium": "Medel", "low": "Låg"}
# Also accepted on import: the bare word, the English code and the English word.
STATUS_ALIASES = {"in progress": "in_progress", "pågående": "in_progress", "klart": "done",
                  "avbrutet": "cancelled", "avbruten": "cancelled", "föreslagen": "proposed"}
HORIZON_ALIASES = {"kort": "short", "medel": "medium", "medellång": "medium", "lång": "long"}
PRIORITY_ALIASES = {"hög": "high", "medel": "medium", "låg": "low", "normal": "medium"}

MAX_ROWS = 5000


def _key(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def _lookup(labels: dict, aliases: dict) -> dict:
    table = {_key(code): code for code in labels}
    table.update({_key(label): code for code, label in labels.items()})
    table.update({_key(code.replace("_", " ")): code for code in labels})
    table.update({_key(word): code for word, code in aliases.items()})
    return table


STATUS_LOOKUP = _lookup(STATUS_SV, STATUS_ALIASES)
HORIZON_LOOKUP = _lookup(HORIZON_SV, HORIZON_ALIASES)
PRIORITY_LOOKUP = _lookup(PRIORITY_SV, PRIORITY_ALIASES)


def _row(action: ActionItem) -> dict:
    return {
        "id": action.id, "title": action.title, "description": action.description,
        "organization": action.organization.name if action.organization else "",
        "contact": action.contact.name if action.contact else "",
        "mandate": action.mandate, "resources": action.resources,
        "start_date": action.start_date, "due_date": action.due_date,
        "goal": action.goal, "indicators": action.indicators, "outcome": action.outcome,
        "horizon": HORIZON_SV.get(action.horizon, action.horizon),
        "priority": PRIORITY_SV.get(action.priority, action.priority),
        "status": STATUS_SV.get(action.status, action.status),
    }


def _actions(area: Area) -> list[ActionItem]:
    return list(db.session.scalars(sa.select(ActionItem).where(ActionItem.area_id == area.id)
                                   .options(selectinload(ActionItem.organization), selectinload(ActionItem.contact))
                                   .order_by(ActionItem.id)))


def export_xlsx(area: Area) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append([header for _, header, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E6ECEF")
    for action in _actions(area):
        values = _row(action)
        sheet.append([safe_cell(values[key]) for key, _, _ in COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=2):
        for (key, _, _), cell in zip(COLUMNS, row):
            if isinstance(cell.value, str):
                cell.alignment = wrap
            elif key in ("start_date", "due_date") and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
    for index, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    last = max(sheet.max_row, 2) + 500
    for key, labels in (("status", STATUS_SV), ("horizon", HORIZON_SV), ("priority", PRIORITY_SV)):
        letter = get_column_letter([k for k, _, _ in COLUMNS].index(key) + 1)
        validation = DataValidation(type="list", formula1='"' + ",".join(labels.values()) + '"',
                                    allow_blank=True)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    actors = workbook.create_sheet("Aktörer")
    actors.append(["Ansvarig aktör", "Kontaktperson"])
    for cell in actors[1]:
        cell.font = Font(bold=True)
    for org in sorted(area.organizations, key=lambda o: o.name.lower()):
        actors.append([safe_cell(org.name), safe_cell(", ".join(c.name for c in org.contacts))])
    actors.column_dimensions["A"].width = 36
    actors.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell("" if value is None else str(value))


def export_csv(area: Area) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header, _ in COLUMNS])
    for action in _actions(area):
        values = _row(action)
        writer.writerow([_csv_value(values[key]) for key, _, _ in COLUMNS])
    return buffer.getvalue()


# --- Import ----------------------------------------------------------------------------------------

class ImportFileError(ValueError):
    """The upload is not a workbook we can read."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: list[ActionItem] = field(default_factory=list)
    updated: list[ActionItem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _text_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return read_cell(str(value).strip())


def _date_cell(value):
    """A date cell, or an ISO date written as text; raises ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
    raise ValueError(value)


def _id_cell(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(value)


def read_workbook(stream):
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, KeyError, XML and its own errors for a non-XLSX file
        raise ImportFileError(_l("The file is not an Excel workbook (.xlsx). Export the plan, edit it in a "
                                 "spreadsheet program and save it as .xlsx.")) from None
    sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
    return workbook, sheet


def _header_map(header_row, errors: list[RowError]) -> dict[str, int]:
    by_header = {_key(header): key for key, header, _ in COLUMNS}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header_row or ()):
        text = _text_cell(cell)
        if not text:
            continue
        letter = get_column_letter(index + 1)
        key = by_header.get(_key(text))
        if key is None:
            errors.append(RowError(1, letter, str(_l("Unknown column “%(name)s”.", name=text))))
        elif key in positions:
            errors.append(RowError(1, letter, str(_l("The column “%(name)s” is there twice.", name=text))))
        else:
            positions[key] = index
    for key, header, _ in COLUMNS:
        if key not in positions:
            errors.append(RowError(1, header, str(_l("The column “%(name)s” is missing.", name=header))))
    return positions


def _parse_row(area: Area, number: int, cells: dict, errors: list[RowError], orgs: dict, existing: dict):
    """One row -> (existing action or None, values for the service); problems appended to errors."""
    before = len(errors)

    def problem(key, message):
        errors.append(RowError(number, HEADERS[key], str(message)))

    values: dict = {}
    action = None
    try:
        action_id = _id_cell(cells["id"])
    except ValueError:
        problem("id", _l("An ID is a whole number (leave it empty for a new action)."))
        action_id = None
    if action_id is not None:
        action = existing.get(action_id)
        if action is None:
            problem("id", _l("There is no action with ID %(id)d in this area.", id=action_id))
    for key in service.TEXT_FIELDS:
        values[key] = _text_cell(cells[key])
    for key in ("start_date", "due_date"):
        try:
            values[key] = _date_cell(cells[key])
        except ValueError:
            problem(key, _l("“%(value)s” is not a date (write it as 2026-05-31).", value=_text_cell(cells[key])))
    org_name = _text_cell(cells["organization"])
    org = orgs.get(_key(org_name)) if org_name else None
    if org_name and org is None:
        problem("organization", _l("Unknown actor “%(name)s”. Add it under Actors first.", name=org_name))
    values["organization"] = org
    contact_name = _text_cell(cells["contact"])
    contact = None
    if contact_name:
        if not org_name:
            problem("contact", _l("A contact person needs a responsible actor."))
        elif org is not None:
            contact = next((c for c in org.contacts if _key(c.name) == _key(contact_name)), None)
            if contact is None:
                problem("contact", _l("“%(name)s” is not a contact at %(org)s.", name=contact_name, org=org.name))
    values["contact"] = contact
    for key, lookup, labels in (("horizon", HORIZON_LOOKUP, HORIZON_SV), ("priority", PRIORITY_LOOKUP, PRIORITY_SV),
                                ("status", STATUS_LOOKUP, STATUS_SV)):
        text = _text_cell(cells[key])
        if not text:
            if action is not None:
                values[key] = getattr(action, key)
            continue
        code = lookup.get(_key(text))
        if code is None:
            problem(key, _l("Unknown value “%(value)s” (use one of: %(allowed)s).", value=text,
                            allowed=", ".join(labels.values())))
        else:
            values[key] = code
    if len(errors) == before:
        try:
            service.clean_values(values, action)
        except service.ActionError as error:
            for key, message in error.errors.items():
                key = {"organization_id": "organization", "contact_id": "contact"}.get(key, key)
                problem(key if key in HEADERS else "title", message)
    return action, values


def import_xlsx(area: Area, stream, user) -> ImportResult:
    """Read a workbook and apply it to the area's plan, all or nothing (see the module docstring)."""
    workbook, sheet = read_workbook(stream)
    result = ImportResult()
    try:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        positions = _header_map(header, result.errors)
        if result.errors:
            return result
        orgs = {_key(o.name): o for o in db.session.scalars(
            sa.select(Organization).options(selectinload(Organization.contacts)))}
        existing = {a.id: a for a in _actions(area)}
        planned, seen_ids = [], {}
        for number, raw in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                result.errors.append(RowError(number, "", str(_l("At most %(n)d rows.", n=MAX_ROWS))))
                break
            cells = {key: (raw[i] if i < len(raw) else None) for key, i in positions.items()}
            if all(_text_cell(v) == "" for v in cells.values()):
                continue
            action, values = _parse_row(area, number, cells, result.errors, orgs, existing)
            if action is not None:
                if action.id in seen_ids:
                    result.errors.append(RowError(number, HEADERS["id"], str(_l(
                        "ID %(id)d is also on row %(row)d.", id=action.id, row=seen_ids[action.id]))))
                seen_ids[action.id] = number
            planned.append((action, values))
    finally:
        workbook.close()
    if result.errors:
        return result
    comment = str(_l("Imported from a spreadsheet."))
    with db.session.begin_nested():
        for action, values in planned:
            if action is None:
                result.created.append(service.create_action(area, {**values, "comment": comment}, user))
            elif service.change_action(action, values, user, comment=comment, only_if_changed=True):
                result.updated.append(action)
            else:
                result.unchanged += 1
        db.session.flush()
    return result
