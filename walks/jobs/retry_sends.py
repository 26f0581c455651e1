"""Try failed sends again with backoff (SEND_RETRY_MINUTES), until SEND_MAX_ATTEMPTS tries in all.

Each report is taken with the same conditional-update claim as the Send button, limited to reports
whose next try is due, so two machines (or a coordinator pressing Send) never send it twice.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..models import FaultReport
from ..reports import delivery
from ..reports import service as reports
from .runner import job

RETRY_EVERY = dt.timedelta(minutes=1)


def retry_report(report: FaultReport | None, now: dt.datetime) -> str:
    """One due report: sent, failed (tried again later), gave_up, or skipped (claimed or deleted elsewhere)."""
    if report is None:
        return "skipped"
    try:
        claimed = reports.claim_for_sending(report, retry_due=now)
    except reports.ReportError:
        db.session.rollback()
        return "skipped"
    db.session.commit()
    if not claimed:
        return "skipped"
    sent = delivery.deliver(report, None, current_app.config["BABEL_DEFAULT_LOCALE"])
    db.session.commit()
    if sent:
        return "sent"
    return "gave_up" if report.gave_up_at is not None else "failed"


@job("retry-sends", every=RETRY_EVERY, help="Try fault reports whose send failed again, with backoff.")
def retry_sends(now: dt.datetime) -> str:
    counts: dict[str, int] = defaultdict(int)
    config = current_app.config
    # Links in the mail (photos) need a request to be built against: the public address.
    with current_app.test_request_context(base_url=config.get("PUBLIC_BASE_URL") or "http://localhost/"), \
            force_locale(config["BABEL_DEFAULT_LOCALE"]):
        for report_id in reports.reports_to_retry(now):
            counts[retry_report(db.session.get(FaultReport, report_id), now)] += 1
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "nothing to retry"
