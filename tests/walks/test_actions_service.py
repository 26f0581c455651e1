"""The action plan without HTTP: validation, status rules, the log, observations, meetings."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from walks.actions import service
from walks.extensions import db
from walks.models import ActionItem, ActionUpdate, Meeting, utcnow
from walks.observations import set_status

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def setup(make):
    user = make.user()
    walk = make.walk()
    area = walk.area
    org = make.organization(name="Bostadsbolaget", kind="property_owner")
    org.areas.append(area)
    contact = make.contact(organization=org, name="Lena Holm")
    return user, area, walk, org, contact


def new_action(area, user, **values):
    return service.create_action(area, {"title": "Byt trasig belysning", **values}, user)


def test_create_action_logs_and_audits(setup):
    user, area, walk, org, contact = setup
    action = new_action(area, user, organization_id=org.id, contact_id=contact.id,
                        start_date=dt.date(2026, 3, 1), due_date=dt.date(2026, 4, 1), horizon="short",
                        priority="high", goal="Upplyst gångväg", indicators="Färre felanmälningar")
    assert action.status == "proposed" and action.organization is org and action.contact is contact
    [update] = action.updates
    assert update.user_id == user.id
    assert update.changes["title"] == [None, "Byt trasig belysning"]
    assert update.changes["organization"] == [None, "Bostadsbolaget"]
    assert update.changes["due_date"] == [None, "2026-04-01"]


@pytest.mark.parametrize("values, field", [
    ({"title": ""}, "title"),
    ({"title": "x" * 301}, "title"),
    ({"start_date": dt.date(2026, 5, 1), "due_date": dt.date(2026, 4, 30)}, "due_date"),
    ({"horizon": "forever"}, "horizon"),
    ({"priority": "urgent"}, "priority"),
    ({"status": "finished"}, "status"),
    ({"organization_id": 99999}, "organization_id"),
    ({"contact_id": 99999}, "contact_id"),
    ({"start_date": "2026-05-01"}, "start_date"),
])
def test_bad_values_are_refused_and_nothing_is_stored(setup, values, field):
    user, area, *_ = setup
    with pytest.raises(service.ActionError) as caught:
        service.create_action(area, {"title": "Röj sly", **values}, user)
    assert field in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionItem)) == 0


def test_contact_must_belong_to_the_actor(setup, make):
    user, area, walk, org, contact = setup
    other = make.organization(name="Polisen", kind="police")
    with pytest.raises(service.ActionError) as caught:
        new_action(area, user, organization_id=other.id, contact_id=contact.id)
    assert "contact_id" in caught.value.errors
    with pytest.raises(service.ActionError):
        new_action(area, user, contact_id=contact.id)  # a contact with no actor


VALID = [("proposed", "planned"), ("proposed", "cancelled"), ("planned", "in_progress"),
         ("planned", "cancelled"), ("in_progress", "done"), ("in_progress", "cancelled"),
         ("in_progress", "planned"), ("done", "in_progress"), ("cancelled", "proposed")]
INVALID = [("proposed", "in_progress"), ("proposed", "done"), ("planned", "done"), ("planned", "proposed"),
           ("done", "cancelled"), ("done", "proposed"), ("done", "planned"), ("cancelled", "done"),
           ("cancelled", "in_progress"), ("proposed", "proposed"), ("planned", "bogus")]


@pytest.mark.parametrize("old, new", VALID)
def test_valid_transitions(setup, old, new):
    user, area, *_ = setup
    action = new_action(area, user, status=old)
    update = service.transition(action, new, user, "Beslut på mötet")
    assert action.status == new
    assert update.changes == {"status": [old, new]} and update.comment == "Beslut på mötet"


@pytest.mark.parametrize("old, new", INVALID)
def test_invalid_transitions_are_refused(setup, old, new):
    user, area, *_ = setup
    action = new_action(area, user, status=old)
    count = len(action.updates)
    with pytest.raises(service.ActionError):
        service.transition(action, new, user)
    assert action.status == old and len(action.updates) == count


def test_update_action_refuses_invalid_transition_and_changes_nothing(setup):
    user, area, *_ = setup
    action = new_action(area, user)
    with pytest.raises(service.ActionError) as caught:
        service.update_action(action, {"title": "Ny titel", "status": "done"}, user)
    assert "status" in caught.value.errors
    assert action.title == "Byt trasig belysning" and action.status == "proposed"


def test_update_logs_only_what_changed(setup):
    user, area, walk, org, contact = setup
    action = new_action(area, user)
    update = service.update_action(action, {"title": "Byt trasig belysning", "due_date": dt.date(2026, 6, 1),
                                            "organization_id": org.id, "status": "planned"}, user, "OK")
    assert update.changes == {"due_date": [None, "2026-06-01"], "organization": [None, "Bostadsbolaget"],
                              "status": ["proposed", "planned"]}
    assert service.update_action(action, {"title": "Byt trasig belysning"}, user) is None
    assert service.update_action(action, {}, user, comment="Ringt Lena").changes == {}


def test_observations_linked_finished_and_resolved(setup, make):
    user, area, walk, org, contact = setup
    observations = [make.observation(walk=walk) for _ in range(3)]
    make.fault_report([observations[2]], status="sent")
    set_status(observations[2], "sent")
    action = service.create_action(area, {"title": "Belysning", "status": "in_progress"}, user, observations)
    # the strongest state of what each is part of: an open action outranks a sent report
    assert [o.status for o in observations] == ["in_action", "in_action", "in_action"]
    assert action.updates[0].changes["observations"] == [[], [o.id for o in observations]]
    update = service.transition(action, "done", user, "Klart", resolve_observations=True)
    assert all(o.status == "resolved" for o in observations)
    assert update.changes["resolved_observations"] == [[], [o.id for o in observations]]


def test_finishing_without_the_checkbox_leaves_observations(setup, make):
    user, area, walk, *_ = setup
    obs = make.observation(walk=walk)
    action = service.create_action(area, {"title": "Belysning", "status": "in_progress"}, user, [obs])
    service.transition(action, "done", user)
    assert obs.status == "in_action"


def test_observations_of_another_area_are_refused(setup, make):
    user, area, *_ = setup
    foreign = make.observation()  # its own walk in another area
    with pytest.raises(service.ActionError) as caught:
        service.area_observations(area, [foreign.id])
    assert "observation_ids" in caught.value.errors
    with pytest.raises(service.ActionError):
        service.create_action(area, {"title": "X"}, user, [foreign])
    with pytest.raises(service.ActionError):
        service.area_observations(area, [123456])
    with pytest.raises(service.ActionError):
        service.area_observations(area, ["abc"])


def test_unlink_observation_returns_it_to_new(setup, make):
    user, area, walk, *_ = setup
    obs = make.observation(walk=walk)
    action = service.create_action(area, {"title": "X"}, user, [obs])
    service.unlink_observation(action, obs, user)
    assert action.observations == [] and obs.status == "new"


def test_plan_filters_and_overdue(setup):
    user, area, walk, org, contact = setup
    late = new_action(area, user, title="Sen", due_date=TODAY - dt.timedelta(days=1), organization_id=org.id,
                      status="in_progress")
    soon = new_action(area, user, title="Snart", due_date=TODAY + dt.timedelta(days=5), horizon="medium")
    done = new_action(area, user, title="Klar", due_date=TODAY - dt.timedelta(days=20), status="done")
    assert service.is_overdue(late, TODAY) and not service.is_overdue(soon, TODAY)
    assert not service.is_overdue(done, TODAY)
    assert service.plan(area) == [late, soon, done]
    assert service.plan(area, service.PlanFilters(actor=str(org.id))) == [late]
    assert service.plan(area, service.PlanFilters(actor="none")) == [soon, done]
    assert service.plan(area, service.PlanFilters(horizon="medium")) == [soon]
    assert service.plan(area, service.PlanFilters(status="done")) == [done]
    assert service.plan(area, service.PlanFilters(overdue_only=True), today=TODAY) == [late]
    counts = service.status_counts(area, TODAY)
    assert counts["in_progress"] == 1 and counts["done"] == 1 and counts["overdue"] == 1


@pytest.mark.parametrize("args, expected", [
    ({}, service.PlanFilters()),
    ({"status": "done", "horizon": "long", "actor": "12", "overdue": "1"},
     service.PlanFilters("done", "long", "12", True)),
    ({"status": "klar", "horizon": "evig", "actor": "tolv", "overdue": "ja"}, service.PlanFilters()),
    ({"actor": "none"}, service.PlanFilters(actor="none")),
    ({"actor": "1" * 40}, service.PlanFilters()),
    ({"actor": "١٢"}, service.PlanFilters()),  # digits, but not ASCII
])
def test_plan_filters_from_args_ignore_what_they_do_not_know(args, expected):
    assert service.PlanFilters.from_args(args) == expected


def test_plan_filters_are_true_when_they_filter():
    assert not service.PlanFilters() and service.PlanFilters(overdue_only=True)


def test_meeting_overview_groups_due_and_lists_changes_since_last_meeting(setup, make):
    user, area, walk, org, contact = setup
    today = utcnow().date()  # the log's times are real; the meeting dates follow them
    late = new_action(area, user, title="Sen", due_date=today - dt.timedelta(days=3), organization_id=org.id)
    soon = new_action(area, user, title="Snart", due_date=today + dt.timedelta(days=29))
    new_action(area, user, title="Långt bort", due_date=today + dt.timedelta(days=31))
    new_action(area, user, title="Klar", due_date=today - dt.timedelta(days=3), status="done")
    # A meeting a week ago; everything logged before it is old news.
    meeting = service.record_meeting(area, {"held_on": today - dt.timedelta(days=7), "notes": "Genomgång"},
                                     user, [late])
    week_ago = utcnow() - dt.timedelta(days=8)
    for update in db.session.scalars(sa.select(ActionUpdate)):
        update.at = week_ago
    old_obs = make.observation(walk=walk, observed_at=week_ago)
    new_obs = make.observation(walk=walk, text="Nytt klotter")
    service.transition(soon, "planned", user, "Beställt")
    overview = service.meeting_overview(area, today)
    assert overview["last_meeting"] is meeting
    assert [(org_.name if org_ else None, [a.title for a in acts]) for org_, acts in overview["groups"]] == \
        [("Bostadsbolaget", ["Sen"]), (None, ["Snart"])]
    assert overview["overdue_count"] == 1 and overview["due_count"] == 2
    assert [u.comment for u in overview["changes"]] == ["Beställt"]
    assert new_obs in overview["new_observations"] and old_obs not in overview["new_observations"]


def test_record_meeting_validates(setup, make):
    user, area, *_ = setup
    other_area_action = service.create_action(make.area(), {"title": "Annat"}, user)
    with pytest.raises(service.ActionError) as caught:
        service.record_meeting(area, {"held_on": None, "notes": ""}, user, [other_area_action])
    assert set(caught.value.errors) == {"held_on", "notes", "action_ids"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
    with pytest.raises(service.ActionError):
        service.area_actions(area, [other_area_action.id])


@pytest.mark.parametrize("field", ["organization_id", "contact_id"])
def test_ids_that_are_not_numbers_are_refused(setup, field):
    user, area, *_ = setup
    with pytest.raises(service.ActionError) as caught:
        service.create_action(area, {"title": "X", field: "abc"}, user)
    assert field in caught.value.errors


def test_cancelling_and_reopening_move_the_observations_with_the_action(setup, make):
    user, area, walk, *_ = setup
    reported, fresh = make.observation(walk=walk), make.observation(walk=walk)
    make.fault_report([reported], status="sent")
    set_status(reported, "sent")
    action = service.create_action(area, {"title": "Belysning", "status": "planned"}, user, [reported, fresh])
    assert (reported.status, fresh.status) == ("in_action", "in_action")
    service.transition(action, "cancelled", user)
    assert (reported.status, fresh.status) == ("reported", "new")  # back to what else they are part of
    service.transition(action, "proposed", user)
    assert (reported.status, fresh.status) == ("in_action", "in_action")
    service.transition(action, "planned", user)
    service.transition(action, "in_progress", user)
    service.transition(action, "done", user, resolve_observations=True)
    assert (reported.status, fresh.status) == ("resolved", "resolved")
    service.transition(action, "in_progress", user)
    assert (reported.status, fresh.status) == ("in_action", "in_action")


def test_unlinking_keeps_an_observation_in_its_other_open_action(setup, make):
    user, area, walk, *_ = setup
    obs = make.observation(walk=walk)
    first = service.create_action(area, {"title": "Belysning"}, user, [obs])
    service.create_action(area, {"title": "Buskar"}, user, [obs])
    service.unlink_observation(first, obs, user)
    assert obs.status == "in_action"
