"""Demo data for the maps: walkers' tracks and a few drawn pictures, so the demo map shows them.

Called as a demo hook (`load_demo(area, walks, coordinator)`, see walks/demo.py DEMO_HOOKS).
The pictures are drawings made here with Pillow, stored through the normal photo pipeline.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import random

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageDraw

from walks import geo
from walks import photos as photo_pipeline
from walks.extensions import db
from walks.models import Observation, Participant, TrackPoint

TRACK_STEP_M = 20  # the phone keeps a breadcrumb about every 20 m
PICTURE_CATEGORIES = ("lighting", "graffiti", "hiding_places", "positive", "litter")


def _route_or_loop(walk, area) -> list[tuple[float, float]]:
    """The walk's planned route as (lat, lon), or a loop just inside the area boundary."""
    if walk.route and walk.route.get("type") == "LineString":
        return [(p[1], p[0]) for p in walk.route["coordinates"]]
    ring = (area.boundary or {}).get("coordinates", [[]])[0] if (area.boundary or {}).get("type") == "Polygon" \
        else []
    if len(ring) < 4:
        return []
    lat0, lon0 = geo.centre(area.boundary)
    return [(lat0 + (p[1] - lat0) * 0.8, lon0 + (p[0] - lon0) * 0.8) for p in ring]


def _breadcrumbs(line, rnd: random.Random, drift_m: float) -> list[tuple[float, float]]:
    """Points every ~20 m along the line, wandering a few metres to the side as people do."""
    points, north, east = [], 0.0, 0.0
    for (lat1, lon1), (lat2, lon2) in zip(line, line[1:]):
        steps = max(1, int(geo.distance_m(lat1, lon1, lat2, lon2) // TRACK_STEP_M))
        for i in range(steps):
            north = max(-drift_m, min(drift_m, north + rnd.gauss(0, drift_m / 3)))
            east = max(-drift_m, min(drift_m, east + rnd.gauss(0, drift_m / 3)))
            f = i / steps
            lat = lat1 + (lat2 - lat1) * f + north / 111_320
            lon = lon1 + (lon2 - lon1) * f + east / (111_320 * math.cos(math.radians(lat1)))
            points.append((lat, lon))
    points.append(line[-1])
    return points


def _picture(kind: str, seed: int) -> bytes:
    """A simple drawing of the kind of place (a dark path with a lamp, a wall with tags …)."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (640, 480), (40, 48, 60) if kind in ("lighting", "hiding_places") else (150, 170, 190))
    draw = ImageDraw.Draw(image)
    draw.polygon([(0, 480), (640, 480), (400, 260), (240, 260)], fill=(85, 85, 90))
    if kind == "lighting":
        draw.rectangle([430, 120, 440, 330], fill=(30, 30, 30))
        draw.ellipse([415, 105, 455, 135], fill=(70, 70, 60))
    elif kind == "graffiti":
        draw.rectangle([60, 120, 580, 300], fill=(190, 180, 165))
        for _ in range(6):
            x, y = rnd.randint(80, 500), rnd.randint(140, 260)
            draw.line([(x, y), (x + 60, y + rnd.randint(-30, 30)), (x + 110, y)], fill=(rnd.randint(100, 255), 40, 160),
                      width=9)
    elif kind == "hiding_places":
        draw.rectangle([180, 180, 460, 340], fill=(15, 15, 20))
    elif kind == "positive":
        draw.rectangle([120, 300, 300, 320], fill=(120, 80, 40))
        draw.ellipse([420, 150, 560, 290], fill=(60, 140, 70))
        draw.ellipse([300, 40, 340, 80], fill=(255, 230, 150))
    else:
        for _ in range(14):
            x, y = rnd.randint(150, 500), rnd.randint(330, 460)
            draw.rectangle([x, y, x + 20, y + 12], fill=(rnd.randint(150, 250), rnd.randint(150, 250), 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _add_pictures(walk) -> None:
    """One drawing for the first observation of each picture category on this walk."""
    config = current_app.config
    observations = db.session.scalars(sa.select(Observation).where(Observation.walk_id == walk.id)
                                      .order_by(Observation.id)).all()
    done = set()
    for observation in observations:
        code = observation.category.code
        if code not in PICTURE_CATEGORIES or code in done or observation.photos:
            continue
        prepared = photo_pipeline.prepare_photo(_picture(code, observation.id),
                                                max_bytes=config["MAX_PHOTO_BYTES"],
                                                max_pixels=config["MAX_PHOTO_PIXELS"])
        observation.photos.append(photo_pipeline.new_photo(prepared, config["UPLOAD_DIR"], db.session))
        done.add(code)


def load_demo(area, walks, coordinator) -> None:
    rnd = random.Random(area.id)
    for walk in walks:
        line = _route_or_loop(walk, area)
        participants = db.session.scalars(sa.select(Participant).where(Participant.walk_id == walk.id)
                                          .order_by(Participant.id)).all()
        for n, participant in enumerate(participants[:4] if len(line) >= 2 else []):
            start = walk.starts_at + dt.timedelta(minutes=n)
            for i, (lat, lon) in enumerate(_breadcrumbs(line, rnd, drift_m=3 + 2 * n)):
                db.session.add(TrackPoint(walk_id=walk.id, participant_id=participant.id, lat=round(lat, 7),
                                          lon=round(lon, 7), accuracy_m=8.0,
                                          recorded_at=start + dt.timedelta(seconds=15 * i)))
            participant.track_enabled = True
        _add_pictures(walk)
    db.session.flush()
