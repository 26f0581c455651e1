"""A participant's data: everything they logged, as JSON, CSV and a zip with the photos; and erasure.

Erasure deletes what only the walker's own: observations, photos, breadcrumbs and the participant
(with the name). An observation already in a sent fault report or in an action is kept, anonymised:
its link to the participant goes, and with the participant the name. Plain functions: they flush.
"""
from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from dataclasses import dataclass

import sqlalchemy as sa

from .. import photos
from ..extensions import db
from ..models import (FINER_RATINGS, AuditEvent, FaultReport, FaultReportItem, Observation, Participant,
                      TrackPoint, User, action_observations, audit)

CSV_COLUMNS = ("uuid", "observed_at", "category", "lat", "lon", "accuracy_m", "location_source", "text",
               "safety", *(f"rating_{name}" for name in FINER_RATINGS), "status", "photos")


@dataclass
class Erasure:
    deleted: int
    anonymised: int


def own_observations(participant: Participant) -> list[Observation]:
    return list(db.session.scalars(sa.select(Observation).where(Observation.participant_id == participant.id)
                                   .order_by(Observation.observed_at, Observation.id)))


def _track(participant: Participant) -> list[TrackPoint]:
    return list(db.session.scalars(sa.select(TrackPoint).where(TrackPoint.participant_id == participant.id)
                                   .order_by(TrackPoint.recorded_at, TrackPoint.id)))


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def observation_record(observation: Observation) -> dict:
    return {
        "uuid": observation.uuid, "observed_at": _iso(observation.observed_at),
        "category": observation.category.code, "lat": observation.lat, "lon": observation.lon,
        "accuracy_m": observation.accuracy_m, "location_source": observation.location_source,
        "text": observation.text, "safety": observation.safety,
        **{f"rating_{name}": getattr(observation, f"rating_{name}") for name in FINER_RATINGS},
        "status": observation.status,
        "photos": [f"photos/{photo.filename}" for photo in observation.photos],
    }


def participant_data(participant: Participant) -> dict:
    """Everything stored about this participant, as plain values."""
    walk = participant.walk
    return {
        "participant": {"display_name": participant.display_name, "role": participant.role,
                        "joined_at": _iso(participant.created_at), "consented_at": _iso(participant.consented_at),
                        "shares_track": participant.track_enabled},
        "walk": {"title": walk.title, "area": walk.area.name, "starts_at": _iso(walk.starts_at)},
        "observations": [observation_record(o) for o in own_observations(participant)],
        "track": [{"lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m, "recorded_at": _iso(p.recorded_at)}
                  for p in _track(participant)],
    }


def as_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for record in data["observations"]:
        writer.writerow({**record, "photos": " ".join(record["photos"])})
    return out.getvalue()


def as_zip(participant: Participant, upload_dir: str) -> bytes:
    """data.json, observations.csv and every photo, in one zip."""
    data = participant_data(participant)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", as_json(data))
        archive.writestr("observations.csv", as_csv(data))
        for observation in own_observations(participant):
            for photo in observation.photos:
                path = os.path.join(upload_dir, photo.filename)
                if os.path.exists(path):
                    archive.write(path, f"photos/{photo.filename}", compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def is_shared(observation: Observation) -> bool:
    """Already passed on: in a fault report that was sent, or in an action."""
    in_report = db.session.scalar(sa.select(sa.func.count()).select_from(FaultReportItem)
                                  .join(FaultReport, FaultReport.id == FaultReportItem.report_id)
                                  .where(FaultReportItem.observation_id == observation.id,
                                         FaultReport.status != "draft"))
    in_action = db.session.scalar(sa.select(sa.func.count()).select_from(action_observations)
                                  .where(action_observations.c.observation_id == observation.id))
    return bool(in_report or in_action)


def _delete_observation(observation: Observation, upload_dir: str) -> None:
    db.session.execute(sa.delete(FaultReportItem).where(FaultReportItem.observation_id == observation.id))
    db.session.execute(sa.update(Observation).where(Observation.merged_into_id == observation.id)
                       .values(merged_into_id=None))
    for photo in list(observation.photos):
        photos.delete_photo(db.session, upload_dir, photo)
    db.session.delete(observation)


def erase_participant(participant: Participant, upload_dir: str, actor: User | None = None) -> Erasure:
    """Delete what the participant logged, anonymise what was passed on, then the participant itself."""
    deleted = anonymised = 0
    for observation in own_observations(participant):
        if is_shared(observation):
            observation.participant_id = None
            anonymised += 1
        else:
            _delete_observation(observation, upload_dir)
            deleted += 1
    db.session.execute(sa.delete(TrackPoint).where(TrackPoint.participant_id == participant.id))
    db.session.flush()
    audit(actor, participant, "erase", walk=participant.walk_id, deleted=deleted, anonymised=anonymised,
          by="coordinator" if actor else "walker")
    db.session.delete(participant)
    db.session.flush()
    return Erasure(deleted, anonymised)


# ---- the audit log -----------------------------------------------------------------------------

AUDIT_PAGE = 100


def audit_events(*, area_id: int | None = None, user_id: int | None = None, kind: str | None = None,
                 page: int = 1) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if area_id is not None:
        query = query.where(AuditEvent.area_id == area_id)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if kind:
        query = query.where(AuditEvent.object_type == kind)
    return list(db.session.scalars(query.limit(AUDIT_PAGE).offset((page - 1) * AUDIT_PAGE)))


def audit_kinds() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))
