"""The world the authorization table is tried against: two areas, each with a walk and a walker, and
the seven kinds of visitor of issue 13 ("Tests"), logged in (or joined) once.

`World.reset()` puts every table back as it was built (the same ids, so URLs and sessions stay valid);
the table test calls it after a write that was let through, since that write may have changed what
later rows expect (a deleted observation, a closed walk, a logged-out session).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import Client

from walks.capture import links
from walks.capture import service as capture
from walks.categories.service import seed_categories
from walks.extensions import db
from walks.models import Category, FaultReportItem, RoutingRule, utcnow

from . import factories
from .walks.capture_samples import jpeg_bytes, payload

ROLES = ("anonymous", "walker", "other_walker", "viewer", "stranger", "coordinator", "admin")
STAFF = {"viewer": "viewer", "stranger": "coordinator", "coordinator": "coordinator", "admin": "admin"}
PASSWORD = "correct horse battery"
WALKER_TOKEN = "walker-token-of-this-walk"
OTHER_WALKER_TOKEN = "walker-token-of-another-walk"


@dataclass
class World:
    """Ids and names of the rows the table's URLs point at, and a logged-in client per role."""
    app: Flask
    ids: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)  # role -> [(key, value, domain, path)]
    csrf: dict = field(default_factory=dict)      # role -> a CSRF token valid in that role's session

    def build(self) -> None:
        with self.app.app_context():
            seed_categories()
            self.ids = _rows(self.app)
            db.session.commit()
        for role in ROLES:
            if role not in self.cookies or not self._still_logged_in(role):
                self._log_in(role)

    def reset(self) -> None:
        """Empty every table (restarting the ids) and build the same world again."""
        with self.app.app_context():
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    db.session.execute(table.delete())
            db.session.commit()
        self.build()

    def client(self, role: str) -> Client:
        """A fresh client carrying the role's cookies: what one request does to it stays with it."""
        client = self.app.test_client()
        for key, value, domain, path in self.cookies[role]:
            client.set_cookie(key, value, domain=domain, path=path)
        return client

    def url(self, template: str) -> str:
        return template.format(**self.ids)

    def _still_logged_in(self, role: str) -> bool:
        """The rebuilt world has the same ids, so a session usually survives a reset; log in only when
        it did not (few logins: the login's abuse limits stay out of the way)."""
        if role not in STAFF:
            return True
        with self.client(role).get("/areas") as response:
            return response.status_code == 200

    def _log_in(self, role: str) -> None:
        client = self.app.test_client()
        if role == "walker":
            client.set_cookie(f"tvp_{self.ids['walk']}", WALKER_TOKEN)
        elif role == "other_walker":
            client.set_cookie(f"tvp_{self.ids['other_walk']}", OTHER_WALKER_TOKEN)
        elif role in STAFF:
            token = _csrf(client.get("/login"))
            response = client.post("/login", data={"email": self.ids[f"{role}_email"], "password": PASSWORD,
                                                   "csrf_token": token})
            assert response.status_code == 302, f"{role} could not log in"
        self.csrf[role] = _csrf(client.get("/join"))
        self.cookies[role] = [(c.key, c.value, c.domain, c.path) for c in client._cookies.values()]


def _csrf(response) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def _rows(app: Flask) -> dict:
    here, there = factories.area(name="Här"), factories.area(name="Där")
    walk = factories.walk(area=here, title="Kvällsvandring här", join_code="HERE2345")
    other_walk = factories.walk(area=there, title="Kvällsvandring där", join_code="THERE234")
    factories.walk(area=here, title="Förra årets vandring", status="closed", join_code="EARLIER2",
                   starts_at=utcnow() - dt.timedelta(days=365))  # so the area has two walks to compare
    walker = factories.participant(walk=walk, token=WALKER_TOKEN, display_name="Vandrare Här")
    factories.participant(walk=other_walk, token=OTHER_WALKER_TOKEN, display_name="Vandrare Där")

    def observe(**changes):
        result = capture.create_observation(walk, walker, payload(**changes), [jpeg_bytes()], app.config)
        return result.observation

    own = observe(text="Min trasiga lampa")
    duplicate = observe(text="Samma lampa igen")
    reported = observe(text="I felanmälan och åtgärd")
    users = {role: factories.user(role=kind, password=PASSWORD, areas={"viewer": [here], "stranger": [there],
                                                                        "coordinator": [here], "admin": []}[role])
             for role, kind in STAFF.items()}
    target = factories.user(role="viewer", email="mal@example.se", areas=[here])  # for the users page
    organization = factories.organization(name="Trafikkontoret")
    organization.areas.append(here)
    contact = factories.contact(organization=organization)
    category = db.session.scalar(sa.select(Category).where(Category.code == "other"))
    rule = factories._save(RoutingRule(area=here, category=factories.category("lighting"),
                                       organization=organization))
    report = factories.fault_report([reported], organization=organization, area_id=here.id, walk_id=walk.id)
    item = db.session.scalar(sa.select(FaultReportItem).where(FaultReportItem.report_id == report.id))
    action = factories.action([reported], area_id=here.id, organization=organization)
    meeting = factories.meeting(area=here)
    db.session.flush()
    with app.test_request_context():
        photo_token = links.photo_token(own.photos[0].filename,
                                        utcnow().replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1))
    ids = {
        "area": here.id, "other_area": there.id, "walk": walk.id, "code": walk.join_code,
        "other_walk": other_walk.id, "observation": own.id, "uuid": own.uuid, "duplicate": duplicate.id,
        "reported": reported.id, "reported_photo": reported.photos[0].filename, "photo": own.photos[0].filename, "thumb": own.photos[0].thumb_filename,
        "photo_token": photo_token, "organization": organization.id, "contact": contact.id,
        "category": category.id, "rule": rule.id, "report": report.id, "item": item.id,
        "action": action.id, "meeting": meeting.id, "participant": walker.id, "user": target.id,
        "photo_id": own.photos[0].id,
    }
    ids.update({f"{role}_email": user.email for role, user in users.items()})
    return ids
