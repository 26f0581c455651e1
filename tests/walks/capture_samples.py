"""Photos and payloads made in memory for the capture, photo and review tests."""
from __future__ import annotations

import functools
import io
import uuid as uuidlib

from PIL import Image

from tests.factories import CENTRE


def jpeg_bytes(size=(400, 200), orientation: int | None = None, gps=None, taken="2026:11:20 18:30:00",
               quality=85, extra_exif=True) -> bytes:
    """A JPEG whose left half is red and right half blue, with EXIF orientation, GPS and time."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        lat, lon = gps
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)),
                        3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))}
    if taken:
        exif[0x8769] = {36867: taken}
    if extra_exif:
        exif[0x010F] = "Camera maker"
        exif[0x0110] = "Phone model 12"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _dms(value: float):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def image_bytes(fmt: str, size=(300, 200), mode="RGB") -> bytes:
    image = Image.new(mode, size, (10, 120, 200, 255) if mode == "RGBA" else (10, 120, 200))
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif
        pillow_heif.register_heif_opener()
    image.save(out, fmt)
    return out.getvalue()


PDF_BYTES = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
             b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
SVG_BYTES = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
             b'<rect width="100" height="100" fill="red"/></svg>')


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(size=(800, 600), taken=None, extra_exif=False)
    return data[: len(data) // 2]


@functools.lru_cache(maxsize=1)
def bomb_png() -> bytes:
    """A 20000×20000 PNG: small on disk (a few hundred kB), 400 megapixels when decoded."""
    image = Image.new("1", (20000, 20000), 0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def payload(**overrides) -> dict:
    values = {"uuid": str(uuidlib.uuid4()), "category": "lighting", "lat": CENTRE[0], "lon": CENTRE[1],
              "accuracy": 8, "location_source": "gps", "text": "Lampan vid gångtunneln är trasig", "safety": 1}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}
