"""`flask --app app check [--repair]`: each fault made on purpose, found, and repaired where it is safe;
and SQLite write transactions that wait for each other instead of failing."""
from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from walks.extensions import db
from walks.models import AuditEvent, FaultReport, Photo, utcnow
from walks.reports import service as reports

from ..conftest import TEST_DATABASE_URL

def old_file(app, name: str, data: bytes = b"x" * 10):
    """A file written an hour ago."""
    path = os.path.join(app.config["UPLOAD_DIR"], name)
    with open(path, "wb") as handle:
        handle.write(data)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    return path


def photo_with_files(app, make, observation=None):
    observation = observation or make.observation()
    names = ["A" * 24 + ".jpg", "B" * 24 + ".jpg"]
    for name in names:
        old_file(app, name)
    observation.photos.append(Photo(sha256="0" * 64, filename=names[0], thumb_filename=names[1],
                                    content_type="image/jpeg", width=10, height=10, bytes=10,
                                    original_width=10, original_height=10, original_format="JPEG"))
    db.session.commit()
    return observation


def test_a_clean_instance_has_nothing_to_report(app, make, runner):
    photo_with_files(app, make)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s) found" in result.output


def test_orphan_files_are_listed_and_old_ones_removed(app, runner):
    orphan = old_file(app, "C" * 24 + ".jpg")
    temp = old_file(app, ".upload-half.tmp", b"\xff\xd8" * 100)
    young = os.path.join(app.config["UPLOAD_DIR"], "D" * 24 + ".jpg")
    with open(young, "wb") as handle:
        handle.write(b"in flight")
    listed = runner.invoke(args=["check"])
    assert listed.exit_code == 1
    assert listed.output.count("orphan file:") == 3 and ".upload-half.tmp (200 bytes, 60 min old)" in listed.output
    assert os.path.exists(orphan) and os.path.exists(temp)

    repaired = runner.invoke(args=["check", "--repair"])
    assert not os.path.exists(orphan) and not os.path.exists(temp)
    assert os.path.exists(young)  # may belong to a request still under way
    assert "3 problem(s) found, 2 repaired, 1 left." in repaired.output and repaired.exit_code == 1


def test_rows_pointing_at_missing_files_are_listed_not_deleted(app, make, runner):
    observation = photo_with_files(app, make)
    os.unlink(os.path.join(app.config["UPLOAD_DIR"], observation.photos[0].thumb_filename))
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 1
    assert f"missing file: photo #{observation.photos[0].id} of observation #{observation.id}: " \
           f"{'B' * 24}.jpg" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1


def test_observations_outside_their_walks_area_are_listed(app, make, runner):
    inside = make.observation()
    outside = make.observation(walk=inside.walk, lat=57.70, lon=11.90)
    db.session.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert f"outside area: observation #{outside.id} (walk #{inside.walk_id}) at 57.7, 11.9" in result.output
    assert f"observation #{inside.id} " not in result.output


def test_reports_stuck_in_sending_are_released_by_repair(app, make, runner):
    user = make.user()
    stuck = reports.new_draft(make.organization(), user)
    busy = reports.new_draft(make.organization(), user)
    stuck.sending_since = utcnow() - dt.timedelta(seconds=app.config["STUCK_SENDING_SECONDS"] + 60)
    busy.sending_since = utcnow() - dt.timedelta(seconds=30)  # a send under way right now
    db.session.commit()
    listed = runner.invoke(args=["check"])
    assert listed.exit_code == 1 and f"stuck sending: report {stuck.reference} (#{stuck.id})" in listed.output
    assert busy.reference not in listed.output

    repaired = runner.invoke(args=["check", "--repair"])
    assert repaired.exit_code == 0 and "1 repaired, 0 left" in repaired.output
    db.session.expire_all()
    assert db.session.get(FaultReport, stuck.id).sending_since is None
    assert db.session.get(FaultReport, busy.id).sending_since is not None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "claim_released")).object_id \
        == stuck.id


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite locking")
def test_sqlite_write_transactions_begin_immediate_in_wal_mode(app):
    connection = db.engine.raw_connection()
    try:
        assert connection.driver_connection.isolation_level == "IMMEDIATE"
        assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite locking")
def test_two_concurrent_read_then_write_transactions_both_commit(app):
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    both_have_read = threading.Barrier(2, timeout=10)
    errors = []
    engine = db.engine

    def read_then_write():
        try:
            with Session(engine) as session:
                n = session.execute(sa.text("SELECT n FROM counter")).scalar_one()
                both_have_read.wait()  # both read before either writes: the deferred failure case
                session.execute(sa.text("UPDATE counter SET n = n + 1 WHERE n >= :n"), {"n": n})
                session.commit()
        except Exception as error:  # noqa: BLE001 – reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=read_then_write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar_one() == 2


def test_a_killed_writers_pending_files_are_listed_and_settled_by_repair(app, runner, make):
    """The process died after writing; one photo's row exists (put in place), the other's not (removed)."""
    from walks.models import Photo

    from .test_photos import kill_writer
    upload_dir = app.config["UPLOAD_DIR"]
    (kept, kept_thumb), (lost, lost_thumb) = kill_writer(upload_dir)
    obs = make.observation()
    db.session.add(Photo(observation=obs, sha256="a" * 64, filename=kept, thumb_filename=kept_thumb, width=1,
                         height=1, bytes=1, original_width=1, original_height=1, original_format="JPEG"))
    db.session.commit()
    listed = runner.invoke(args=["check"])
    assert listed.exit_code == 1 and f"{lost} left by a process that stopped" in listed.output
    assert "missing file" not in listed.output  # the pending copy is not called missing
    repaired = runner.invoke(args=["check", "--repair"])
    assert f"{kept} put in place" in repaired.output and f"{lost} removed (no photo row)" in repaired.output
    assert sorted(os.listdir(upload_dir)) == sorted([kept, kept_thumb])
