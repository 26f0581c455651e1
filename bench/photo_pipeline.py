"""Bench: the server-side photo pipeline on 12-megapixel photos (a script, not a test).

Makes a 12 MP JPEG with EXIF orientation and GPS and a 12 MP HEIC, then runs each through the whole
pipeline many times: check the type, read EXIF, orient, strip, resize to 2048 px, thumbnail, write
the files and insert the Observation and Photo rows into a temporary SQLite database.
Prints the median time per photo and the peak memory. Goal: JPEG median <= 250 ms, peak <= 300 MB.

    .venv/bin/python bench/photo_pipeline.py [--runs 15]
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402


def make_photo(fmt: str, size=(4000, 3000)) -> bytes:
    """A 12 MP image with gradients and sensor-like noise: about 3.5 MB as JPEG, like a phone's photo.

    (Decoding cost grows with the file size, so pure noise would measure something no camera sends.)
    """
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 14)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Bench camera"
    exif[0x8825] = {1: "N", 2: (57.0, 43.0, 17.4), 3: "E", 4: (11.0, 57.0, 9.0)}
    exif[0x8769] = {36867: "2026:11:20 18:30:00"}
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif
        pillow_heif.register_heif_opener()
        image.save(out, "HEIF", quality=50, exif=exif.tobytes())  # about 3 MB, like an iPhone's
    else:
        image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def write_samples(directory: str) -> None:
    Path(directory, "photo.jpg").write_bytes(make_photo("JPEG"))
    Path(directory, "photo.heic").write_bytes(make_photo("HEIF"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="JPEG runs")
    parser.add_argument("--heic-runs", type=int, default=6, help="HEIC runs (each takes seconds)")
    parser.add_argument("--make-samples", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_samples:
        write_samples(args.make_samples)
        return

    from app import create_app
    from walks.capture import service
    from walks.categories.service import seed_categories
    from walks.extensions import db
    from walks.models import Area, Participant, Walk, hash_token, utcnow

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "UPLOAD_DIR": os.path.join(tmp, "uploads")})
        with app.app_context():
            db.create_all()
            seed_categories()
            area = Area(name="Bench", centre_lat=57.72, centre_lon=11.95)
            walk = Walk(area=area, title="Bench", starts_at=utcnow(), status="open", join_code="BENCH1")
            participant = Participant(walk=walk, token_hash=hash_token("bench"))
            db.session.add_all([area, walk, participant])
            db.session.commit()

            # Made in a child process, so that making them does not count in this process's peak memory.
            subprocess.run([sys.executable, __file__, "--make-samples", tmp], check=True)
            samples = {"jpeg": Path(tmp, "photo.jpg").read_bytes(), "heic": Path(tmp, "photo.heic").read_bytes()}
            before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            for name, data in samples.items():
                with Image.open(io.BytesIO(data)) as probe:
                    print(f"{name}: {probe.size[0]}x{probe.size[1]} {probe.format}, {len(data) / 1e6:.1f} MB")

            medians = {}
            for name, data in samples.items():
                timings, cpu = [], []
                for _ in range((args.runs if name == "jpeg" else args.heic_runs) + 1):
                    payload = {"uuid": str(uuid.uuid4()), "category": "lighting", "safety": 1}
                    started, started_cpu = time.perf_counter(), time.process_time()
                    result = service.create_observation(walk, participant, payload, [data], app.config)
                    db.session.commit()
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                    assert result.observation.location_source == "exif" and len(result.observation.photos) == 1
                timings, cpu = timings[1:], cpu[1:]  # the first run warms caches and imports
                medians[name] = statistics.median(timings)
                print(f"{name}: median {medians[name]:.0f} ms wall, min {min(timings):.0f} ms, "
                      f"max {max(timings):.0f} ms over {len(timings)} runs; "
                      f"median CPU time of this process {statistics.median(cpu):.0f} ms "
                      f"(decoders may use more than one thread)")
            stored = sorted(Path(app.config["UPLOAD_DIR"]).iterdir())
            with Image.open(stored[0]) as check:
                assert len(check.getexif()) == 0 and max(check.size) <= 2048

    # ru_maxrss: the peak resident size of the whole process, in kB on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak_mb:.0f} MB "
          f"(of which {before_mb:.0f} MB before the first photo: Python, Flask, SQLAlchemy, the two samples)")
    with open("/proc/loadavg") as load:
        print(f"load average at the end: {load.read().split()[0]} on {os.cpu_count()} cores")
    print(f"RESULT jpeg_median_ms={medians['jpeg']:.0f} heic_median_ms={medians['heic']:.0f} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
