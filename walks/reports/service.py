"""Fault reports (felanmälan): routing rules, drafts, references, statuses and safe sending.

Plain functions: they take models, values and the acting user, change the session and flush.
The routes commit. Delivery itself (SMTP, Open311) lives in `delivery.py`.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import access, geo
from ..extensions import db
from ..models import (REJECT_REASONS, Area, AuditEvent, Category, FaultReport, FaultReportItem, Observation,
                      Organization, RoutingRule, audit, utcnow)
from ..observations import is_visible, set_status
from ..web import DomainError

# A claim older than this is taken to be from a crashed worker and may be taken over.
STALE_CLAIM = dt.timedelta(minutes=10)
OPEN_STATUSES = ("sent", "acknowledged")
FINAL_ITEM_STATUSES = ("resolved", "rejected")
REPORT_TRANSITIONS = {
    "draft": ("sent",),
    "sent": ("acknowledged", "resolved", "rejected"),
    "acknowledged": ("resolved", "rejected"),
}
ITEM_TRANSITIONS = REPORT_TRANSITIONS


class ReportError(DomainError):
    """A refused change; `field` names the form field it belongs to, if any."""


# --- recipients and routing rules -------------------------------------------------------------------

def recipient_problem(organization: Organization) -> str | None:
    """Why this organization cannot receive fault reports, or None."""
    if organization.report_channel == "email":
        try:
            validate_email(organization.report_email or "", check_deliverability=False)
        except EmailNotValidError:
            return str(_l("%(name)s receives fault reports by e-mail but its address “%(email)s” is not valid.",
                          name=organization.name, email=organization.report_email or ""))
    elif organization.report_channel == "open311":
        if not re.match(r"^https?://[^\s/]+", organization.open311_base_url or ""):
            return str(_l("%(name)s receives fault reports by Open311 but has no valid endpoint URL.",
                          name=organization.name))
    elif organization.report_channel != "paper":
        return str(_l("%(name)s has an unknown report channel.", name=organization.name))
    return None


def save_rule(area: Area, user, *, category_id, organization_id, sub_area_raw: str = "",
              sub_area_name: str = "", rule: RoutingRule | None = None) -> RoutingRule:
    """Create (or update) a routing rule after checking every input; raises ReportError."""
    category = db.session.get(Category, _int_or_none(category_id)) if _int_or_none(category_id) else None
    if category is None or category.retired:
        raise ReportError(_l("Choose a known category."), "category_id")
    if not is_fault_category(category):
        raise ReportError(_l("Only fault categories are sent as fault reports."), "category_id")
    organization = db.session.get(Organization, _int_or_none(organization_id)) \
        if _int_or_none(organization_id) else None
    if organization is None or (user is not None and not access.can_view(user, organization)):
        raise ReportError(_l("Choose a known recipient."), "organization_id")
    problem = recipient_problem(organization)
    if problem:
        raise ReportError(problem, "organization_id")
    sub_area = None
    if sub_area_raw and sub_area_raw.strip():
        try:
            sub_area = geo.validate_polygon(
                geo.parse_geojson(sub_area_raw.strip(), current_app.config["MAX_GEOJSON_BYTES"]))
        except geo.GeoJSONError as error:
            raise ReportError(str(error), "sub_area") from None
    name = (sub_area_name or "").strip()[:200]
    if sub_area is not None and not name:
        raise ReportError(_l("Give the sub-area a name, e.g. the property owner's estate."), "sub_area_name")
    if rule is None:
        rule = RoutingRule(area_id=area.id)
        db.session.add(rule)
        action = "create"
    else:
        action = "update"
    rule.category_id, rule.organization_id = category.id, organization.id
    rule.sub_area, rule.sub_area_name = sub_area, name if sub_area is not None else ""
    db.session.flush()
    audit(user, rule, action, category=category.code, organization=organization.name,
          sub_area=bool(sub_area))
    return rule


PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{3,38}$")


def set_area_sender(area: Area, user, *, reply_to: str, reply_name: str, reply_phone: str) -> None:
    """The area's Reply-To and signature for fault report mails; empty: its first coordinator."""
    reply_to, reply_name, reply_phone = (reply_to or "").strip(), (reply_name or "").strip(), \
        (reply_phone or "").strip()
    if reply_to:
        try:
            reply_to = validate_email(reply_to, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ReportError(_l("“%(email)s” is not an e-mail address.", email=reply_to), "reply_to") from None
    if reply_phone and not PHONE.match(reply_phone):
        raise ReportError(_l("Write the phone number with digits, e.g. 031-365 00 00."), "reply_phone")
    if len(reply_name) > 120:
        raise ReportError(_l("The name can be at most %(n)d characters.", n=120), "reply_name")
    area.reply_to, area.reply_name, area.reply_phone = reply_to, reply_name, reply_phone
    db.session.flush()
    audit(user, area, "mail_sender", reply_to=reply_to, reply_name=reply_name, reply_phone=reply_phone)


def delete_rule(rule: RoutingRule, user) -> None:
    audit(user, rule, "delete", category=rule.category.code, organization=rule.organization.name)
    db.session.delete(rule)
    db.session.flush()


def publish_on_open311(area: Area, user, public: bool) -> None:
    """The coordinator's choice: the area's fault items on the open Open311 API, or nothing of them."""
    if area.open311_public != public:
        area.open311_public = public
        db.session.flush()
        audit(user, area, "open311_public", public=public)


def rules_for_area(area: Area) -> list[RoutingRule]:
    return list(db.session.scalars(
        sa.select(RoutingRule).join(Category).where(RoutingRule.area_id == area.id)
        .order_by(Category.sort_order, RoutingRule.sub_area_name == "", RoutingRule.id)))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def route_fault(observation: Observation) -> Organization | None:
    """The recipient of a fault: a sub-area rule containing the point wins over an area-wide rule."""
    area_id = access.area_id_of(observation)
    if not is_fault_category(observation.category) or area_id is None:
        return None
    rules = db.session.scalars(sa.select(RoutingRule).where(
        RoutingRule.area_id == area_id, RoutingRule.category_id == observation.category_id)
        .order_by(RoutingRule.id)).all()
    for rule in rules:
        if rule.sub_area and geo.contains(rule.sub_area, observation.lat, observation.lon):
            return rule.organization
    for rule in rules:
        if not rule.sub_area:
            return rule.organization
    return None


# --- drafts -----------------------------------------------------------------------------------------

def is_fault_category(category: Category) -> bool:
    """A fault someone can fix; a positive category ("tryggt och bra") never is, whatever its flag says."""
    return category.is_fault and category.theme != "positive"


def reportable(observation: Observation) -> bool:
    return is_fault_category(observation.category) and is_visible(observation)


def already_reported(observation: Observation) -> bool:
    """In a report already (an item not rejected): building again must not add it twice."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(FaultReportItem).where(
        FaultReportItem.observation_id == observation.id, FaultReportItem.status != "rejected")) > 0


def build_drafts(observations, user) -> tuple[list[FaultReport], list[Observation]]:
    """One draft per recipient for the reportable faults; returns (drafts, faults with no recipient).

    Observations already in a report are left where they are; an existing draft for the same
    recipient and walk is filled rather than a second one made.
    """
    grouped: OrderedDict[int, list[Observation]] = OrderedDict()
    organizations: dict[int, Organization] = {}
    unrouted = []
    for observation in sorted(observations, key=lambda o: (o.observed_at, o.id)):
        if not reportable(observation) or already_reported(observation):
            continue
        organization = route_fault(observation)
        if organization is None:
            unrouted.append(observation)
            continue
        organizations[organization.id] = organization
        grouped.setdefault(organization.id, []).append(observation)
    drafts = []
    for organization_id, members in grouped.items():
        walk_ids = {o.walk_id for o in members}
        walk_id = walk_ids.pop() if len(walk_ids) == 1 else None
        report = db.session.scalar(sa.select(FaultReport).where(
            FaultReport.organization_id == organization_id, FaultReport.status == "draft",
            FaultReport.walk_id.is_(None) if walk_id is None else FaultReport.walk_id == walk_id)
            .order_by(FaultReport.id))
        if report is None:
            report = new_draft(organizations[organization_id], user, walk_id=walk_id,
                               area_id=access.area_id_of(members[0]))
        for observation in members:
            report.items.append(FaultReportItem(observation=observation, status="draft"))
        db.session.flush()
        audit(user, report, "add_items", observations=[o.id for o in members])
        drafts.append(report)
    return drafts, unrouted


def unrouted_faults(observations) -> list[Observation]:
    """The reportable faults not in any report that no rule routes: shown, never dropped."""
    return [o for o in observations
            if reportable(o) and not already_reported(o) and route_fault(o) is None]


def new_draft(organization: Organization, user, *, walk_id=None, area_id=None) -> FaultReport:
    report = FaultReport(reference=next_reference(utcnow().year), organization=organization,
                         channel=organization.report_channel, walk_id=walk_id, area_id=area_id,
                         status="draft", created_by_id=getattr(user, "id", None))
    report.cover_text = default_cover_text(report)
    db.session.add(report)
    db.session.flush()
    audit(user, report, "create", reference=report.reference, organization=organization.name)
    return report


def default_cover_text(report: FaultReport) -> str:
    return str(_l("Hello,\n\nDuring a safety walk we noted the faults listed below, which we believe are yours to "
                  "fix. Each has its position (WGS84 and SWEREF 99 TM), a description and photos. Please quote "
                  "our reference %(reference)s when you reply.\n\nKind regards",
                  reference=report.reference))


def next_reference(year: int) -> str:
    """The next free reference of the year, e.g. TV-2026-0042 (sequential per year)."""
    prefix = f"{current_app.config['REPORT_REFERENCE_PREFIX']}-{year}-"
    existing = db.session.scalars(sa.select(FaultReport.reference).where(
        FaultReport.reference.like(prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\")))
    numbers = [int(ref[len(prefix):]) for ref in existing if ref[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _require_draft(report: FaultReport) -> None:
    if report.status != "draft" or report.sending_since is not None:
        raise ReportError(_l("Only a draft that is not being sent can be changed."))


def move_item(item: FaultReportItem, target: FaultReport, user) -> FaultReportItem:
    source = item.report
    _require_draft(source)
    _require_draft(target)
    if target.id == source.id:
        return item
    if any(other.observation_id == item.observation_id for other in target.items):
        raise ReportError(_l("That observation is already in the other report."))
    item.report = target
    db.session.flush()
    audit(user, target, "move_item", observation=item.observation_id, source=source.reference)
    return item


def remove_item(item: FaultReportItem, user) -> None:
    """Leave an observation out of a draft."""
    report = item.report
    _require_draft(report)
    audit(user, report, "remove_item", observation=item.observation_id)
    report.items.remove(item)
    db.session.flush()


def update_draft(report: FaultReport, user, *, cover_text: str) -> None:
    _require_draft(report)
    report.cover_text = (cover_text or "").strip()
    db.session.flush()
    audit(user, report, "edit_cover")


def set_address(item: FaultReportItem, user, address: str) -> None:
    """The street address the coordinator typed for an item (kept on the observation)."""
    item.observation.address = address.strip()[:300]
    db.session.flush()
    audit(user, item.observation, "set_address", address=item.observation.address)


def delete_draft(report: FaultReport, user) -> None:
    _require_draft(report)
    audit(user, report, "delete", reference=report.reference)
    db.session.delete(report)
    db.session.flush()


# --- statuses ---------------------------------------------------------------------------------------

def _stamp(obj, status: str, when: dt.datetime) -> None:
    if hasattr(obj, f"{status}_at"):
        setattr(obj, f"{status}_at", when)


def set_report_status(report: FaultReport, status: str, user, *, reason: str | None = None) -> None:
    """acknowledged / resolved / rejected (sending is `mark_sent`); open items follow the report."""
    if status not in REPORT_TRANSITIONS.get(report.status, ()) or status == "sent":
        raise ReportError(_l("A report that is %(old)s cannot become %(new)s.", old=report.status, new=status))
    if status == "rejected" and reason not in REJECT_REASONS:
        raise ReportError(_l("Choose why the report was rejected."), "reason")
    now = utcnow()
    report.status = status
    _stamp(report, status, now)
    report.reject_reason = reason if status == "rejected" else None
    for item in report.items:
        if status in ITEM_TRANSITIONS.get(item.status, ()):
            _apply_item_status(item, status, reason, user)
    db.session.flush()
    audit(user, report, status, reason=reason)


def set_item_status(item: FaultReportItem, status: str, user, *, reason: str | None = None,
                    flush: bool = True) -> None:
    """`flush=False`: the caller applies many at once and flushes them together (the Open311 fetch)."""
    if status not in ITEM_TRANSITIONS.get(item.status, ()) or status == "sent":
        raise ReportError(_l("An item that is %(old)s cannot become %(new)s.", old=item.status, new=status))
    if status == "rejected" and reason not in REJECT_REASONS:
        raise ReportError(_l("Choose why the item was rejected."), "reason")
    _apply_item_status(item, status, reason, user)
    report = item.report
    if status == "acknowledged" and report.status == "sent":
        report.status, report.acknowledged_at = "acknowledged", utcnow()
    if all(i.status in FINAL_ITEM_STATUSES for i in report.items) and report.status in OPEN_STATUSES:
        final = "resolved" if any(i.status == "resolved" for i in report.items) else "rejected"
        report.status = final
        _stamp(report, final, utcnow())
        if final == "rejected":
            report.reject_reason = reason
    if flush:
        db.session.flush()
    audit(user, item.observation, f"item_{status}", report=report.reference, reason=reason)


def reopen_item(item: FaultReportItem, user, *, event: str = "report_reopened", **details) -> None:
    """A resolved item open again (a walker says it is not fixed): it is "acknowledged" once more, its
    report with it, and the observation follows. The recipient's old "closed" is not news, so the
    status fetch leaves it open."""
    if item.status == "resolved":
        item.status = "acknowledged"
        report = item.report
        if report.status == "resolved":
            report.status, report.resolved_at = "acknowledged", None
        audit(user, item.observation, "item_reopened", report=report.reference)
    set_status(item.observation, event, user, **details)


ITEM_EVENTS = {"resolved": "report_resolved", "rejected": "report_rejected"}


def _apply_item_status(item: FaultReportItem, status: str, reason: str | None, user) -> None:
    """The item's new status; its observation keeps the strongest state of what it is part of."""
    item.status = status
    item.reject_reason = reason if status == "rejected" else None
    if status in ITEM_EVENTS:
        set_status(item.observation, ITEM_EVENTS[status], user, report=item.report.reference, reason=reason)


def set_external_ref(report: FaultReport, user, external_ref: str) -> None:
    if report.status == "draft":
        raise ReportError(_l("The recipient's reference can be recorded once the report is sent."))
    report.external_ref = external_ref.strip()[:120]
    db.session.flush()
    audit(user, report, "external_ref", external_ref=report.external_ref)


# --- safe sending -----------------------------------------------------------------------------------

def claim_for_sending(report: FaultReport, retry_due: dt.datetime | None = None) -> bool:
    """Take the report for sending with one conditional UPDATE: a second click gets False.

    With `retry_due` (the retry-sends job), only a failed send whose next attempt is due by then is
    taken, so a report tried a moment ago by another machine is left alone.
    The caller commits at once, so that a concurrent request sees the claim.
    """
    if not report.items:
        raise ReportError(_l("The report has no items: add observations or delete it."))
    if report.status == "draft" and report.sending_since is None:
        report.channel = report.organization.report_channel  # the recipient may have changed its channel
        db.session.flush()
    now = utcnow()
    conditions = [FaultReport.id == report.id, FaultReport.status == "draft",
                  sa.or_(FaultReport.sending_since.is_(None), FaultReport.sending_since < now - STALE_CLAIM)]
    if retry_due is not None:
        conditions.append(FaultReport.next_attempt_at <= retry_due)
    result = db.session.execute(
        sa.update(FaultReport)
        .where(*conditions)
        .values(sending_since=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(report)
    return result.rowcount == 1


def mark_sent(report: FaultReport, user) -> None:
    now = utcnow()
    report.status, report.sent_at, report.sending_since = "sent", now, None
    report.last_error = ""
    report.send_attempts += 1
    report.next_attempt_at = report.gave_up_at = None
    for item in report.items:
        item.status = "sent"
    for item in report.items:
        set_status(item.observation, "sent", user, report=report.reference)
    db.session.flush()
    audit(user, report, "sent", channel=report.channel, attempts=report.send_attempts)


def mark_failed(report: FaultReport, user, error: str) -> None:
    """Keep the error and plan the next try (retry-sends job), or give up after SEND_MAX_ATTEMPTS."""
    now = utcnow()
    report.sending_since = None
    report.last_error = error[:2000]
    report.send_attempts += 1
    delay = retry_delay(report.send_attempts)
    if delay is None:
        report.next_attempt_at, report.gave_up_at = None, report.gave_up_at or now
    else:
        report.next_attempt_at = now + delay
    db.session.flush()
    audit(user, report, "send_failed", error=report.last_error, attempts=report.send_attempts)


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long after the `attempts`-th failed try the next one is due; None: no more tries."""
    config = current_app.config
    if attempts >= config["SEND_MAX_ATTEMPTS"]:
        return None
    minutes = config["SEND_RETRY_MINUTES"]
    return dt.timedelta(minutes=minutes[min(attempts, len(minutes)) - 1])


def reports_to_retry(now: dt.datetime) -> list[int]:
    """Ids of the drafts whose failed send is due to be tried again, the longest waiting first."""
    return list(db.session.scalars(sa.select(FaultReport.id).where(
        FaultReport.status == "draft", FaultReport.next_attempt_at <= now)
        .order_by(FaultReport.next_attempt_at, FaultReport.id)))


# --- overview ---------------------------------------------------------------------------------------

def _reports(user):
    """The reports of the areas this user may see (all of them for a call without a user)."""
    query = sa.select(FaultReport)
    return query if user is None else query.where(access.area_filter(user, FaultReport.area_id))


def open_reports(user=None) -> list[FaultReport]:
    """Everything sent and not yet resolved or rejected, oldest first."""
    return list(db.session.scalars(_reports(user).where(FaultReport.status.in_(OPEN_STATUSES))
                                   .order_by(FaultReport.sent_at, FaultReport.id)))


def draft_reports(user=None, walk_id: int | None = None) -> list[FaultReport]:
    query = _reports(user).where(FaultReport.status == "draft")
    if walk_id is not None:
        query = query.where(FaultReport.walk_id == walk_id)
    return list(db.session.scalars(query.order_by(FaultReport.id)))


def closed_reports(user=None, limit: int = 50) -> list[FaultReport]:
    return list(db.session.scalars(_reports(user).where(
        FaultReport.status.in_(FINAL_ITEM_STATUSES)).order_by(FaultReport.id.desc()).limit(limit)))


def report_history(report: FaultReport) -> list[AuditEvent]:
    """Who did what to the report and its items, and when, newest first."""
    observation_ids = [item.observation_id for item in report.items]
    events = db.session.scalars(sa.select(AuditEvent).where(sa.or_(
        sa.and_(AuditEvent.object_type == "FaultReport", AuditEvent.object_id == report.id),
        sa.and_(AuditEvent.object_type == "Observation", AuditEvent.object_id.in_(observation_ids),
                AuditEvent.action.like("item_%"))))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()
    return [e for e in events if e.object_type == "FaultReport" or e.details.get("report") == report.reference]


def days_open(report: FaultReport, now: dt.datetime | None = None) -> int:
    if report.sent_at is None:
        return 0
    return ((now or utcnow()) - report.sent_at).days
