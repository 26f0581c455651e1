"""How the action plan scales: XLSX export and import, and the plan and meeting pages.

Run: .venv/bin/python bench/action_plan.py [actions ...]   (default 100, 1,000, 3,000)
Builds one area with N actions spread over 10 actors (2 contacts each), in a temporary SQLite file.
Prints the time of export_xlsx(), of an unchanged import (every row read and compared), of an import
that edits every row (all updated and logged), the file size, and the time, HTML size and number of
SQL statements of the plan page and the meeting page (HTTP, logged in, rendered).
Goal: at 100 actions (a large real plan) every step ≤ 1 s; at 1,000 export and import ≤ 5 s each and
pages ≤ 1 s; the SQL statements of a page grow only by one per 500 rows (SQLAlchemy's IN batches).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import openpyxl  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from walks.actions import spreadsheet  # noqa: E402
from walks.categories.service import seed_categories  # noqa: E402
from walks.extensions import db  # noqa: E402
from walks.models import ActionItem, Area, Contact, Organization, User  # noqa: E402

STATUSES = ("proposed", "planned", "in_progress", "done", "cancelled")
PASSWORD = "correct horse battery"


def build(n: int, rnd: random.Random) -> tuple[int, str]:
    area = Area(name="Bänkområdet", centre_lat=57.7215, centre_lon=11.9525)
    user = User(email="bench@example.se", name="Bench", role="admin", password_hash=generate_password_hash(PASSWORD))
    db.session.add_all([area, user])
    orgs = []
    for k in range(10):
        org = Organization(name=f"Aktör {k}", kind="municipal", areas=[area])
        org.contacts = [Contact(name=f"Kontakt {k}-{j}", phone="031-123 45 67") for j in range(2)]
        orgs.append(org)
    db.session.add_all(orgs)
    today = dt.date.today()
    for i in range(n):
        org = rnd.choice(orgs)
        start = today + dt.timedelta(days=rnd.randint(-400, 100))
        db.session.add(ActionItem(
            area=area, title=f"Åtgärd {i}: byt belysning vid gångväg {i % 37}",
            description=("Beskrivning " * 10).strip(),
            organization=org, contact=rnd.choice(org.contacts), start_date=start,
            due_date=start + dt.timedelta(days=rnd.randint(10, 200)), goal="Tryggare plats",
            indicators="Färre felanmälningar", status=rnd.choice(STATUSES), horizon="short", priority="medium"))
    db.session.commit()
    return area.id, user.email


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def count_statements(app):
    counter = {"n": 0}

    def before(*_args, **_kwargs):
        counter["n"] += 1
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before)
    return counter, lambda: sa.event.remove(db.engine, "before_cursor_execute", before)


def run(n: int) -> None:
    tmp = tempfile.mkdtemp()
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "UPLOAD_DIR": f"{tmp}/uploads"})
    with app.app_context():
        db.create_all()
        seed_categories()
        area_id, email = build(n, random.Random(n))
        area = db.session.get(Area, area_id)
        user = db.session.scalar(sa.select(User))
        data, t_export = timed(lambda: spreadsheet.export_xlsx(area))
        result, t_same = timed(lambda: spreadsheet.import_xlsx(area, io.BytesIO(data), user))
        assert result.ok and result.unchanged == n, result.errors[:3]
        db.session.rollback()
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        for row in workbook.active.iter_rows(min_row=2):
            row[11].value = "Delvis klart"  # Vad har vi uppnått
        buffer = io.BytesIO()
        workbook.save(buffer)
        result, t_edit = timed(lambda: spreadsheet.import_xlsx(area, io.BytesIO(buffer.getvalue()), user))
        assert result.ok and len(result.updated) == n
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    pages = []
    for name, path in (("plan", f"/areas/{area_id}/actions"), ("meeting", f"/areas/{area_id}/meeting")):
        client.get(path)  # warm the template cache
        counter, stop = count_statements(app)
        response, seconds = timed(lambda: client.get(path))
        with app.app_context():
            stop()
        assert response.status_code == 200, response.status_code
        assert len(re.findall(r"<h1>", response.get_data(True))) == 1
        pages.append(f"{name} {seconds:.2f} s {len(response.data) / 1024:.0f} kB {counter['n']} SQL")
    print(f"{n:>5} actions: xlsx {len(data) / 1024:.0f} kB, export {t_export:.2f} s, import unchanged "
          f"{t_same:.2f} s, import all edited {t_edit:.2f} s | " + " | ".join(pages))


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [100, 1000, 3000]:
        run(size)
