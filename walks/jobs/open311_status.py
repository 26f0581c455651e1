"""Fetch recipients' answers: GET the service requests we forwarded, apply open/closed and their notes.

Open311 GeoReport v2: `GET {base}/requests.json?service_request_id=a,b,c` (several ids in one call) and
`GET {base}/tokens/{token}.json` for requests the recipient had not numbered yet. A recipient that is
down, slow or answers garbage changes nothing and is counted; a status that would go backwards is ignored.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import requests
import sqlalchemy as sa

from .. import net
from ..batches import batched
from ..extensions import db
from ..models import FaultReport, FaultReportItem, Organization
from ..reports import service as reports
from .runner import job

BATCH = 100
TIMEOUT = (5, 15)
CHECK_EVERY = dt.timedelta(minutes=15)
OPEN_ITEM_STATUSES = ("sent", "acknowledged")


def _claim(ids: Sequence[int], now: dt.datetime) -> list[int]:
    """Mark these items as being checked now; only the ids this caller claimed come back."""
    claimed = db.session.execute(
        sa.update(FaultReportItem)
        .where(FaultReportItem.id.in_(ids),
               sa.or_(FaultReportItem.recipient_checked_at.is_(None),
                      FaultReportItem.recipient_checked_at <= now - CHECK_EVERY))
        .values(recipient_checked_at=now).returning(FaultReportItem.id)).scalars().all()
    db.session.commit()
    return list(claimed)


def _get_json(url: str, params: dict | None = None):
    response = net.get(url, params=params, timeout=TIMEOUT, allow_redirects=False)
    response.raise_for_status()
    return response.json()


def _answers(base: str, ids: list[str], jurisdiction: str | None) -> dict[str, dict]:
    params = {"service_request_id": ",".join(ids)}
    if jurisdiction:
        params["jurisdiction_id"] = jurisdiction
    data = _get_json(f"{base}/requests.json", params)
    if not isinstance(data, list):
        raise ValueError("not a list of requests")
    return {str(entry.get("service_request_id")): entry for entry in data
            if isinstance(entry, dict) and entry.get("service_request_id") is not None}


def apply_answer(item: FaultReportItem, answer: dict) -> str:
    """Apply one recipient answer to an item; what happened: closed, open, ignored."""
    status = str(answer.get("status") or "").lower()
    notes = answer.get("status_notes")
    if isinstance(notes, str) and notes.strip():
        item.recipient_notes = notes.strip()[:2000]
    if status not in ("open", "closed"):
        return "ignored"
    if status == "closed" and item.recipient_status == "closed":
        return "unchanged"  # opened again here after a walker said "not fixed": their old answer is not news
    item.recipient_status = status
    if status == "closed":
        reports.set_item_status(item, "resolved", None, flush=False)
        return "closed"
    if item.status == "sent":
        reports.set_item_status(item, "acknowledged", None, flush=False)
    return "open"


def _resolve_tokens(base: str, items: list[FaultReportItem], counts: dict) -> None:
    for item in items:
        try:
            data = _get_json(f"{base}/tokens/{requests.utils.quote(item.external_token, safe='')}.json")
            request_id = data[0].get("service_request_id") if isinstance(data, list) and data else None
        except (requests.RequestException, ValueError, AttributeError, TypeError, KeyError):
            counts["errors"] += 1  # net.OutboundRefused is a ValueError: a refused address counts here
            continue
        if request_id:
            item.external_id = str(request_id)[:120]
            counts["numbered"] += 1


def fetch_organization(organization: Organization, items: list[FaultReportItem], counts: dict) -> None:
    base = organization.open311_base_url.rstrip("/")
    _resolve_tokens(base, [i for i in items if not i.external_id and i.external_token], counts)
    numbered = [i for i in items if i.external_id]
    for batch in batched(numbered, BATCH):
        try:
            answers = _answers(base, [i.external_id for i in batch], organization.open311_jurisdiction)
        except (requests.RequestException, ValueError):
            counts["errors"] += 1
            continue
        for item in batch:
            answer = answers.get(item.external_id)
            if answer is None:
                counts["unknown"] += 1
                continue
            try:
                counts[apply_answer(item, answer)] += 1
            except reports.ReportError:
                counts["ignored"] += 1
        db.session.flush()  # one flush per batch of answers; the caller commits per organization


def _items(ids: list[int]) -> list[FaultReportItem]:
    """The items with their report, the report's items and their observations: no query per item."""
    return list(db.session.scalars(
        sa.select(FaultReportItem).where(FaultReportItem.id.in_(ids)).order_by(FaultReportItem.id)
        .options(sa.orm.selectinload(FaultReportItem.report).selectinload(FaultReport.items)
                 .selectinload(FaultReportItem.observation))))


@job("open311-status", every=CHECK_EVERY, help="Fetch the status of faults forwarded by Open311.")
def fetch_open311_status(now: dt.datetime) -> str:
    candidates = db.session.execute(
        sa.select(FaultReportItem.id, FaultReport.organization_id).join(FaultReport).join(Organization)
        .where(FaultReport.channel == "open311", Organization.open311_base_url.is_not(None),
               FaultReportItem.status.in_(OPEN_ITEM_STATUSES),
               sa.or_(FaultReportItem.external_id != "", FaultReportItem.external_token != ""))
        .order_by(FaultReportItem.id)).all()
    by_organization: dict[int, list[int]] = defaultdict(list)
    for item_id, organization_id in candidates:
        by_organization[organization_id].append(item_id)
    counts: dict[str, int] = defaultdict(int)
    for organization_id, ids in by_organization.items():
        for some in batched(ids, 1000):
            claimed = _claim(some, now)
            if claimed:
                fetch_organization(db.session.get(Organization, organization_id), _items(claimed), counts)
                db.session.commit()
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "nothing to fetch"
