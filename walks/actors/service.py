"""Actors (aktörer) and their contacts: plain functions, tested without HTTP.

Services validate, change the models and flush; the caller commits. Domain errors are raised as
`ActorError(field, message)` so routes can show them next to the field that caused them.
"""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import net
from ..extensions import db
from ..spreadsheets import safe_cell
from ..models import (ORGANIZATION_KINDS, REPORT_CHANNELS, ActionItem, ActionUpdate, Area, Category,
                      Contact, FaultReport, Organization, RoutingRule, audit)

KIND_LABELS = {
    "municipal": _l("municipal department"),
    "police": _l("police"),
    "property_owner": _l("property owner"),
    "business": _l("business"),
    "public_transport": _l("public transport"),
    "school": _l("school"),
    "civil_society": _l("civil society"),
    "social_housing": _l("social housing"),
    "residents_group": _l("residents' group"),
}

CHANNEL_LABELS = {
    "email": _l("E-mail"),
    "open311": _l("Open311"),
    "paper": _l("Paper / PDF"),
}

NAME_MAX = 200


class ActorError(ValueError):
    """A value that cannot be stored; `field` names the form field it belongs to."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def _clean(value) -> str:
    return (value or "").strip()


def check_email(value: str, field: str) -> str | None:
    value = _clean(value)
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ActorError(field, _l("“%(value)s” is not a valid e-mail address.", value=value)) from None


def check_url(value: str, field: str) -> str | None:
    value = _clean(value)
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ActorError(field, _l("Give a web address that starts with http:// or https://."))
    try:
        net.check_url(value, net.allowed_hosts(current_app.config), must_resolve=False)
    except net.OutboundRefused as refused:
        raise ActorError(field, refused.message) from None
    return value.rstrip("/")


def parse_service_codes(text: str, known_codes=None) -> dict[str, str]:
    """Lines of `category_code = service_code` -> {category_code: service_code}.

    Blank lines and lines starting with # are skipped. Unknown category codes, malformed lines and a
    category given twice are refused (one message naming every bad line).
    """
    if known_codes is None:
        known_codes = set(db.session.scalars(sa.select(Category.code)))
    mapping: dict[str, str] = {}
    problems = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        category, sep, service = (part.strip() for part in line.partition("="))
        if not sep or not category or not service:
            problems.append(str(_l("line %(n)d: write it as “category_code = service_code”", n=number)))
        elif category not in known_codes:
            problems.append(str(_l("line %(n)d: unknown category code “%(code)s”", n=number, code=category)))
        elif category in mapping:
            problems.append(str(_l("line %(n)d: category “%(code)s” is given twice", n=number, code=category)))
        else:
            mapping[category] = service
    if problems:
        raise ActorError("open311_service_codes", "; ".join(problems))
    return mapping


def format_service_codes(mapping: dict | None) -> str:
    return "\n".join(f"{code} = {service}" for code, service in sorted((mapping or {}).items()))


def _existing_name(name: str, exclude_id: int | None) -> str | None:
    """The name of another organization with this name in any case (SQLite's lower() is ASCII-only)."""
    query = sa.select(Organization.id, Organization.name)
    if exclude_id:
        query = query.where(Organization.id != exclude_id)
    return next((other for _, other in db.session.execute(query) if other.casefold() == name.casefold()), None)


def save_organization(org: Organization | None, values: dict, user) -> Organization:
    """Create (org=None) or update an organization from plain values.

    values: name, kind, notes, area_ids, report_channel, report_email, open311_base_url,
    open311_api_key, open311_jurisdiction, open311_service_codes (the lines as text, or a dict).
    """
    name = _clean(values.get("name"))
    if not name:
        raise ActorError("name", _l("Give the actor a name."))
    if len(name) > NAME_MAX:
        raise ActorError("name", _l("The name is too long (at most %(n)d characters).", n=NAME_MAX))
    existing = _existing_name(name, org.id if org else None)
    if existing:
        raise ActorError("name", _l("There is already an actor called “%(name)s”.", name=existing))
    kind = values.get("kind") or "municipal"
    if kind not in ORGANIZATION_KINDS:
        raise ActorError("kind", _l("Choose a kind of actor from the list."))
    channel = values.get("report_channel") or "email"
    if channel not in REPORT_CHANNELS:
        raise ActorError("report_channel", _l("Choose how fault reports are sent."))
    report_email = check_email(values.get("report_email"), "report_email")
    base_url = check_url(values.get("open311_base_url"), "open311_base_url")
    if channel == "open311" and not base_url:
        raise ActorError("open311_base_url", _l("Open311 needs the address of the endpoint."))
    codes = values.get("open311_service_codes")
    codes = codes if isinstance(codes, dict) else parse_service_codes(codes or "")
    area_ids = {int(a) for a in values.get("area_ids") or ()}
    areas = list(db.session.scalars(sa.select(Area).where(Area.id.in_(area_ids)).order_by(Area.name))) \
        if area_ids else []
    if len(areas) != len(area_ids):
        raise ActorError("area_ids", _l("One of the chosen areas does not exist."))

    creating = org is None
    if creating:
        org = Organization()
        db.session.add(org)
    org.name = name
    org.kind = kind
    org.notes = _clean(values.get("notes"))
    org.report_channel = channel
    org.report_email = report_email
    org.open311_base_url = base_url
    org.open311_api_key = _clean(values.get("open311_api_key")) or None
    org.open311_jurisdiction = _clean(values.get("open311_jurisdiction")) or None
    org.open311_service_codes = codes or None
    org.areas = areas
    db.session.flush()
    audit(user, org, "create" if creating else "update", name=name)
    return org


def organization_in_use(org: Organization) -> list[str]:
    """What refers to the organization (and so stops it from being deleted)."""
    uses = []
    for model, label in ((ActionItem, _l("action items")), (FaultReport, _l("fault reports")),
                         (RoutingRule, _l("routing rules"))):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(model)
                                  .where(model.organization_id == org.id))
        if count:
            uses.append(f"{count} {label}")
    return uses


