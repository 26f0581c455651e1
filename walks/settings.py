"""Configuration: defaults, then instance/config.py, then the environment, then the test's mapping."""
import os
import secrets
from pathlib import Path

ENV_KEYS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "UPLOAD_DIR",
    "TILE_URL",
    "TILE_ATTRIBUTION",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_SENDER",
    "PUBLIC_BASE_URL",
)


def defaults(instance_path: str) -> dict:
    instance = Path(instance_path)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'tryggvandring.db'}",
        "UPLOAD_DIR": str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": 26 * 1024 * 1024,
        "MAX_PHOTO_BYTES": 25 * 1024 * 1024,
        "MAX_PHOTO_PIXELS": 60_000_000,
        "MAX_GEOJSON_BYTES": 2 * 1024 * 1024,
        # The largest JSON request body (the observation API, track points); larger answers 400.
        "MAX_JSON_BYTES": 1024 * 1024,
        # `flask check --repair` removes orphan upload files only when older than this (a younger one
        # may belong to a request still under way).
        "ORPHAN_MIN_AGE_SECONDS": 600,
        # `flask check` reports a fault report claimed for sending longer ago than this as stuck.
        "STUCK_SENDING_SECONDS": 3600,
        "TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "TILE_ATTRIBUTION": "&copy; OpenStreetMap contributors",
        "BABEL_DEFAULT_LOCALE": "sv",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        "LANGUAGES": ["sv", "en"],
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_SENDER": "tryggvandring@localhost",
        "MAIL_MAX_ATTACHMENT_BYTES": 10 * 1024 * 1024,
        "PUBLIC_BASE_URL": None,
        "REPORT_REFERENCE_PREFIX": "TV",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_SECONDS": 300,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def from_environment(environ=os.environ) -> dict:
    """The settings given as environment variables, with types where a type matters."""
    found = {key: environ[key] for key in ENV_KEYS if environ.get(key)}
    if "DATABASE_URL" in found:
        url = found.pop("DATABASE_URL")
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        found["SQLALCHEMY_DATABASE_URI"] = url
    if "MAIL_PORT" in found:
        found["MAIL_PORT"] = int(found["MAIL_PORT"])
    if "MAIL_USE_TLS" in found:
        found["MAIL_USE_TLS"] = found["MAIL_USE_TLS"].lower() in {"1", "true", "yes", "on"}
    return found


def instance_secret_key(instance_path: str) -> str:
    """A random key made once and kept in instance/, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
