"""The demo command: a real place, two walks with observations inside the boundary, a login."""
from __future__ import annotations

import os

import re
import sys
import types
from pathlib import Path

import pytest

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from walks import demo, geo
from walks.auth import service as accounts
from walks.extensions import db
from walks.models import Area, Observation, Participant, User, Walk


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_loads_the_place_walks_and_a_coordinator(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    area = db.session.scalar(sa.select(Area).where(Area.name == "Hjalmar Brantingsplatsen"))
    assert geo.contains(area.boundary, 57.7216, 11.9527)
    assert abs(area.centre_lat - 57.7216) < 0.001 and abs(area.centre_lon - 11.9527) < 0.001
    closed, open_walk = sorted(area.walks, key=lambda w: w.starts_at)
    assert closed.status == "closed" and closed.title.startswith("Trygghetsvandring ")
    assert open_walk.status == "open" and open_walk.title.startswith("Uppföljningsvandring ")
    assert closed.light_condition == open_walk.light_condition == "dark"
    assert 300 <= (open_walk.starts_at - closed.starts_at).days <= 400
    assert len(closed.observations) >= 12 and len(open_walk.observations) >= 6
    observations = closed.observations + open_walk.observations
    assert all(geo.contains(area.boundary, o.lat, o.lon) for o in observations)
    assert {o.safety for o in observations} == {0, 1, 2, 3}
    assert len({o.category.code for o in observations}) >= 10
    assert len({p.role for p in closed.participants}) >= 4
    assert all(o.area_id == area.id and o.participant is not None for o in observations)
    # The printed login works.
    password = re.search(r"Password:\s+(\S+)", result.output).group(1)
    user = accounts.find_user(demo.DEMO_EMAIL)
    assert user.role == "coordinator" and check_password_hash(user.password_hash, password)
    assert user.areas == [area]  # the demo coordinator sees the demo area (and nothing else)
    assert f"/j/{open_walk.join_code}" in result.output


def test_demo_once_is_idempotent(runner):
    assert runner.invoke(args=["demo", "--once"]).exit_code == 0
    counts = [count(m) for m in (Area, Walk, Observation, Participant, User)]
    second = runner.invoke(args=["demo", "--once"])
    assert second.exit_code == 0 and "already" in second.output
    assert [count(m) for m in (Area, Walk, Observation, Participant, User)] == counts


def test_demo_without_once_loads_another_copy_and_keeps_the_account(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0
    result = runner.invoke(args=["demo"])
    password = next(line for line in first.output.splitlines() if line.startswith("Password:"))
    assert result.exit_code == 0 and password in result.output  # the same account, the same password
    assert count(Area) == 2 and count(User) == 1


def test_every_start_prints_the_login_and_the_join_link_again(app, runner):
    first = runner.invoke(args=["demo", "--once"]).output
    again = runner.invoke(args=["demo", "--once"]).output
    login = [line for line in first.splitlines() if line.startswith(("Log in as:", "Password:", "Join the open walk:"))]
    assert len(login) == 3 and all(line in again for line in login)
    assert os.stat(app.config["DEMO_LOGIN_FILE"]).st_mode & 0o777 == 0o600


def test_demo_calls_the_hooks_and_survives_a_failing_one(runner, monkeypatch):
    calls = []
    good = types.ModuleType("walks.fake_good_demo")
    good.load_demo = lambda area, walks, coordinator: calls.append((area.name, len(walks), coordinator.email))
    bad = types.ModuleType("walks.fake_bad_demo")

    def broken(area, walks, coordinator):
        db.session.add(Area(name="half-made"))
        db.session.flush()
        raise RuntimeError("boom")
    bad.load_demo = broken
    monkeypatch.setitem(sys.modules, "walks.fake_good_demo", good)
    monkeypatch.setitem(sys.modules, "walks.fake_bad_demo", bad)
    monkeypatch.setattr(demo, "DEMO_HOOKS", ("walks.fake_bad_demo", "walks.fake_good_demo"))
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert calls == [("Hjalmar Brantingsplatsen", 2, demo.DEMO_EMAIL)]
    assert "walks.fake_bad_demo: skipped" in result.output
    assert db.session.scalar(sa.select(Area).where(Area.name == "half-made")) is None
    assert count(Walk) == 2


def test_demo_texts_describe_places_not_people():
    from walks.categories.service import labels_people
    for rows in (demo.FIRST_WALK, demo.FOLLOW_UP_WALK):
        for _code, _safety, text, _e, _n in rows:
            assert not labels_people(text), text


def test_demo_photos_go_through_the_pipeline_and_are_removed_when_loading_fails(app, runner, monkeypatch):
    from walks.models import Photo
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert runner.invoke(args=["demo"]).exit_code == 0
    photos = list(db.session.scalars(sa.select(Photo)))
    assert photos and all((upload_dir / p.filename).exists() and (upload_dir / p.thumb_filename).exists()
                          for p in photos)
    before = sorted(upload_dir.iterdir())

    def broken(*args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(demo, "run_hooks", broken)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert sorted(upload_dir.iterdir()) == before  # no orphan files
    assert count(Area) == 1


def test_demo_walks_have_a_planned_route_inside_the_area(app, runner):
    from walks.demo import DEMO_AREA_NAME
    assert runner.invoke(args=["demo"]).exit_code == 0
    area = db.session.scalar(sa.select(Area).where(Area.name == DEMO_AREA_NAME))
    for walk in area.walks:
        assert walk.route["type"] == "LineString"
        assert all(geo.contains(area.boundary, lat, lon) for lon, lat in walk.route["coordinates"])
