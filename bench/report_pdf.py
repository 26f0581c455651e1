"""Bench: the PDF of a 200-item fault report with a photo per item (a script, not a test).

Run: .venv/bin/python bench/report_pdf.py [--items 200]
Makes a temporary app and database, 200 observations each with a generated 2048×1536 JPEG (as the
photo pipeline stores them), one draft report holding them all, then times walks.reports.outputs.
report_pdf (photos downscaled for print, a small map per item when maps.static is there).
Goal: ≤ 5 s and ≤ 20 MB. Last line: RESULT pdf_s_200=… pdf_mb_200=…
It also prints the CPU seconds and the load average, since a busy machine stretches the wall time.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from app import create_app  # noqa: E402
from walks.categories.service import seed_categories  # noqa: E402
from walks.extensions import db  # noqa: E402
from walks.models import (Area, Category, FaultReport, FaultReportItem, Observation, Organization,  # noqa: E402
                          Photo, Walk, utcnow)
from walks.reports import outputs  # noqa: E402

BOUNDARY = {"type": "Polygon", "coordinates": [[
    [11.9480, 57.7190], [11.9575, 57.7190], [11.9575, 57.7240], [11.9480, 57.7240], [11.9480, 57.7190]]]}
SIZE = (2048, 1536)


def photo_like(seed: int) -> Image.Image:
    """A photo-like picture: sky-to-ground gradient, shapes, blur and grain (JPEG of ~0.5–1 MB)."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
        w, h = rng.randrange(40, 500), rng.randrange(40, 400)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    grain = Image.effect_noise(SIZE, 24).convert("RGB")
    return Image.blend(image, grain, 0.12)


def build(items: int, upload_dir: str) -> FaultReport:
    seed_categories()
    area = Area(name="Bench", boundary=BOUNDARY, centre_lat=57.7215, centre_lon=11.9525)
    walk = Walk(area=area, title="Bench walk", starts_at=utcnow(), join_code=secrets.token_hex(4))
    organization = Organization(name="Stadsmiljöförvaltningen", report_email="felanmalan@example.se")
    report = FaultReport(reference="TV-2026-0001", organization=organization, area=area, walk=walk,
                         cover_text="Hej!\n\nHär kommer felen från trygghetsvandringen.")
    db.session.add_all([area, walk, organization, report])
    lighting = db.session.query(Category).filter_by(code="lighting").one()
    rng = random.Random(1)
    bases = [photo_like(seed) for seed in range(8)]
    for n in range(items):
        observation = Observation(
            uuid=str(uuid.uuid4()), walk=walk, area=area, category=lighting, safety=1,
            lat=57.7190 + rng.random() * 0.005, lon=11.9480 + rng.random() * 0.0095,
            text=f"Trasig gatlykta nummer {n + 1} längs gångvägen; mörkt en sträcka på 30 meter.",
            address=f"Hjalmar Brantingsgatan {n + 1}")
        db.session.add(observation)
        name = f"{secrets.token_urlsafe(18)}.jpg"
        # Each file differs (a shifted crop), so no decoder cache helps.
        image = bases[n % len(bases)].rotate(n % 7, expand=False)
        image.save(os.path.join(upload_dir, name), "JPEG", quality=85)
        observation.photos.append(Photo(
            sha256=f"{n:064d}", filename=name, thumb_filename=f"t{name}", width=SIZE[0], height=SIZE[1],
            bytes=os.path.getsize(os.path.join(upload_dir, name)), original_width=SIZE[0],
            original_height=SIZE[1], original_format="JPEG"))
        report.items.append(FaultReportItem(observation=observation))
    db.session.commit()
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SERVER_NAME": "localhost",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "UPLOAD_DIR": f"{tmp}/uploads"})
        with app.app_context(), app.test_request_context():
            db.create_all()
            started = time.perf_counter()
            report = build(args.items, app.config["UPLOAD_DIR"])
            photo_mb = sum(os.path.getsize(os.path.join(app.config["UPLOAD_DIR"], f))
                           for f in os.listdir(app.config["UPLOAD_DIR"])) / 1e6
            print(f"setup: {args.items} items, photos {photo_mb:.0f} MB on disk, "
                  f"{time.perf_counter() - started:.1f} s")
            load_before = os.getloadavg()[0]
            started, cpu_started = time.perf_counter(), time.process_time()
            pdf = outputs.report_pdf(report)  # what GET /reports/<id>.pdf and the e-mail do
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            has_maps = outputs.map_png(outputs.item_views(report)[0]) is not None
            megabytes = len(pdf) / 1e6
            print(f"pdf: {seconds:.2f} s ({cpu_seconds:.2f} s of CPU on {os.cpu_count()} cores, load average "
                  f"{load_before:.1f} before), {megabytes:.2f} MB, maps {'on' if has_maps else 'off'} "
                  f"(goal ≤ 5 s, ≤ 20 MB)")
            db.engine.dispose()
    print(f"RESULT pdf_s_{args.items}={seconds:.2f} pdf_mb_{args.items}={megabytes:.2f}")


if __name__ == "__main__":
    main()
