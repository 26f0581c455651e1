"""The data model (DESIGN.md). Times are naive UTC; `utcnow()` is the one clock.

Enumerations are plain strings checked by the services (and listed here), so that
SQLite and PostgreSQL migrate alike.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


USER_ROLES = ("admin", "coordinator", "viewer")
LIGHT_CONDITIONS = ("daylight", "dusk", "dark")
WALK_STATUSES = ("planned", "open", "closed")
PARTICIPANT_ROLES = ("resident", "staff", "police", "property_owner", "business", "politician", "other")
THEMES = ("safety", "clean", "access", "positive")
LOCATION_SOURCES = ("gps", "exif", "map", "landmark")
OBSERVATION_STATUSES = ("new", "reported", "in_action", "resolved", "dismissed")
# The walker's verdict on a fixed fault: partly fixed, or closed without being fixed (issue 10).
OBSERVATION_STATUSES += ("partly_fixed", "closed_not_fixed")
FIXED_ANSWERS = ("fixed", "partly", "not_fixed")
SAFETY_RATINGS = (0, 1, 2, 3)
FINER_RATINGS = ("lighting", "openness", "visibility", "people", "security", "walkpath")
ORGANIZATION_KINDS = (
    "municipal", "police", "property_owner", "business", "public_transport",
    "school", "civil_society", "social_housing", "residents_group",
)
REPORT_CHANNELS = ("email", "open311", "paper")
REPORT_STATUSES = ("draft", "sent", "acknowledged", "resolved", "rejected")
REJECT_REASONS = ("not_responsible", "duplicate", "no_action")
ACTION_STATUSES = ("proposed", "planned", "in_progress", "done", "cancelled")
ACTION_HORIZONS = ("short", "medium", "long")
ACTION_PRIORITIES = ("high", "medium", "low")


user_areas = sa.Table(
    "user_areas", db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)

organization_areas = sa.Table(
    "organization_areas", db.metadata,
    sa.Column("organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)

action_observations = sa.Table(
    "action_observations", db.metadata,
    sa.Column("action_id", sa.ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("observation_id", sa.ForeignKey("observations.id", ondelete="CASCADE"), primary_key=True),
)

meeting_actions = sa.Table(
    "meeting_actions", db.metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("action_id", sa.ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default="coordinator")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    areas: Mapped[list["Area"]] = relationship(secondary=user_areas)
    # Raised on logout, deactivation and a password change: every session that holds an older one ends.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # A one-time link to set the password (an invitation or a reset): its sha256 and when it runs out.
    password_token_hash: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True)
    password_token_expires_at: Mapped[Optional[dt.datetime]]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def can_edit(self) -> bool:
        return self.role in ("admin", "coordinator")


class Area(db.Model):
    __tablename__ = "areas"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    boundary: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # a GeoJSON Polygon or MultiPolygon
    centre_lat: Mapped[Optional[float]]
    centre_lon: Mapped[Optional[float]]
    # Its coordinator chose to publish its fault items on the open Open311 API (off: nothing is public).
    open311_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[Optional[dt.datetime]]  # its public page ("Vad hände sedan?") is on since
    # Fault reports' Reply-To and signature; empty: the area's first coordinator (who has no phone here).
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    reply_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    reply_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    walks: Mapped[list["Walk"]] = relationship(back_populates="area", order_by="Walk.starts_at")
    organizations: Mapped[list["Organization"]] = relationship(
        secondary=organization_areas, back_populates="areas")


class Organization(db.Model):
    """An actor (aktör): a department, the police, a property owner; may receive fault reports."""
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30), default="municipal")
    report_channel: Mapped[str] = mapped_column(sa.String(20), default="email")
    report_email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    open311_base_url: Mapped[Optional[str]] = mapped_column(sa.String(500))
    open311_api_key: Mapped[Optional[str]] = mapped_column(sa.String(200))
    open311_jurisdiction: Mapped[Optional[str]] = mapped_column(sa.String(200))
    open311_service_codes: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # category code -> service code
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="Contact.name")
    areas: Mapped[list[Area]] = relationship(secondary=organization_areas, back_populates="organizations")


class Contact(db.Model):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    organization: Mapped[Organization] = relationship(back_populates="contacts")


class Walk(db.Model):
    __tablename__ = "walks"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[Optional[dt.datetime]]
    light_condition: Mapped[str] = mapped_column(sa.String(20), default="dark")
    weather: Mapped[str] = mapped_column(sa.String(200), default="")
    meeting_point: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    join_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    route: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # a GeoJSON LineString: the planned route
    landmarks: Mapped[Optional[list]] = mapped_column(sa.JSON)  # [{name, lat, lon}]: places to log at without the map
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[Optional[dt.datetime]]  # its public page ("Vad hände sedan?") is on since
    area: Mapped[Area] = relationship(back_populates="walks")
    participants: Mapped[list["Participant"]] = relationship(back_populates="walk")
    observations: Mapped[list["Observation"]] = relationship(back_populates="walk")


class Participant(db.Model):
    """Someone who joined a walk with its code: no account; a secret token in a cookie."""
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walks.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80), default="")
    role: Mapped[str] = mapped_column(sa.String(20), default="resident")
    consented_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    track_enabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Opt-in address for news about this walk only; goes with the participant.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    email_verified_at: Mapped[Optional[dt.datetime]]
    walk: Mapped[Walk] = relationship(back_populates="participants")


class Category(db.Model):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_sv: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))
    theme: Mapped[str] = mapped_column(sa.String(20))
    color: Mapped[str] = mapped_column(sa.String(7), default="#555555")
    icon: Mapped[str] = mapped_column(sa.String(8), default="•")  # an emoji or short glyph
    is_fault: Mapped[bool] = mapped_column(default=True)
    has_offensive_flag: Mapped[bool] = mapped_column(default=False)
    default_recipient_kind: Mapped[Optional[str]] = mapped_column(sa.String(30))
    sort_order: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    promised_hours: Mapped[Optional[int]]  # how long a fault may stay open before the coordinator is reminded
    names: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # {language: name} for the walker languages
    metoo_radius_m: Mapped[int] = mapped_column(default=30, server_default="30")  # "me too" looks this far

    def name(self, locale) -> str:
        """The name in a locale's language ("en_GB" is English), falling back to Swedish."""
        language = str(locale).split("_")[0]
        if language == "en":
            return self.name_en
        return (self.names or {}).get(language) or self.name_sv


