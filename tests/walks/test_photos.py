"""The photo pipeline without HTTP: types by content, bombs, EXIF read then stripped, orientation, files."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa
from PIL import Image, ImageCms
from sqlalchemy.orm import Session

from app import create_app
from tests import factories
from walks import photos
from walks.extensions import db
from walks.models import Photo

from .capture_samples import PDF_BYTES, SVG_BYTES, bomb_png, image_bytes, jpeg_bytes, truncated_jpeg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pixels": 60_000_000}


def stored(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_jpeg_is_oriented_stripped_and_shrunk():
    data = jpeg_bytes(size=(3000, 1500), orientation=6, gps=(57.7215, 11.9525))
    prepared = photos.prepare_photo(data, **LIMITS)
    # Orientation 6: the stored left half (red) is shown on top once turned upright.
    image = stored(prepared.jpeg)
    assert image.size == (prepared.width, prepared.height)
    assert image.height > image.width and max(image.size) <= photos.MAX_SIDE
    top, bottom = image.getpixel((image.width // 2, 10)), image.getpixel((image.width // 2, image.height - 10))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert (prepared.original_width, prepared.original_height) == (3000, 1500)
    assert prepared.original_format == "JPEG"


def test_metadata_is_read_before_it_is_removed():
    data = jpeg_bytes(orientation=6, gps=(57.7215, 11.9525), taken="2026:11:20 18:30:00")
    prepared = photos.prepare_photo(data, **LIMITS)
    assert prepared.gps == pytest.approx((57.7215, 11.9525), abs=1e-5)
    assert prepared.taken_at.isoformat() == "2026-11-20T18:30:00"
    for blob in (prepared.jpeg, prepared.thumb):
        image = stored(blob)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
        assert b"Exif" not in blob and b"Phone model" not in blob


def test_southern_and_western_gps_are_negative():
    prepared = photos.prepare_photo(jpeg_bytes(gps=(-33.8568, -151.2153)), **LIMITS)
    assert prepared.gps == pytest.approx((-33.8568, -151.2153), abs=1e-5)


def test_photo_without_exif_has_no_position_or_time():
    prepared = photos.prepare_photo(jpeg_bytes(taken=None, extra_exif=False), **LIMITS)
    assert prepared.gps is None and prepared.taken_at is None


def test_thumbnail_is_about_320_px():
    prepared = photos.prepare_photo(jpeg_bytes(size=(4000, 3000)), **LIMITS)
    thumb = stored(prepared.thumb)
    assert max(thumb.size) == photos.THUMB_SIDE
    assert max(prepared.width, prepared.height) <= photos.MAX_SIDE


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB"), ("HEIF", "RGB")])
def test_other_allowed_formats_become_jpeg(fmt, mode):
    prepared = photos.prepare_photo(image_bytes(fmt, mode=mode), **LIMITS)
    assert prepared.original_format == fmt
    image = stored(prepared.jpeg)
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (300, 200)
    assert len(image.getexif()) == 0


@pytest.mark.parametrize("make_data, expected", [
    (lambda: PDF_BYTES, "not a photo"),
    (lambda: SVG_BYTES, "not a photo"),
    (lambda: b"GIF89a" + b"\x00" * 100, "not a photo"),
    (lambda: b"", "empty"),
    (truncated_jpeg, "damaged"),
    (bomb_png, "too many pixels"),
], ids=["pdf-named-jpg", "svg", "junk", "empty", "truncated-jpeg", "decompression-bomb"])
def test_refused_inputs(make_data, expected):
    with pytest.raises(photos.PhotoError) as error:
        photos.prepare_photo(make_data(), **LIMITS)
    assert expected in str(error.value)


def test_own_pixel_limit_applies_below_pillows():
    data = jpeg_bytes(size=(2000, 2000))
    with pytest.raises(photos.PhotoError, match="too many pixels"):
        photos.prepare_photo(data, max_bytes=LIMITS["max_bytes"], max_pixels=3_000_000)


def test_size_limit():
    data = jpeg_bytes()
    with pytest.raises(photos.PhotoError, match="larger than"):
        photos.prepare_photo(data, max_bytes=len(data) - 1, max_pixels=LIMITS["max_pixels"])


# ---- the fast path: a small upright JPEG keeps its compressed data --------------------------

def phone_jpeg(size=(2048, 1536), progressive=False, **extra) -> bytes:
    """What the phone sends: already shrunk and upright, here with every kind of metadata added."""
    image = Image.merge("RGB", [Image.linear_gradient("L").resize(size), Image.effect_noise(size, 20),
                                Image.linear_gradient("L").resize(size).transpose(Image.Transpose.ROTATE_180)])
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (57.0, 43.0, 17.4), 3: "E", 4: (11.0, 57.0, 9.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, progressive=progressive, exif=exif, comment=b"Phone model 12",
               icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
               xmp=b"<x:xmpmeta>secret place</x:xmpmeta>", **extra)
    return out.getvalue()


def assert_no_metadata(blob: bytes) -> None:
    image = stored(blob)
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "xmp", "comment", "adobe"):
        assert key not in image.info, key
    for secret in (b"Exif", b"Camera maker", b"Phone model", b"secret place", b"ICC_PROFILE"):
        assert secret not in blob


@pytest.mark.parametrize("progressive", [False, True])
def test_small_upright_jpeg_keeps_its_pixels_and_loses_its_metadata(progressive):
    data = phone_jpeg(progressive=progressive)
    prepared = photos.prepare_photo(data, **LIMITS)
    assert prepared.gps == pytest.approx((57.721500, 11.952500), abs=1e-4)  # read before it went
    assert_no_metadata(prepared.jpeg)
    assert_no_metadata(prepared.thumb)
    # Lossless: the same pixels as the original decodes to, and smaller by the metadata only.
    with stored(data) as original, stored(prepared.jpeg) as kept:
        assert kept.size == original.size == (prepared.width, prepared.height) == (2048, 1536)
        assert kept.tobytes() == original.tobytes()
    assert len(data) - 5000 < len(prepared.jpeg) < len(data)
    assert max(stored(prepared.thumb).size) == photos.THUMB_SIDE


def test_anything_after_the_end_of_the_image_is_dropped():
    data = phone_jpeg(size=(800, 600)) + b"\xff\xd8appended second picture with a secret place\xff\xd9"
    prepared = photos.prepare_photo(data, **LIMITS)
    assert prepared.jpeg.endswith(b"\xff\xd9") and b"appended" not in prepared.jpeg


@pytest.mark.parametrize("make_data, size", [
    (lambda: jpeg_bytes(size=(1000, 800), orientation=6), (800, 1000)),  # turned upright
    (lambda: phone_jpeg(size=(3000, 2000)), (2048, 1365)),               # shrunk
    (lambda: image_bytes("PNG"), (300, 200)),
], ids=["oriented", "too-large", "png"])
def test_everything_else_is_re_encoded_without_metadata(make_data, size):
    prepared = photos.prepare_photo(make_data(), **LIMITS)
    assert stored(prepared.jpeg).size == size
    assert_no_metadata(prepared.jpeg)
    assert_no_metadata(prepared.thumb)


def test_cmyk_jpeg_becomes_rgb():
    out = io.BytesIO()
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)).save(out, "JPEG")
    prepared = photos.prepare_photo(out.getvalue(), **LIMITS)
    with stored(prepared.jpeg) as image:
        assert image.mode == "RGB" and image.getpixel((10, 10))[0] > 200
    assert_no_metadata(prepared.jpeg)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_damaged_small_jpeg_is_refused_on_the_fast_path_too(cut):
    data = phone_jpeg(size=(1200, 900))
    with pytest.raises(photos.PhotoError, match="damaged"):
        photos.prepare_photo(data[:int(len(data) * cut)], **LIMITS)


# ---- files follow the transaction ------------------------------------------------------------

@pytest.fixture
def session(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'files.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def upload_dir(tmp_path):
    path = tmp_path / "uploads"
    path.mkdir()
    return str(path)


def pending(upload_dir) -> list[str]:
    root = photos.pending_root(upload_dir)
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def test_files_go_live_when_the_session_commits(session, upload_dir):
    prepared = photos.prepare_photo(jpeg_bytes(), **LIMITS)
    row = photos.new_photo(prepared, upload_dir, session)
    assert (row.filename, row.thumb_filename) == (prepared.filename, prepared.thumb_filename)
    assert all(photos.is_stored_name(n) for n in (row.filename, row.thumb_filename))
    assert os.listdir(upload_dir) == [] and len(pending(upload_dir)) == 2  # a folder and its lock
    session.commit()
    assert sorted(os.listdir(upload_dir)) == sorted([row.filename, row.thumb_filename])
    with open(os.path.join(upload_dir, row.filename), "rb") as stored_file:
        assert stored_file.read() == prepared.jpeg
    assert pending(upload_dir) == []


def test_files_go_when_the_session_rolls_back(session, upload_dir):
    photos.new_photo(photos.prepare_photo(jpeg_bytes(), **LIMITS), upload_dir, session)
    session.rollback()
    assert os.listdir(upload_dir) == [] and pending(upload_dir) == []


def test_files_go_when_the_session_closes_without_commit(session, upload_dir):
    photos.new_photo(photos.prepare_photo(jpeg_bytes(), **LIMITS), upload_dir, session)
    session.close()
    assert os.listdir(upload_dir) == [] and pending(upload_dir) == []


def test_a_rolled_back_savepoint_takes_only_its_own_files(session, upload_dir):
    kept = photos.new_photo(photos.prepare_photo(jpeg_bytes(), **LIMITS), upload_dir, session)
    savepoint = session.begin_nested()
    photos.new_photo(photos.prepare_photo(jpeg_bytes(size=(300, 300)), **LIMITS), upload_dir, session)
    savepoint.rollback()
    session.commit()
    assert sorted(os.listdir(upload_dir)) == sorted([kept.filename, kept.thumb_filename])


def test_deleted_files_go_on_commit_and_come_back_on_rollback(session, upload_dir):
    row = photos.new_photo(photos.prepare_photo(jpeg_bytes(), **LIMITS), upload_dir, session)
    session.commit()
    names = sorted([row.filename, row.thumb_filename])
    photos.remove_after_commit(session, upload_dir, names)
    assert os.listdir(upload_dir) == []
    session.rollback()
    assert sorted(os.listdir(upload_dir)) == names
    photos.remove_after_commit(session, upload_dir, names + ["../escape.jpg", "missingmissingmissingmiss.jpg"])
    session.commit()
    assert os.listdir(upload_dir) == [] and pending(upload_dir) == []


def test_a_failed_write_leaves_nothing_after_the_rollback(session, upload_dir, monkeypatch):
    prepared = photos.prepare_photo(jpeg_bytes(), **LIMITS)
    real_write, calls = photos._write_file, []

    def failing_write(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(path, data)

    monkeypatch.setattr(photos, "_write_file", failing_write)
    with pytest.raises(OSError):
        photos.new_photo(prepared, upload_dir, session)
    session.rollback()
    assert os.listdir(upload_dir) == [] and pending(upload_dir) == []


KILLED_WRITER = """
import os, signal, sys
import sqlalchemy as sa
from sqlalchemy.orm import Session
from walks import photos
from tests.walks.capture_samples import jpeg_bytes
upload_dir = sys.argv[1]
engine = sa.create_engine("sqlite://")
with Session(engine) as session:
    for size in ((400, 200), (300, 300)):
        row = photos.new_photo(photos.prepare_photo(jpeg_bytes(size=size), max_bytes=10**8, max_pixels=10**8),
                               upload_dir, session)
        print(row.filename, row.thumb_filename, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def kill_writer(upload_dir: str) -> list[list[str]]:
    """A process that writes two photos and is killed before its files are settled."""
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, upload_dir], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return [line.split() for line in done.stdout.splitlines()]


