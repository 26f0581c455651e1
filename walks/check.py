"""`flask --app app check [--repair]`: find what a crash or a bug can leave behind.

- orphan files: files in UPLOAD_DIR that no photo row names (a process killed between writing a photo
  and committing its row, or a half-written temp file);
- missing files: photo rows whose photo or thumbnail is not on disk;
- observations outside the area of their walk (or their own area);
- fault reports stuck in "sending": claimed for sending longer ago than STUCK_SENDING_SECONDS.

--repair removes orphan files older than ORPHAN_MIN_AGE_SECONDS (a younger one may belong to a request
still under way) and releases stuck claims, so the report can be sent again; the rest is listed for a
person to decide. The exit status is 1 while problems remain, so cron or a monitor can notice.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import geo, photos
from .extensions import db
from .models import FaultReport, Observation, Photo, audit, utcnow


@dataclass
class Finding:
    kind: str
    text: str
    repaired: bool = False


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, text: str) -> Finding:
        finding = Finding(kind, text)
        self.findings.append(finding)
        return finding

    @property
    def remaining(self) -> list[Finding]:
        return [f for f in self.findings if not f.repaired]


def orphan_files(upload_dir: Path) -> list[Path]:
    """Files under the upload folder that no photo row names, oldest first."""
    if not upload_dir.is_dir():
        return []
    known = set()
    for filename, thumb in db.session.execute(sa.select(Photo.filename, Photo.thumb_filename)):
        known.update((filename, thumb))
    found = [path for path in upload_dir.rglob("*")
             if path.is_file() and not (path.parent == upload_dir and path.name in known)]
    return sorted(found, key=lambda path: path.stat().st_mtime)


def missing_files(upload_dir: Path) -> list[tuple[Photo, list[str]]]:
    """Photo rows whose files are neither in place nor waiting in a pending folder (walks/photos.py)."""
    pending = set(photos.pending_names(str(upload_dir), include_live=True))
    result = []
    for photo in db.session.scalars(sa.select(Photo).order_by(Photo.id)):
        missing = [name for name in (photo.filename, photo.thumb_filename)
                   if name and name not in pending and not (upload_dir / name).is_file()]
        if missing:
            result.append((photo, missing))
    return result


def observations_outside() -> list[Observation]:
    """Observations whose position is outside the boundary of their walk's area (or their own area)."""
    outside = []
    for observation in db.session.scalars(sa.select(Observation).order_by(Observation.id)):
        area = observation.walk.area if observation.walk is not None else observation.area
        if area is None or not area.boundary or observation.lat is None or observation.lon is None:
            continue
        if not geo.contains(area.boundary, observation.lat, observation.lon):
            outside.append(observation)
    return outside


def stuck_reports(older_than: dt.timedelta) -> list[FaultReport]:
    return list(db.session.scalars(sa.select(FaultReport).where(
        FaultReport.sending_since.is_not(None), FaultReport.sending_since < utcnow() - older_than)
        .order_by(FaultReport.id)))


def release_claim(report: FaultReport) -> None:
    """Let a report claimed by a send that never finished be sent again (it is still a draft)."""
    report.sending_since = None
    db.session.flush()
    audit(None, report, "claim_released", reason="stuck in sending (flask check --repair)")


def run_check(config, *, repair: bool, now: float | None = None) -> CheckResult:
    """Every check; with repair, the safe fixes. Flushes; the caller commits."""
    now = time.time() if now is None else now
    upload_dir = Path(config["UPLOAD_DIR"])
    min_age = config["ORPHAN_MIN_AGE_SECONDS"]
    result = CheckResult()
    if repair:  # what a killed process left pending: put in place if its row exists, else removed
        recovered = photos.recover_pending(str(upload_dir), photos.known_names_in(db.session))
        for name in recovered.finalised:
            result.add("pending file", f"{name} put in place").repaired = True
        for name in recovered.removed:
            result.add("pending file", f"{name} removed (no photo row)").repaired = True
    else:
        for name in photos.pending_names(str(upload_dir)):
            result.add("pending file", f"{name} left by a process that stopped (--repair settles it)")
    for path in orphan_files(upload_dir):
        age = now - path.stat().st_mtime
        finding = result.add("orphan file", f"{path.relative_to(upload_dir)} ({path.stat().st_size} bytes, "
                                            f"{int(age // 60)} min old)")
        if repair and age >= min_age:
            path.unlink(missing_ok=True)
            finding.repaired = True
    for photo, names in missing_files(upload_dir):
        result.add("missing file", f"photo #{photo.id} of observation #{photo.observation_id}: "
                                   f"{', '.join(names)}")
    for observation in observations_outside():
        result.add("outside area", f"observation #{observation.id} (walk #{observation.walk_id}) at "
                                   f"{observation.lat}, {observation.lon}")
    for report in stuck_reports(dt.timedelta(seconds=config["STUCK_SENDING_SECONDS"])):
        finding = result.add("stuck sending", f"report {report.reference} (#{report.id}) claimed at "
                                              f"{report.sending_since:%Y-%m-%d %H:%M} UTC")
        if repair:
            release_claim(report)
            finding.repaired = True
    return result


@click.command("check")
@click.option("--repair", is_flag=True, help="Remove old orphan files and release stuck sending claims.")
@with_appcontext
def check_command(repair: bool):
    """List orphan files, rows without files, observations outside their area, reports stuck in sending."""
    result = run_check(current_app.config, repair=repair)
    db.session.commit()
    for finding in result.findings:
        click.echo(f"{finding.kind}: {finding.text}{'  [repaired]' if finding.repaired else ''}")
    repaired = len(result.findings) - len(result.remaining)
    click.echo(f"{len(result.findings)} problem(s) found, {repaired} repaired, {len(result.remaining)} left.")
    if result.remaining:
        raise SystemExit(1)


def init_app(app) -> None:
    app.cli.add_command(check_command)