class Observation(db.Model):
    __tablename__ = "observations"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)  # made by the client: the idempotency key
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    walk_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("walks.id"), index=True)
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    participant_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("participants.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default="walk")  # walk, open311, coordinator, metoo (see capture)
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[Optional[float]]
    location_source: Mapped[str] = mapped_column(sa.String(10), default="gps")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    safety: Mapped[int]  # Safetipin's feeling: 0 very unsafe .. 3 safe
    rating_lighting: Mapped[Optional[int]]
    rating_openness: Mapped[Optional[int]]
    rating_visibility: Mapped[Optional[int]]
    rating_people: Mapped[Optional[int]]
    rating_security: Mapped[Optional[int]]
    rating_walkpath: Mapped[Optional[int]]
    offensive: Mapped[bool] = mapped_column(default=False)
    observed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default="new", index=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_at: Mapped[Optional[dt.datetime]]
    hidden_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    merged_into_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("observations.id"))
    media_url: Mapped[str] = mapped_column(sa.String(500), default="")  # given by an Open311 client
    walker_notified: Mapped[str] = mapped_column(sa.String(30), default="")  # the outcome last mailed to its walker
    outside_area: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # set by the server

    walk: Mapped[Optional[Walk]] = relationship(back_populates="observations")
    area: Mapped[Optional[Area]] = relationship()
    participant: Mapped[Optional[Participant]] = relationship()
    category: Mapped[Category] = relationship()
    photos: Mapped[list["Photo"]] = relationship(
        back_populates="observation", cascade="all, delete-orphan", order_by="Photo.id")
    merged_into: Mapped[Optional["Observation"]] = relationship(remote_side=[id])
    hidden_by: Mapped[Optional[User]] = relationship()


