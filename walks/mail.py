"""Sending e-mail over SMTP with the MAIL_* settings; the one place that talks to the mail server."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


class MailError(OSError):
    """The mail server could not be reached or refused the message."""


def header_text(value: str, limit: int = 200) -> str:
    """Text safe for a mail header: no line breaks or control characters, bounded length."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())[:limit]


def plain_message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = header_text(to, 254)
    message["Subject"] = header_text(subject)
    message.set_content(body)
    return message


def send(message: EmailMessage) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=20) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}: {error or type(error).__name__}") from None