def test_recovery_after_a_kill_keeps_files_with_rows_and_removes_the_rest(upload_dir):
    (first, first_thumb), (second, second_thumb) = kill_writer(upload_dir)
    assert os.listdir(upload_dir) == [] and len(pending(upload_dir)) == 2
    assert photos.pending_names(upload_dir) == sorted([first, first_thumb, second, second_thumb])
    # The first photo's row was committed (the process died before the rename), the second's was not.
    result = photos.recover_pending(upload_dir, {first, first_thumb})
    assert sorted(result.finalised) == sorted([first, first_thumb])
    assert sorted(result.removed) == sorted([second, second_thumb])
    assert sorted(os.listdir(upload_dir)) == sorted([first, first_thumb]) and pending(upload_dir) == []


def test_recovery_leaves_a_live_transaction_alone(session, upload_dir):
    row = photos.new_photo(photos.prepare_photo(jpeg_bytes(), **LIMITS), upload_dir, session)
    assert photos.pending_names(upload_dir) == []
    assert photos.pending_names(upload_dir, include_live=True) == sorted([row.filename, row.thumb_filename])
    result = photos.recover_pending(upload_dir, lambda names: set())
    assert result.removed == [] and result.finalised == []
    session.commit()
    assert sorted(os.listdir(upload_dir)) == sorted([row.filename, row.thumb_filename])


