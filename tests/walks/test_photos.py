"""The photo pipeline without HTTP: types by content, bombs, EXIF read then stripped, orientation, files."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from walks import photos

from .capture_samples import PDF_BYTES, SVG_BYTES, bomb_png, image_bytes, jpeg_bytes, truncated_jpeg

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


def test_store_writes_two_random_files_and_remove_deletes_them(tmp_path):
    prepared = photos.prepare_photo(jpeg_bytes(), **LIMITS)
    names = photos.store_photo(prepared, str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(names) == sorted([prepared.filename, prepared.thumb_filename])
    assert all(photos.is_stored_name(n) for n in names)
    assert (tmp_path / prepared.filename).read_bytes() == prepared.jpeg
    photos.remove_files(str(tmp_path), names)
    assert os.listdir(tmp_path) == []


def test_store_leaves_no_temporary_file_when_writing_fails(tmp_path, monkeypatch):
    prepared = photos.prepare_photo(jpeg_bytes(), **LIMITS)
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(photos.os, "replace", failing_replace)
    with pytest.raises(OSError):
        photos.store_photo(prepared, str(tmp_path))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, ok", [
    ("abcdefghijklmnopqrstuvwx.jpg", True),
    ("../etc/passwd", False),
    ("abcdefghijklmnopqrstuvwx.png", False),
    (".abcdefghijklmnopqrstuvw.jpg", False),
    ("IMG_0001.jpg", False),
])
def test_is_stored_name(name, ok):
    assert photos.is_stored_name(name) is ok
