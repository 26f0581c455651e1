"""Filters and rows for the maps, without HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from maps import service
from maps.service import FilterError, MapFilters, parse_filters
from walks.extensions import db

CODES = ["lighting", "graffiti"]


def test_empty_values_mean_no_filter():
    assert parse_filters({"walk": "", "theme": " ", "rating": ""}, CODES).is_empty()


def test_values_are_parsed():
    filters = parse_filters({"walk": "7", "date_from": "2026-03-01", "date_to": "2026-03-31", "theme": "clean",
                             "category": "graffiti", "status": "resolved", "rating": "0"}, CODES, {7})
    assert filters == MapFilters(7, dt.date(2026, 3, 1), dt.date(2026, 3, 31), "clean", "graffiti", "resolved", 0)


@pytest.mark.parametrize("args", [
    {"category": "unknown"}, {"category": "LIGHTING"}, {"date_from": "2026-02-30"}, {"date_to": "31/12/2026"},
    {"date_from": "2026-03-02", "date_to": "2026-03-01"}, {"theme": "people"}, {"status": "open"},
    {"rating": "-1"}, {"rating": "1.5"}, {"rating": "3x"}, {"walk": "1; drop table"}, {"walk": "8"},
])
def test_bad_values_raise_a_message(args):
    with pytest.raises(FilterError) as error:
        parse_filters(args, CODES, {7})
    assert str(error.value)


def test_local_midnight_in_utc():
    assert service.local_day_start_utc(dt.date(2026, 1, 15), "Europe/Stockholm") == dt.datetime(2026, 1, 14, 23, 0)
    assert service.local_day_start_utc(dt.date(2026, 7, 15), "Europe/Stockholm") == dt.datetime(2026, 7, 14, 22, 0)


def test_map_points_carry_no_text(app, make):
    walk = make.walk()
    obs = make.observation(walk=walk, area=walk.area, text="hemlig text", safety=2)
    db.session.flush()
    points = service.map_points(area=walk.area)
    assert points == [service.MapPoint(obs.id, obs.lat, obs.lon, "safety", "lighting", 2)]
    assert "hemlig text" not in repr(points)


def test_observation_without_area_is_found_through_its_walk(app, make):
    walk = make.walk()
    obs = make.observation(walk=walk, area=walk.area)
    obs.area_id = None
    obs.area = None
    db.session.flush()
    assert [p.id for p in service.map_points(area=walk.area)] == [obs.id]
    assert service.area_counts([walk.area, make.area()]) == {walk.area_id: 1}