class Photo(db.Model):
    """A re-encoded copy with all metadata removed, and its thumbnail, under random names."""
    __tablename__ = "photos"
    __table_args__ = (sa.UniqueConstraint("observation_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observations.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(sa.String(64))  # of the uploaded bytes: the idempotency key
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    thumb_filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40), default="image/jpeg")
    width: Mapped[int]
    height: Mapped[int]
    bytes: Mapped[int]
    original_width: Mapped[int]
    original_height: Mapped[int]
    original_format: Mapped[str] = mapped_column(sa.String(10))
    taken_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published: Mapped[bool] = mapped_column(default=False)  # the coordinator allows it on the public page
    observation: Mapped[Observation] = relationship(back_populates="photos")


class TrackPoint(db.Model):
    __tablename__ = "track_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[int] = mapped_column(sa.ForeignKey("walks.id"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id"))
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[Optional[float]]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RoutingRule(db.Model):
    """(area, category) -> recipient, optionally only inside a sub-area polygon."""
    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    sub_area: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    sub_area_name: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    area: Mapped[Area] = relationship()
    category: Mapped[Category] = relationship()
    organization: Mapped[Organization] = relationship()


class FaultReport(db.Model):
    __tablename__ = "fault_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)  # e.g. TV-2026-0042
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("areas.id"))
    walk_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("walks.id"))
    channel: Mapped[str] = mapped_column(sa.String(20), default="email")
    cover_text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    external_ref: Mapped[str] = mapped_column(sa.String(120), default="")
    reject_reason: Mapped[Optional[str]] = mapped_column(sa.String(30))
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    send_attempts: Mapped[int] = mapped_column(default=0)
    sending_since: Mapped[Optional[dt.datetime]]  # set while a send is under way: a second one waits
    next_attempt_at: Mapped[Optional[dt.datetime]]  # when the retry-sends job tries a failed send again
    gave_up_at: Mapped[Optional[dt.datetime]]  # the job stopped retrying (SEND_MAX_ATTEMPTS)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    sent_at: Mapped[Optional[dt.datetime]]
    acknowledged_at: Mapped[Optional[dt.datetime]]
    resolved_at: Mapped[Optional[dt.datetime]]
    rejected_at: Mapped[Optional[dt.datetime]]
    organization: Mapped[Organization] = relationship()
    area: Mapped[Optional[Area]] = relationship()
    walk: Mapped[Optional[Walk]] = relationship()
    items: Mapped[list["FaultReportItem"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="FaultReportItem.id")


class FaultReportItem(db.Model):
    __tablename__ = "fault_report_items"
    __table_args__ = (sa.UniqueConstraint("report_id", "observation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("fault_reports.id", ondelete="CASCADE"))
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observations.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    reject_reason: Mapped[Optional[str]] = mapped_column(sa.String(30))
    external_id: Mapped[str] = mapped_column(sa.String(120), default="")  # Open311 service_request_id
    external_token: Mapped[str] = mapped_column(sa.String(120), default="")
    recipient_status: Mapped[str] = mapped_column(sa.String(20), default="")  # open/closed, as the recipient says
    recipient_notes: Mapped[str] = mapped_column(sa.Text, default="")
    recipient_checked_at: Mapped[Optional[dt.datetime]]
    overdue_reminded_at: Mapped[Optional[dt.datetime]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    report: Mapped[FaultReport] = relationship(back_populates="items")
    observation: Mapped[Observation] = relationship()


class FixedQuestion(db.Model):
    """"Was it fixed?": asked of a walker who reported a resolved item; answered once."""
    __tablename__ = "fixed_questions"
    __table_args__ = (sa.UniqueConstraint("item_id", "participant_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("fault_report_items.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(sa.ForeignKey("participants.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    mailed_at: Mapped[Optional[dt.datetime]]  # the claim of the mail
    answered_at: Mapped[Optional[dt.datetime]]
    answer: Mapped[str] = mapped_column(sa.String(20), default="")  # FIXED_ANSWERS
    words: Mapped[str] = mapped_column(sa.Text, default="")
    photo_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("photos.id", ondelete="SET NULL"))
    item: Mapped[FaultReportItem] = relationship()
    participant: Mapped[Participant] = relationship()
    photo: Mapped[Optional[Photo]] = relationship()


class ApiKey(db.Model):
    """A key for Open311 clients; only its hash is kept."""
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]]
    # The body the key belongs to: it sees the requests sent to that body.
    organization_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organizations.id", ondelete="SET NULL"))
    organization: Mapped[Optional["Organization"]] = relationship()


class ActionItem(db.Model):
    """An åtgärd in the action plan."""
    __tablename__ = "action_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    organization_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organizations.id"))
    contact_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("contacts.id"))
    mandate: Mapped[str] = mapped_column(sa.Text, default="")
    resources: Mapped[str] = mapped_column(sa.Text, default="")
    start_date: Mapped[Optional[dt.date]]
    due_date: Mapped[Optional[dt.date]]
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    indicators: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    horizon: Mapped[str] = mapped_column(sa.String(10), default="short")
    priority: Mapped[str] = mapped_column(sa.String(10), default="medium")
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    due_reminded_on: Mapped[Optional[dt.date]]  # the due date the "due soon" mail was sent for
    overdue_reminded_on: Mapped[Optional[dt.date]]  # the day the last "overdue" mail was sent
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    area: Mapped[Area] = relationship()
    organization: Mapped[Optional[Organization]] = relationship()
    contact: Mapped[Optional[Contact]] = relationship()
    observations: Mapped[list[Observation]] = relationship(secondary=action_observations)
    updates: Mapped[list["ActionUpdate"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionUpdate.at")


class ActionUpdate(db.Model):
    __tablename__ = "action_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("action_items.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # field -> [old, new]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    action: Mapped[ActionItem] = relationship(back_populates="updates")
    user: Mapped[Optional[User]] = relationship()


class Meeting(db.Model):
    """A follow-up meeting of an area's collaboration."""
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("areas.id"), index=True)
    held_on: Mapped[dt.date]
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    area: Mapped[Area] = relationship()
    actions: Mapped[list[ActionItem]] = relationship(secondary=meeting_actions)


class Address(db.Model):
    """A street address from the municipality's address file: reverse geocoding with no third party."""
    __tablename__ = "addresses"
    __table_args__ = (sa.Index("ix_addresses_lat_lon", "lat", "lon"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(sa.String(200))
    number: Mapped[str] = mapped_column(sa.String(20), default="")
    postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    lat: Mapped[float]
    lon: Mapped[float]


class JobState(db.Model):
    """When each scheduled job last ran; `running_since` is its claim while it runs."""
    __tablename__ = "job_states"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    running_since: Mapped[Optional[dt.datetime]]
    last_started_at: Mapped[Optional[dt.datetime]]
    last_finished_at: Mapped[Optional[dt.datetime]]
    last_summary: Mapped[str] = mapped_column(sa.Text, default="")


class AuditEvent(db.Model):
    """Who changed what and when."""
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("users.id"))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(40))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    area_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("areas.id"), index=True)  # for filtering
    user: Mapped[Optional[User]] = relationship()
    area: Mapped[Optional[Area]] = relationship()


def _area_id_of(obj) -> int | None:
    """The area an audited object belongs to (itself, its own area, or its walk's)."""
    if isinstance(obj, Area):
        return obj.id
    if getattr(obj, "area_id", None) is not None:
        return obj.area_id
    walk = getattr(obj, "walk", None)
    return walk.area_id if isinstance(walk, Walk) else None


def audit(user, obj, action: str, **details) -> AuditEvent:
    """Record an event in the current session (the caller commits)."""
    event = AuditEvent(user_id=getattr(user, "id", None), object_type=type(obj).__name__,
                       object_id=obj.id, action=action, details=details, area_id=_area_id_of(obj))
    db.session.add(event)
    return event
