"""Bench: walkers under load against the real server; nothing lost, nothing doubled, no orphan files.

Starts the app under gunicorn on 127.0.0.1 with the demo loaded, then WALKERS simulated walkers each join
the open demo walk as a phone does (join form, capture page for the CSRF token) and post PER_WALKER
observations with a 2048 px photo (as the phone's canvas makes it: JPEG, no EXIF) to the real API;
5 % are sent twice with the same UUID, at the same time. A walker retries what was not acknowledged
(connection refused or reset, 5xx, 408, 429), as the phone's queue does. The run is bounded in count and
time (--max-seconds) and stops by itself. With --kill the server gets SIGKILL (master and workers) at a
quarter, half and three quarters of the run and is started again.

Afterwards the server is stopped and the database and the upload folder are checked:
  lost     acknowledged, but the observation, its photo row or its files are missing
  dup      an observation stored twice, or its photo twice
  orphans  files in the upload folder no row points at, or left pending

Runs on SQLite, then on PostgreSQL when TEST_DATABASE_URL or --pg URL is given or a local PostgreSQL
can be started (initdb). cpu_ms_per_obs is measured in this process: CPU time of the capture service call
and its commit for one observation with the 2048 px photo (median).

    .venv/bin/python bench/load.py [--walkers 50] [--per-walker 20] [--kill] [--pg URL | --no-pg]

Goal on 2 cores (load generator included): 0 errors, lost, dup and orphans on both databases, at least
40 observations with photo per second on SQLite, p95 under 1 s, cpu_ms_per_obs <= 30.
"""
from __future__ import annotations

import argparse
import http.client
import io
import os
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Production choice, documented in README: gthread workers, 2 per core, 4 threads each. Pillow and
# the database driver release the GIL, so threads overlap the waiting; processes use both cores.
WORKERS = 2 * (os.cpu_count() or 1)
THREADS = 4
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


def server_app():
    """The app gunicorn serves in the bench: the bench's database and folder, no rate limits."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URI"],
                       "UPLOAD_DIR": os.environ["BENCH_UPLOAD_DIR"], "SECRET_KEY": "bench",
                       "RATELIMIT_ENABLED": False})


# ---- the photo a phone sends -------------------------------------------------------------------

def phone_photo(seed: int) -> bytes:
    """A 2048x1536 JPEG like the phone's canvas makes (quality 0.85, no EXIF): about half a megabyte."""
    from PIL import Image, ImageFilter

    size = (2048, 1536)
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize(size).rotate(rng.randint(0, 359), expand=False)
    noise = Image.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(1.2))
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


# ---- the server --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, uri: str, upload_dir: str, log_path: str):
        self.port = free_port()
        self.env = {**os.environ, "BENCH_DATABASE_URI": uri, "BENCH_UPLOAD_DIR": upload_dir,
                    "RATELIMIT_ENABLED": "false"}
        self.log = open(log_path, "ab")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                   "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
                   "--timeout", "60", "--graceful-timeout", "30", "--chdir", str(ROOT),
                   "bench.load:server_app()"]
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start; see the log")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


# ---- a walker's phone --------------------------------------------------------------------------

