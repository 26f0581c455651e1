"""The one access rule: who may see and change an area's rows."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import Forbidden, NotFound

from walks import access
from walks.extensions import db
from walks.models import Area, Walk


@pytest.fixture
def world(app, make):
    here, there = make.area(name="Här"), make.area(name="Där")
    return {
        "here": here, "there": there,
        "admin": make.user(role="admin"),
        "coordinator": make.user(role="coordinator", areas=[here]),
        "viewer": make.user(role="viewer", areas=[here]),
        "stranger": make.user(role="coordinator", areas=[there]),
        "inactive": make.user(role="coordinator", areas=[here], active=False),
        "anonymous": AnonymousUserMixin(),
    }


@pytest.mark.parametrize("who, sees, edits", [
    ("admin", True, True), ("coordinator", True, True), ("viewer", True, False),
    ("stranger", False, False), ("inactive", False, False), ("anonymous", False, False)])
def test_area_rule(world, who, sees, edits):
    user, area = world[who], world["here"]
    assert access.can_view_area(user, area.id) is sees
    assert access.can_edit_area(user, area.id) is edits
    listed = {a.id for a in db.session.scalars(db.select(Area).where(access.area_filter(user)))}
    assert (area.id in listed) is sees


def test_rows_reach_their_area(world, make):
    walk = make.walk(area=world["here"])
    obs = make.observation(walk=walk)
    for row in (walk, obs, make.action([obs]), make.fault_report([obs]), make.meeting(area=world["here"])):
        assert access.can_view(world["viewer"], row)
        assert not access.can_view(world["stranger"], row)


def test_get_visible_answers_404_for_unseen_and_403_for_read_only(world, make):
    walk = make.walk(area=world["here"])
    assert access.get_visible(world["coordinator"], Walk, walk.id, write=True) is walk
    with pytest.raises(NotFound):
        access.get_visible(world["stranger"], Walk, walk.id)
    with pytest.raises(NotFound):
        access.get_visible(world["stranger"], Walk, 10**6)
    with pytest.raises(Forbidden):
        access.get_visible(world["viewer"], Walk, walk.id, write=True)


def test_actor_visible_where_it_takes_part(world, make):
    org = make.organization()
    org.areas.append(world["here"])
    assert access.can_view(world["viewer"], org) and not access.can_edit(world["viewer"], org)
    assert access.can_edit(world["coordinator"], org)
    assert not access.can_view(world["stranger"], org)


def test_walkers_see_their_walk_only_while_open(world, make):
    walk = make.walk(area=world["here"])
    walker, other = make.participant(walk=walk), make.participant()
    assert access.participant_may_see_walk(walker, walk)
    assert not access.participant_may_see_walk(other, walk)
    walk.status = "closed"
    assert not access.participant_may_see_walk(walker, walk)


def test_contacts_follow_their_actor(world, make):
    org = make.organization()
    org.areas.append(world["here"])
    contact = make.contact(organization=org)
    assert access.can_view(world["viewer"], contact) and not access.can_edit(world["viewer"], contact)
    assert access.can_edit(world["coordinator"], contact)
    assert not access.can_view(world["stranger"], contact) and not access.can_edit(world["stranger"], contact)
