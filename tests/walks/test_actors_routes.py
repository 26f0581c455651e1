"""Actors over HTTP: forms, permissions, contact list, vCard and CSV downloads."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from walks.extensions import db
from walks.models import Contact, Organization

from ..conftest import csrf_token_from


def token(client, path="/actors"):
    return csrf_token_from(client.get(path).get_data(True))


def org_form(**overrides):
    data = {"name": "Bostadsbolaget", "kind": "property_owner", "report_channel": "email",
            "report_email": "felanmalan@example.se", "open311_base_url": "", "open311_api_key": "",
            "open311_jurisdiction": "", "open311_service_codes": "", "notes": ""}
    data.update(overrides)
    return data


def test_index_lists_and_filters(client, login, make):
    login()
    area = make.area(name="Hjalmar Brantingsplatsen")
    police = make.organization(name="Polisen", kind="police")
    police.areas.append(area)
    make.organization(name="Västtrafik", kind="public_transport")
    db.session.commit()
    page = client.get("/actors").get_data(True)
    assert "Polisen" in page and "Västtrafik" in page
    assert "kollektivtrafik" in page  # kinds shown in Swedish
    page = client.get(f"/actors?area={area.id}").get_data(True)
    assert "Polisen" in page and "Västtrafik" not in page
    page = client.get("/actors?kind=public_transport&q=väst").get_data(True)
    assert "Västtrafik" in page and "Polisen" not in page


def test_create_edit_and_delete_an_actor(client, login, make):
    login()
    area = make.area()
    db.session.commit()
    data = org_form(csrf_token=token(client, "/actors/new"), area_ids=[str(area.id)],
                    open311_service_codes="lighting = 101")
    response = client.post("/actors/new", data=data)
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization))
    assert org.areas == [area] and org.open311_service_codes == {"lighting": "101"}
    edit_page = client.get(f"/actors/{org.id}/edit").get_data(True)
    assert "lighting = 101" in edit_page
    response = client.post(f"/actors/{org.id}/edit", data=org_form(csrf_token=token(client), name="Bostadsbolaget AB"))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "Bostadsbolaget AB" and org.areas == []
    response = client.post(f"/actors/{org.id}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "This field is required"),
    ({"report_email": "inte-en-adress"}, "e-post"),
    ({"open311_base_url": "ftp://x.example.se"}, "http"),
    ({"open311_service_codes": "streetlamps = 3"}, "streetlamps"),
    ({"kind": "gang"}, ""),
])
def test_bad_actor_form_shows_the_error_and_stores_nothing(client, login, overrides, message):
    login()
    response = client.post("/actors/new", data=org_form(csrf_token=token(client), **overrides))
    assert response.status_code == 400
    page = response.get_data(True)
    assert 'class="error"' in page
    if message:
        assert message.lower() in page.lower() or "obligatoriskt" in page.lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_duplicate_name_is_shown_next_to_the_field(client, login, make):
    login()
    make.organization(name="Polisen", kind="police")
    db.session.commit()
    response = client.post("/actors/new", data=org_form(csrf_token=token(client), name="polisen"))
    assert response.status_code == 400 and "Polisen" in response.get_data(True)


def test_contacts_add_edit_delete(client, login, make):
    login()
    org = make.organization(name="Polisen", kind="police")
    db.session.commit()
    response = client.post(f"/actors/{org.id}/contacts/new", data={
        "csrf_token": token(client), "name": "Kim Berg", "role": "Kommunpolis", "phone": "031-739 20 00",
        "email": "kim.berg@example.se"})
    assert response.status_code == 302
    contact = db.session.scalar(sa.select(Contact))
    assert contact.organization_id == org.id
    response = client.post(f"/actors/{org.id}/contacts/{contact.id}/edit", data={
        "csrf_token": token(client), "name": "Kim Berg", "role": "Områdespolis", "phone": "", "email": "bad"})
    assert response.status_code == 400
    db.session.refresh(contact)
    assert contact.role == "Kommunpolis"
    other = make.organization()
    db.session.commit()
    assert client.get(f"/actors/{other.id}/contacts/{contact.id}/edit").status_code == 404
    response = client.post(f"/actors/{org.id}/contacts/{contact.id}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_contact_list_and_downloads(client, login, make):
    login()
    area = make.area(name="Hjalmar")
    org = make.organization(name="Polisen", kind="police")
    org.areas.append(area)
    make.contact(organization=org, name="Kim Berg", phone="031-739 20 00", email="kim@example.se")
    db.session.commit()
    page = client.get(f"/areas/{area.id}/contacts").get_data(True)
    assert "Kim Berg" in page and "031-739 20 00" in page and "data-print" in page
    vcf = client.get(f"/areas/{area.id}/contacts.vcf")
    assert vcf.mimetype == "text/vcard" and "attachment" in vcf.headers["Content-Disposition"]
    assert "FN:Kim Berg\r\n" in vcf.get_data(True)
    csv_response = client.get(f"/areas/{area.id}/contacts.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert "Kim Berg" in csv_response.get_data(True)
    assert client.get("/areas/99999/contacts").status_code == 404


def test_viewer_may_look_but_not_change(client, login, make):
    login(make.user(role="viewer"))
    org = make.organization(name="Polisen", kind="police")
    db.session.commit()
    assert client.get("/actors").status_code == 200
    assert "Ny aktör" not in client.get("/actors").get_data(True)
    assert client.get("/actors/new").status_code == 403
    response = client.post(f"/actors/{org.id}/delete", data={"csrf_token": token(client)})
    assert response.status_code == 403
    assert db.session.get(Organization, org.id) is not None


def test_anonymous_is_sent_to_login(client):
    response = client.get("/actors")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_post_without_csrf_is_refused(client, login, make):
    login()
    org = make.organization()
    db.session.commit()
    assert client.post(f"/actors/{org.id}/delete").status_code == 400
    assert db.session.get(Organization, org.id) is not None


# --- who sees what: an actor is seen where it takes part in one of the user's areas -----------------

@pytest.fixture
def two_areas(make):
    here, there = make.area(name="Här"), make.area(name="Där")
    ours, theirs = make.organization(name="Polisen"), make.organization(name="Hyresvärden i Där")
    ours.areas.append(here)
    theirs.areas.append(there)
    kim = make.contact(organization=ours, name="Kim Berg")
    lo = make.contact(organization=theirs, name="Lo Ek")
    people = {"coordinator": make.user(role="coordinator", areas=[here]),
              "viewer": make.user(role="viewer", areas=[here]),
              "stranger": make.user(role="coordinator", areas=[there])}
    db.session.commit()
    return {"here": here, "there": there, "ours": ours, "theirs": theirs, "kim": kim, "lo": lo, **people}


def actor_reads(w):
    return [f"/actors/{w['ours'].id}", f"/areas/{w['here'].id}/contacts", f"/areas/{w['here'].id}/contacts.vcf",
            f"/areas/{w['here'].id}/contacts.csv"]


def actor_writes(w):
    org, kim = w["ours"].id, w["kim"].id
    return [(f"/actors/{org}/edit", org_form(name="Polisen", area_ids=[str(w["here"].id)])),
            (f"/actors/{org}/delete", {}), (f"/actors/{org}/contacts/new", {"name": "Ny"}),
            (f"/actors/{org}/contacts/{kim}/edit", {"name": "Kim"}), (f"/actors/{org}/contacts/{kim}/delete", {})]


def test_a_coordinator_of_another_area_finds_nothing_of_ours(client, login, two_areas):
    w = two_areas
    login(w["stranger"])
    for url in actor_reads(w):
        assert client.get(url).status_code == 404, url
    csrf = token(client)
    for url, data in actor_writes(w):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    page = client.get("/actors?q=").get_data(True)
    assert "Hyresvärden i Där" in page and "Polisen" not in page
    assert "Kim Berg" not in client.get("/actors?q=kim").get_data(True)
    assert db.session.get(Contact, w["kim"].id).name == "Kim Berg"


def test_a_viewer_reads_our_actors_and_changes_nothing(client, login, two_areas):
    w = two_areas
    login(w["viewer"])
    for url in actor_reads(w):
        assert client.get(url).status_code == 200, url
    csrf = token(client)
    for url, data in actor_writes(w):
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert "Hyresvärden i Där" not in client.get("/actors").get_data(True)
    assert client.get(f"/areas/{w['there'].id}/contacts.csv").status_code == 404


def test_a_coordinator_adds_actors_to_their_own_areas_only(client, login, two_areas):
    w = two_areas
    login(w["coordinator"])
    page = client.get("/actors/new").get_data(True)
    assert "Här" in page and "Där" not in page
    response = client.post("/actors/new", data=org_form(name="Skolan", area_ids=[str(w["there"].id)],
                                                        csrf_token=token(client)))
    assert response.status_code == 400
    response = client.post("/actors/new", data=org_form(name="Skolan", csrf_token=token(client)))
    assert response.status_code == 400 and "minst ett" in response.get_data(True)
    assert db.session.scalar(sa.select(Organization).where(Organization.name == "Skolan")) is None
    response = client.post("/actors/new", data=org_form(name="Skolan", area_ids=[str(w["here"].id)],
                                                        csrf_token=token(client)))
    assert response.status_code == 302


def test_editing_a_shared_actor_keeps_the_areas_of_others(client, login, two_areas):
    w = two_areas
    w["theirs"].areas.append(w["here"])
    db.session.commit()
    login(w["coordinator"])
    response = client.post(f"/actors/{w['theirs'].id}/edit",
                           data=org_form(name="Hyresvärden i Där", area_ids=[], csrf_token=token(client)))
    assert response.status_code == 302
    assert [a.name for a in db.session.get(Organization, w["theirs"].id).areas] == ["Där"]
