"""Demo routing rules for the demo area: who fixes what around Hjalmar Brantingsplatsen, and one fault
report from the first walk that went out and came back fixed, so the demo shows the loop closed.

The actors' demo creates the organizations; any that is missing is created here. Västtrafik, unless
it already has an Open311 endpoint, is made an Open311 recipient pointed at this app's own Open311
API with a fresh key, so that forwarding can be tried in the demo without an outside server.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from .. import geo
from ..extensions import db
from ..models import ApiKey, Area, Category, Organization, RoutingRule
from ..open311.service import create_api_key
from . import service

CITY = "Stadsmiljöförvaltningen"
PARKS = "Park- och naturförvaltningen"
HOUSING = "Bostadsbolaget"
TRANSIT = "Västtrafik"

# name fragment -> what is created when missing
ORGANIZATIONS = {
    CITY: {"kind": "municipal", "report_channel": "email",
           "report_email": "felanmalan.stadsmiljo@demo.tryggvandring.se"},
    PARKS: {"kind": "municipal", "report_channel": "email",
            "report_email": "felanmalan.park@demo.tryggvandring.se"},
    HOUSING: {"kind": "property_owner", "report_channel": "email",
              "report_email": "felanmalan@bostadsbolaget.demo.tryggvandring.se"},
    TRANSIT: {"kind": "public_transport", "report_channel": "open311"},
}

AREA_WIDE = {
    CITY: ("lighting", "path_condition", "accessibility", "wayfinding", "traffic_safety", "graffiti",
           "litter", "abandoned_vehicles", "hiding_places", "overview"),
    PARKS: ("vegetation",),
    TRANSIT: ("transit_stop",),
}
# Inside the housing company's estate (the north-west part of the area) it fixes these itself.
HOUSING_CATEGORIES = ("lighting", "vegetation", "graffiti", "litter", "abandoned_vehicles")
ESTATE_NAME = "Bostadsbolagets gård"
# What the housing company answered about the faults of the first walk on its land.
NOTES = {"vegetation": "Buskarna vid gården är nedklippta; siktlinjen mot hållplatsen är fri.",
         "abandoned_vehicles": "Cyklarna är märkta och bortforslade efter fyra veckor."}


def estate_polygon(area: Area) -> dict:
    """The north-west quarter of the area's bounding box: the housing company's land in the demo."""
    (south, west), (north, east) = geo.bounds(area.boundary)
    mid_lat, mid_lon = (south + north) / 2, (west + east) / 2
    ring = [[west, mid_lat], [mid_lon, mid_lat], [mid_lon, north], [west, north], [west, mid_lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def find_or_create(name: str) -> Organization:
    found = db.session.scalar(sa.select(Organization).where(Organization.name.contains(name))
                              .order_by(Organization.id))
    if found is None:
        found = Organization(name=name, notes="Demo", **ORGANIZATIONS[name])
        db.session.add(found)
        db.session.flush()
    return found


def _loopback_open311(organization: Organization) -> None:
    """Make the demo's transit company an Open311 recipient served by this very app."""
    if organization.open311_base_url:
        return
    organization.report_channel = "open311"
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    name = f"demo-{organization.id}"
    if db.session.scalar(sa.select(ApiKey).where(ApiKey.name == name)) is None:
        organization.open311_api_key = create_api_key(name)
    organization.open311_base_url = base.rstrip("/") + "/open311/v2"
    organization.open311_service_codes = {}  # our own API knows the category codes themselves
    organization.notes = (organization.notes + "\n" if organization.notes else "") + \
        "Demo: the Open311 endpoint is Tryggvandring's own API."


def load_demo(area: Area, walks, coordinator) -> list[RoutingRule]:
    organizations = {name: find_or_create(name) for name in ORGANIZATIONS}
    _loopback_open311(organizations[TRANSIT])
    categories = {c.code: c for c in db.session.scalars(sa.select(Category))}
    rules = []
    for name, codes in AREA_WIDE.items():
        for code in codes:
            rules.append(RoutingRule(area=area, category=categories[code], organization=organizations[name]))
    estate = estate_polygon(area)
    for code in HOUSING_CATEGORIES:
        rules.append(RoutingRule(area=area, category=categories[code], organization=organizations[HOUSING],
                                 sub_area=estate, sub_area_name=ESTATE_NAME))
    db.session.add_all(rules)
    db.session.flush()
    if walks:
        _answered_report(walks[0], organizations[HOUSING], coordinator)
    return rules


def _answered_report(walk, organization: Organization, coordinator) -> None:
    """The housing company's faults from the first walk: sent two days after it, acknowledged, fixed
    a month later with a note. Through the service's own steps; only the dates are set back."""
    faults = [o for o in walk.observations if service.route_fault(o) is organization]
    drafts, _ = service.build_drafts(faults, coordinator)
    for report in drafts:
        service.mark_sent(report, coordinator)
        service.set_external_ref(report, coordinator, "BB-2025-0412")
        for item in report.items:
            service.set_item_status(item, "acknowledged", coordinator)
            service.set_item_status(item, "resolved", coordinator)
            item.recipient_notes = NOTES.get(item.observation.category.code, "Åtgärdat.")
        report.sent_at = walk.starts_at + dt.timedelta(days=2)
        report.acknowledged_at = walk.starts_at + dt.timedelta(days=4)
        report.resolved_at = walk.starts_at + dt.timedelta(days=38)
    db.session.flush()
