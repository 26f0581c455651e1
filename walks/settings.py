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
    "TILE_PREFETCH",
    "TRUSTED_PROXIES",
    "RATELIMIT_STORAGE_URI",
    "OUTBOUND_ALLOWED_HOSTS",
    "PRIVACY_CONTACT",
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
        # Keep the walk area's tiles ahead of time on the walker's phone. None: on, except for
        # tile.openstreetmap.org, whose tile usage policy forbids bulk prefetching.
        "TILE_PREFETCH": None,
        "TILE_PREFETCH_MAX": 300,  # at most this many tiles are fetched ahead per walk
        "TILE_CACHE_MAX": 600,  # tiles kept on the phone in all (prefetched and seen), oldest dropped first
        "GPS_GOOD_ACCURACY_M": 20,  # on save, wait a few seconds for a fix at least this good
        "GPS_WARN_ACCURACY_M": 50,  # a fix worse than this is shown as a warning (saving still works)
        "GPS_FIX_WAIT_S": 5,  # how long saving waits for a good fix before taking the best one it has
        "OUTSIDE_AREA_MARGIN_M": 100,  # a point farther than this outside the area is flagged
        "BABEL_DEFAULT_LOCALE": "sv",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        # The walker's pages are offered in all of LANGUAGES, the coordinators' pages in COORDINATOR_LANGUAGES.
        "LANGUAGES": ["sv", "en", "ar", "so", "ti", "fa", "fi"],
        "COORDINATOR_LANGUAGES": ["sv", "en"],
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_SENDER": "tryggvandring@localhost",
        # Photos of a fault report mail are attached up to this many bytes in all, else linked (signed
    # links that need no account), so a report of 12 items with phone photos stays well under 1 MB.
    "MAIL_MAX_ATTACHMENT_BYTES": 512 * 1024,
    # A failed send is tried again by the retry-sends job after these minutes (the last one repeats),
    # until SEND_MAX_ATTEMPTS tries in all; then the report shows that the job gave up.
    "SEND_RETRY_MINUTES": [5, 30, 120, 720],
    "SEND_MAX_ATTEMPTS": 5,
        # Hours an offensive graffiti fault may stay open before the coordinator is reminded.
        "OFFENSIVE_PROMISED_HOURS": 24,
        # The demo coordinator's password, kept so that every `make run` can print it again (owner-only file).
        "DEMO_LOGIN_FILE": os.path.join(instance_path, "demo-login.txt"),
        "PUBLIC_BASE_URL": None,
        # Decimals of positions on the public pages: 3 rounds to about 110 m north–south (the map's scale).
        "PUBLIC_POSITION_DECIMALS": 3,
        # Days a walker's signed link (verify the e-mail, answer "was it fixed?") works.
        "WALKER_LINK_MAX_AGE_DAYS": 60,
        # Days after a fault is resolved before its walkers are asked "was it fixed?" (0: at once).
        "FIXED_QUESTION_AFTER_DAYS": 0,
        "REPORT_REFERENCE_PREFIX": "TV",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # A login session ends after this long without a request (coordinators on shared computers).
        "SESSION_IDLE_SECONDS": 12 * 3600,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none).
        "TRUSTED_PROXIES": 0,
        # Hosts the server may send to although they resolve to internal addresses (walks/net.py).
        "OUTBOUND_ALLOWED_HOSTS": [],
        # How long an invitation or password-reset link from the users page works (once).
        "PASSWORD_LINK_DAYS": 7,
        # Abuse limits (walks/limits.py, Flask-Limiter): counters in memory, or shared, e.g. redis://host:6379.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A shared storage that cannot be reached must not stop walkers: count in memory until it is back.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LIMIT_JOIN": "60 per minute",  # joins per address (a whole group behind one mobile-carrier address)
        "LIMIT_OBSERVATIONS": "120 per minute; 1000 per hour",  # per walker: a phone's offline queue flushes at once
        "LIMIT_PHOTOS": "120 per minute; 1000 per hour",  # photo uploads per walker
        "LIMIT_TRACK": "60 per minute",  # track uploads per walker
        # Requests for news by e-mail per walker: each one mails a confirmation link to the address given.
        "LIMIT_WALKER_MAIL": "5 per hour",
        "LIMIT_OPEN311": "120 per minute",  # Open311 API calls per api_key, or per address without one
        "LIMIT_LOGIN_ADDRESS": "20 per 10 minutes",  # failed logins from one address, any account
        "LIMIT_LOGIN_ACCOUNT_ADDRESS": "5 per 10 minutes",  # failed logins for one account from one address
        "LIMIT_LOGIN_ACCOUNT": "10 per minute",  # failed logins for one account from everywhere: a slow-down
        # Whom walkers ask about their data (shown on the privacy page): e-mail, phone or an address.
        "PRIVACY_CONTACT": None,
        # `flask purge`: photos of resolved or dismissed observations go this many months after the
        # observation was last changed; participants' names this many months after their walk.
        "PHOTO_RETENTION_MONTHS": 24,
        "NAME_RETENTION_MONTHS": 12,
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
    if "TILE_PREFETCH" in found:
        found["TILE_PREFETCH"] = found["TILE_PREFETCH"].lower() in {"1", "true", "yes", "on"}
    if "OUTBOUND_ALLOWED_HOSTS" in found:
        found["OUTBOUND_ALLOWED_HOSTS"] = [h.strip() for h in found["OUTBOUND_ALLOWED_HOSTS"].split(",") if h.strip()]
    if "TRUSTED_PROXIES" in found:
        found["TRUSTED_PROXIES"] = int(found["TRUSTED_PROXIES"])
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
