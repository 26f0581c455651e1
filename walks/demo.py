"""Demo data: `flask --app app demo [--once]` – a real place, two walks, a coordinator to log in with.

The place is Hjalmar Brantingsplatsen, the tram and bus hub on Hisingen in Göteborg. The first walk
was a year ago and is closed; the second, the follow-up, is open now, so a newcomer can join it from
a phone. Other capabilities add their own demo data through DEMO_HOOKS.
"""
from __future__ import annotations

import datetime as dt
import importlib
import secrets
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import geo, photos
from .areas import service as areas
from .auth import service as accounts
from .categories.service import seed_categories
from .extensions import db
from .models import Area, Category, Observation, Participant, Walk, hash_token, utcnow

DEMO_AREA_NAME = "Hjalmar Brantingsplatsen"
DEMO_EMAIL = "samordnare@demo.tryggvandring.se"
DEMO_HOOKS = ("walks.actors.demo", "walks.reports.demo", "walks.actions.demo", "maps.demo")
CENTRE = (57.7216, 11.9527)  # lat, lon of the tram stop
HALF_WIDTH_DEG = 200 / (111_320 * 0.5343)  # 200 m east–west at 57.7° N
HALF_HEIGHT_DEG = 150 / 111_320  # 150 m north–south

# The boundary as (east, north) fractions of the half width/height: an octagon of about 400 × 300 m
# around the stop, between Lundbyleden in the south and Wieselgrensgatan in the north.
_OUTLINE = ((-1.0, -0.3), (-0.7, -1.0), (0.2, -1.0), (0.9, -0.75), (1.0, 0.1), (0.75, 0.9),
            (-0.1, 1.0), (-0.85, 0.7))

# The planned route: from the tram stop through the tunnel, along the estate and back by the square.
_ROUTE = ((0.0, 0.0), (-0.1, -0.8), (-0.55, -0.5), (-0.6, 0.3), (0.0, 0.55), (0.35, 0.4), (0.55, -0.1),
          (0.0, 0.0))

SWEDISH_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                  "september", "oktober", "november", "december")

# (category, perceived safety 0–3, text, east, north as fractions of the half width/height)
FIRST_WALK = (
    ("lighting", 0, "Trasig gatlykta på gångvägen mellan hållplatsen och Hjalmar Brantingsgatan – "
                    "helt mörkt en sträcka på 30 meter.", -0.45, -0.2),
    ("vegetation", 1, "Buskagen längs cykelbanan har vuxit över manshöjd och skymmer sikten mot "
                      "hållplatsen.", -0.6, 0.3),
    ("hiding_places", 0, "Gångtunneln under Lundbyleden är mörk, lång och utan insyn från gatan.",
     -0.1, -0.8),
    ("graffiti", 2, "Klotter på elskåpet vid hållplatsens östra ände.", 0.55, -0.1),
    ("graffiti", 1, "Kränkande klotter på bullerplanket mot Lundbyleden.", 0.3, -0.75),
    ("litter", 2, "Överfulla papperskorgar och skräp runt väderskydden.", 0.1, 0.05),
    ("path_condition", 2, "Stora sprickor och en vattensamling i gångbanan vid övergångsstället.",
     0.25, 0.35),
    ("accessibility", 2, "Kantstenen vid övergångsstället saknar nedsänkning – svårt med rullstol och "
                         "barnvagn.", 0.35, 0.4),
    ("transit_stop", 1, "Väderskyddet har en krossad glasruta och tidtabellsskyltens belysning är "
                        "trasig.", -0.05, -0.05),
    ("wayfinding", 2, "Ingen skylt visar vägen till Wieselgrensplatsen från hållplatsen.", 0.0, 0.55),
    ("deserted", 1, "Platsen är öde efter att butikerna stängt; inga öppna entréer mot torget.",
     0.6, 0.5),
    ("traffic_safety", 1, "Bilar kör fort förbi övergångsstället; inget farthinder.", 0.7, 0.1),
    ("abandoned_vehicles", 2, "Tre övergivna cyklar utan hjul vid cykelstället.", -0.3, 0.1),
    ("overview", 1, "Skymt hörn bakom kiosken: man ser inte vem som kommer runt hörnet.", 0.15, -0.35),
    ("positive", 3, "Den nya belysningen vid spårvagnshållplatsen gör att det känns tryggt och öppet – "
                    "värna den.", -0.2, 0.0),
    ("positive", 3, "Bänkarna vid planteringen används av många och ger liv åt platsen.", 0.45, 0.7),
)