class Phone:
    """One walker's browser: keep-alive connection and cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    errors: int = 0
    retries: int = 0
    unsent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="photo.jpg"\r\n'
                 f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def until_done(deadline: float, tally: Tally, attempt):
    """Call attempt() until it answers; connection failures and retryable statuses wait and go again."""
    while time.monotonic() < deadline:
        try:
            status, data = attempt()
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.retries += 1
            time.sleep(0.25)
            continue
        if status in RETRY_STATUSES:
            with tally.lock:
                tally.errors += status >= 500
                tally.retries += 1
            time.sleep(0.25)
            continue
        return status, data
    return None


def join(phone: Phone, code: str, n: int, deadline: float, tally: Tally) -> str | None:
    """As the phone does: the join page, the join form, the capture page's CSRF token."""
    def attempt():
        status, page = phone.request("GET", f"/j/{code}")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or token is None:
            return status, page
        form = urllib.parse.urlencode({"csrf_token": token.group(1).decode(), "display_name": f"Gångare {n}",
                                       "role": "resident", "consent": "y"}).encode()
        status, page = phone.request("POST", f"/j/{code}", form,
                                     {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            return status, page
        return phone.request("GET", f"/j/{code}/capture")
    answer = until_done(deadline, tally, attempt)
    if answer is None or answer[0] != 200:
        with tally.lock:
            tally.errors += answer is not None
        return None
    token = re.search(rb'name="csrf-token" content="([^"]+)"', answer[1])
    return token.group(1).decode() if token else None


def send_observation(phone: Phone, code: str, csrf: str, fields: dict, photo: bytes, deadline: float,
                     tally: Tally) -> None:
    body, content_type = multipart(fields, photo)
    headers = {"Content-Type": content_type, "X-CSRFToken": csrf, "Accept": "application/json"}

    def attempt():
        started = time.perf_counter()
        status, data = phone.request("POST", f"/api/walks/{code}/observations", body, headers)
        with tally.lock:
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        return status, data
    answer = until_done(deadline, tally, attempt)
    with tally.lock:
        if answer is None:
            tally.unsent += 1
        elif answer[0] in (200, 201):
            tally.acknowledged.add(fields["uuid"])
        else:
            tally.errors += 1
            print(f"  refused {answer[0]}: {answer[1][:200]!r}", file=sys.stderr)


def walker(n: int, port: int, code: str, centre, per_walker: int, photos: list[bytes], deadline: float,
           tally: Tally, rng: random.Random) -> None:
    phone = Phone(port)
    csrf = join(phone, code, n, deadline, tally)
    if csrf is None:
        with tally.lock:
            tally.unsent += per_walker
        return
    for i in range(per_walker):
        fields = {"uuid": str(uuid.uuid4()), "category": rng.choice(["lighting", "litter", "graffiti"]),
                  "lat": f"{centre[0] + rng.uniform(-4e-4, 4e-4):.7f}",
                  "lon": f"{centre[1] + rng.uniform(-6e-4, 6e-4):.7f}", "accuracy": "8",
                  "safety": str(rng.randint(0, 3)), "text": f"Observation {i + 1} av gångare {n}"}
        photo = photos[(n + i) % len(photos)]
        twin = None
        if rng.random() < 0.05:  # the same UUID sent twice at once (a retry racing the first try)
            twin_phone = Phone(port)
            twin_phone.cookies = dict(phone.cookies)
            twin = threading.Thread(target=send_observation,
                                    args=(twin_phone, code, csrf, fields, photo, deadline, tally))
            twin.start()
        send_observation(phone, code, csrf, fields, photo, deadline, tally)
        if twin is not None:
            twin.join()


# ---- one run against one database -------------------------------------------------------------

def prepare_database(uri: str, upload_dir: str):
    """A fresh schema with the demo loaded; returns the open walk's code and its area's centre."""
    from app import create_app
    from walks import demo
    from walks.categories.service import seed_categories
    from walks.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "UPLOAD_DIR": upload_dir, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_categories()
        loaded = demo.load_demo(with_photos=True)
        demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
        db.session.commit()
        walk = loaded["walks"][1]
        result = walk.join_code, (walk.area.centre_lat, walk.area.centre_lon)
        db.session.remove()
        db.engine.dispose()
    return result


def check_stored(uri: str, upload_dir: str, acknowledged: set[str]) -> dict:
    """Lost, duplicated and orphan files, read straight from the database and the folder."""
    import sqlalchemy as sa

    from walks import photos

    engine = sa.create_engine(uri)
    with engine.connect() as connection:
        observations = connection.execute(sa.text("SELECT id, uuid FROM observations")).all()
        photo_rows = connection.execute(
            sa.text("SELECT observation_id, filename, thumb_filename FROM photos")).all()
    engine.dispose()
    by_uuid: dict[str, list[int]] = {}
    for obs_id, obs_uuid in observations:
        by_uuid.setdefault(obs_uuid, []).append(obs_id)
    photos_of: dict[int, list] = {}
    for obs_id, name, thumb in photo_rows:
        photos_of.setdefault(obs_id, []).append((name, thumb))
    on_disk = set(os.listdir(upload_dir))
    lost = dup = 0
    for obs_uuid in acknowledged:
        ids = by_uuid.get(obs_uuid, [])
        dup += max(0, len(ids) - 1)
        stored = [p for i in ids for p in photos_of.get(i, [])]
        dup += max(0, len(stored) - 1)
        if not ids or not stored or not all(n in on_disk and t in on_disk for n, t in stored):
            lost += 1
    referenced = {name for rows in photos_of.values() for pair in rows for name in pair}
    pending_root = photos.pending_root(upload_dir)
    pending = os.listdir(pending_root) if os.path.isdir(pending_root) else []
    orphans = sorted(on_disk - referenced) + [os.path.join(pending_root, name) for name in sorted(pending)]
    if orphans:
        print(f"  orphans: {', '.join(orphans[:10])}")
    return {"lost": lost, "dup": dup, "orphans": len(orphans)}


def run(label: str, uri: str, args, photos: list[bytes]) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"load-{label}-") as tmp:
        upload_dir = os.path.join(tmp, "uploads")
        code, centre = prepare_database(uri, upload_dir)
        server = Server(uri, upload_dir, os.path.join(tmp, "server.log"))
        server.start()
        tally = Tally()
        total = args.walkers * args.per_walker
        children_before, own_before = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        deadline = time.monotonic() + args.max_seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=walker, args=(n, server.port, code, centre, args.per_walker, photos,
                                                         deadline, tally, random.Random(n)))
                   for n in range(args.walkers)]
        for thread in threads:
            thread.start()
        kills = 0
        if args.kill:
            for share in (0.25, 0.5, 0.75):
                while len(tally.acknowledged) < share * total and any(t.is_alive() for t in threads):
                    time.sleep(0.05)
                if not any(t.is_alive() for t in threads):
                    break
                server.kill()
                kills += 1
                server.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        load_cpu = time.process_time() - own_before
        server.stop()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
        if args.keep_log:
            shutil.copy(os.path.join(tmp, "server.log"), args.keep_log + f".{label}.log")
        checks = check_stored(uri, upload_dir, tally.acknowledged)
    latencies = sorted(tally.latencies_ms) or [0.0]

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

    figures = {"obs_per_s": len(tally.acknowledged) / elapsed, "p50_ms": pct(50), "p95_ms": pct(95),
               "p99_ms": pct(99), "errors": tally.errors, **checks}
    print(f"{label}: {len(tally.acknowledged)} of {total} observations acknowledged in {elapsed:.1f} s "
          f"({figures['obs_per_s']:.1f}/s), {len(tally.latencies_ms)} requests, latency p50 {pct(50):.0f} ms, "
          f"p95 {pct(95):.0f} ms, p99 {pct(99):.0f} ms; errors {tally.errors}, retries {tally.retries}, "
          f"unsent {tally.unsent}, kills {kills}")
    acked = max(1, len(tally.acknowledged))
    survivors = " (killed workers not counted)" if kills else ""
    print(f"{label}: CPU per acknowledged observation: server {server_cpu * 1000 / acked:.1f} ms{survivors}, "
          f"load generator {load_cpu * 1000 / acked:.1f} ms")
    print(f"{label}: lost {checks['lost']}, duplicated {checks['dup']}, orphan files {checks['orphans']}")
    return figures


