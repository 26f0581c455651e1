"""How the follow-up pages scale: an area with many walks, observations, fault reports and actions.

Run: .venv/bin/python bench/followup_figures.py [observations_per_walk ...]
Builds one area with 12 walks (a year of monthly walks) of N observations each (default 100, 500, 2,000),
half of the faults reported and a third of those resolved, and 200 actions, in a temporary SQLite file.
Prints the time of area_figures() and compare_walks() (the service functions), of the whole dashboard
and compare pages (HTTP, logged in, rendered), their HTML size, and the number of SQL statements.
Goal at 12 × 2,000 observations: each page ≤ 1 s, dashboard ≤ 60 kB (the charts do not grow with
the number of observations), a constant number of SQL statements.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from walks.categories.service import seed_categories  # noqa: E402
from walks.extensions import db  # noqa: E402
from walks.followup import service  # noqa: E402
from walks.models import (ActionItem, Area, Category, FaultReport, FaultReportItem, Observation,  # noqa: E402
                          Organization, User, Walk)

WALKS = 12
ACTIONS = 200
STATUSES = ("proposed", "planned", "in_progress", "done", "cancelled")


def build(n_per_walk: int, rnd: random.Random) -> int:
    categories = list(db.session.scalars(sa.select(Category)))
    area = Area(name="Bänkområdet", centre_lat=57.7215, centre_lon=11.9525)
    org = Organization(name="Stadsmiljöförvaltningen")
    db.session.add_all([area, org, User(email="bench@example.se", role="admin", password_hash=generate_password_hash("bench-pass"))])
    db.session.flush()
    start = dt.datetime(2025, 1, 15, 19, 0)
    observations = []
    for w in range(WALKS):
        walk = Walk(area_id=area.id, title=f"Vandring {w + 1}", starts_at=start + dt.timedelta(days=30 * w),
                    status="closed", join_code=f"B{w:05d}")
        db.session.add(walk)
        db.session.flush()
        for _ in range(n_per_walk):
            category = rnd.choice(categories)
            observations.append(dict(
                uuid=str(uuid.uuid4()), walk_id=walk.id, area_id=area.id, category_id=category.id,
                lat=57.715 + rnd.random() * 0.013, lon=11.94 + rnd.random() * 0.025, safety=rnd.randint(0, 3),
                text="Trasig lampa vid gångtunneln", status=rnd.choice(("new", "reported", "resolved")),
                hidden=rnd.random() < 0.02))
    db.session.execute(sa.insert(Observation), observations)
    ids = list(db.session.scalars(sa.select(Observation.id).order_by(Observation.id)))
    reported = ids[::2]
    for r, chunk in enumerate(range(0, len(reported), 50)):
        sent = start + dt.timedelta(days=r % 300)
        report = FaultReport(reference=f"TV-B-{r:05d}", organization_id=org.id, area_id=area.id, status="sent",
                             sent_at=sent, resolved_at=sent + dt.timedelta(days=rnd.randint(1, 60)))
        db.session.add(report)
        db.session.flush()
        db.session.execute(sa.insert(FaultReportItem), [
            dict(report_id=report.id, observation_id=obs_id,
                 status="resolved" if rnd.random() < 0.33 else rnd.choice(("sent", "acknowledged")))
            for obs_id in reported[chunk:chunk + 50]])
    db.session.execute(sa.insert(ActionItem), [
        dict(area_id=area.id, title=f"Åtgärd {i}", status=rnd.choice(STATUSES),
             due_date=dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randint(-200, 200))) for i in range(ACTIONS)])
    db.session.commit()
    return area.id


def count_statements(fn):
    seen = []

    def listener(*args):
        seen.append(1)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return result, len(seen)


def timed(fn, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        begin = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - begin)
    return best, result


def run(n_per_walk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "UPLOAD_DIR": f"{tmp}/uploads"})
        with app.app_context():
            db.create_all()
            seed_categories()
            area_id = build(n_per_walk, random.Random(7))
            area = db.session.get(Area, area_id)
            walks = service.area_walks(area)
            t_fig, _ = timed(lambda: service.area_figures(area, dt.date(2026, 6, 1)))
            _, q_fig = count_statements(lambda: service.area_figures(area, dt.date(2026, 6, 1)))
            db.session.expire_all()
            t_cmp, _ = timed(lambda: service.compare_walks(walks[0], walks[-1]))
            _, q_cmp = count_statements(lambda: (db.session.expire_all(), service.compare_walks(walks[0], walks[-1])))
            client = app.test_client()
            client.post("/login", data={"email": "bench@example.se", "password": "bench-pass"})
            t_dash, dash = timed(lambda: client.get(f"/areas/{area_id}/dashboard"))
            t_page, page = timed(lambda: client.get(f"/areas/{area_id}/compare"))
            assert dash.status_code == 200 and page.status_code == 200, (dash.status_code, page.status_code)
            print(f"{WALKS} walks × {n_per_walk:>5} obs: area_figures {t_fig * 1000:6.1f} ms ({q_fig} SQL) · "
                  f"compare_walks {t_cmp * 1000:6.1f} ms ({q_cmp} SQL) · dashboard page {t_dash * 1000:6.1f} ms "
                  f"{len(dash.data) / 1024:5.1f} kB · compare page {t_page * 1000:6.1f} ms "
                  f"{len(page.data) / 1024:6.1f} kB")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [100, 500, 2000]
    for size in sizes:
        run(size)
