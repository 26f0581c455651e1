"""Accounts: create-user, log in and out, one message for every miss, login and back (limits: test_limits.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.security import check_password_hash

from walks.auth import service
from walks.extensions import db
from walks.models import User

from ..conftest import csrf_token_from

PASSWORD = "correct horse battery"


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def post_login(client, email, password, next_path=None):
    page = client.get("/login")
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"email": email, "password": password,
                                  "csrf_token": csrf_token_from(page.get_data(True))})


# --- service, no HTTP ---------------------------------------------------------------------------------

def test_create_user_hashes_with_scrypt(app):
    user = service.create_user(" Anna@Example.SE ", PASSWORD, role="viewer", name="Anna")
    assert user.email == "anna@example.se"
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, PASSWORD)
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("email, password, role, message", [
    ("not-an-address", PASSWORD, "coordinator", "is not a valid e-mail address"),
    ("a@example.se", PASSWORD, "boss", "Unknown role “boss”"),
    ("a@example.se", PASSWORD, "", "Unknown role"),
    ("a@example.se", "short", "coordinator", "at least 8 characters"),
])
def test_create_user_refuses_bad_values(app, email, password, role, message):
    with force_locale("en"):
        with pytest.raises(service.AccountError, match=message):
            service.create_user(email, password, role=role)
    assert count_users() == 0


def test_create_user_refuses_a_duplicate_email_in_any_case(app):
    service.create_user("anna@example.se", PASSWORD)
    with force_locale("en"), pytest.raises(service.AccountError, match="already an account"):
        service.create_user("ANNA@example.se", PASSWORD)
    assert count_users() == 1


def authenticate(email, password):
    return service.authenticate(email, password)


def test_authenticate_same_message_for_unknown_user_and_wrong_password(make):
    user = make.user()
    with pytest.raises(service.LoginRefused) as unknown:
        authenticate("nobody@example.se", PASSWORD)
    with pytest.raises(service.LoginRefused) as wrong:
        authenticate(user.email, "wrong password")
    assert str(unknown.value) == str(wrong.value)
    assert authenticate(user.email.upper(), PASSWORD) is user


def test_wrong_passwords_never_lock_out_the_right_one(make):
    user = make.user()
    for _ in range(50):
        with pytest.raises(service.LoginRefused):
            authenticate(user.email, "wrong")
    assert user.failed_logins == 50
    assert authenticate(user.email, PASSWORD) is user
    assert user.failed_logins == 0


def test_inactive_user_cannot_log_in(make):
    user = make.user(active=False)
    with pytest.raises(service.LoginRefused):
        authenticate(user.email, PASSWORD)


# --- HTTP -----------------------------------------------------------------------------------------

def test_login_and_logout(client, make):
    user = make.user()
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 302 and response.location == "/areas"
    assert client.get("/areas").status_code == 200
    page = client.get("/areas").get_data(True)
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert client.get("/areas").status_code == 302


def test_logout_is_a_post_with_a_csrf_token(client, login):
    login()
    assert client.get("/logout").status_code == 405
    response = client.post("/logout", data={})
    assert response.status_code == 400
    assert client.get("/areas").status_code == 200  # still logged in


def test_same_message_for_unknown_user_and_wrong_password(client, make):
    user = make.user()
    client.set_cookie("lang", "en")
    unknown = post_login(client, "nobody@example.se", PASSWORD)
    wrong = post_login(client, user.email, "not the password")
    assert unknown.status_code == wrong.status_code == 200
    message = "The e-mail address or the password is wrong."
    assert message in unknown.get_data(True) and message in wrong.get_data(True)
    assert client.get("/areas").status_code == 302


def test_a_page_that_needs_login_sends_you_there_and_back(client, make):
    area = make.area(name="Vågmästareplatsen")
    response = client.get(f"/areas/{area.id}")
    assert response.status_code == 302
    assert response.location == f"/login?next=%2Fareas%2F{area.id}"
    user = make.user()
    page = client.get(response.location)
    response = client.post(response.location, data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page.get_data(True))})
    assert response.location == f"/areas/{area.id}"
    assert "Vågmästareplatsen" in client.get(response.location).get_data(True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, make, target):
    user = make.user()
    response = post_login(client, user.email, PASSWORD, next_path=target)
    assert response.status_code == 302 and response.location == "/areas"


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_login_without_a_valid_csrf_token_is_refused(client, make, token):
    user = make.user()
    client.set_cookie("lang", "en")
    client.get("/login")
    data = {"email": user.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "The form has expired or was not sent from this site" in response.get_data(True)
    assert "Traceback" not in response.get_data(True)
    assert client.get("/areas").status_code == 302


def test_language_switch_is_remembered(client, login):
    login()
    page = client.get("/areas").get_data(True)
    assert '<html lang="sv">' in page
    response = client.post("/language/en", data={"csrf_token": csrf_token_from(page), "next": "/areas"})
    assert response.status_code == 302 and response.location == "/areas"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/areas").get_data(True)
    assert '<html lang="en">' in page and "Areas and walks" in page
    client.post("/language/sv", data={"csrf_token": csrf_token_from(page), "next": "/areas"})
    assert '<html lang="sv">' in client.get("/areas").get_data(True)


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_create_user_with_password(runner):
    result = runner.invoke(args=["create-user", "kim@example.se", "--role", "admin", "--password", PASSWORD,
                                 "--name", "Kim"])
    assert result.exit_code == 0, result.output
    user = service.find_user("kim@example.se")
    assert user.role == "admin" and user.name == "Kim" and check_password_hash(user.password_hash, PASSWORD)


def test_cli_create_user_prompts_for_the_password_twice(runner):
    result = runner.invoke(args=["create-user", "kim@example.se", "--role", "viewer"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(service.find_user("kim@example.se").password_hash, PASSWORD)


def test_cli_create_user_refuses_mismatched_prompts(runner):
    result = runner.invoke(args=["create-user", "kim@example.se"], input=f"{PASSWORD}\nother one\n" * 1)
    assert result.exit_code != 0
    assert count_users() == 0


@pytest.mark.parametrize("args, fragment", [
    (["create-user", "kim@example.se", "--role", "boss", "--password", PASSWORD], "boss"),
    (["create-user", "not-an-address", "--password", PASSWORD], "not-an-address"),
    (["create-user", "kim@example.se", "--password", "short"], "8"),
])
def test_cli_create_user_bad_input_is_a_clear_error_and_stores_nothing(runner, args, fragment):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Error:" in result.output and fragment in result.output
    assert "Traceback" not in result.output
    assert count_users() == 0


def test_cli_create_user_duplicate_email(runner, make):
    make.user(email="kim@example.se")
    db.session.commit()
    result = runner.invoke(args=["create-user", "KIM@example.se", "--password", PASSWORD])
    assert result.exit_code == 1 and "kim@example.se" in result.output
    assert count_users() == 1
