"""How the Open311 status fetch scales: one `flask jobs run` over 10,000 open faults at 50 recipients.

Run: .venv/bin/python bench/jobs.py [items] [recipients]   (default 10,000 and 50)
Builds a temporary SQLite database with the faults forwarded by Open311 (one sent report per
recipient), serves all recipients from one local ThreadingHTTPServer on 127.0.0.1 (each under its own
base URL; GET requests.json answers many ids at once: half closed with a note, half open), then runs
`flask --app app jobs run` once in its own process and checks that every answer was applied.
Prints the job's output, then `RESULT items=… fetch_s=… peak_mb=…` (peak_mb: the job process's
peak resident memory). Goal on the project's machine: fetch_s < 60 and peak_mb < 300.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from walks.categories.service import seed_categories  # noqa: E402
from walks.extensions import db  # noqa: E402
from walks.models import (Area, Category, FaultReport, FaultReportItem, Observation,  # noqa: E402
                          Organization, utcnow)


def answer_for(request_id: str) -> dict:
    number = int(request_id.rsplit("-", 1)[1])
    if number % 2:
        return {"service_request_id": request_id, "status": "closed", "status_notes": "Åtgärdat."}
    return {"service_request_id": request_id, "status": "open", "status_notes": "Beställt."}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlsplit(self.path)
        ids = parse_qs(url.query).get("service_request_id", [""])[0].split(",")
        body = json.dumps([answer_for(i) for i in ids if i]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def build(database_uri: str, base: str, items: int, recipients: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        seed_categories()
        area = Area(name="Bänkområdet", centre_lat=57.7215, centre_lon=11.9525)
        db.session.add(area)
        db.session.flush()
        category_id = db.session.scalar(sa.select(Category.id).where(Category.code == "lighting"))
        now = utcnow()
        sent = now - dt.timedelta(hours=1)  # not yet overdue: the reminders stay quiet
        organizations = [{"name": f"Mottagare {k}", "report_channel": "open311",
                          "open311_base_url": f"{base}/org{k}/open311/v2"} for k in range(recipients)]
        db.session.execute(sa.insert(Organization), organizations)
        organization_ids = db.session.scalars(sa.select(Organization.id).order_by(Organization.id)).all()
        db.session.execute(sa.insert(FaultReport), [
            {"reference": f"TV-2026-{k + 1:04d}", "organization_id": org_id, "area_id": area.id,
             "channel": "open311", "status": "sent", "sent_at": sent} for k, org_id in enumerate(organization_ids)])
        report_ids = db.session.scalars(sa.select(FaultReport.id).order_by(FaultReport.id)).all()
        db.session.execute(sa.insert(Observation), [
            {"uuid": str(uuid.uuid4()), "area_id": area.id, "category_id": category_id, "lat": 57.72 + n * 1e-6,
             "lon": 11.95, "safety": 1, "text": f"Lampa {n} trasig", "status": "reported", "source": "coordinator"}
            for n in range(items)])
        observation_ids = db.session.scalars(sa.select(Observation.id).order_by(Observation.id)).all()
        db.session.execute(sa.insert(FaultReportItem), [
            {"report_id": report_ids[n % recipients], "observation_id": observation_id, "status": "sent",
             "external_id": f"GBG-{n}"} for n, observation_id in enumerate(observation_ids)])
        db.session.commit()


def check(database_uri: str, items: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "bench"})
    with app.app_context():
        counts = dict(db.session.execute(sa.select(FaultReportItem.status, sa.func.count())
                                         .group_by(FaultReportItem.status)).all())
        resolved_observations = db.session.scalar(sa.select(sa.func.count()).select_from(Observation)
                                                  .where(Observation.status == "resolved"))
    expected = {"resolved": items // 2, "acknowledged": items - items // 2}
    if counts != expected or resolved_observations != items // 2:
        raise SystemExit(f"answers not applied: items {counts}, resolved observations {resolved_observations}")


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    recipients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    tmp = tempfile.mkdtemp()
    database_uri = f"sqlite:///{tmp}/bench.db"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    build(database_uri, f"http://127.0.0.1:{server.server_port}", items, recipients)
    environment = dict(os.environ, DATABASE_URL=database_uri, UPLOAD_DIR=f"{tmp}/uploads",
                       MAIL_SERVER="127.0.0.1", MAIL_PORT="9", OUTBOUND_ALLOWED_HOSTS="127.0.0.1")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "run"], cwd=ROOT,
                            env=environment, capture_output=True, text=True)
    fetch_s = time.perf_counter() - started
    server.shutdown()
    print(result.stdout.strip())
    if result.returncode:
        raise SystemExit(result.stderr)
    check(database_uri, items)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"RESULT items={items} fetch_s={fetch_s:.1f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