def delete_organization(org: Organization, user) -> None:
    uses = organization_in_use(org)
    if uses:
        raise ActorError("", _l("%(name)s cannot be deleted: it is still used by %(uses)s.",
                                name=org.name, uses=", ".join(uses)))
    audit(user, org, "delete", name=org.name)
    db.session.delete(org)
    db.session.flush()


def save_contact(org: Organization, contact: Contact | None, values: dict, user) -> Contact:
    name = _clean(values.get("name"))
    if not name:
        raise ActorError("name", _l("Give the contact's name."))
    if len(name) > NAME_MAX:
        raise ActorError("name", _l("The name is too long (at most %(n)d characters).", n=NAME_MAX))
    email = check_email(values.get("email"), "email") or ""
    phone = _clean(values.get("phone"))
    if phone and not re.fullmatch(r"[0-9+()\-. /]{3,50}", phone):
        raise ActorError("phone", _l("A phone number has digits, spaces and + - ( ) only."))
    creating = contact is None
    if creating:
        contact = Contact(organization=org)
        db.session.add(contact)
    contact.name = name
    contact.role = _clean(values.get("role"))
    contact.phone = phone
    contact.email = email
    db.session.flush()
    audit(user, contact, "create" if creating else "update", name=name, organization_id=org.id)
    return contact


def delete_contact(contact: Contact, user) -> None:
    """Delete a contact; actions that named it keep their actor and log that the contact is gone."""
    actions = db.session.scalars(sa.select(ActionItem).where(ActionItem.contact_id == contact.id))
    for action in actions:
        action.contact = None
        db.session.add(ActionUpdate(action=action, user_id=getattr(user, "id", None),
                                    changes={"contact": [contact.name, None]},
                                    comment=str(_l("The contact was deleted from the actor."))))
    audit(user, contact, "delete", name=contact.name)
    db.session.delete(contact)
    db.session.flush()


def search_organizations(q: str = "", kind: str = "", area_id: int | None = None) -> list[Organization]:
    """Filter by kind and area in SQL; the free text in Python (SQLite's lower() does not fold å, ä, ö)."""
    query = sa.select(Organization).order_by(Organization.name)
    if kind:
        query = query.where(Organization.kind == kind)
    if area_id:
        query = query.where(Organization.areas.any(Area.id == area_id))
    found = list(db.session.scalars(query))
    needle = _clean(q).casefold()
    if not needle:
        return found

    def matches(org: Organization) -> bool:
        texts = [org.name] + [t for c in org.contacts for t in (c.name, c.email, c.role)]
        return any(needle in (t or "").casefold() for t in texts)
    return [org for org in found if matches(org)]


def area_organizations(area: Area) -> list[Organization]:
    """The actors taking part in an area, in the order of the kinds list, then by name."""
    order = {kind: n for n, kind in enumerate(ORGANIZATION_KINDS)}
    return sorted(area.organizations, key=lambda o: (order.get(o.kind, 99), o.name.lower()))


# --- Exports -------------------------------------------------------------------------------------

def _vcard_escape(value: str) -> str:
    """RFC 2426 text escaping: backslash, semicolon, comma and newlines."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _vcard_fold(line: str) -> str:
    """Fold a content line at 75 octets (continuation lines start with a space), never inside a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        limit = 75 if not out else 74
        if len(current) + len(encoded) > limit:
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def contact_vcard(contact: Contact) -> str:
    parts = contact.name.split()
    family, given = (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (contact.name, "")
    lines = ["BEGIN:VCARD", "VERSION:3.0",
             f"N:{_vcard_escape(family)};{_vcard_escape(given)};;;",
             f"FN:{_vcard_escape(contact.name)}",
             f"ORG:{_vcard_escape(contact.organization.name)}"]
    if contact.role:
        lines.append(f"TITLE:{_vcard_escape(contact.role)}")
    if contact.phone:
        lines.append(f"TEL;TYPE=WORK,VOICE:{_vcard_escape(contact.phone)}")
    if contact.email:
        lines.append(f"EMAIL;TYPE=INTERNET:{_vcard_escape(contact.email)}")
    lines.append("END:VCARD")
    return "".join(_vcard_fold(line) + "\r\n" for line in lines)


def area_vcards(area: Area) -> str:
    return "".join(contact_vcard(c) for org in area_organizations(area) for c in org.contacts)


CSV_HEADERS = ("Aktör", "Typ", "Namn", "Roll", "Telefon", "E-post")


def area_contacts_csv(area: Area) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for org in area_organizations(area):
        for c in org.contacts:
            writer.writerow([safe_cell(v) for v in (org.name, kind_label(org.kind), c.name, c.role, c.phone,
                                                     c.email)])
    return buffer.getvalue()