# ---- CPU per observation, in this process ------------------------------------------------------

def cpu_ms_per_observation(photo: bytes, runs: int = 30) -> float:
    from app import create_app
    from walks.capture import service
    from walks.categories.service import seed_categories
    from walks.extensions import db
    from walks.models import Area, Participant, Walk, hash_token, utcnow

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/cpu.db",
                          "UPLOAD_DIR": os.path.join(tmp, "uploads")})
        with app.app_context():
            db.create_all()
            seed_categories()
            area = Area(name="Bench", centre_lat=57.72, centre_lon=11.95)
            walk = Walk(area=area, title="Bench", starts_at=utcnow(), status="open", join_code="BENCHCPU")
            participant = Participant(walk=walk, token_hash=hash_token("bench"))
            db.session.add_all([area, walk, participant])
            db.session.commit()
            cpu = []
            for _ in range(runs + 1):
                payload = {"uuid": str(uuid.uuid4()), "category": "lighting", "safety": "1", "lat": "57.72",
                           "lon": "11.95", "accuracy": "8", "text": "Trasig lampa"}
                before = time.process_time()
                service.create_observation(walk, participant, payload, [photo], app.config)
                db.session.commit()
                cpu.append((time.process_time() - before) * 1000)
            db.session.remove()
            db.engine.dispose()
    return statistics.median(cpu[1:])  # the first run warms caches


