"""Backups: one archive with a consistent database snapshot, the photos it refers to, and a manifest.

`flask --app app backup FILE` writes a tar archive:
  database/tryggvandring.sqlite   SQLite's online backup API (a consistent copy while the app runs), or
  database/postgres.dump          pg_dump --format=custom, taken in the same snapshot in which the
                                  photo names were read (pg_export_snapshot)
  photos/<name>                   every photo and thumbnail the snapshot's rows point at
  manifest.json                   format, date, database kind, and the sha256 and size of every member
`flask --app app restore FILE` checks every checksum before it changes anything, then brings the
archive into an empty instance (a database without rows and an empty upload folder).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import photos
from .extensions import db

FORMAT = "tryggvandring-backup"
VERSION = 1
SQLITE_MEMBER = "database/tryggvandring.sqlite"
POSTGRES_MEMBER = "database/postgres.dump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on, with a message for the person running it."""


@dataclass
class Summary:
    database: str
    photos: int
    bytes: int


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _kind(engine) -> str:
    if engine.dialect.name in ("sqlite", "postgresql"):
        return engine.dialect.name
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine.dialect.name}.")


def _libpq(engine) -> tuple[str, dict]:
    """A libpq URL without the password (that goes in PGPASSWORD, not on a command line)."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _photo_names(connection) -> list[str]:
    rows = connection.execute(sa.text("SELECT filename, thumb_filename FROM photos ORDER BY id"))
    return [name for row in rows for name in row]


def _snapshot_sqlite(engine, folder: str) -> tuple[str, list[str]]:
    target = os.path.join(folder, "snapshot.sqlite")
    source = sqlite3.connect(engine.url.database)
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)
        names = _photo_names_sqlite(destination)
        destination.close()
    finally:
        source.close()
    return target, names


def _photo_names_sqlite(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute("SELECT filename, thumb_filename FROM photos ORDER BY id")
    return [name for row in rows for name in row]


def _snapshot_postgres(engine, folder: str) -> tuple[str, list[str]]:
    target = os.path.join(folder, "postgres.dump")
    url, env = _libpq(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        names = _photo_names(connection)
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                               f"--file={target}", url], env=env, capture_output=True, text=True)
        connection.exec_driver_sql("COMMIT")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return target, names


def _add_file(archive: tarfile.TarFile, path: str, member: str, manifest: dict) -> int:
    size = os.path.getsize(path)
    manifest["files"][member] = {"sha256": _sha256_file(path), "bytes": size}
    archive.add(path, arcname=member, recursive=False)
    return size


def make_backup(target: str, engine, upload_dir: str) -> Summary:
    """Write the archive to target (through a temporary file beside it, renamed at the end)."""
    kind = _kind(engine)
    directory = os.path.dirname(os.path.abspath(target))
    with tempfile.TemporaryDirectory() as folder:
        if kind == "sqlite":
            snapshot, names = _snapshot_sqlite(engine, folder)
            member = SQLITE_MEMBER
        else:
            snapshot, names = _snapshot_postgres(engine, folder)
            member = POSTGRES_MEMBER
        manifest = {"format": FORMAT, "version": VERSION, "database": kind,
                    "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "files": {}}
        fd, partial = tempfile.mkstemp(dir=directory, prefix=".backup-", suffix=".tar")
        os.close(fd)
        total = 0
        try:
            with tarfile.open(partial, "w") as archive:
                total += _add_file(archive, snapshot, member, manifest)
                for name in names:
                    path = os.path.join(upload_dir, name)
                    if not os.path.exists(path):
                        raise BackupError(f"The photo {name} is in the database but not in {upload_dir}. "
                                          "Run `flask --app app check` and then the backup again.")
                    total += _add_file(archive, path, f"photos/{name}", manifest)
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
                archive.addfile(info, io.BytesIO(data))
            os.replace(partial, target)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
    return Summary(kind, len(names), total)


# ---- restore -----------------------------------------------------------------------------------

def _allowed_member(name: str) -> bool:
    if name in ("manifest.json", SQLITE_MEMBER, POSTGRES_MEMBER):
        return True
    folder, _, file_name = name.partition("/")
    return folder == "photos" and photos.is_stored_name(file_name)


def verify(path: str) -> dict:
    """Read the whole archive and check it against its manifest; return the manifest."""
    damaged = "The archive is damaged or not a backup of this app"
    hashes: dict[str, dict] = {}
    manifest = None
    try:
        with tarfile.open(path, "r:") as archive:
            for member in archive:
                if not member.isfile() or not _allowed_member(member.name) or member.name in hashes:
                    raise BackupError(f"{damaged}: unexpected entry {member.name!r}.")
                handle = archive.extractfile(member)
                if member.name == "manifest.json":
                    manifest = json.loads(handle.read(10 * 1024 * 1024))
                    continue
                digest, size = hashlib.sha256(), 0
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
                    size += len(chunk)
                hashes[member.name] = {"sha256": digest.hexdigest(), "bytes": size}
    except (tarfile.TarError, EOFError, OSError, ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{damaged} ({error}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{damaged}: it has no manifest.")
    if manifest.get("version") != VERSION or manifest.get("database") not in ("sqlite", "postgresql"):
        raise BackupError(f"{damaged}: it was written by another version of the app.")
    expected = manifest.get("files")
    if expected != hashes:
        wrong = sorted(set(expected or {}) ^ set(hashes)) or \
            sorted(name for name in hashes if hashes[name] != (expected or {}).get(name))
        raise BackupError(f"{damaged}: checksums do not match for {', '.join(wrong[:5])}.")
    return manifest


def _instance_is_empty(engine, upload_dir: str) -> str | None:
    """Why this instance is not empty, or None."""
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            quoted = connection.dialect.identifier_preparer.quote(table)
            if connection.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first():
                return f"the database has rows in {table}"
    pending = photos.pending_root(upload_dir)
    for folder in (upload_dir, pending):
        if os.path.isdir(folder) and os.listdir(folder):
            return f"{folder} is not empty"
    return None


def _restore_sqlite(engine, snapshot: str) -> None:
    engine.dispose()
    source = sqlite3.connect(snapshot)
    try:
        destination = sqlite3.connect(engine.url.database)
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()


def _restore_postgres(engine, dump: str) -> None:
    url, env = _libpq(engine)
    engine.dispose()
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           f"--dbname={url}", dump], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def restore_backup(path: str, engine, upload_dir: str) -> Summary:
    manifest = verify(path)
    kind = _kind(engine)
    if manifest["database"] != kind:
        raise BackupError(f"This is a {manifest['database']} backup; it cannot be restored into {kind}.")
    reason = _instance_is_empty(engine, upload_dir)
    if reason:
        raise BackupError(f"Restore only into an empty instance: {reason}. Nothing was changed.")
    os.makedirs(upload_dir, exist_ok=True)
    count = total = 0
    with tempfile.TemporaryDirectory() as folder, tarfile.open(path, "r:") as archive:
        for member in archive:
            if member.name == "manifest.json":
                continue
            handle = archive.extractfile(member)
            if member.name.startswith("photos/"):
                final = os.path.join(upload_dir, member.name.partition("/")[2])
                partial = final + ".restoring"
                with open(partial, "xb") as out:
                    shutil.copyfileobj(handle, out, CHUNK)
                os.replace(partial, final)
                count += 1
            else:
                snapshot = os.path.join(folder, "database")
                with open(snapshot, "wb") as out:
                    shutil.copyfileobj(handle, out, CHUNK)
                (_restore_sqlite if kind == "sqlite" else _restore_postgres)(engine, snapshot)
            total += member.size
    return Summary(kind, count, total)


# ---- commands ----------------------------------------------------------------------------------

@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file: str):
    """Write a backup archive: database snapshot, photos and a manifest with checksums."""
    try:
        summary = make_backup(file, db.engine, current_app.config["UPLOAD_DIR"])
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {file}: {summary.database} database and {summary.photos} photo files, "
               f"{summary.bytes / 1e6:.1f} MB.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(file: str):
    """Restore a backup archive into an empty instance (checks every checksum first)."""
    try:
        summary = restore_backup(file, db.engine, current_app.config["UPLOAD_DIR"])
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {file}: {summary.database} database and {summary.photos} photo files.")


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
