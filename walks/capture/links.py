"""Signed, expiring photo links for the recipients of a fault report (who have no account).

A link names one stored file and the day it stops working, signed with the app's SECRET_KEY
(itsdangerous), so it cannot be changed to point at another photo or to last longer. A photo whose
observation is hidden or merged away stops being served, as on the staff pages.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from ..models import Photo, utcnow
from ..observations import is_visible
from . import service

SALT = "photo-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def photo_token(filename: str, expires: dt.datetime) -> str:
    return _serializer().dumps({"file": filename, "until": int(expires.timestamp())})


def photo_link(photo: Photo, days: int = 90, thumbnail: bool = False) -> str:
    """An absolute URL that serves the photo (or its thumbnail) to anyone for `days` days."""
    expires = utcnow().replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=days)
    token = photo_token(photo.thumb_filename if thumbnail else photo.filename, expires)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("capture.signed_photo", token=token)
    return url_for("capture.signed_photo", token=token, _external=True)


def photo_filename(token: str) -> str | None:
    """The file a valid, unexpired link names, while its observation is still shown; else None."""
    try:
        claim = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(claim, dict) or not isinstance(claim.get("until"), int) \
            or not isinstance(claim.get("file"), str):
        return None
    if claim["until"] < utcnow().replace(tzinfo=dt.timezone.utc).timestamp():
        return None
    photo = service.photo_by_filename(claim["file"])
    if photo is None or not is_visible(photo.observation):
        return None
    return claim["file"]