FOLLOW_UP_WALK = (
    ("lighting", 1, "Gatlyktan på gångvägen är lagad, men nästa lykta mot parkeringen blinkar.",
     -0.5, -0.25),
    ("positive", 3, "Buskagen längs cykelbanan är nedklippta – nu syns hållplatsen från gångvägen.",
     -0.55, 0.3),
    ("hiding_places", 0, "Gångtunneln under Lundbyleden är fortfarande mörk; två av fyra armaturer "
                         "är ur funktion.", -0.1, -0.75),
    ("graffiti", 2, "Nytt klotter på väderskyddets baksida.", 0.05, -0.1),
    ("litter", 2, "Skräp och fimpar vid cykelstället efter helgen.", -0.3, 0.15),
    ("positive", 3, "Nya sittplatser och planteringar vid hållplatsen – trevligt och överblickbart.",
     0.1, 0.1),
    ("accessibility", 2, "Kantstenen är nedsänkt nu, men ledstråket för synskadade avbryts av en "
                         "reklamskylt.", 0.35, 0.38),
    ("transit_stop", 2, "Väderskyddets glasruta är utbytt och realtidsskylten fungerar.", -0.05, -0.02),
)

# (display name – optional, most walkers stay anonymous – and role)
FIRST_PARTICIPANTS = (("", "resident"), ("Boende Lundby", "resident"), ("", "staff"), ("", "police"),
                      ("Fastighetsvärd", "property_owner"), ("", "business"), ("", "politician"))
FOLLOW_UP_PARTICIPANTS = (("", "resident"), ("", "staff"), ("Fastighetsvärd", "property_owner"),
                          ("", "police"))


def _position(east: float, north: float) -> tuple[float, float]:
    return (round(CENTRE[0] + north * HALF_HEIGHT_DEG, 6), round(CENTRE[1] + east * HALF_WIDTH_DEG, 6))


