"""The demo's routing rules: every fault of the demo walk has a recipient, one draft per recipient."""
from __future__ import annotations

import sqlalchemy as sa

from walks import demo
from walks.extensions import db
from walks.models import Organization, RoutingRule
from walks.reports import service
from walks.reports.demo import ESTATE_NAME, TRANSIT


def test_demo_rules_route_every_fault_of_the_first_walk(app):
    loaded = demo.load_demo()
    messages = demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    assert "walks.reports.demo: loaded" in messages, messages
    rules = db.session.scalars(sa.select(RoutingRule).where(RoutingRule.area_id == loaded["area"].id)).all()
    assert any(r.sub_area_name == ESTATE_NAME for r in rules)
    for rule in rules:
        assert service.recipient_problem(rule.organization) is None, rule.organization.name
    first_walk = loaded["walks"][0]
    drafts, unrouted = service.build_drafts(first_walk.observations, loaded["coordinator"])
    assert unrouted == []
    recipients = [d.organization.name for d in drafts]
    assert len(recipients) == len(set(recipients)) >= 3
    assert any("Bostadsbolaget" in name for name in recipients)
    transit = next(d for d in drafts if TRANSIT in d.organization.name)
    assert transit.channel == "open311" and transit.organization.open311_base_url.endswith("/open311/v2")
    assert transit.organization.open311_api_key


def test_demo_twice_reuses_the_organizations(app):
    for _ in range(2):
        loaded = demo.load_demo()
        demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    names = db.session.scalars(sa.select(Organization.name)).all()
    assert len([n for n in names if TRANSIT in n]) == 1
