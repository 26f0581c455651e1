"""The photo pipeline: check, read EXIF, orient, strip, shrink, thumbnail, store under random names.

Plain functions around Pillow and SQLAlchemy sessions (Flask only in init_app). Limits come in as
arguments (the app's MAX_PHOTO_BYTES and MAX_PHOTO_PIXELS). Work happens in two steps so that nothing
reaches the disk before every photo of a request has passed: `prepare_photo()` does all checks and
encoding in memory, `new_photo()` writes the two files and makes the Photo row. The files follow the
database transaction: they go live when the session commits and disappear when it rolls back, even if
the process dies in between (`recover_pending()`, run at start-up and by `flask check --repair`).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import math
import os
import secrets
import warnings
from dataclasses import dataclass, field

from flask import current_app, send_from_directory
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, scoped_session

from .web import DomainError

import pillow_heif

from .extensions import db
from .models import Photo

pillow_heif.register_heif_opener()

# What we accept, by the format Pillow finds in the bytes (never by name or content type).
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 82
THUMB_QUALITY = 75
# A JPEG may be decoded at 1/2, 1/4 or 1/8 scale (Image.draft): far less work for a 12 MP photo.
# We allow it as long as the decoded long side stays at least this large, then resize to MAX_SIDE.
MIN_DRAFT_SIDE = 1600

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 36867


class PhotoError(DomainError):
    """A photo we refuse, with a message for the person who sent it."""


@dataclass
class PreparedPhoto:
    """A checked photo, re-encoded in memory, not yet on disk."""
    sha256: str
    original_format: str
    original_width: int
    original_height: int
    size_bytes: int
    jpeg: bytes
    thumb: bytes
    width: int
    height: int
    taken_at: dt.datetime | None = None
    gps: tuple[float, float] | None = None
    filename: str = field(default="")
    thumb_filename: str = field(default="")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open the bytes as an image of an allowed type, refusing bombs before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise PhotoError(_l("The photo has too many pixels to be processed safely.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PhotoError(_l("The file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC image.")) \
            from None
    if image.format not in ALLOWED_FORMATS:
        raise PhotoError(_l("The file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC image."))
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise PhotoError(_l("The photo has too many pixels to be processed safely."))
    return image


def _rational(value) -> float:
    result = float(value)
    if not math.isfinite(result):
        raise ValueError("not a number")
    return result


def _degrees(parts, ref) -> float:
    degrees, minutes, seconds = (_rational(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).upper().startswith(("S", "W")) else value


def read_exif(image: Image.Image) -> tuple[tuple[float, float] | None, dt.datetime | None]:
    """The GPS position (lat, lon) and the time the photo was taken, when the photo says so."""
    try:
        exif = image.getexif()
    except Exception:  # broken EXIF: the photo itself may still be fine
        return None, None
    gps = None
    try:
        gps_ifd = exif.get_ifd(GPS_IFD)
        if 2 in gps_ifd and 4 in gps_ifd:
            lat = _degrees(gps_ifd[2], gps_ifd.get(1, "N"))
            lon = _degrees(gps_ifd[4], gps_ifd.get(3, "E"))
            if -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0):
                gps = (round(lat, 7), round(lon, 7))
    except (TypeError, ValueError, ZeroDivisionError, KeyError, AttributeError):
        gps = None
    taken_at = None
    try:
        raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(306)  # 306: DateTime
        if raw:
            taken_at = dt.datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError, KeyError, AttributeError):
        taken_at = None
    return gps, taken_at


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """JPEG bytes with no metadata at all: a fresh image carries no EXIF, ICC, XMP or comment."""
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


# ---- the fast path: a JPEG the phone has already shrunk keeps its compressed data ----------------

ORIENTATION = 0x0112
EOI, SOS = 0xD9, 0xDA
# A minimal JFIF header (version 1.1, no density, no thumbnail) in place of whatever APP0 the file had.
JFIF_APP0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# Markers without a length field: TEM, RSTn, SOI (EOI is handled on its own).
_STANDALONE = {0x01, *range(0xD0, 0xD9)}


class _NotPlain(Exception):
    """A JPEG the fast path does not take (it gets the full re-encode instead)."""


def _metadata_marker(marker: int) -> bool:
    return 0xE0 <= marker <= 0xEF or marker == 0xFE  # APP0–APP15 and COM


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data that starts at pos ends: at the first marker that is not stuffing
    (0xFF 0x00) or a restart (RSTn)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise _NotPlain
        follower = data[pos + 1]
        if follower == 0x00 or 0xD0 <= follower <= 0xD7:
            pos += 2
        elif follower == 0xFF:
            pos += 1
        else:
            return pos


def _strip_jpeg(data: bytes) -> bytes:
    """The same JPEG without its APPn and COM segments and without anything after its end (lossless).

    Scan data is copied byte for byte. Raises _NotPlain for what it cannot copy safely: an Adobe APP14
    (it says how the colours are coded), or a file without a proper structure and end.
    """
    if data[:2] != b"\xff\xd8":
        raise _NotPlain
    out = [b"\xff\xd8", JFIF_APP0]
    pos, size = 2, len(data)
    while pos + 1 < size:
        if data[pos] != 0xFF:
            raise _NotPlain
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1  # fill byte
            continue
        if marker == EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _STANDALONE:
            raise _NotPlain  # RSTn belong inside scan data, SOI only at the start
        if pos + 4 > size:
            raise _NotPlain
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end <= pos + 3 or end > size or marker == 0xEE:
            raise _NotPlain
        if not _metadata_marker(marker):
            out.append(data[pos:end])
        pos = end
        if marker == SOS:
            scan_end = _scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end
    raise _NotPlain


def _fast_path(image: Image.Image, data: bytes) -> tuple[bytes, bytes, tuple[int, int]] | None:
    """Keep a small, upright, plain JPEG as it is, minus its metadata; None when it needs re-encoding.

    The stripped file is checked with a reduced-scale decode (Image.draft: 1/2 to 1/8 of the work),
    whose result also gives the thumbnail: a file that does not decode is refused like any other.
    """
    if image.format != "JPEG" or image.mode not in ("RGB", "L") or max(image.size) > MAX_SIDE:
        return None
    try:
        if image.getexif().get(ORIENTATION, 1) != 1:
            return None
    except Exception:  # broken EXIF: re-encode
        return None
    try:
        jpeg = _strip_jpeg(data)
    except _NotPlain:
        return None
    with Image.open(io.BytesIO(jpeg), formats=("JPEG",)) as check:
        if check.size != image.size or check.mode != image.mode:
            return None
        check.draft("RGB", (THUMB_SIDE, THUMB_SIDE))
        check.load()  # a truncated or corrupt file fails here
        thumb_image = _to_rgb(check)
        thumb_image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        return jpeg, _encode_jpeg(thumb_image, THUMB_QUALITY), image.size


def prepare_photo(data: bytes, *, max_bytes: int, max_pixels: int) -> PreparedPhoto:
    """Check and encode one uploaded photo in memory. Raises PhotoError with a clear message.

    A JPEG of at most MAX_SIDE px with nothing to turn keeps its compressed data (only its metadata
    segments go); everything else is decoded, turned upright, shrunk and encoded afresh.
    Either way the stored photo and its thumbnail carry no EXIF, ICC, XMP or comment.
    """
    if not data:
        raise PhotoError(_l("The photo is empty."))
    if len(data) > max_bytes:
        raise PhotoError(_l("The photo is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    image = _open_checked(data, max_pixels)
    original_format = image.format
    original_size = image.size
    gps, taken_at = read_exif(image)
    try:
        fast = _fast_path(image, data)
        if fast is None:
            jpeg, thumb, (width, height) = _reencode(image, original_format, original_size)
        else:
            jpeg, thumb, (width, height) = fast
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise PhotoError(_l("The photo is damaged or incomplete. Take it again or choose another one.")) \
            from None
    finally:
        image.close()
    return PreparedPhoto(
        sha256=sha256_of(data), original_format=original_format, original_width=original_size[0],
        original_height=original_size[1], size_bytes=len(jpeg), jpeg=jpeg, thumb=thumb,
        width=width, height=height, taken_at=taken_at, gps=gps)


def _reencode(image: Image.Image, original_format: str, original_size) -> tuple[bytes, bytes, tuple[int, int]]:
    """Decode (at reduced scale where that still leaves enough pixels), orient, shrink, encode."""
    if original_format == "JPEG":
        long_side = max(original_size)
        if long_side > MIN_DRAFT_SIDE:
            factor = MIN_DRAFT_SIDE / long_side
            image.draft("RGB", (max(1, int(original_size[0] * factor)), max(1, int(original_size[1] * factor))))
    image.load()  # a truncated file fails here (ImageFile.LOAD_TRUNCATED_IMAGES stays False)
    image = ImageOps.exif_transpose(image)
    image = _to_rgb(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    jpeg = _encode_jpeg(image, JPEG_QUALITY)
    thumb_image = image.copy()
    thumb_image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return jpeg, _encode_jpeg(thumb_image, THUMB_QUALITY), image.size


def random_name() -> str:
    return secrets.token_urlsafe(18) + ".jpg"


# ---- files follow the transaction ------------------------------------------------------------
#
# A photo is written into a pending folder of its own transaction (<pending_root>/<id>/), held by an
# exclusive lock on <pending_root>/<id>.lock while the transaction lasts. After the commit the files
# are renamed into upload_dir; after a rollback they are removed. A file to delete is moved into the
# pending folder too, and removed after the commit (or moved back after a rollback). If the process
# dies in between, the kernel drops the lock, and recover_pending() decides by one rule: a pending
# file whose row exists is put in place, any other is removed.

_SESSION_KEY = "photo_files"


def pending_root(upload_dir: str) -> str:
    """Where files wait for their transaction: beside the upload folder, so that listing the upload
    folder shows only stored photos; inside it (.pending) when the upload folder is a file system of
    its own, since a rename cannot cross file systems."""
    upload_dir = os.path.normpath(upload_dir)
    try:
        own_mount = os.stat(upload_dir).st_dev != os.stat(os.path.dirname(upload_dir) or ".").st_dev
    except FileNotFoundError:
        own_mount = False
    return os.path.join(upload_dir, ".pending") if own_mount else upload_dir + ".pending"


@dataclass
class _Staged:
    name: str
    upload_dir: str
    kind: str  # "new" (written, goes live on commit) or "gone" (deleted, removed on commit)
    transactions: tuple  # the SessionTransaction it happened in, and its parents


class _PendingFolder:
    """One transaction's pending folder and its lock."""

    def __init__(self, upload_dir: str):
        root = pending_root(upload_dir)
        os.makedirs(root, exist_ok=True)
        while True:
            ident = secrets.token_hex(8)
            lock_path = os.path.join(root, ident + ".lock")
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.exists(lock_path) and os.fstat(fd).st_ino == os.stat(lock_path).st_ino:
                break
            os.close(fd)  # a recovery took the fresh lock file away before we locked it: take another
        self.lock_fd, self.lock_path = fd, lock_path
        self.path = os.path.join(root, ident)
        os.mkdir(self.path)

    def release(self) -> None:
        """Remove the (now empty) folder and its lock file, then drop the lock."""
        for name in os.listdir(self.path):
            os.unlink(os.path.join(self.path, name))
        os.rmdir(self.path)
        os.unlink(self.lock_path)
        os.close(self.lock_fd)


