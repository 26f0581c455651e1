"""Backup and restore: a round trip gives back every row of every table and every photo file."""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from walks import backup, demo
from walks.extensions import db


def table_contents() -> dict:
    contents = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            contents[table.name] = [tuple(row) for row in rows]
    return contents


def files(folder) -> dict:
    return {path.name: path.read_bytes() for path in sorted(Path(folder).iterdir())}


@pytest.fixture
def loaded(app):
    """The demo with its photos and every capability's demo rows: most tables have something."""
    data = demo.load_demo(with_photos=True)
    demo.run_hooks(data["area"], data["walks"], data["coordinator"])
    db.session.commit()
    return data


def wipe(app) -> None:
    db.session.remove()
    db.drop_all()
    for name in os.listdir(app.config["UPLOAD_DIR"]):
        os.unlink(os.path.join(app.config["UPLOAD_DIR"], name))


def test_round_trip_gives_back_every_table_and_file(app, runner, loaded, tmp_path):
    before_rows, before_files = table_contents(), files(app.config["UPLOAD_DIR"])
    assert len(before_files) >= 8 and sum(bool(rows) for rows in before_rows.values()) >= 10
    archive = str(tmp_path / "backup.tar")
    result = runner.invoke(args=["backup", archive])
    assert result.exit_code == 0, result.output
    assert f"{len(before_files)} photo files" in result.output
    wipe(app)
    result = runner.invoke(args=["restore", archive])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert table_contents() == before_rows
    assert files(app.config["UPLOAD_DIR"]) == before_files


def test_manifest_has_a_checksum_for_every_member(app, runner, loaded, tmp_path):
    archive = str(tmp_path / "backup.tar")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    manifest = backup.verify(archive)
    with tarfile.open(archive) as tar:
        names = [m.name for m in tar.getmembers()]
    assert names[-1] == "manifest.json" and sorted(manifest["files"]) == sorted(names[:-1])
    assert manifest["database"] == db.engine.dialect.name


def test_restore_refuses_an_instance_that_is_not_empty(app, runner, loaded, tmp_path):
    archive = str(tmp_path / "backup.tar")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    before = table_contents()
    result = runner.invoke(args=["restore", archive])
    assert result.exit_code != 0 and "empty instance" in result.output and "Nothing was changed" in result.output
    assert table_contents() == before


def test_restore_refuses_files_left_in_the_upload_folder(app, runner, loaded, tmp_path):
    archive = str(tmp_path / "backup.tar")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    kept = sorted(os.listdir(app.config["UPLOAD_DIR"]))[0]
    wipe(app)
    with open(os.path.join(app.config["UPLOAD_DIR"], kept), "wb") as stray:
        stray.write(b"left over")
    result = runner.invoke(args=["restore", archive])
    assert result.exit_code != 0 and "is not empty" in result.output


def flip_a_byte_in_a_photo(path: str) -> None:
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("photos/"))
    with open(path, "r+b") as handle:
        handle.seek(member.offset_data + 100)
        byte = handle.read(1)
        handle.seek(member.offset_data + 100)
        handle.write(bytes([byte[0] ^ 0xFF]))


def truncate(path: str) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)


def remove_manifest(path: str) -> None:
    with tarfile.open(path) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers() if m.name != "manifest.json"]
    with tarfile.open(path, "w") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data))


def not_a_tar(path: str) -> None:
    with open(path, "wb") as handle:
        handle.write(b"PK\x03\x04 this is a zip, not a backup")


@pytest.mark.parametrize("damage, message", [
    (flip_a_byte_in_a_photo, "checksums do not match"),
    (truncate, "damaged"),
    (remove_manifest, "no manifest"),
    (not_a_tar, "damaged"),
], ids=["flipped-byte", "truncated", "no-manifest", "not-a-tar"])
def test_restore_refuses_a_damaged_archive_and_changes_nothing(app, runner, loaded, tmp_path, damage, message):
    archive = str(tmp_path / "backup.tar")
    assert runner.invoke(args=["backup", archive]).exit_code == 0
    damage(archive)
    wipe(app)
    result = runner.invoke(args=["restore", archive])
    assert result.exit_code != 0 and message in result.output, result.output
    assert os.listdir(app.config["UPLOAD_DIR"]) == []
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []


def test_backup_refuses_a_row_whose_photo_is_missing(app, runner, loaded, tmp_path):
    os.unlink(os.path.join(app.config["UPLOAD_DIR"], sorted(os.listdir(app.config["UPLOAD_DIR"]))[0]))
    result = runner.invoke(args=["backup", str(tmp_path / "backup.tar")])
    assert result.exit_code != 0 and "not in" in result.output
    assert not (tmp_path / "backup.tar").exists()