def test_recovery_removes_an_empty_folder_and_a_lone_lock_of_a_dead_process(upload_dir):
    root = photos.pending_root(upload_dir)
    os.makedirs(os.path.join(root, "0123456789abcdef"))
    for lock in ("0123456789abcdef.lock", "fedcba9876543210.lock"):  # the second died before its mkdir
        with open(os.path.join(root, lock), "wb"):
            pass
    assert photos.pending_names(upload_dir) == []
    result = photos.recover_pending(upload_dir, set())
    assert result.removed == [] and os.listdir(root) == []


def test_start_up_clears_a_lone_lock_file(app):
    root = photos.pending_root(app.config["UPLOAD_DIR"])
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "0123456789abcdef.lock"), "wb"):
        pass
    photos.init_app(app)
    assert os.listdir(root) == []


def test_pending_files_wait_inside_an_upload_folder_that_is_a_file_system_of_its_own(upload_dir, monkeypatch):
    assert photos.pending_root(upload_dir) == upload_dir + ".pending"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if os.path.normpath(path) == upload_dir:  # as if mounted: another device
            return os.stat_result((*result[:2], result.st_dev + 1, *result[3:]))
        return result

    monkeypatch.setattr(photos.os, "stat", stat)
    assert photos.pending_root(upload_dir) == os.path.join(upload_dir, ".pending")


