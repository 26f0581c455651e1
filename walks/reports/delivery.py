"""Sending a claimed report: e-mail over SMTP, or one Open311 service request per item."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

import requests
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from .. import net
from ..capture.links import photo_link
from ..extensions import db
from ..models import Area, FaultReport, User, user_areas
from ..safe_text import download_name, mail_header
from ..web import DomainError
from . import outputs, service

OPEN311_TIMEOUT = (5, 20)  # connect, read (seconds)
PHOTO_LINK_DAYS = 90  # a department may open a mailed photo link this long
OPEN311_DESCRIPTION_MAX = 4000


class DeliveryError(DomainError):
    """The recipient's server refused or could not be reached; str() says why."""

    status = 502


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

def item_lines(views, links: dict[int, str]) -> str:
    """The items as plain text; `links`: photo id -> its signed link, when photos are not attached."""
    lines = []
    for view in views:
        lines += [f"{view.number}. {view.category}",
                  f"   {view.description}" if view.description else None,
                  f"   WGS84: {view.lat:.6f}, {view.lon:.6f}",
                  f"   SWEREF 99 TM: N {view.north:.1f} E {view.east:.1f}",
                  f"   {_('Address')}: {view.address}" if view.address else None,
                  f"   {_('Me too: %(n)s more walkers noted this', n=view.metoo)}" if view.metoo else None,
                  f"   {_('Observed')}: {view.observed_at}"]
        lines += [f"   {_('Photo')}: {links[photo.id]}" for photo in view.photos if photo.id in links]
        lines.append("")
    return "\n".join(line for line in lines if line is not None)


@dataclass(frozen=True)
class Sender:
    """Who a department answers: the area's coordinator (Reply-To and the signature)."""
    name: str
    email: str
    phone: str


def sender_for(area: Area | None) -> Sender | None:
    """The area's own reply address and signature, else its first coordinator; None: nobody named."""
    if area is None:
        return None
    coordinator = db.session.scalar(
        sa.select(User).join(user_areas, user_areas.c.user_id == User.id)
        .where(user_areas.c.area_id == area.id, User.role == "coordinator", User.active.is_(True))
        .order_by(User.id))
    email = area.reply_to or (coordinator.email if coordinator else "")
    name = area.reply_name or (coordinator.name if coordinator and coordinator.email == email else "")
    if not email:
        return None
    return Sender(name=name, email=email, phone=area.reply_phone)


def signature_lines(sender: Sender | None, area: Area | None) -> list[str]:
    if sender is None:
        return []
    role = _("Safety walk coordinator, %(area)s", area=area.name) if area else _("Safety walk coordinator")
    return [line for line in (sender.name, role, _("Phone: %(phone)s", phone=sender.phone) if sender.phone else "",
                              sender.email) if line]


def _photo_links_needed(photos) -> bool:
    return sum(path.stat().st_size for *_, path in photos) > current_app.config["MAIL_MAX_ATTACHMENT_BYTES"]


def build_email(report: FaultReport, locale: str = "sv") -> EmailMessage:
    """Plain text and an HTML twin (all user text escaped), photos attached or linked, the PDF.

    From stays the app's own address (MAIL_SENDER, so the recipient's spam checks pass) under the
    coordinator's name; Reply-To is the coordinator, so a department's answer reaches a person.
    """
    config = current_app.config
    views = outputs.item_views(report, locale)
    photos = [(view, index, photo, outputs.photo_path(photo))
              for view in views for index, photo in enumerate(view.photos, start=1)]
    photos = [entry for entry in photos if entry[3].is_file()]
    photo_links = _photo_links_needed(photos)
    sender = sender_for(report.area)
    signature = signature_lines(sender, report.area)
    links = {photo.id: photo_link(photo, days=PHOTO_LINK_DAYS) for view in views for photo in view.photos} \
        if photo_links else {}

    message = EmailMessage()
    subject = _("Fault report %(reference)s", reference=report.reference)
    if report.area:
        subject += f" – {report.area.name}"
    message["Subject"] = mail_header(subject)
    display = f"{sender.name} – Tryggvandring" if sender and sender.name else "Tryggvandring"
    message["From"] = formataddr((mail_header(display), config["MAIL_SENDER"]))
    if sender is not None:
        message["Reply-To"] = formataddr((mail_header(sender.name), mail_header(sender.email, 254)))
    message["To"] = mail_header(report.organization.report_email)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rpartition("@")[2] or None)
    body = [report.cover_text, "", *signature, "" if signature else None,
            _("Reference: %(reference)s", reference=report.reference),
            _("Number of items: %(count)s", count=len(views)), "", item_lines(views, links)]
    if photo_links:
        body.append(_("The photos are too large to attach; follow the links above."))
    message.set_content("\n".join(line for line in body if line is not None))
    message.add_alternative(render_template("reports/email.html", report=report, views=views, links=links,
                                            signature=signature, photo_links=photo_links), subtype="html")
    if not photo_links:
        for view, index, photo, path in photos:
            subtype = (photo.content_type or "image/jpeg").partition("/")[2] or "jpeg"
            message.add_attachment(path.read_bytes(), maintype="image", subtype=subtype,
                                   filename=download_name(f"{report.reference}-{view.number}-{index}.{subtype}"))
    message.add_attachment(outputs.report_pdf(report, locale, with_photos=not photo_links), maintype="application",
                           subtype="pdf", filename=download_name(f"{report.reference}.pdf"))
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
            data["media_url"] = photo_link(view.photos[0])  # signed, expires, stops when hidden
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
