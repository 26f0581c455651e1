"""The maps' demo hook: tracks along the route and drawn pictures through the photo pipeline."""
from __future__ import annotations

import os

import sqlalchemy as sa

from maps import demo
from walks import geo
from walks.extensions import db
from walks.models import Photo, TrackPoint


def test_demo_adds_tracks_about_every_20_m_and_pictures(app, make):
    walk = make.walk(route={"type": "LineString", "coordinates": [[11.949, 57.7195], [11.956, 57.7230]]})
    for _ in range(2):
        make.participant(walk=walk)
    lighting = make.observation(walk=walk, area=walk.area, category=make.category("lighting"))
    make.observation(walk=walk, area=walk.area, category=make.category("wayfinding"))
    demo.load_demo(walk.area, [walk], None)
    db.session.commit()
    points = db.session.scalars(sa.select(TrackPoint).order_by(TrackPoint.participant_id, TrackPoint.id)).all()
    assert len({p.participant_id for p in points}) == 2
    first = [p for p in points if p.participant_id == points[0].participant_id]
    gaps = [geo.distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(first, first[1:])]
    assert 10 < sum(gaps) / len(gaps) < 35
    photos = db.session.scalars(sa.select(Photo)).all()
    assert [p.observation_id for p in photos] == [lighting.id]
    for name in (photos[0].filename, photos[0].thumb_filename):
        assert os.path.exists(os.path.join(app.config["UPLOAD_DIR"], name))


def test_demo_without_route_walks_inside_the_boundary(app, make):
    walk = make.walk()
    make.participant(walk=walk)
    demo.load_demo(walk.area, [walk], None)
    db.session.flush()
    points = db.session.scalars(sa.select(TrackPoint)).all()
    assert points and all(geo.contains(walk.area.boundary, p.lat, p.lon) for p in points)
