"""Sessions: logout and a raised session version end every copy of the cookie; idle expiry; cookie flags."""
from __future__ import annotations

import time

import pytest
from flask import request

from app import create_app
from walks.auth import sessions
from walks.extensions import db

from ..conftest import csrf_token_from


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def logged_in(client) -> bool:
    return client.get("/areas").status_code == 200


def test_a_session_cookie_copied_before_logout_no_longer_works_after_it(app, client, login):
    login()
    copied = session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert logged_in(thief)
    page = client.get("/areas").get_data(True)
    assert client.post("/logout", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert not logged_in(client)
    thief.set_cookie("session", copied)
    response = thief.get("/areas")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_ending_all_sessions_logs_out_every_device(app, client, login):
    user = login()
    other_device = app.test_client()
    other_device.set_cookie("session", session_cookie(client))
    sessions.end_all(user)
    db.session.commit()
    assert not logged_in(client) and not logged_in(other_device)
    login(user)  # a fresh login after that works
    assert logged_in(client)


def test_a_deactivated_user_is_logged_out_at_once(client, login):
    user = login()
    user.active = False
    db.session.commit()
    assert not logged_in(client)


def test_a_session_idle_too_long_ends(app, client, login):
    app.config["SESSION_IDLE_SECONDS"] = 3600
    login()
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = int(time.time()) - 3599
    assert logged_in(client)
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = int(time.time()) - 3601
    assert not logged_in(client)


def test_last_seen_is_refreshed_at_most_once_a_minute(client, login):
    login()
    recent = int(time.time()) - 30
    with client.session_transaction() as session:
        session[sessions.SEEN_KEY] = recent
    response = client.get("/areas")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        assert session[sessions.SEEN_KEY] == recent
        session[sessions.SEEN_KEY] = int(time.time()) - 120
    assert logged_in(client)
    with client.session_transaction() as session:
        assert session[sessions.SEEN_KEY] >= int(time.time()) - 5


def test_a_session_without_a_version_is_anonymous(client, login):
    login()
    with client.session_transaction() as session:
        del session[sessions.VERSION_KEY]
    assert not logged_in(client)


def login_cookie(client, make, base_url="http://localhost", headers=None) -> str:
    user = make.user()
    page = client.get("/login", base_url=base_url, headers=headers)
    response = client.post("/login", base_url=base_url, headers=headers, data={
        "email": user.email, "password": "correct horse battery", "csrf_token": csrf_token_from(page.get_data(True))})
    assert response.status_code == 302
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(client, make):
    cookie = login_cookie(client, make)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client, make):
    cookie = login_cookie(client, make, base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_session_cookie_is_secure_when_the_public_address_is_https(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PUBLIC_BASE_URL": "https://trygg.example.se",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def join_cookie(client, walk, base_url="http://localhost") -> str:
    page = client.get(f"/j/{walk.join_code}", base_url=base_url)
    response = client.post(f"/j/{walk.join_code}", base_url=base_url, headers={"Referer": base_url + "/"}, data={
        "csrf_token": csrf_token_from(page.get_data(True)), "display_name": "", "role": "resident",
        "consent": "y"})
    assert response.status_code == 302
    return next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"tvp_{walk.id}="))


@pytest.mark.parametrize("base_url, secure", [("http://localhost", False), ("https://localhost", True)])
def test_participant_cookie_is_secure_over_https(client, make, base_url, secure):
    cookie = join_cookie(client, make.walk(), base_url)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


@pytest.mark.parametrize("proxies, secure, address", [(0, False, "127.0.0.1"), (1, True, "203.0.113.9")])
def test_forwarded_headers_are_believed_only_with_trusted_proxies(tmp_path, proxies, secure, address):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "TRUSTED_PROXIES": proxies,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    app.add_url_rule("/test-address", "test_address", lambda: request.remote_addr)
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    cookie = client.get("/login", headers=forwarded).headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure
    assert client.get("/test-address", headers=forwarded).get_data(True) == address
