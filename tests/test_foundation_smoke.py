import pytest
import sqlalchemy as sa

from walks.extensions import db
from walks.models import Category


def test_app_starts_and_seeds_categories(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    codes = set(db.session.scalars(sa.select(Category.code)))
    assert {"lighting", "graffiti", "positive", "other"} <= codes


def test_sqlite_pragmas(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_factories_build_an_observation(make):
    obs = make.observation(text="Mörk gångtunnel")
    assert obs.id and obs.walk.area.name.startswith("Område")
