"""The observation's lifecycle: one writer of its status, the strongest state of what it is part of."""
from __future__ import annotations

import pytest

from walks import observations as lifecycle
from walks.extensions import db
from walks.models import AuditEvent, Observation
from walks.web import DomainError


def test_rejected_report_leaves_an_observation_in_an_open_action_in_action(app, make):
    obs = make.observation()
    make.action([obs], status="in_progress")
    assert lifecycle.set_status(obs, "action_linked") == "in_action"
    report = make.fault_report([obs], status="sent")
    assert lifecycle.set_status(obs, "sent") == "in_action"  # a report does not demote an action
    report.items[0].status = "rejected"
    assert lifecycle.set_status(obs, "report_rejected") == "in_action"


def test_rejected_report_frees_an_observation_in_nothing_else(app, make):
    obs = make.observation()
    report = make.fault_report([obs], status="sent")
    assert lifecycle.set_status(obs, "sent") == "reported"
    report.items[0].status = "rejected"
    assert lifecycle.set_status(obs, "report_rejected") == "new"


@pytest.mark.parametrize("action_status, expected", [
    ("proposed", "in_action"), ("in_progress", "in_action"), ("done", "resolved"), ("cancelled", "new")])
def test_status_follows_the_actions_it_is_part_of(app, make, action_status, expected):
    obs = make.observation()
    make.action([obs], status=action_status)
    assert lifecycle.set_status(obs, "action_unlinked") == expected


def test_resolved_by_its_recipient_wins_over_an_open_action(app, make):
    obs = make.observation()
    make.action([obs], status="planned")
    report = make.fault_report([obs], status="sent")
    report.items[0].status = "resolved"
    assert lifecycle.set_status(obs, "report_resolved") == "resolved"


def test_dismissed_stays_dismissed_until_restored(app, make):
    obs = make.observation()
    assert lifecycle.set_status(obs, "dismissed") == "dismissed"
    make.action([obs], status="planned")
    assert lifecycle.set_status(obs, "action_linked") == "dismissed"
    assert lifecycle.set_status(obs, "restored") == "in_action"


def test_a_change_is_audited_with_who_and_why(app, make):
    user = make.user()
    obs = make.observation()
    make.action([obs], status="planned")
    lifecycle.set_status(obs, "action_linked", user)
    event = db.session.query(AuditEvent).filter_by(object_type="Observation", object_id=obs.id).one()
    assert (event.user_id, event.details["before"], event.details["after"]) == (user.id, "new", "in_action")


def test_unknown_event_is_refused(app, make):
    with pytest.raises(DomainError):
        lifecycle.set_status(make.observation(), "teleported")


def test_visible_and_in_area(app, make):
    walk = make.walk()
    shown = make.observation(walk=walk)
    make.observation(walk=walk, hidden=True)
    make.observation(walk=walk, merged_into=shown)
    elsewhere = make.observation()
    ids = set(db.session.scalars(db.select(Observation.id).where(lifecycle.visible(),
                                                                  lifecycle.in_area(walk.area))))
    assert ids == {shown.id}
    assert elsewhere.id not in ids
