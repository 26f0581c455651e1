"""Reverse geocoding against a loaded address file: the nearest address within a radius.

Address files come as CSV (Lantmäteriet's and most municipal extracts) or as GeoJSON points
(OpenStreetMap extracts). Loading is all or nothing: any bad row is listed, and nothing is loaded.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..geo import distance_m
from ..models import Address
from ..web import DomainError

MAX_DISTANCE_M = 50.0
MAX_ROW_ERRORS = 50

# Column names as they come in Swedish and English extracts and in OpenStreetMap's addr:* tags.
COLUMNS = {
    "street": ("street", "gata", "gatunamn", "adressomrade", "addr:street"),
    "number": ("number", "nummer", "husnummer", "adressplatsnummer", "housenumber", "addr:housenumber"),
    "postcode": ("postcode", "postnummer", "addr:postcode"),
    "city": ("city", "ort", "postort", "addr:city"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "longitude", "x"),
}


class AddressFileError(DomainError):
    """The file as a whole is wrong, or some rows are: `rows` lists them ("row 3: ...")."""

    def __init__(self, message, rows: list[str] | None = None):
        super().__init__(message, "file")
        self.rows = rows or []


@dataclass(frozen=True)
class AddressRow:
    street: str
    number: str
    postcode: str
    city: str
    lat: float
    lon: float


def _pick(record: dict, key: str) -> str:
    lowered = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
    for name in COLUMNS[key]:
        value = lowered.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _row(record: dict, lat, lon) -> AddressRow:
    street = _pick(record, "street")
    if not street:
        raise ValueError(_l("no street name"))
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValueError(_l("the position is not a number")) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(_l("the position is outside the map"))
    return AddressRow(street[:200], _pick(record, "number")[:20], _pick(record, "postcode")[:10],
                      _pick(record, "city")[:100], lat, lon)


def _records_csv(text: str):
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    for number, record in enumerate(reader, start=2):
        yield number, record, _pick(record, "lat"), _pick(record, "lon")


def _records_geojson(data) -> list:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        raise AddressFileError(_l("A GeoJSON address file must be a FeatureCollection of points."))
    records = []
    for number, feature in enumerate(data["features"], start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point" \
                or not isinstance(coordinates, list) or len(coordinates) < 2:
            records.append((number, None, None, None))
            continue
        records.append((number, properties if isinstance(properties, dict) else {},
                        coordinates[1], coordinates[0]))
    return records


def parse_address_file(raw: bytes, filename: str) -> list[AddressRow]:
    """The rows of a CSV or GeoJSON address file; AddressFileError lists every bad row."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AddressFileError(_l("The address file is not UTF-8 text.")) from None
    if filename.lower().endswith((".geojson", ".json")):
        try:
            records = _records_geojson(json.loads(text))
        except json.JSONDecodeError:
            raise AddressFileError(_l("The address file is not valid GeoJSON.")) from None
    else:
        records = _records_csv(text)
    rows, errors = [], []
    for number, record, lat, lon in records:
        try:
            if record is None:
                raise ValueError(_l("not a point"))
            rows.append(_row(record, lat, lon))
        except ValueError as error:
            errors.append(str(_l("row %(number)s: %(error)s", number=number, error=str(error))))
    if errors:
        raise AddressFileError(_l("%(count)s rows could not be read; nothing was loaded.", count=len(errors)),
                               errors[:MAX_ROW_ERRORS])
    if not rows:
        raise AddressFileError(_l("The address file has no addresses."))
    return rows


def load_addresses(rows: list[AddressRow]) -> int:
    """Replace the loaded addresses with these (the caller commits)."""
    db.session.execute(sa.delete(Address))
    db.session.execute(sa.insert(Address), [vars(row) for row in rows])
    db.session.flush()
    return len(rows)


def format_address(address: Address) -> str:
    place = " ".join(part for part in (address.postcode, address.city) if part)
    street = f"{address.street} {address.number}".strip()
    return f"{street}, {place}" if place else street


def nearest_address(lat: float, lon: float, max_m: float = MAX_DISTANCE_M) -> str | None:
    """The nearest loaded address within `max_m` metres, written as on a letter; None if none."""
    dlat = max_m / 111_320
    dlon = max_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    candidates = db.session.scalars(sa.select(Address).where(
        Address.lat.between(lat - dlat, lat + dlat), Address.lon.between(lon - dlon, lon + dlon)))
    best, best_m = None, max_m
    for address in candidates:
        metres = distance_m(lat, lon, address.lat, address.lon)
        if metres <= best_m:
            best, best_m = address, metres
    return format_address(best) if best else None
