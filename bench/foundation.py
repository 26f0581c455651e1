"""The foundation's costs: a password check, a join QR code, a boundary upload, the coordinator's home.

Run: .venv/bin/python bench/foundation.py
Prints the median of several runs for: checking a password (werkzeug scrypt, the login's cost), making
a walk's QR code as SVG and PNG (and their sizes), parsing and validating a GeoJSON boundary of
2,000 and 50,000 positions, and rendering /areas with 50 areas × 4 walks.
Goals: password check 20–500 ms (slow for guessing, fast for a person); QR ≤ 20 ms; a boundary at the
2 MB upload limit (50,000 positions) ≤ 1 s; /areas with 200 walks ≤ 0.5 s.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from werkzeug.security import check_password_hash, generate_password_hash  # noqa: E402

from walks import geo  # noqa: E402
from walks.areas import service as areas  # noqa: E402


def median_ms(action, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def circle(n: int) -> bytes:
    ring = [[11.9527 + 0.003 * math.cos(2 * math.pi * i / n), 57.7216 + 0.0015 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]}).encode()


def main() -> None:
    hashed = generate_password_hash("correct horse battery")
    print(f"password check (scrypt): {median_ms(lambda: check_password_hash(hashed, 'correct horse battery')):.0f} ms")
    url = "https://trygg.example.se/j/AB3DEF7H"
    print(f"QR code SVG: {median_ms(lambda: areas.qr_svg(url), 20):.1f} ms, {len(areas.qr_svg(url)):,} bytes")
    print(f"QR code PNG: {median_ms(lambda: areas.qr_png(url), 20):.1f} ms, {len(areas.qr_png(url)):,} bytes")
    for n in (2_000, 50_000):
        raw = circle(n)
        ms = median_ms(lambda: geo.validate_polygon(geo.parse_geojson(raw, 10 * 1024 * 1024)))
        print(f"boundary of {n:,} positions ({len(raw) / 1024:,.0f} kB): parse and validate {ms:.0f} ms")
    print(f"/areas with 50 areas × 4 walks: {render_areas_ms():.0f} ms")


def render_areas_ms() -> float:
    from app import create_app
    from tests import factories
    from walks.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "UPLOAD_DIR": f"{tmp}/uploads", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            db.create_all()
            user = factories.user(email="bench@example.se")
            for a in range(50):
                area = factories.area(name=f"Område {a}")
                for w in range(4):
                    factories.walk(area=area, starts_at=dt.datetime(2026, 1 + w, 1, 17))
            db.session.commit()
            client = app.test_client()
            client.post("/login", data={"email": user.email, "password": "correct horse battery"})
            assert client.get("/areas").status_code == 200
            ms = median_ms(lambda: client.get("/areas"))
            db.engine.dispose()
        return ms


if __name__ == "__main__":
    main()
