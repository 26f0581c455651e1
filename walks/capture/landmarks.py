"""Landmarks: the places a coordinator lists per walk (stops of the planned route, a school, a
square), so a walker who cannot use the map logs a point by choosing one. Written on the walk form
as one line each, "Name; latitude; longitude"; parsed here, all or nothing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..geo import GeoJSONError, check_lat_lon
from ..web import DomainError

MAX_LANDMARKS = 100
MAX_NAME = 120


class LandmarkError(DomainError):
    """Every bad row, each as a message naming its line; nothing is kept when there is one."""

    def __init__(self, errors: list):
        super().__init__("; ".join(str(e) for e in errors), field="landmarks")
        self.errors = errors


def parse_landmarks(text: str | None) -> list[dict]:
    """Lines "Name; lat; lon" -> [{name, lat, lon}]; blank lines are skipped."""
    landmarks, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        if len(parts) != 3:
            errors.append(_l("Line %(n)d: write it as “Name; latitude; longitude”.", n=number))
            continue
        name, lat, lon = parts
        if not name or len(name) > MAX_NAME:
            errors.append(_l("Line %(n)d: the name must be 1 to %(max)d characters.", n=number, max=MAX_NAME))
            continue
        try:
            lat, lon = check_lat_lon(lat.replace(",", "."), lon.replace(",", "."))
        except GeoJSONError as error:
            errors.append(_l("Line %(n)d: %(error)s", n=number, error=str(error)))
            continue
        landmarks.append({"name": name, "lat": round(lat, 7), "lon": round(lon, 7)})
    if len(landmarks) > MAX_LANDMARKS:
        errors.append(_l("At most %(n)d places.", n=MAX_LANDMARKS))
    if errors:
        raise LandmarkError(errors)
    return landmarks


def format_landmarks(landmarks: list[dict] | None) -> str:
    """The walk form's text for stored landmarks (the inverse of parse_landmarks)."""
    return "\n".join(f"{item['name']}; {item['lat']}; {item['lon']}" for item in landmarks or [])
