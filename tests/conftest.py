"""A fresh app per test: its own SQLite file and upload folder under tmp_path."""
from __future__ import annotations

import os
import re
import shutil

import pytest

from flask import g

from app import create_app
from walks import i18n, settings
from walks.categories.service import seed_categories
from walks.extensions import db

from . import factories

i18n.compile_catalogs()

# Set TEST_DATABASE_URL (postgresql://...) to run the suite against a real PostgreSQL.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def database_uri(tmp_path) -> str:
    if TEST_DATABASE_URL:
        return settings.from_environment({"DATABASE_URL": TEST_DATABASE_URL})["SQLALCHEMY_DATABASE_URI"]
    return f"sqlite:///{tmp_path / 'test.db'}"


def _make_app(tmp_path, uri):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": uri,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SERVER_NAME": "localhost",
        "RATELIMIT_ENABLED": False,  # tests/walks/test_limits.py turns the abuse limits on
    })

    def fresh_request_globals():
        # The test holds an app context open, and each request reuses it: start every request
        # with an empty `g`, as a real server does (no cached locale, user or CSRF token).
        for name in list(vars(g)):
            delattr(g, name)

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_request_globals)  # before CSRFProtect
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A schema with the default categories, built once and copied for each test (DDL is slow)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    app = _make_app(folder, f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        seed_categories()
        db.session.commit()
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, request):
    if TEST_DATABASE_URL:
        app = _make_app(tmp_path, database_uri(tmp_path))
    else:
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
        app = _make_app(tmp_path, database_uri(tmp_path))
    with app.app_context():
        if TEST_DATABASE_URL:
            db.drop_all()
            db.create_all()
            seed_categories()
            db.session.commit()
        yield app
        db.session.remove()
        if TEST_DATABASE_URL:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """The factories, bound to the test's app: make.walk(), make.observation(...)."""
    return factories


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login(client, app):
    """Log a user in through the real login form; returns the user."""
    def do_login(user=None, password="correct horse battery"):
        user = user or factories.user(password=password)
        page = client.get("/login")
        response = client.post("/login", data={
            "email": user.email, "password": password, "csrf_token": csrf_token_from(page.get_data(True))})
        assert response.status_code in (302, 303), response.get_data(True)
        return user
    return do_login
