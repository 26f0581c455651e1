"""Tryggvandring: the application factory. Run with `flask --app app run`."""
from __future__ import annotations

import importlib
import os

import sqlalchemy as sa
from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from walks import i18n, inputs, settings
from walks.extensions import babel, csrf, db, login_manager, migrate
from walks.jsonload import SafeJSONProvider
from walks.web import DomainError

# Each capability wires itself in with init_app(app): blueprints, CLI commands, hooks.
CAPABILITIES = (
    "walks.i18n",
    "walks.security",
    "walks.limits",
    "walks.photos",
    "walks.assets",
    "walks.auth",
    "walks.categories",
    "walks.areas",
    "walks.capture",
    "walks.review",
    "walks.exports",
    "walks.reports",
    "walks.open311",
    "walks.actors",
    "walks.actions",
    "walks.followup",
    "walks.addresses",
    "walks.jobs",
    "walks.public",
    "walks.updates",
    "walks.demo",
    "maps.views",
    "walks.backup",
    "walks.retention",
    "walks.privacy",
    "walks.check",
)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings.defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:  # only then do the client address and scheme come from X-Forwarded-*
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    # One mechanism per kind of input (walks/inputs.py): ids in paths, form bodies, JSON bodies.
    app.url_map.converters["int"] = inputs.IdConverter
    app.request_class = inputs.StrictRequest
    app.json = SafeJSONProvider(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(i18n.translation_directories()))
    babel.init_app(app, locale_selector=i18n.select_locale)

    for name in CAPABILITIES:
        importlib.import_module(name).init_app(app)

    _register_pages(app)
    _register_errors(app)
    inputs.init_app(app)
    return app


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, a busy timeout and foreign keys on every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # Write transactions start with BEGIN IMMEDIATE: pysqlite begins one before the first INSERT,
        # UPDATE or DELETE, so a writer waits for the lock (busy_timeout) instead of failing with
        # SQLITE_BUSY when another writer went first. Reads before it see the latest commit, as on
        # PostgreSQL (READ COMMITTED), and hold no lock while a request works (photos, e-mail).
        dbapi_connection.isolation_level = "IMMEDIATE"


def _register_pages(app: Flask) -> None:
    @app.get("/")
    def index():
        if current_user.is_authenticated:
            return redirect(url_for("areas.index"))
        return render_template("index.html")

    @app.get("/healthz")
    def healthz():
        db.session.execute(sa.text("SELECT 1"))
        return {"status": "ok"}


def wants_json() -> bool:
    return (request.path.startswith(("/api/", "/open311/"))
            or request.accept_mimetypes.best == "application/json"
            or request.is_json)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The form has expired or was not sent from this site. Reload the page and try again.")
        if wants_json():
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(DomainError)
    def domain_error(error):
        db.session.rollback()
        if wants_json():
            return jsonify(error.as_json()), error.status
        return render_template("error.html", code=error.status, message=str(error.message)), error.status

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to do that."),
            404: _("The page was not found."),
            405: _("That method is not allowed here."),
            409: _("That conflicts with what is already stored."),
            413: _("The upload is too large."),
            429: _("Too many attempts. Wait a while and try again."),
        }
        message = error.description if getattr(error, "custom_message", False) else \
            messages.get(error.code, error.name)
        if wants_json():
            return jsonify(error=message), error.code
        return render_template("error.html", code=error.code, message=message), error.code

    @app.errorhandler(Exception)
    def server_error(error):
        db.session.rollback()
        if app.testing:
            raise error
        app.logger.exception("Unhandled error")
        message = _("Something went wrong on our side. Nothing was saved; try again.")
        if wants_json():
            return jsonify(error=message), 500
        return render_template("error.html", code=500, message=message), 500