def _real(session) -> Session:
    """The Session behind a scoped_session (db.session), whose transactions we follow."""
    return session() if isinstance(session, scoped_session) else session


def _chain(session) -> tuple:
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    chain = []
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    return tuple(chain)


def _state(session) -> dict:
    state = session.info.get(_SESSION_KEY)
    if state is None:
        state = session.info[_SESSION_KEY] = {"folders": {}, "staged": []}
    return state


def _folder(session, upload_dir: str) -> _PendingFolder:
    folders = _state(session)["folders"]
    if upload_dir not in folders:
        folders[upload_dir] = _PendingFolder(upload_dir)
    return folders[upload_dir]


def _write_file(path: str, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def store_photo(prepared: PreparedPhoto, upload_dir: str, session) -> list[str]:
    """Write the photo and its thumbnail under new random names, pending until the session commits."""
    session = _real(session)
    folder = _folder(session, upload_dir)
    chain = _chain(session)
    prepared.filename = random_name()
    prepared.thumb_filename = random_name()
    names = []
    for name, data in ((prepared.filename, prepared.jpeg), (prepared.thumb_filename, prepared.thumb)):
        _state(session)["staged"].append(_Staged(name, upload_dir, "new", chain))
        _write_file(os.path.join(folder.path, name), data)
        names.append(name)
    return names


def new_photo(prepared: PreparedPhoto, upload_dir: str, session, **columns):
    """The one constructor of a Photo row: stores the files (pending until commit) and returns the row."""
    store_photo(prepared, upload_dir, session)
    values = {"taken_at": prepared.taken_at, **columns}
    return Photo(sha256=prepared.sha256, filename=prepared.filename, thumb_filename=prepared.thumb_filename,
                 content_type="image/jpeg", width=prepared.width, height=prepared.height,
                 bytes=prepared.size_bytes, original_width=prepared.original_width,
                 original_height=prepared.original_height, original_format=prepared.original_format,
                 **values)


def remove_after_commit(session, upload_dir: str, names) -> None:
    """Delete stored files once the session commits (they come back if it rolls back)."""
    session = _real(session)
    chain = None
    for name in names:
        if not is_stored_name(name) or not os.path.exists(os.path.join(upload_dir, name)):
            continue
        folder = _folder(session, upload_dir)
        chain = chain or _chain(session)
        _state(session)["staged"].append(_Staged(name, upload_dir, "gone", chain))
        os.replace(os.path.join(upload_dir, name), os.path.join(folder.path, name))


def delete_photo(session, upload_dir: str, photo) -> None:
    """Delete a Photo row; its two files go when the session commits."""
    remove_after_commit(session, upload_dir, [photo.filename, photo.thumb_filename])
    session.delete(photo)


def _settle(session, staged: list[_Staged], committed: bool) -> None:
    folders = _state(session)["folders"]
    for item in staged:
        pending = os.path.join(folders[item.upload_dir].path, item.name)
        final = os.path.join(item.upload_dir, item.name)
        keep = (item.kind == "new") == committed
        try:
            if keep:
                os.replace(pending, final)
            else:
                os.unlink(pending)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    state = session.info.get(_SESSION_KEY)
    if state is None:
        return
    _settle(session, state["staged"], committed=True)
    state["staged"] = []
    _release(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session, previous_transaction) -> None:
    state = session.info.get(_SESSION_KEY)
    if state is None:
        return
    undone = [item for item in state["staged"] if previous_transaction in item.transactions]
    _settle(session, undone, committed=False)
    state["staged"] = [item for item in state["staged"] if previous_transaction not in item.transactions]
    if previous_transaction.parent is None:
        _release(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    """A session closed without commit or rollback: what it wrote goes, what it deleted comes back."""
    if transaction.parent is None and _SESSION_KEY in session.info:
        state = session.info[_SESSION_KEY]
        _settle(session, state["staged"], committed=False)
        state["staged"] = []
        _release(session)


def _release(session) -> None:
    state = session.info.pop(_SESSION_KEY)
    for folder in state["folders"].values():
        folder.release()


@dataclass
class Recovery:
    finalised: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _dead_folders(upload_dir: str):
    """Lock files of pending folders whose process is gone, each yielded while we hold its lock."""
    root = pending_root(upload_dir)
    if not os.path.isdir(root):
        return
    for entry in sorted(os.listdir(root)):
        if not entry.endswith(".lock"):
            continue
        lock_path = os.path.join(root, entry)
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live transaction
            if not os.path.exists(lock_path) or os.fstat(fd).st_ino != os.stat(lock_path).st_ino:
                continue
            yield lock_path, os.path.join(root, entry[:-len(".lock")])
        finally:
            os.close(fd)


def pending_names(upload_dir: str, include_live: bool = False) -> list[str]:
    """Names waiting in pending folders whose process is gone (for a report; nothing is changed).

    include_live: also those of transactions under way (a check must not call a photo missing that
    a running transaction is writing or deleting).
    """
    names = []
    if include_live:
        root = pending_root(upload_dir)
        folders = [os.path.join(root, n) for n in os.listdir(root)] if os.path.isdir(root) else []
    else:
        folders = [folder for _lock, folder in _dead_folders(upload_dir)]
    for folder in folders:
        try:
            names += os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue  # a lock file, or a transaction that just ended
    return sorted(names)


def recover_pending(upload_dir: str, known_names) -> Recovery:
    """Settle what dead processes left pending: a file whose row exists is put in place, any other removed.

    known_names: a function that takes a list of file names and returns those that have a Photo row
    (or a container of all known names). Folders of live transactions are left alone (their lock is
    held). Half-written temporary files of older versions (.upload-*.tmp) are removed too.
    """
    result = Recovery()
    for lock_path, folder in _dead_folders(upload_dir):
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        known = set(known_names(names)) if callable(known_names) else {n for n in names if n in known_names}
        for name in names:
            pending = os.path.join(folder, name)
            if name in known and is_stored_name(name) and not os.path.exists(os.path.join(upload_dir, name)):
                os.replace(pending, os.path.join(upload_dir, name))
                result.finalised.append(name)
            else:
                os.unlink(pending)
                result.removed.append(name)
        if os.path.isdir(folder):
            os.rmdir(folder)
        os.unlink(lock_path)
    for name in os.listdir(upload_dir) if os.path.isdir(upload_dir) else []:
        if name.startswith(".upload-") and name.endswith(".tmp"):
            os.unlink(os.path.join(upload_dir, name))
            result.removed.append(name)
    return result


def is_stored_name(name: str) -> bool:
    """A name this module could have made (used before serving a file)."""
    stem, dot, ext = name.partition(".")
    return (dot == "." and ext == "jpg" and len(stem) == 24
            and all(c.isalnum() or c in "-_" for c in stem))


def known_names_in(session):
    """A known_names function for recover_pending(): which of these names a Photo row refers to."""
    def known(names: list[str]) -> set[str]:
        if not names:
            return set()
        rows = session.execute(sa.select(Photo.filename, Photo.thumb_filename).where(
            sa.or_(Photo.filename.in_(names), Photo.thumb_filename.in_(names))))
        return {name for row in rows for name in row} & set(names)
    return known


def init_app(app) -> None:
    """At start-up, settle what a killed process left pending (the rest is `flask check --repair`'s)."""
    upload_dir = app.config["UPLOAD_DIR"]
    if not any(True for _ in _dead_folders(upload_dir)) and not any(
            n.startswith(".upload-") for n in os.listdir(upload_dir)):
        return
    with app.app_context():
        try:
            result = recover_pending(upload_dir, known_names_in(db.session))
        except sa_exc.SQLAlchemyError:
            app.logger.warning("Pending photos not settled at start-up (no database yet?); "
                               "run flask check --repair.")
        else:
            app.logger.info("Pending photos settled: %d put in place, %d removed.",
                            len(result.finalised), len(result.removed))
        finally:
            db.session.remove()


def send(filename: str, max_age: int = 7 * 24 * 3600):
    """A stored photo as a response, for this browser only: `private`, so no shared cache keeps a copy.
    The caller has checked that the visitor may see it."""
    response = send_from_directory(current_app.config["UPLOAD_DIR"], filename, mimetype="image/jpeg",
                                   max_age=max_age)
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
