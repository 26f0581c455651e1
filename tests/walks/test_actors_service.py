"""Actors and contacts without HTTP: validation, the fault-report channel, exports."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from walks.actors import service
from walks.extensions import db
from walks.models import ActionItem, ActionUpdate, AuditEvent, Contact, Organization


def values(**overrides):
    base = {"name": "Bostadsbolaget", "kind": "property_owner", "report_channel": "email",
            "report_email": "felanmalan@bostadsbolaget.example.se", "area_ids": []}
    base.update(overrides)
    return base


def test_create_organization_with_areas_and_channel(make):
    user, area = make.user(), make.area()
    codes = "lighting = 101\n\n# note\ngraffiti=205"
    org = service.save_organization(None, values(area_ids=[area.id], open311_service_codes=codes), user)
    assert org.id and org.areas == [area]
    assert org.open311_service_codes == {"lighting": "101", "graffiti": "205"}
    assert area.organizations == [org]
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_type == "Organization")) == "create"


def test_open311_organization(make):
    org = service.save_organization(None, values(report_channel="open311", report_email="",
                                                 open311_base_url="https://city.example.se/open311/v2/",
                                                 open311_api_key="k", open311_jurisdiction="goteborg.se"),
                                    make.user())
    assert org.open311_base_url == "https://city.example.se/open311/v2"
    assert org.report_email is None and org.open311_api_key == "k"


@pytest.mark.parametrize("overrides, field", [
    ({"name": "  "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"kind": "gang"}, "kind"),
    ({"report_channel": "fax"}, "report_channel"),
    ({"report_email": "not-an-address"}, "report_email"),
    ({"report_email": "a@b@c.se"}, "report_email"),
    ({"open311_base_url": "ftp://city.example.se"}, "open311_base_url"),
    ({"open311_base_url": "javascript:alert(1)"}, "open311_base_url"),
    ({"open311_base_url": "city.example.se/open311"}, "open311_base_url"),
    ({"report_channel": "open311", "open311_base_url": ""}, "open311_base_url"),
    ({"open311_service_codes": "no_such_category = 1"}, "open311_service_codes"),
    ({"open311_service_codes": "lighting 101"}, "open311_service_codes"),
    ({"open311_service_codes": "lighting = 1\nlighting = 2"}, "open311_service_codes"),
    ({"open311_service_codes": "lighting ="}, "open311_service_codes"),
    ({"area_ids": [99999]}, "area_ids"),
])
def test_bad_organization_values_are_refused(make, overrides, field):
    with pytest.raises(service.ActorError) as caught:
        service.save_organization(None, values(**overrides), make.user())
    assert caught.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_name_is_unique_ignoring_case(make):
    user = make.user()
    first = service.save_organization(None, values(), user)
    with pytest.raises(service.ActorError) as caught:
        service.save_organization(None, values(name="BOSTADSBOLAGET"), user)
    assert caught.value.field == "name"
    # Saving the same organization under its own name is fine.
    assert service.save_organization(first, values(notes="x"), user).notes == "x"


def test_unknown_code_message_names_the_line(make):
    with pytest.raises(service.ActorError) as caught:
        service.parse_service_codes("lighting = 1\nstreetlamps = 2")
    assert "2" in str(caught.value) and "streetlamps" in str(caught.value)


def test_format_and_parse_round_trip(app):
    mapping = {"lighting": "101", "litter": "7"}
    assert service.parse_service_codes(service.format_service_codes(mapping)) == mapping


def test_contacts_and_validation(make):
    user, org = make.user(), make.organization()
    contact = service.save_contact(org, None, {"name": "Anna Lind", "role": "Områdeschef",
                                               "phone": "031-365 00 00", "email": "anna@example.se"}, user)
    assert contact in org.contacts
    with pytest.raises(service.ActorError) as caught:
        service.save_contact(org, None, {"name": "B", "email": "nope"}, user)
    assert caught.value.field == "email"
    with pytest.raises(service.ActorError) as caught:
        service.save_contact(org, None, {"name": "B", "phone": "call me maybe"}, user)
    assert caught.value.field == "phone"
    with pytest.raises(service.ActorError):
        service.save_contact(org, None, {"name": ""}, user)


def test_delete_contact_keeps_actions_and_logs(make):
    user, area = make.user(), make.area()
    contact = make.contact()
    action = ActionItem(area=area, title="Beskär buskar", organization=contact.organization, contact=contact)
    db.session.add(action)
    db.session.flush()
    service.delete_contact(contact, user)
    assert action.contact is None and action.organization is not None
    update = db.session.scalar(sa.select(ActionUpdate))
    assert update.changes == {"contact": [contact.name, None]}


def test_organization_in_use_cannot_be_deleted(make):
    user, area, org = make.user(), make.area(), make.organization()
    make.contact(organization=org)
    db.session.add(ActionItem(area=area, title="Byt lampor", organization=org))
    db.session.flush()
    with pytest.raises(service.ActorError):
        service.delete_organization(org, user)
    assert db.session.get(Organization, org.id) is not None
    free = make.organization()
    make.contact(organization=free)
    service.delete_organization(free, user)
    assert db.session.get(Organization, free.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)
                             .where(Contact.organization_id == free.id)) == 0


def test_search_by_name_contact_kind_and_area(make):
    area = make.area()
    police = make.organization(name="Polisen", kind="police")
    police.areas.append(area)
    make.contact(organization=police, name="Kim Berg")
    make.organization(name="Västtrafik", kind="public_transport")
    assert service.search_organizations("POLIS") == [police]
    assert service.search_organizations("VÄST")[0].name == "Västtrafik"
    assert service.search_organizations("kim") == [police]
    assert [o.name for o in service.search_organizations(kind="public_transport")] == ["Västtrafik"]
    assert service.search_organizations(area_id=area.id) == [police]


def test_vcard_is_escaped_and_folded(make):
    area = make.area()
    org = make.organization(name="Park, natur; och \\ förvaltning")
    org.areas.append(area)
    make.contact(organization=org, name="Eva Ek", role="Chef\nfältarbete", phone="031-123", email="eva@example.se")
    make.contact(organization=org, name="Ö" * 60, role="", phone="", email="")
    card = service.area_vcards(area)
    assert card.count("BEGIN:VCARD") == 2 and card.count("VERSION:3.0") == 2
    assert "ORG:Park\\, natur\\; och \\\\ förvaltning\r\n" in card
    assert "TITLE:Chef\\nfältarbete\r\n" in card
    assert "N:Ek;Eva;;;\r\n" in card
    assert "TEL;TYPE=WORK,VOICE:031-123\r\n" in card
    for line in card.split("\r\n"):
        assert len(line.encode()) <= 75
    unfolded = card.replace("\r\n ", "")
    assert "FN:" + "Ö" * 60 + "\r\n" in unfolded
    assert "\n" not in card.replace("\r\n", "")


def test_contacts_csv(make):
    area = make.area()
    org = make.organization(name="=HYPERLINK(\"x\")", kind="business")
    org.areas.append(area)
    make.contact(organization=org, name="Sam", phone="+46 31 123", email="sam@example.se")
    rows = list(csv.reader(io.StringIO(service.area_contacts_csv(area))))
    assert rows[0] == ["Aktör", "Typ", "Namn", "Roll", "Telefon", "E-post"]
    assert rows[1][0].startswith("'=")
    assert rows[1][4] == "+46 31 123"
