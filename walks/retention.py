"""Retention: what is kept only for a while. Run `flask --app app purge` from cron (see README).

Photos of observations that are resolved or dismissed go PHOTO_RETENTION_MONTHS after the observation
last changed (the observation itself stays: place, category, text and history); participants' names
go NAME_RETENTION_MONTHS after their walk. Idempotent: a second run finds nothing more to do.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import photos
from .extensions import db
from .models import Observation, Participant, Photo, Walk, utcnow

FINISHED = ("resolved", "dismissed")


@dataclass
class Purge:
    photos: int
    names: int


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def expired_photos(cutoff: dt.datetime) -> list[Photo]:
    return list(db.session.scalars(
        sa.select(Photo).join(Observation, Observation.id == Photo.observation_id)
        .where(Observation.status.in_(FINISHED), Observation.updated_at < cutoff).order_by(Photo.id)))


def expired_names(cutoff: dt.datetime) -> list[Participant]:
    walk_end = sa.func.coalesce(Walk.ends_at, Walk.starts_at)
    return list(db.session.scalars(
        sa.select(Participant).join(Walk, Walk.id == Participant.walk_id)
        .where(Participant.display_name != "", walk_end < cutoff).order_by(Participant.id)))


def purge(*, upload_dir: str, photo_months: int, name_months: int, now: dt.datetime | None = None,
          dry_run: bool = False) -> Purge:
    """Remove what has been kept long enough (flush; the caller commits). dry_run only counts."""
    now = now or utcnow()
    old_photos = expired_photos(months_before(now, photo_months))
    old_names = expired_names(months_before(now, name_months))
    if not dry_run:
        for photo in old_photos:
            photos.delete_photo(db.session, upload_dir, photo)
        for participant in old_names:
            participant.display_name = ""
        db.session.flush()
    return Purge(len(old_photos), len(old_names))


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@with_appcontext
def purge_command(dry_run: bool):
    """Remove photos of finished observations and participants' names after the retention periods."""
    config = current_app.config
    result = purge(upload_dir=config["UPLOAD_DIR"], photo_months=config["PHOTO_RETENTION_MONTHS"],
                   name_months=config["NAME_RETENTION_MONTHS"], dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"Would remove {result.photos} photos (older than {config['PHOTO_RETENTION_MONTHS']} months, "
                   f"resolved or dismissed) and {result.names} participants' names (walks more than "
                   f"{config['NAME_RETENTION_MONTHS']} months ago). Nothing was changed.")
        return
    db.session.commit()
    click.echo(f"Removed {result.photos} photos and {result.names} participants' names.")


def init_app(app) -> None:
    app.cli.add_command(purge_command)
