"""Fault reports without HTTP: routing, drafts, references, statuses and the sending claim."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from walks.extensions import db
from walks.models import AuditEvent, FaultReport, FaultReportItem, RoutingRule, utcnow
from walks.observations import set_status
from walks.reports import service

# The south-west quarter of the factory area: a property owner's land.
ESTATE = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9525, 57.7190], [11.9525, 57.7215], [11.9480, 57.7215], [11.9480, 57.7190]]]}
INSIDE_ESTATE = (57.7200, 11.9500)
OUTSIDE_ESTATE = (57.7230, 11.9560)


def rule(make, area, code, organization, sub_area=None, user=None):
    return service.save_rule(area, user, category_id=make.category(code).id, organization_id=organization.id,
                             sub_area_raw=json.dumps(sub_area) if sub_area else "",
                             sub_area_name="Bostadsbolaget" if sub_area else "")


@pytest.fixture
def setup(make):
    area = make.area()
    walk = make.walk(area=area)
    city = make.organization(name="Stadsmiljöförvaltningen")
    owner = make.organization(name="Bostadsbolaget", kind="property_owner")
    rule(make, area, "lighting", city)
    rule(make, area, "lighting", owner, sub_area=ESTATE)
    rule(make, area, "litter", city)
    return area, walk, city, owner


def test_sub_area_rule_wins_inside_and_area_rule_outside(make, setup):
    area, walk, city, owner = setup
    inside = make.observation(walk=walk, lat=INSIDE_ESTATE[0], lon=INSIDE_ESTATE[1])
    outside = make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1])
    assert service.route_fault(inside) is owner
    assert service.route_fault(outside) is city


def test_no_rule_or_not_a_fault_routes_nowhere(make, setup):
    area, walk, city, owner = setup
    assert service.route_fault(make.observation(walk=walk, category=make.category("graffiti"))) is None
    assert service.route_fault(make.observation(walk=walk, category=make.category("positive"))) is None


def test_build_drafts_one_per_recipient_and_lists_the_unrouted(make, setup):
    area, walk, city, owner = setup
    user = make.user()
    lamp_in = make.observation(walk=walk, lat=INSIDE_ESTATE[0], lon=INSIDE_ESTATE[1])
    lamp_out = make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1])
    litter = make.observation(walk=walk, category=make.category("litter"))
    graffiti = make.observation(walk=walk, category=make.category("graffiti"))
    positive = make.observation(walk=walk, category=make.category("positive"))
    hidden = make.observation(walk=walk, hidden=True)
    merged = make.observation(walk=walk, merged_into=lamp_out)

    drafts, unrouted = service.build_drafts(
        [lamp_in, lamp_out, litter, graffiti, positive, hidden, merged], user)

    by_org = {d.organization: {i.observation for i in d.items} for d in drafts}
    assert by_org == {owner: {lamp_in}, city: {lamp_out, litter}}
    assert unrouted == [graffiti]
    assert all(d.status == "draft" and d.walk_id == walk.id and d.reference.startswith("TV-") for d in drafts)
    # Building again adds nothing twice and makes no new report.
    again, unrouted_again = service.build_drafts([lamp_in, lamp_out, litter, graffiti], user)
    assert again == [] and unrouted_again == [graffiti]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FaultReport)) == 2


def test_a_new_fault_fills_the_existing_draft(make, setup):
    area, walk, city, owner = setup
    first = make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1])
    (draft,), _ = service.build_drafts([first], None)
    second = make.observation(walk=walk, category=make.category("litter"))
    (again,), _ = service.build_drafts([first, second], None)
    assert again is draft and len(draft.items) == 2


def test_references_are_sequential_per_year(app, make):
    org = make.organization()
    app.config["REPORT_REFERENCE_PREFIX"] = "TV"
    assert service.next_reference(2026) == "TV-2026-0001"
    db.session.add(FaultReport(reference="TV-2026-0041", organization=org))
    db.session.add(FaultReport(reference="TV-2025-0099", organization=org))
    db.session.flush()
    assert service.next_reference(2026) == "TV-2026-0042"
    assert service.next_reference(2025) == "TV-2025-0100"
    assert service.next_reference(2027) == "TV-2027-0001"
    app.config["REPORT_REFERENCE_PREFIX"] = "GBG"
    assert service.next_reference(2026) == "GBG-2026-0001"


def test_drafts_get_distinct_references(make, setup):
    area, walk, city, owner = setup
    drafts, _ = service.build_drafts([
        make.observation(walk=walk, lat=INSIDE_ESTATE[0], lon=INSIDE_ESTATE[1]),
        make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1])], None)
    year = utcnow().year
    assert sorted(d.reference for d in drafts) == [f"TV-{year}-0001", f"TV-{year}-0002"]


def test_move_and_remove_items_between_drafts(make, setup):
    area, walk, city, owner = setup
    user = make.user()
    a = make.observation(walk=walk, lat=INSIDE_ESTATE[0], lon=INSIDE_ESTATE[1])
    b = make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1])
    drafts, _ = service.build_drafts([a, b], user)
    to_owner = next(d for d in drafts if d.organization is owner)
    to_city = next(d for d in drafts if d.organization is city)
    service.move_item(to_owner.items[0], to_city, user)
    assert {i.observation for i in to_city.items} == {a, b} and to_owner.items == []
    service.remove_item(to_city.items[0], user)
    assert len(to_city.items) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FaultReportItem)) == 1
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"move_item", "remove_item"} <= actions


def _sent_report(make, setup, user):
    area, walk, city, owner = setup
    obs = [make.observation(walk=walk, lat=OUTSIDE_ESTATE[0], lon=OUTSIDE_ESTATE[1]),
           make.observation(walk=walk, category=make.category("litter"))]
    (report,), _ = service.build_drafts(obs, user)
    assert service.claim_for_sending(report)
    service.mark_sent(report, user)
    return report, obs


def test_status_flow_resolving_items_resolves_observations_and_the_report(make, setup):
    user = make.user()
    report, (lamp, litter) = _sent_report(make, setup, user)
    assert report.status == "sent" and report.sent_at and {o.status for o in (lamp, litter)} == {"reported"}
    first, second = report.items
    service.set_item_status(first, "acknowledged", user)
    assert report.status == "acknowledged" and report.acknowledged_at
    service.set_item_status(first, "resolved", user)
    assert lamp.status == "resolved" and report.status == "acknowledged"
    service.set_item_status(second, "rejected", user, reason="not_responsible")
    assert litter.status == "new"  # free to be sent to someone else
    assert report.status == "resolved" and report.resolved_at
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("item_%"))).all()
    assert {e.user_id for e in events} == {user.id} and len(events) == 3


def test_rejecting_a_report_needs_a_known_reason(make, setup):
    user = make.user()
    report, _ = _sent_report(make, setup, user)
    with pytest.raises(service.ReportError):
        service.set_report_status(report, "rejected", user, reason="bored")
    service.set_report_status(report, "rejected", user, reason="duplicate")
    assert report.status == "rejected" and report.reject_reason == "duplicate" and report.rejected_at
    assert {i.status for i in report.items} == {"rejected"}


@pytest.mark.parametrize("old, new", [("draft", "acknowledged"), ("draft", "resolved"), ("sent", "sent"),
                                      ("resolved", "acknowledged"), ("sent", "draft"), ("sent", "bogus")])
def test_impossible_report_transitions_are_refused(make, old, new):
    report = FaultReport(reference=f"X-{old}-{new}", organization=make.organization(), status=old)
    db.session.add(report)
    db.session.flush()
    with pytest.raises(service.ReportError):
        service.set_report_status(report, new, None, reason="duplicate")
    assert report.status == old


def test_resolving_a_whole_report_resolves_every_observation(make, setup):
    user = make.user()
    report, obs = _sent_report(make, setup, user)
    service.set_report_status(report, "resolved", user)
    assert {o.status for o in obs} == {"resolved"} and {i.status for i in report.items} == {"resolved"}


def test_claim_is_taken_once(make, setup):
    area, walk, city, owner = setup
    (report,), _ = service.build_drafts([make.observation(walk=walk, lat=OUTSIDE_ESTATE[0],
                                                          lon=OUTSIDE_ESTATE[1])], None)
    assert service.claim_for_sending(report) is True
    assert report.sending_since is not None
    assert service.claim_for_sending(report) is False
    service.mark_failed(report, None, "SMTP down")
    assert report.status == "draft" and report.last_error == "SMTP down" and report.send_attempts == 1
    assert service.claim_for_sending(report) is True
    service.mark_sent(report, None)
    assert service.claim_for_sending(report) is False


def test_a_stale_claim_can_be_taken_over(make, setup):
    area, walk, city, owner = setup
    (report,), _ = service.build_drafts([make.observation(walk=walk, lat=OUTSIDE_ESTATE[0],
                                                          lon=OUTSIDE_ESTATE[1])], None)
    report.sending_since = utcnow() - dt.timedelta(hours=1)
    db.session.flush()
    assert service.claim_for_sending(report) is True


def test_an_empty_report_cannot_be_claimed(make):
    report = service.new_draft(make.organization(), None)
    with pytest.raises(service.ReportError, match="inga punkter"):
        service.claim_for_sending(report)
    assert report.sending_since is None


def test_open_reports_oldest_first_with_days_open(make, setup):
    user = make.user()
    report, _ = _sent_report(make, setup, user)
    older = service.new_draft(make.organization(), user)
    older.status, older.sent_at = "acknowledged", utcnow() - dt.timedelta(days=10)
    db.session.flush()
    assert service.open_reports() == [older, report]
    assert service.days_open(older) == 10


# --- routing rules: bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"category_id": 999999}, "category_id"),
    ({"category_id": "lamp"}, "category_id"),
    ({"category_id": None}, "category_id"),
    ({"category_code": "positive"}, "category_id"),  # not a fault
    ({"organization_id": 999999}, "organization_id"),
    ({"organization_id": ""}, "organization_id"),
    ({"report_email": "not-an-address"}, "organization_id"),
    ({"report_email": ""}, "organization_id"),
    ({"report_channel": "open311"}, "organization_id"),  # no endpoint URL
    ({"sub_area_raw": "{not json"}, "sub_area"),
    ({"sub_area_raw": '{"type": "Point", "coordinates": [11.95, 57.72]}'}, "sub_area"),
    ({"sub_area_raw": json.dumps(ESTATE), "sub_area_name": ""}, "sub_area_name"),
])
def test_bad_routing_rules_are_refused_and_nothing_is_saved(make, change, field):
    area = make.area()
    org = make.organization()
    if "report_email" in change:
        org.report_email = change.pop("report_email")
    if "report_channel" in change:
        org.report_channel = change.pop("report_channel")
    values = {"category_id": make.category(change.pop("category_code", "lighting")).id,
              "organization_id": org.id, "sub_area_raw": "", "sub_area_name": ""}
    values.update(change)
    with pytest.raises(service.ReportError) as raised:
        service.save_rule(area, None, **values)
    assert raised.value.field == field and str(raised.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == 0


def test_paper_and_open311_recipients_are_accepted(make):
    area = make.area()
    paper = make.organization(report_channel="paper", report_email=None)
    o311 = make.organization(report_channel="open311", report_email=None,
                             open311_base_url="https://311.example.se/open311/v2")
    for org in (paper, o311):
        service.save_rule(area, None, category_id=make.category("graffiti").id, organization_id=org.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == 2


def test_a_draft_is_sent_by_the_recipients_current_channel(make, setup):
    area, walk, city, owner = setup
    (report,), _ = service.build_drafts([make.observation(walk=walk, lat=OUTSIDE_ESTATE[0],
                                                          lon=OUTSIDE_ESTATE[1])], None)
    assert report.channel == "email"
    city.report_channel = "paper"
    assert service.claim_for_sending(report) and report.channel == "paper"


# --- the observation's lifecycle --------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["not_responsible", "duplicate", "no_action"])
def test_rejecting_a_report_leaves_an_observation_in_its_open_action_in_action(make, setup, reason):
    user = make.user()
    report, (lamp, litter) = _sent_report(make, setup, user)
    make.action([lamp], status="in_progress")
    set_status(lamp, "action_linked", user)
    assert lamp.status == "in_action"
    service.set_report_status(report, "rejected", user, reason=reason)
    assert lamp.status == "in_action" and litter.status == "new"


def test_sending_a_report_about_an_observation_in_an_action_does_not_demote_it(make, setup):
    area, walk, city, owner = setup
    user = make.user()
    lamp = make.observation(walk=walk, lat=57.7230, lon=11.9560)
    make.action([lamp], status="planned")
    set_status(lamp, "action_linked", user)
    (report,), _ = service.build_drafts([lamp], user)
    service.mark_sent(report, user)
    assert lamp.status == "in_action" and report.items[0].status == "sent"


def test_lists_show_only_the_reports_of_the_users_areas(make, setup):
    area, walk, city, owner = setup
    here = make.fault_report([make.observation(walk=walk)], organization=city, status="sent", sent_at=utcnow())
    there = make.fault_report([make.observation()], organization=city, status="sent", sent_at=utcnow())
    draft_here = make.fault_report([make.observation(walk=walk)], organization=city)
    viewer = make.user(role="viewer", areas=[area])
    assert service.open_reports(viewer) == [here] and there in service.open_reports()
    assert service.draft_reports(viewer) == [draft_here]
    assert service.open_reports(make.user(role="coordinator")) == []  # no areas: nothing