# ---- PostgreSQL --------------------------------------------------------------------------------

class LocalPostgres:
    """A throwaway PostgreSQL cluster (initdb, pg_ctl), as the postgres user when run as root."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="load-pg-")
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.tmp, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        data = os.path.join(self.tmp, "data")
        subprocess.run(self.prefix + ["initdb", "-D", data, "-U", "postgres", "--auth=trust"], check=True,
                       capture_output=True)
        subprocess.run(self.prefix + ["pg_ctl", "-D", data, "-l", os.path.join(self.tmp, "log"), "-w", "-o",
                                      f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(self.prefix + ["pg_ctl", "-D", os.path.join(self.tmp, "data"), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def postgres_uri(url: str) -> str:
    from walks.settings import from_environment

    return from_environment({"DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walkers", type=int, default=50)
    parser.add_argument("--per-walker", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=300, help="stop by then, whatever is left")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server three times during the run")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL database the bench may empty")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--keep-log", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()

    photos = [phone_photo(seed) for seed in range(4)]
    print(f"photo: 2048x1536 JPEG, {statistics.mean(map(len, photos)) / 1e6:.2f} MB; gunicorn gthread "
          f"{WORKERS} workers x {THREADS} threads; {args.walkers} walkers x {args.per_walker} observations"
          f"{' with --kill' if args.kill else ''}")
    cpu_ms = cpu_ms_per_observation(photos[0])
    print(f"CPU per observation in process (service call and commit, 2048 px JPEG): {cpu_ms:.1f} ms")

    with tempfile.TemporaryDirectory(prefix="load-sqlite-") as tmp:
        sqlite = run("sqlite", f"sqlite:///{tmp}/load.db", args, photos)

    pg, local = None, None
    url = None if args.no_pg else (args.pg or os.environ.get("TEST_DATABASE_URL"))
    if url is None and not args.no_pg and shutil.which("initdb") and shutil.which("pg_ctl"):
        try:
            local = LocalPostgres()
            url = local.start()
        except (OSError, KeyError, subprocess.CalledProcessError) as error:
            print(f"postgresql: could not start a local server ({error}); skipped")
            url = None
    try:
        if url:
            pg = run("postgresql", postgres_uri(url), args, photos)
    finally:
        if local:
            local.stop()

    def part(prefix: str, figures: dict | None) -> str:
        keys = ("obs_per_s", "p95_ms", "errors", "lost", "dup", "orphans")
        if figures is None:
            return " ".join(f"{prefix}_{key}=n/a" for key in keys)
        return " ".join(f"{prefix}_{key}={figures[key]:.1f}" if isinstance(figures[key], float)
                        else f"{prefix}_{key}={figures[key]}" for key in keys)
    print(f"RESULT cpu_ms_per_obs={cpu_ms:.1f} {part('sqlite', sqlite)} {part('pg', pg)}")


if __name__ == "__main__":
    main()
