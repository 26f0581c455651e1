"""The data's life: the privacy page, a walker's own data (see, download, delete), erasure on request,
retention, and the admins' audit page."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g

from walks import observations, retention
from walks.capture import service as capture
from walks.extensions import db
from walks.models import (AuditEvent, FaultReport, FaultReportItem, Observation, Participant, Photo, TrackPoint,
                          audit, utcnow)
from walks.privacy import service

from ..conftest import csrf_token_from
from .capture_samples import jpeg_bytes, payload


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def join(client, walk, name="Ada"):
    g.pop("csrf_token", None)
    page = client.get(f"/j/{walk.join_code}")
    assert "/privacy" in page.get_data(True)  # the join page links to the privacy page
    response = client.post(f"/j/{walk.join_code}", data={
        "csrf_token": csrf_token_from(page.get_data(True)), "display_name": name, "role": "resident",
        "consent": "y"})
    assert response.status_code == 302
    return db.session.scalar(sa.select(Participant).where(Participant.walk_id == walk.id)
                             .order_by(Participant.id.desc()))


def observe(app, participant, photos=(), **changes):
    result = capture.create_observation(participant.walk, participant, payload(**changes), list(photos), app.config)
    db.session.commit()
    return result.observation


def send_in_report(make, observation, status="sent"):
    report = FaultReport(reference=f"TV-{observation.id}-{status}", organization=make.organization(),
                         area_id=observation.area_id, status=status)
    report.items.append(FaultReportItem(observation=observation))
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def walker(app, client, make):
    walk = make.walk()
    participant = join(client, walk)
    first = observe(app, participant, [jpeg_bytes()], text="Trasig lampa vid tunneln")
    second = observe(app, participant, [jpeg_bytes(size=(300, 300))], text="Klotter")
    db.session.add(TrackPoint(walk_id=walk.id, participant_id=participant.id, lat=57.72, lon=11.95))
    db.session.commit()
    return walk, participant, first, second


@pytest.mark.parametrize("lang, heading", [("sv", "Hur dina uppgifter hanteras"),
                                           ("en", "How your data is handled")])
def test_privacy_page_in_swedish_and_english(app, client, lang, heading):
    app.config["PRIVACY_CONTACT"] = "dataskydd@goteborg.example"
    client.set_cookie("lang", lang)
    page = client.get("/privacy").get_data(True)
    assert heading in page and "dataskydd@goteborg.example" in page
    assert "12" in page and "24" in page  # the retention periods come from the settings


def test_walker_sees_and_downloads_everything(app, client, walker):
    walk, participant, first, second = walker
    page = client.get(f"/j/{walk.join_code}/my-data").get_data(True)
    assert "Trasig lampa vid tunneln" in page and "Klotter" in page
    data = json.loads(client.get(f"/j/{walk.join_code}/my-data.json").get_data())
    assert data["participant"]["display_name"] == "Ada"
    assert [o["uuid"] for o in data["observations"]] == [first.uuid, second.uuid]
    assert len(data["track"]) == 1
    rows = list(csv.DictReader(io.StringIO(client.get(f"/j/{walk.join_code}/my-data.csv").get_data(True))))
    assert [r["text"] for r in rows] == ["Trasig lampa vid tunneln", "Klotter"]
    response = client.get(f"/j/{walk.join_code}/my-data.zip")
    assert response.headers["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = set(archive.namelist())
        assert {"data.json", "observations.csv", f"photos/{first.photos[0].filename}"} <= names
        stored = Path(app.config["UPLOAD_DIR"], first.photos[0].filename).read_bytes()
        assert archive.read(f"photos/{first.photos[0].filename}") == stored
    assert client.get(f"/j/{walk.join_code}/my-data.exe").status_code == 404


def test_someone_else_sees_nothing(app, client, walker, make):
    walk = walker[0]
    client.delete_cookie(f"tvp_{walk.id}")
    for path in ("my-data", "my-data.json", "my-data.zip"):
        assert client.get(f"/j/{walk.join_code}/{path}").status_code == 403
    assert client.post(f"/j/{walk.join_code}/my-data/delete", data={"confirm": "y"}).status_code in (400, 403)


def test_walker_deletes_and_what_was_passed_on_is_anonymised(app, client, walker, make):
    walk, participant, first, second = walker
    send_in_report(make, first)
    kept_files = {first.photos[0].filename, first.photos[0].thumb_filename}
    gone_files = {second.photos[0].filename, second.photos[0].thumb_filename}
    page = client.get(f"/j/{walk.join_code}/my-data").get_data(True)
    refused = client.post(f"/j/{walk.join_code}/my-data/delete", data={"csrf_token": csrf_token_from(page)})
    assert refused.status_code == 400 and count(Participant) == 1  # the box was not ticked
    response = client.post(f"/j/{walk.join_code}/my-data/delete",
                           data={"csrf_token": csrf_token_from(page), "confirm": "y"})
    assert response.status_code == 302 and f"tvp_{walk.id}=;" in response.headers["Set-Cookie"]
    db.session.expire_all()
    kept = db.session.scalar(sa.select(Observation))
    assert count(Observation) == 1 and kept.uuid == first.uuid and kept.participant_id is None
    assert count(Participant) == 0 and count(TrackPoint) == 0 and count(Photo) == 1
    files = set(os.listdir(app.config["UPLOAD_DIR"]))
    assert kept_files <= files and not gone_files & files
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase"))
    assert event.details == {"walk": walk.id, "deleted": 1, "anonymised": 1, "by": "walker"}
    assert event.area_id == walk.area_id and "Ada" not in json.dumps(event.details)
    assert client.get(f"/j/{walk.join_code}/my-data").status_code == 403


def test_draft_reports_and_merges_do_not_keep_an_observation(app, walker, make):
    walk, participant, first, second = walker
    send_in_report(make, first, status="draft")
    other = observe(app, make.participant(walk=walk))
    other.merged_into_id = second.id
    db.session.commit()
    result = service.erase_participant(participant, app.config["UPLOAD_DIR"])
    db.session.commit()
    assert (result.deleted, result.anonymised) == (2, 0)
    assert count(FaultReportItem) == 0 and db.session.get(Observation, other.id).merged_into_id is None


def test_observation_in_an_action_is_kept(app, walker, make):
    from walks.models import ActionItem
    walk, participant, first, _second = walker
    action = ActionItem(area=walk.area, title="Bättre belysning")
    action.observations.append(first)
    db.session.add(action)
    db.session.commit()
    result = service.erase_participant(participant, app.config["UPLOAD_DIR"])
    db.session.commit()
    assert (result.deleted, result.anonymised) == (1, 1)
    assert db.session.get(Observation, first.id).participant_id is None


@pytest.fixture
def coordinator(login, make, walker):
    user = make.user()
    user.areas.append(walker[0].area)
    db.session.commit()
    login(user)
    return user


def test_coordinator_downloads_and_erases_on_request(app, client, walker, coordinator):
    walk, participant, first, second = walker
    page = client.get(f"/walks/{walk.id}/participants")
    assert page.status_code == 200 and "Ada" in page.get_data(True) and "Boende" in page.get_data(True)
    archive = client.get(f"/walks/{walk.id}/participants/{participant.id}/data.zip")
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as opened:
        assert json.loads(opened.read("data.json"))["participant"]["display_name"] == "Ada"
    token = csrf_token_from(page.get_data(True))
    url = f"/walks/{walk.id}/participants/{participant.id}/erase"
    client.post(url, data={"csrf_token": token})
    assert count(Participant) == 1  # not confirmed
    assert client.post(url, data={"csrf_token": token, "confirm": "y"}).status_code == 302
    assert count(Participant) == 0 and count(Observation) == 0 and os.listdir(app.config["UPLOAD_DIR"]) == []
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase"))
    assert event.user_id == coordinator.id and event.details["by"] == "coordinator"


def test_coordinator_of_another_area_gets_404(app, client, walker, login, make):
    walk, participant = walker[0], walker[1]
    login(make.user(role="coordinator", areas=[make.area()]))
    assert client.get(f"/walks/{walk.id}/participants").status_code == 404
    assert client.get(f"/walks/{walk.id}/participants/{participant.id}/data.zip").status_code == 404


def test_participant_of_another_walk_is_404(app, client, walker, coordinator, make):
    stranger = make.participant()
    assert client.get(f"/walks/{walker[0].id}/participants/{stranger.id}/data.zip").status_code == 404


# ---- retention ---------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, months, expected", [
    (dt.datetime(2026, 3, 31, 12), 1, dt.datetime(2026, 2, 28, 12)),
    (dt.datetime(2026, 1, 15), 12, dt.datetime(2025, 1, 15)),
    (dt.datetime(2026, 1, 15), 13, dt.datetime(2024, 12, 15)),
    (dt.datetime(2024, 5, 31), 3, dt.datetime(2024, 2, 29)),
])
def test_months_before(moment, months, expected):
    assert retention.months_before(moment, months) == expected


def test_purge_removes_old_photos_of_finished_observations_and_old_names(app, runner, walker, make):
    walk, participant, first, second = walker
    old = utcnow() - dt.timedelta(days=800)
    walk.starts_at, walk.ends_at = old, old + dt.timedelta(hours=2)
    first.status = "resolved"
    db.session.flush()
    db.session.execute(sa.update(Observation).where(Observation.id == first.id).values(updated_at=old))
    recent = make.participant(display_name="Bo")  # a walk an hour ago: keeps its name
    db.session.commit()
    first_files = {first.photos[0].filename, first.photos[0].thumb_filename}
    result = runner.invoke(args=["purge", "--dry-run"])
    assert "Would remove 1 photos" in result.output and "1 participants' names" in result.output
    assert count(Photo) == 2
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Removed 1 photos and 1 participants' names" in result.output
    db.session.expire_all()
    assert count(Photo) == 1 and db.session.get(Observation, first.id) is not None
    assert not first_files & set(os.listdir(app.config["UPLOAD_DIR"]))
    assert db.session.get(Participant, participant.id).display_name == ""
    assert db.session.get(Participant, recent.id).display_name == "Bo"
    assert "Removed 0 photos and 0" in runner.invoke(args=["purge"]).output


# ---- the audit page ----------------------------------------------------------------------------

def test_audit_page_for_admins_filters_by_area_user_and_kind(app, client, login, make, walker):
    walk, participant, first, _second = walker
    admin, other = make.user(role="admin"), make.user()
    audit(other, first, "hide", before={"hidden": False}, after={"hidden": True})
    elsewhere = make.walk()
    audit(admin, elsewhere, "status", before={"status": "planned"}, after={"status": "open"})
    observations.set_status(first, "dismissed", other)  # the lifecycle's events carry plain before/after
    db.session.commit()
    login(admin)
    assert 'href="/admin/audit"' in client.get("/areas").get_data(True)  # in the admin's menu
    page = client.get("/admin/audit").get_data(True)
    assert "Observation #" in page and "Walk #" in page and "False → True" in page
    assert "new → dismissed" in page
    by_area = client.get(f"/admin/audit?area={walk.area_id}").get_data(True)
    assert "Observation #" in by_area and "Walk #" not in by_area
    by_user = client.get(f"/admin/audit?user={admin.id}").get_data(True)
    assert "Walk #" in by_user and "Observation #" not in by_user
    by_kind = client.get("/admin/audit?kind=Observation").get_data(True)
    assert "Observation #" in by_kind and "Walk #" not in by_kind
    assert client.get("/admin/audit?kind=Nonsense").status_code == 400
    assert client.get("/admin/audit?page=0").status_code == 400


def test_audit_page_is_for_admins_only(client, login, make):
    login(make.user(role="coordinator"))
    assert client.get("/admin/audit").status_code == 404  # as if it did not exist
