"""Exports of observations: a GeoJSON FeatureCollection (built with `geojson`) and CSV.

Pure functions over observations; the caller passes a function that makes absolute photo URLs.
"""
from __future__ import annotations

import csv
import io
from typing import Callable, Iterable

import geojson
import sqlalchemy as sa

from ..extensions import db
from ..geo import to_sweref99tm
from ..models import FINER_RATINGS, Observation
from ..spreadsheets import safe_cell

CSV_COLUMNS = (
    "id", "uuid", "walk_id", "walk_title", "area_id", "area_name", "observed_at", "light_condition",
    "category", "category_name_sv", "category_name_en", "theme", "is_fault", "safety",
    *(f"rating_{name}" for name in FINER_RATINGS),
    "text", "status", "lat", "lon", "sweref99tm_n", "sweref99tm_e", "accuracy_m", "location_source",
    "participant_role", "hidden", "merged_into", "photo_urls",
)


def observations_for(*, walk_id: int | None = None, area_id: int | None = None,
                     include_hidden: bool = False) -> list[Observation]:
    query = sa.select(Observation)
    if walk_id is not None:
        query = query.where(Observation.walk_id == walk_id)
    if area_id is not None:
        query = query.where(Observation.area_id == area_id)
    if not include_hidden:
        query = query.where(Observation.hidden.is_(False), Observation.merged_into_id.is_(None))
    return list(db.session.scalars(query.order_by(Observation.observed_at, Observation.id)))


def _iso(moment) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def properties(observation: Observation, photo_url: Callable[[str], str]) -> dict:
    """What a GIS user expects about one observation (plain JSON types)."""
    category, walk, area = observation.category, observation.walk, observation.area
    northing, easting = to_sweref99tm(observation.lat, observation.lon)
    values = {
        "id": observation.id,
        "uuid": observation.uuid,
        "walk_id": observation.walk_id,
        "walk_title": walk.title if walk else None,
        "area_id": observation.area_id,
        "area_name": area.name if area else None,
        "observed_at": _iso(observation.observed_at),
        "light_condition": walk.light_condition if walk else None,
        "category": category.code,
        "category_name_sv": category.name_sv,
        "category_name_en": category.name_en,
        "theme": category.theme,
        "is_fault": category.is_fault,
        "safety": observation.safety,
    }
    for name in FINER_RATINGS:
        values[f"rating_{name}"] = getattr(observation, f"rating_{name}")
    values.update({
        "text": observation.text,
        "status": observation.status,
        "lat": observation.lat,
        "lon": observation.lon,
        "sweref99tm_n": round(northing, 2),
        "sweref99tm_e": round(easting, 2),
        "accuracy_m": observation.accuracy_m,
        "location_source": observation.location_source,
        "participant_role": observation.participant.role if observation.participant else None,
        "hidden": observation.hidden,
        "merged_into": observation.merged_into_id,
        "photo_urls": [photo_url(p.filename) for p in observation.photos],
        "thumbnail_urls": [photo_url(p.thumb_filename) for p in observation.photos],
    })
    return values


def feature_collection(observations: Iterable[Observation], photo_url: Callable[[str], str]) \
        -> geojson.FeatureCollection:
    features = [geojson.Feature(id=o.uuid, geometry=geojson.Point((o.lon, o.lat)),
                                properties=properties(o, photo_url))
                for o in observations]
    collection = geojson.FeatureCollection(features)
    if not collection.is_valid:
        raise ValueError(f"invalid GeoJSON: {collection.errors()}")
    return collection


def _cell(value):
    """Plain CSV values; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(value)
    return safe_cell(value)


def csv_text(observations: Iterable[Observation], photo_url: Callable[[str], str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read å, ä and ö right
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for observation in observations:
        values = properties(observation, photo_url)
        writer.writerow([_cell(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()
