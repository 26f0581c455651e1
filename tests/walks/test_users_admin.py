"""The users page: only admins (everyone else 404), invitations and password links, roles, areas, deactivation."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from walks.auth import service
from walks.extensions import db
from walks.models import User, utcnow

from ..conftest import csrf_token_from
from .test_reports_sending import smtp  # noqa: F401  (the real local SMTP server fixture)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "ett nytt långt lösenord"


@pytest.fixture
def admin(login, make):
    return login(make.user(role="admin", email="admin@example.se"))


def token_of(page: str) -> str:
    return re.search(r'value="[^"]*/password/([^"]+)"', page).group(1)


def post(client, url, data=None, page_url="/admin/users"):
    page = client.get(page_url).get_data(True)
    return client.post(url, data={"csrf_token": csrf_token_from(page), **(data or {})})


def invite(client, email_address="ny@example.se", role="coordinator", area_ids=(), name="Ny Samordnare"):
    return post(client, "/admin/users", {"email": email_address, "name": name, "role": role,
                                         "area_ids": [str(i) for i in area_ids]})


def find(email_address) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email_address))


# --- who may ---------------------------------------------------------------------------------------

USER_PAGES = [("get", "/admin/users"), ("post", "/admin/users"), ("get", "/admin/users/{id}"),
              ("post", "/admin/users/{id}"), ("post", "/admin/users/{id}/deactivate"),
              ("post", "/admin/users/{id}/activate"), ("post", "/admin/users/{id}/password-link")]


@pytest.mark.parametrize("role", [None, "viewer", "coordinator"])
@pytest.mark.parametrize("method, path", USER_PAGES)
def test_only_admins_see_the_users_pages_everyone_else_gets_404(client, login, make, role, method, path):
    target = make.user(role="viewer")
    db.session.commit()
    if role:
        login(make.user(role=role))
    csrf = csrf_token_from(client.get("/join").get_data(True))
    response = getattr(client, method)(path.format(id=target.id), data={"role": "admin", "csrf_token": csrf})
    assert response.status_code == 404
    db.session.expire_all()
    assert target.role == "viewer" and target.active


def test_admin_sees_every_user_and_the_menu_link(client, admin, make):
    area = make.area(name="Vågmästareplatsen")
    make.user(email="eva@example.se", role="viewer", areas=[area])
    make.user(email="old@example.se", active=False)
    page = client.get("/admin/users").get_data(True)
    assert "eva@example.se" in page and "Vågmästareplatsen" in page and "old@example.se" in page
    assert 'href="/admin/users"' in page


def test_the_menu_has_no_users_link_for_coordinators(client, login, make):
    login(make.user(role="coordinator"))
    assert 'href="/admin/users"' not in client.get("/areas").get_data(True)


# --- invitations and password links ---------------------------------------------------------------

def test_invite_shows_a_one_time_link_where_the_invitee_sets_a_password(app, client, admin, make):
    app.config["MAIL_SERVER"] = None
    area = make.area()
    response = invite(client, area_ids=[area.id])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(True)
    assert "ny@example.se" in page and "Ingen e-postserver" in page
    user = find("ny@example.se")
    assert (user.role, user.name, [a.id for a in user.areas]) == ("coordinator", "Ny Samordnare", [area.id])
    token = token_of(page)
    assert user.password_token_hash and token not in user.password_token_hash
    with pytest.raises(service.LoginRefused):
        service.authenticate("ny@example.se", "")

    invitee = app.test_client()
    form = invitee.get(f"/password/{token}")
    assert form.status_code == 200 and "ny@example.se" in form.get_data(True)
    csrf = csrf_token_from(form.get_data(True))
    mismatch = invitee.post(f"/password/{token}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                        "confirm": "något annat"})
    assert mismatch.status_code == 400 and "Lösenorden är inte lika" in mismatch.get_data(True)
    short = invitee.post(f"/password/{token}", data={"csrf_token": csrf, "password": "kort", "confirm": "kort"})
    assert short.status_code == 400 and "minst 8 tecken" in short.get_data(True)
    done = invitee.post(f"/password/{token}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/login"
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, NEW_PASSWORD) and user.password_token_hash is None
    assert invitee.get(f"/password/{token}").status_code == 404  # used once


def test_invitation_is_sent_by_email_when_mail_is_configured(client, admin, smtp):  # noqa: F811
    page = invite(client, "mejl@example.se").get_data(True)
    assert "skickades också med e-post" in page
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["mejl@example.se"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "\n" not in message["Subject"] and f"/password/{token_of(page)}" in message.get_content()


def test_mail_failure_still_shows_the_link(app, client, admin):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing listens there
    page = invite(client).get_data(True)
    assert token_of(page) and "skickades inte med e-post" in page


def test_an_expired_link_does_not_work(client, admin):
    token = token_of(invite(client).get_data(True))
    user = find("ny@example.se")
    user.password_token_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/password/{token}")
    assert response.status_code == 404 and "Be en administratör om en ny" in response.get_data(True)


@pytest.mark.parametrize("data, message", [
    ({"email": "inte-en-adress"}, "är inte en giltig e-postadress"),
    ({"email": "admin@example.se"}, "Det finns redan ett konto"),
    ({"role": "boss"}, "Inte ett giltigt val"),
    ({"area_ids": ["99999"]}, "finns inte"),
])
def test_bad_invitations_are_refused_and_store_nothing(client, admin, data, message):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    response = post(client, "/admin/users", {"email": "ny@example.se", "role": "viewer", **data})
    assert response.status_code == 400
    assert message in response.get_data(True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_a_new_password_link_replaces_the_old_and_setting_it_ends_every_session(app, client, admin, make):
    user = make.user(email="eva@example.se")
    db.session.commit()
    eva = app.test_client()
    page = eva.get("/login").get_data(True)
    eva.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page)})
    assert eva.get("/areas").status_code == 200
    first = token_of(post(client, f"/admin/users/{user.id}/password-link").get_data(True))
    second = token_of(post(client, f"/admin/users/{user.id}/password-link").get_data(True))
    assert client.get(f"/password/{first}").status_code == 404
    assert eva.get("/areas").status_code == 200  # a link alone changes nothing
    reset = app.test_client()
    csrf = csrf_token_from(reset.get(f"/password/{second}").get_data(True))
    assert reset.post(f"/password/{second}", data={"csrf_token": csrf, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}).status_code == 302
    assert eva.get("/areas").status_code == 302  # the password change ended her session
    with pytest.raises(service.LoginRefused):
        service.authenticate(user.email, PASSWORD)
    assert service.authenticate(user.email, NEW_PASSWORD) == user


# --- role, areas, deactivation --------------------------------------------------------------------

def test_admin_sets_role_and_areas(client, admin, make):
    one, two = make.area(name="Norr"), make.area(name="Söder")
    user = make.user(role="coordinator", areas=[one])
    response = post(client, f"/admin/users/{user.id}", {"name": "Eva", "role": "viewer", "area_ids": [str(two.id)]},
                    page_url=f"/admin/users/{user.id}")
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.role, user.name, [a.name for a in user.areas]) == ("viewer", "Eva", ["Söder"])
    page = client.get(f"/admin/users/{user.id}").get_data(True)
    assert re.search(rf'checked[^>]*value="{two.id}"|value="{two.id}"[^>]*checked', page)


def test_deactivating_ends_the_users_sessions_at_once(app, client, admin, make):
    user = make.user(email="eva@example.se")
    db.session.commit()
    eva = app.test_client()
    page = eva.get("/login").get_data(True)
    eva.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page)})
    assert eva.get("/areas").status_code == 200
    assert post(client, f"/admin/users/{user.id}/deactivate").status_code == 302
    assert eva.get("/areas").status_code == 302
    with pytest.raises(service.LoginRefused):
        service.authenticate(user.email, PASSWORD)
    assert post(client, f"/admin/users/{user.id}/activate").status_code == 302
    assert service.authenticate(user.email, PASSWORD) == user


def test_an_admin_cannot_deactivate_or_demote_themselves(client, admin):
    post(client, f"/admin/users/{admin.id}/deactivate")
    response = post(client, f"/admin/users/{admin.id}", {"role": "viewer"}, page_url=f"/admin/users/{admin.id}")
    assert response.status_code == 400 and "administratörsroll" in response.get_data(True)
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"
    assert client.get("/admin/users").status_code == 200


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/99999").status_code == 404
