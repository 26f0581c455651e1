"""The photo pipeline: check, read EXIF, orient, strip, shrink, thumbnail, store under random names.

Plain functions around Pillow; no Flask. Limits come in as arguments (the app's MAX_PHOTO_BYTES and
MAX_PHOTO_PIXELS). Work happens in two steps so that nothing reaches the disk before every photo of a
request has passed: `prepare_photo()` does all checks and encoding in memory, `store_photo()` writes
the two files (temporary file, then rename), and `remove_files()` takes them away again if the
database row could not be saved.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

import pillow_heif

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


class PhotoError(ValueError):
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


def prepare_photo(data: bytes, *, max_bytes: int, max_pixels: int) -> PreparedPhoto:
    """Check and re-encode one uploaded photo in memory. Raises PhotoError with a clear message."""
    if not data:
        raise PhotoError(_l("The photo is empty."))
    if len(data) > max_bytes:
        raise PhotoError(_l("The photo is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    image = _open_checked(data, max_pixels)
    original_format = image.format
    original_size = image.size
    gps, taken_at = read_exif(image)
    source = image
    try:
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
        thumb = _encode_jpeg(thumb_image, THUMB_QUALITY)
        width, height = image.size
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise PhotoError(_l("The photo is damaged or incomplete. Take it again or choose another one.")) \
            from None
    finally:
        source.close()
    return PreparedPhoto(
        sha256=sha256_of(data), original_format=original_format, original_width=original_size[0],
        original_height=original_size[1], size_bytes=len(jpeg), jpeg=jpeg, thumb=thumb,
        width=width, height=height, taken_at=taken_at, gps=gps)


def _write_atomically(directory: str, name: str, data: bytes) -> None:
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise


def random_name() -> str:
    return secrets.token_urlsafe(18) + ".jpg"


def store_photo(prepared: PreparedPhoto, upload_dir: str) -> list[str]:
    """Write the photo and its thumbnail under new random names; return the names written."""
    os.makedirs(upload_dir, exist_ok=True)
    prepared.filename = random_name()
    prepared.thumb_filename = random_name()
    written: list[str] = []
    try:
        for name, data in ((prepared.filename, prepared.jpeg), (prepared.thumb_filename, prepared.thumb)):
            _write_atomically(upload_dir, name, data)
            written.append(name)
    except BaseException:
        remove_files(upload_dir, written)
        raise
    return written


def remove_files(upload_dir: str, names) -> None:
    """Delete stored files (after a failed database write, or when a photo is deleted)."""
    for name in names:
        if not name or os.sep in name or name.startswith("."):
            continue
        try:
            os.unlink(os.path.join(upload_dir, name))
        except FileNotFoundError:
            pass


def is_stored_name(name: str) -> bool:
    """A name this module could have made (used before serving a file)."""
    stem, dot, ext = name.partition(".")
    return (dot == "." and ext == "jpg" and len(stem) == 24
            and all(c.isalnum() or c in "-_" for c in stem))
