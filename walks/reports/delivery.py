"""Sending a claimed report: e-mail over SMTP, or one Open311 service request per item."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from .. import net
from ..extensions import db
from ..models import FaultReport
from ..safe_text import download_name, mail_header
from . import outputs, service

OPEN311_TIMEOUT = (5, 20)  # connect, read (seconds)
OPEN311_DESCRIPTION_MAX = 4000


class DeliveryError(Exception):
    """The recipient's server refused or could not be reached; str() says why."""


def deliver(report: FaultReport, user, locale: str = "sv") -> bool:
    """Send a report claimed with service.claim_for_sending; mark it sent, or failed and still a draft."""
    try:
        if report.channel == "email":
            send_email(report, locale)
        elif report.channel == "open311":
            forward_open311(report, locale)
        elif report.channel != "paper":
            raise DeliveryError(_("Unknown channel %(channel)s.", channel=report.channel))
    except DeliveryError as error:
        service.mark_failed(report, user, str(error))
        return False
    except SQLAlchemyError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever failed, the claim is released and the reason kept
        current_app.logger.exception("Sending report %s failed", report.id)
        service.mark_failed(report, user, _("Sending failed: %(error)s", error=str(error) or type(error).__name__))
        return False
    service.mark_sent(report, user)
    return True


# --- e-mail -----------------------------------------------------------------------------------------

def item_lines(report: FaultReport, views, photo_links: bool) -> str:
    lines = []
    for view in views:
        lines += [f"{view.number}. {view.category}",
                  f"   {view.description}" if view.description else None,
                  f"   WGS84: {view.lat:.6f}, {view.lon:.6f}",
                  f"   SWEREF 99 TM: N {view.north:.1f} E {view.east:.1f}",
                  f"   {_('Address')}: {view.address}" if view.address else None,
                  f"   {_('Observed')}: {view.observed_at}"]
        if photo_links:
            lines += [f"   {_('Photo')}: {outputs.photo_url(report, photo)}" for photo in view.photos]
        lines.append("")
    return "\n".join(line for line in lines if line is not None)


def build_email(report: FaultReport, locale: str = "sv") -> EmailMessage:
    config = current_app.config
    views = outputs.item_views(report, locale)
    photos = [(view, index, photo, outputs.photo_path(photo))
              for view in views for index, photo in enumerate(view.photos, start=1)]
    photos = [entry for entry in photos if entry[3].is_file()]
    total = sum(path.stat().st_size for *_, path in photos)
    photo_links = total > config["MAIL_MAX_ATTACHMENT_BYTES"]

    message = EmailMessage()
    subject = _("Fault report %(reference)s", reference=report.reference)
    if report.area:
        subject += f" – {report.area.name}"
    message["Subject"] = mail_header(subject)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = mail_header(report.organization.report_email)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rpartition("@")[2] or None)
    body = [report.cover_text, "",
            _("Reference: %(reference)s", reference=report.reference),
            _("Number of items: %(count)s", count=len(views)), "", item_lines(report, views, photo_links)]
    if photo_links:
        body.append(_("The photos are too large to attach; follow the links above."))
    message.set_content("\n".join(body))
    if not photo_links:
        for view, index, photo, path in photos:
            subtype = (photo.content_type or "image/jpeg").partition("/")[2] or "jpeg"
            message.add_attachment(path.read_bytes(), maintype="image", subtype=subtype,
                                   filename=download_name(f"{report.reference}-{view.number}-{index}.{subtype}"))
    message.add_attachment(outputs.report_pdf(report, locale), maintype="application", subtype="pdf",
                           filename=download_name(f"{report.reference}.pdf"))
    return message


def send_email(report: FaultReport, locale: str = "sv") -> None:
    smtp_send(build_email(report, locale))


def smtp_send(message: EmailMessage) -> None:
    """Send one message through the configured SMTP server, or DeliveryError saying why not."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(_("The e-mail could not be sent (%(server)s:%(port)s): %(error)s",
                              server=config["MAIL_SERVER"], port=config["MAIL_PORT"],
                              error=str(error) or type(error).__name__)) from None


# --- Open311 ----------------------------------------------------------------------------------------

def open311_description(report: FaultReport, view) -> str:
    text = "\n".join(part for part in (
        view.description,
        f"SWEREF 99 TM: N {view.north:.1f} E {view.east:.1f}",
        _("Reference: %(reference)s", reference=report.reference)) if part)
    return text[:OPEN311_DESCRIPTION_MAX]


def _open311_error(response: requests.Response) -> str:
    try:
        errors = response.json()
        described = "; ".join(f"{e.get('code')}: {e.get('description')}" for e in errors)
    except (ValueError, TypeError, AttributeError):
        described = response.text[:200]
    return _("The Open311 server answered %(status)s: %(errors)s", status=response.status_code,
             errors=described)


def forward_open311(report: FaultReport, locale: str = "sv") -> None:
    """One POST per item; items that already have the recipient's id are skipped (a retry)."""
    organization = report.organization
    url = organization.open311_base_url.rstrip("/") + "/requests.json"
    codes = organization.open311_service_codes or {}
    for view in outputs.item_views(report, locale):
        item = view.item
        if item.external_id or item.external_token:
            continue
        category = item.observation.category
        data = {"api_key": organization.open311_api_key or "",
                "service_code": codes.get(category.code, category.code),
                "lat": f"{view.lat:.6f}", "long": f"{view.lon:.6f}",
                "description": open311_description(report, view)}
        if organization.open311_jurisdiction:
            data["jurisdiction_id"] = organization.open311_jurisdiction
        if view.address:
            data["address_string"] = view.address
        if view.photos:
            data["media_url"] = outputs.photo_url(report, view.photos[0])
        elif item.observation.media_url:
            data["media_url"] = item.observation.media_url
        try:
            response = net.post(url, data=data, timeout=OPEN311_TIMEOUT)
        except net.OutboundRefused as refused:
            raise DeliveryError(str(refused)) from None
        except requests.RequestException as error:
            raise DeliveryError(_("The Open311 server could not be reached: %(error)s",
                                  error=type(error).__name__)) from None
        if response.status_code >= 400:
            raise DeliveryError(_open311_error(response))
        try:
            answer = response.json()[0]
            request_id, token = answer.get("service_request_id"), answer.get("token")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise DeliveryError(_("The Open311 server's answer was not understood.")) from None
        if not request_id and not token:
            raise DeliveryError(_("The Open311 server returned neither a service_request_id nor a token."))
        item.external_id = str(request_id or "")[:120]
        item.external_token = str(token or "")[:120] if not request_id else ""
        db.session.flush()  # kept even if a later item fails: a retry skips this one
