"""Demo actors for the demo area: who takes part in the collaboration around Hjalmar Brantingsplatsen.

Names of organizations are real kinds of Göteborg actors; every person, e-mail address and phone
number is invented. Loading twice reuses the organizations (names are unique) and only links them.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Area, Contact, Organization

# name -> (kind, fault-report e-mail or None, notes, [(contact name, role, phone, e-mail)])
ACTORS = {
    "Stadsmiljöförvaltningen": (
        "municipal", "felanmalan-stadsmiljo@example.se", "Gator, belysning, klotter och renhållning på allmän plats.",
        [("Maria Lindqvist", "Områdesansvarig, Hisingen", "031-365 10 20", "maria.lindqvist@example.se"),
         ("Johan Berglund", "Belysningsingenjör", "031-365 10 35", "johan.berglund@example.se")]),
    "Park- och naturförvaltningen": (
        "municipal", "felanmalan-park@example.se", "Parker, grönytor, träd och buskage.",
        [("Sofia Nyström", "Parkförvaltare", "031-365 20 15", "sofia.nystrom@example.se")]),
    "Fastighetskontoret": (
        "municipal", None, "Stadens mark och markupplåtelser.",
        [("Erik Holmgren", "Markförvaltare", "031-368 40 00", "erik.holmgren@example.se")]),
    "Polisen": (
        "police", None, "Lokalpolisområde Hisingen.",
        [("Anders Ek", "Kommunpolis", "031-739 20 00", "anders.ek@example.se"),
         ("Fatima Hassan", "Områdespolis", "031-739 20 10", "fatima.hassan@example.se")]),
    "Bostadsbolaget": (
        "property_owner", "felanmalan@bostadsbolaget.example.se", "Äger bostadsgården norr om hållplatsen.",
        [("Lena Holm", "Förvaltare", "031-731 50 00", "lena.holm@example.se"),
         ("Per Sandberg", "Trygghetsvärd", "031-731 50 12", "per.sandberg@example.se")]),
    "Västtrafik": (
        "public_transport", "felanmalan@vasttrafik.example.se", "Hållplatser och väderskydd.",
        [("Karin Åberg", "Hållplatsansvarig", "031-629 00 00", "karin.aberg@example.se")]),
    "Hisingens föreningsråd": (
        "civil_society", None, "Föreningarna i stadsdelen; ordnar kvällsaktiviteter på torget.",
        [("Ali Rahimi", "Ordförande", "031-52 30 40", "ali.rahimi@example.se")]),
}


def find_or_create(name: str) -> Organization:
    org = db.session.scalar(sa.select(Organization).where(Organization.name == name))
    if org is None:
        kind, email, notes, contacts = ACTORS[name]
        org = Organization(name=name, kind=kind, report_channel="email", report_email=email, notes=notes)
        db.session.add(org)
        for contact_name, role, phone, address in contacts:
            org.contacts.append(Contact(name=contact_name, role=role, phone=phone, email=address))
    return org


def load_demo(area: Area, walks, coordinator) -> list[Organization]:
    organizations = [find_or_create(name) for name in ACTORS]
    for org in organizations:
        if area not in org.areas:
            org.areas.append(area)
    db.session.flush()
    return organizations