def test_recovery_removes_half_written_temporary_files_of_older_versions(upload_dir):
    with open(os.path.join(upload_dir, ".upload-abc.tmp"), "wb") as half:
        half.write(b"half")
    assert photos.recover_pending(upload_dir, set()).removed == [".upload-abc.tmp"]
    assert os.listdir(upload_dir) == []


def test_the_app_settles_pending_files_at_start_up(tmp_path, app):
    upload_dir = app.config["UPLOAD_DIR"]
    (first, first_thumb), _second = kill_writer(upload_dir)
    observation = factories.observation()
    db.session.add(Photo(observation=observation, sha256="0" * 64, filename=first, thumb_filename=first_thumb,
                         width=1, height=1, bytes=1, original_width=1, original_height=1, original_format="JPEG"))
    db.session.commit()
    restarted = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY")},
                            "TESTING": True})
    with restarted.app_context():
        db.engine.dispose()
    assert sorted(os.listdir(upload_dir)) == sorted([first, first_thumb]) and pending(upload_dir) == []


@pytest.mark.parametrize("name, ok", [
    ("abcdefghijklmnopqrstuvwx.jpg", True),
    ("../etc/passwd", False),
    ("abcdefghijklmnopqrstuvwx.png", False),
    (".abcdefghijklmnopqrstuvw.jpg", False),
    ("IMG_0001.jpg", False),
])
def test_is_stored_name(name, ok):
    assert photos.is_stored_name(name) is ok
