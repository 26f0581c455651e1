"""Who may see and change what: the one access rule of the app (DESIGN.md, "Access").

| who         | sees                                        | changes                          |
| admin       | every area                                  | everything, users, categories    |
| coordinator | the areas assigned to them                  | everything in those areas        |
| viewer      | the areas assigned to them                  | nothing                          |
| participant | their walk while it is open, their own work | their own observations until they are sent or in an action |

Every route that touches an area's data asks this module. A row the user may not see answers 404,
exactly as a missing one does (no 403 that tells it exists); a row they may see but not change
answers 403. Functions take the acting user (or participant) as an argument: no Flask globals but
the 404/403 helpers of walks.web.
"""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db
from .models import (ActionItem, Area, Contact, FaultReport, Meeting, Observation, Organization, Participant, Photo,
                     RoutingRule, Walk, organization_areas, user_areas)
from .web import fail

NOT_FOUND = _l("The page was not found.")
READ_ONLY = _l("You may look at this area but not change it.")


def is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) == "admin"


def admin_only(view):
    """Pages for admins only (users, audit log): everyone else gets 404, as if they did not exist."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not is_admin(current_user):
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "active", False)


def visible_area_ids(user):
    """A SELECT of the ids of the areas this user may see (for `column.in_(...)`), or None for all."""
    if is_admin(user):
        return None
    user_id = user.id if _is_staff(user) else -1
    return sa.select(user_areas.c.area_id).where(user_areas.c.user_id == user_id).scalar_subquery()


def area_filter(user, column=Area.id):
    """A WHERE condition on an area-id column: the rows of the areas this user may see."""
    ids = visible_area_ids(user)
    return sa.true() if ids is None else column.in_(ids)


def can_view_area(user, area_id: int | None) -> bool:
    if area_id is None or not _is_staff(user):
        return False
    if is_admin(user):
        return True
    return any(area.id == area_id for area in user.areas)


def can_edit_area(user, area_id: int | None) -> bool:
    return can_view_area(user, area_id) and user.role in ("admin", "coordinator")


def visible_areas(user) -> list[Area]:
    return list(db.session.scalars(sa.select(Area).where(area_filter(user)).order_by(Area.name)))


def area_id_of(obj) -> int | None:
    """The area a row belongs to; the one place that knows how each kind of row reaches its area."""
    if isinstance(obj, Area):
        return obj.id
    if isinstance(obj, (Walk, FaultReport, ActionItem, Meeting, RoutingRule)):
        return obj.area_id
    if isinstance(obj, Observation):
        return obj.area_id if obj.area_id is not None else (obj.walk.area_id if obj.walk else None)
    if isinstance(obj, Photo):
        return area_id_of(obj.observation)
    if isinstance(obj, Participant):
        return obj.walk.area_id
    raise TypeError(f"no area rule for {type(obj).__name__}")


def can_view(user, obj) -> bool:
    if isinstance(obj, Contact):  # contacts follow their actor
        obj = obj.organization
    if isinstance(obj, Organization):
        return can_view_organization(user, obj)
    return can_view_area(user, area_id_of(obj))


def can_edit(user, obj) -> bool:
    if isinstance(obj, Contact):
        obj = obj.organization
    if isinstance(obj, Organization):
        return can_edit_organization(user, obj)
    return can_edit_area(user, area_id_of(obj))


def get_visible(user, model, ident, *, write: bool = False, message=None):
    """The row, or 404 when it is missing or not the user's to see; 403 when `write` and read-only."""
    obj = db.session.get(model, ident) if ident is not None else None
    if obj is None or not can_view(user, obj):
        fail(404, message or NOT_FOUND)
    if write and not can_edit(user, obj):
        fail(403, READ_ONLY)
    return obj


def require_edit(user, obj) -> None:
    """404 when the user may not see the row, 403 when they may see but not change it."""
    if not can_view(user, obj):
        fail(404, NOT_FOUND)
    if not can_edit(user, obj):
        fail(403, READ_ONLY)


# --- Actors: visible where they take part in one of the user's areas ---------------------------------

def organization_filter(user):
    """WHERE condition on Organization: those taking part in an area the user may see."""
    ids = visible_area_ids(user)
    if ids is None:
        return sa.true()
    return Organization.id.in_(sa.select(organization_areas.c.organization_id)
                               .where(organization_areas.c.area_id.in_(ids)))


def can_view_organization(user, organization: Organization) -> bool:
    if not _is_staff(user):
        return False
    return is_admin(user) or any(can_view_area(user, area.id) for area in organization.areas)


def can_edit_organization(user, organization: Organization) -> bool:
    if not _is_staff(user) or user.role not in ("admin", "coordinator"):
        return False
    return is_admin(user) or any(can_edit_area(user, area.id) for area in organization.areas)


# --- Walkers (participants): no account, a token in a cookie ----------------------------------------

def participant_may_see_walk(participant: Participant | None, walk: Walk) -> bool:
    """The walk's shared points: only its own participants, only while it is open."""
    return participant is not None and participant.walk_id == walk.id and walk.status == "open"


def participant_owns(participant: Participant | None, observation: Observation) -> bool:
    return participant is not None and observation.participant_id == participant.id \
        and observation.walk_id == participant.walk_id


def can_view_photo(user, participant: Participant | None, photo: Photo) -> bool:
    """Staff of the area; the walker who took it; the walk's participants while it is open.
    A hidden or merged-away observation's photos are for staff only (a walker's "me too" is not merged away:
    it stays theirs)."""
    observation = photo.observation
    if can_view(user, observation):
        return True
    if observation.hidden or (observation.merged_into_id is not None and observation.source != "metoo"):
        return False
    if participant_owns(participant, observation):
        return True
    return observation.walk is not None and participant_may_see_walk(participant, observation.walk)
