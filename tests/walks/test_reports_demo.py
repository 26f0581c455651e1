"""The demo's routing rules: every fault of the demo walk has a recipient, one draft per recipient."""
from __future__ import annotations

import sqlalchemy as sa

from walks import demo
from walks.extensions import db
from walks.models import FaultReport, Organization, RoutingRule
from walks.reports import service
from walks.reports.demo import ESTATE_NAME, HOUSING, TRANSIT


def test_demo_rules_route_every_fault_of_the_first_walk(app):
    loaded = demo.load_demo()
    messages = demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    assert "walks.reports.demo: loaded" in messages, messages
    rules = db.session.scalars(sa.select(RoutingRule).where(RoutingRule.area_id == loaded["area"].id)).all()
    assert any(r.sub_area_name == ESTATE_NAME for r in rules)
    for rule in rules:
        assert service.recipient_problem(rule.organization) is None, rule.organization.name
    first_walk = loaded["walks"][0]
    # The housing company's faults went out after the first walk and came back fixed.
    (answered,) = db.session.scalars(sa.select(FaultReport)).all()
    assert HOUSING in answered.organization.name and answered.status == "resolved"
    assert answered.sent_at < answered.acknowledged_at < answered.resolved_at
    assert all(i.status == "resolved" and i.recipient_notes for i in answered.items)
    assert all(i.observation.status == "resolved" for i in answered.items)
    drafts, unrouted = service.build_drafts(first_walk.observations, loaded["coordinator"])
    assert unrouted == []
    recipients = [d.organization.name for d in drafts]
    assert len(recipients) == len(set(recipients)) >= 2
    assert not any(HOUSING in name for name in recipients)  # nothing drafted twice
    transit = next(d for d in drafts if TRANSIT in d.organization.name)
    assert transit.channel == "open311" and transit.organization.open311_base_url.endswith("/open311/v2")
    assert transit.organization.open311_api_key


def test_demo_twice_reuses_the_organizations(app):
    for _ in range(2):
        loaded = demo.load_demo()
        demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    names = db.session.scalars(sa.select(Organization.name)).all()
    assert len([n for n in names if TRANSIT in n]) == 1