def demo_boundary() -> dict:
    ring = [[_position(e, n)[1], _position(e, n)[0]] for e, n in _OUTLINE]
    return geo.validate_polygon({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def demo_route() -> dict:
    return geo.validate_linestring(
        {"type": "LineString", "coordinates": [[_position(e, n)[1], _position(e, n)[0]] for e, n in _ROUTE]})


def walk_title(kind: str, when: dt.datetime) -> str:
    return f"{kind} {SWEDISH_MONTHS[when.month - 1]} {when.year}"


def demo_exists() -> bool:
    return db.session.scalar(sa.select(Area.id).where(Area.name == DEMO_AREA_NAME).limit(1)) is not None


def _coordinator() -> tuple[object, str | None]:
    """The demo coordinator, and its new password (None when the account was already there)."""
    user = accounts.find_user(DEMO_EMAIL)
    if user is not None:
        return user, None
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # easy to copy, no look-alikes
    password = "".join(secrets.choice(alphabet) for _ in range(14))
    return accounts.create_user(DEMO_EMAIL, password, role="coordinator", name="Demo-samordnare"), password


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone) \
        .astimezone(dt.timezone.utc).replace(tzinfo=None)


def _add_observations(area: Area, walk: Walk, participants: list[Participant], rows) -> list[Observation]:
    categories = {c.code: c for c in db.session.scalars(sa.select(Category))}
    observations = []
    for n, (code, safety, text, east, north) in enumerate(rows):
        lat, lon = _position(east, north)
        if not geo.contains(area.boundary, lat, lon):
            raise RuntimeError(f"demo point {n} lies outside the demo boundary")
        observation = Observation(
            uuid=str(uuid.uuid4()), walk=walk, area=area, participant=participants[n % len(participants)],
            category=categories[code], lat=lat, lon=lon, accuracy_m=float(4 + (n * 7) % 15),
            location_source="gps" if n % 4 else "map", text=text, safety=safety,
            rating_lighting=safety if code == "lighting" else None,
            offensive="Kränkande" in text,
            observed_at=walk.starts_at + dt.timedelta(minutes=4 + 5 * n))
        db.session.add(observation)
        observations.append(observation)
    return observations


def _add_participants(walk: Walk, rows) -> list[Participant]:
    participants = [Participant(walk=walk, display_name=name, role=role,
                                token_hash=hash_token(secrets.token_hex(16)),
                                consented_at=walk.starts_at, created_at=walk.starts_at)
                    for name, role in rows]
    db.session.add_all(participants)
    return participants


PHOTO_CATEGORIES = ("lighting", "graffiti", "litter", "hiding_places", "positive")


def _demo_picture(color: str, seed: int) -> bytes:
    """A small made-up evening scene in the category's colour: something to look at, no real place."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    width, height = 960, 720
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # evening sky fading into the ground
        shade = int(20 + 50 * y / height)
        draw.line([(0, y), (width, y)], fill=(shade // 2, shade // 2, shade + 30))
    draw.rectangle([0, int(height * .7), width, height], fill=(55, 55, 60))
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    for _ in range(5):
        x, w, h = rng.randint(0, width - 120), rng.randint(60, 160), rng.randint(120, 320)
        draw.rectangle([x, int(height * .7) - h, x + w, int(height * .7)], fill=(r // 2, g // 2, b // 2))
    pole = rng.randint(150, width - 150)
    draw.rectangle([pole, int(height * .25), pole + 10, int(height * .7)], fill=(30, 30, 30))
    draw.ellipse([pole - 40, int(height * .2), pole + 50, int(height * .2) + 60], fill=(r, g, b))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _attach_photos(observations: list[Observation]) -> None:
    """One generated photo on a few observations, through the real photo pipeline."""
    config = current_app.config
    done = set()
    for n, observation in enumerate(observations):
        code = observation.category.code
        if code not in PHOTO_CATEGORIES or (observation.walk_id, code) in done:
            continue
        done.add((observation.walk_id, code))
        prepared = photos.prepare_photo(_demo_picture(observation.category.color, n),
                                        max_bytes=config["MAX_PHOTO_BYTES"], max_pixels=config["MAX_PHOTO_PIXELS"])
        observation.photos.append(photos.new_photo(prepared, config["UPLOAD_DIR"], db.session,
                                                   taken_at=observation.observed_at))


def load_demo(with_photos: bool = False) -> dict:
    """Add the demo area, its two walks with observations, and the coordinator (flush, no commit)."""
    seed_categories()
    user, password = _coordinator()
    area = areas.create_area(
        DEMO_AREA_NAME,
        "Spårvagns- och busshållplatsen på Hisingen med torget, gångtunneln under Lundbyleden och "
        "gångvägarna mot Wieselgrensplatsen. Platssamverkan med stadsdelen, Västtrafik, "
        "fastighetsägarna och polisen.", demo_boundary(), user)
    now = utcnow()
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    today = now.date()
    year_ago = today - dt.timedelta(days=365)
    first = areas.create_walk(area, {
        "title": walk_title("Trygghetsvandring", year_ago), "starts_at": _local(year_ago, 18),
        "ends_at": _local(year_ago, 19, 30), "light_condition": "dark", "status": "closed",
        "weather": "Mulet, 4 °C, blött", "meeting_point": "Vid väderskyddet på hållplatsens mittplattform"},
        user, route=demo_route())
    follow_up = areas.create_walk(area, {
        "title": walk_title("Uppföljningsvandring", today),
        "starts_at": quarter - dt.timedelta(minutes=30), "ends_at": quarter + dt.timedelta(minutes=120),
        "light_condition": "dark", "status": "open", "weather": "Klart, 2 °C",
        "meeting_point": "Vid väderskyddet på hållplatsens mittplattform"}, user, route=demo_route())
    first_obs = _add_observations(area, first, _add_participants(first, FIRST_PARTICIPANTS), FIRST_WALK)
    follow_obs = _add_observations(area, follow_up, _add_participants(follow_up, FOLLOW_UP_PARTICIPANTS),
                                   FOLLOW_UP_WALK)
    db.session.flush()
    if with_photos:
        _attach_photos(first_obs + follow_obs)
        db.session.flush()
    return {"area": area, "walks": [first, follow_up], "coordinator": user, "password": password,
            "observations": first_obs + follow_obs}


def run_hooks(area: Area, walks: list[Walk], coordinator) -> list[str]:
    """Let other capabilities add their demo data; a failing hook is skipped, not fatal."""
    messages = []
    for name in DEMO_HOOKS:
        loader = importlib.import_module(name).load_demo
        savepoint = db.session.begin_nested()
        try:
            loader(area, walks, coordinator)
            db.session.flush()
        except Exception as error:  # noqa: BLE001 – one capability's demo must not stop the others
            savepoint.rollback()
            messages.append(f"{name}: skipped ({type(error).__name__}: {error})")
        else:
            savepoint.commit()
            messages.append(f"{name}: loaded")
    return messages


def _login_file() -> Path:
    return Path(current_app.config["DEMO_LOGIN_FILE"])


def _remember_password(password: str) -> None:
    """Keep the demo password in the instance folder (owner only), so every `make run` shows it again."""
    path = _login_file()
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(password + "\n", encoding="utf-8")


def _remembered_password() -> str | None:
    path = _login_file()
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def _open_walk() -> Walk | None:
    return db.session.scalar(sa.select(Walk).join(Area).where(Area.name == DEMO_AREA_NAME, Walk.status == "open")
                             .order_by(Walk.id.desc()).limit(1))


def _print_login() -> None:
    password = _remembered_password()
    click.echo(f"Log in as: {DEMO_EMAIL}")
    click.echo(f"Password:  {password}" if password else
               "Password:  not kept here (set one with `flask --app app create-user` or the users page)")
    walk = _open_walk()
    if walk is not None:
        click.echo(f"Join the open walk: {areas.join_url(walk.join_code)}  (code {walk.join_code})")


@click.command("demo")
@click.option("--once", is_flag=True, help="Do nothing if the demo area is already there (for make run).")
@with_appcontext
def demo_command(once: bool):
    """Load the demo area Hjalmar Brantingsplatsen with two walks and a coordinator account."""
    if once and demo_exists():
        click.echo("The demo is already loaded (run `flask --app app demo` to load another copy).")
        _print_login()
        return
    try:
        loaded = load_demo(with_photos=True)
        for message in run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"]):
            click.echo(message)
        db.session.commit()
    except BaseException:
        db.session.rollback()  # the photos written so far go with it
        raise
    if loaded["password"]:
        _remember_password(loaded["password"])
    click.echo(f"Demo area: {loaded['area'].name} with {len(loaded['observations'])} observations "
               f"on {len(loaded['walks'])} walks.")
    _print_login()


def init_app(app):
    app.cli.add_command(demo_command)
