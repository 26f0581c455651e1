"""Abuse limits: per walker (not per shared address), logins slowed per account without a lock a stranger
controls, the Open311 API, and the same counters in memory and in a real redis-server."""
from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time

import pytest

from walks.extensions import db
from walks.limits import limiter
from walks.open311.service import create_api_key

from .capture_samples import payload

PASSWORD = "correct horse battery"
CARRIER = "100.64.0.1"  # one mobile-carrier address shared by a whole group of walkers


@pytest.fixture
def limited(app):
    """The test's app with the abuse limits on (the suite's default is off) and fresh counters."""
    app.config.update(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    limiter.init_app(app)  # re-reads RATELIMIT_* from the config: enabled, a new storage
    limiter._storage_dead = False  # the one Limiter outlives each app: forget an earlier test's dead redis
    return app


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def post_login(client, email, password, address="192.0.2.1"):
    return client.post("/login", data={"email": email, "password": password}, **from_address(address))


# --- login ----------------------------------------------------------------------------------------

def test_five_wrong_passwords_from_five_addresses_do_not_stop_the_right_one_from_a_sixth(limited, client, make):
    user = make.user()
    db.session.commit()
    for n in range(5):
        assert post_login(client, user.email, "wrong", f"198.51.100.{n}").status_code == 200
    response = post_login(client, user.email, PASSWORD, "198.51.100.99")
    assert response.status_code == 302 and client.get("/areas").status_code == 200


def test_a_targeted_account_is_slowed_down_for_a_minute_not_locked(limited, client, make):
    limited.config["LIMIT_LOGIN_ACCOUNT"] = "10 per minute"
    user, other = make.user(), make.user()
    db.session.commit()
    client.set_cookie("lang", "en")
    for n in range(10):
        assert post_login(client, user.email, "wrong", f"198.51.100.{n}").status_code == 200
    slowed = post_login(client, user.email, PASSWORD, "198.51.100.99")
    assert slowed.status_code == 429
    assert "Too many failed attempts. Try again in 1 minute." in slowed.get_data(True)
    assert 0 < int(slowed.headers["Retry-After"]) <= 60
    assert client.get("/areas").status_code == 302
    # Only that account is slowed, and refused attempts do not prolong it.
    assert post_login(client, other.email, PASSWORD, "198.51.100.99").status_code == 302


def test_one_address_gets_five_tries_per_account_and_the_owner_elsewhere_is_not_affected(limited, client, make):
    user = make.user()
    db.session.commit()
    for _ in range(5):
        assert post_login(client, user.email, "wrong", "203.0.113.66").status_code == 200
    assert post_login(client, user.email, PASSWORD, "203.0.113.66").status_code == 429
    assert post_login(client, user.email, PASSWORD, "192.0.2.10").status_code == 302


def test_one_address_guessing_across_accounts_is_stopped(limited, client):
    limited.config["LIMIT_LOGIN_ADDRESS"] = "20 per 10 minutes"
    for n in range(20):
        assert post_login(client, f"guess{n}@example.se", "x", "203.0.113.7").status_code == 200
    assert post_login(client, "another@example.se", "x", "203.0.113.7").status_code == 429
    assert post_login(client, "another@example.se", "x", "203.0.113.8").status_code == 200


def test_successful_logins_are_not_counted(limited, client, make):
    limited.config["LIMIT_LOGIN_ADDRESS"] = "2 per minute"
    user = make.user()
    db.session.commit()
    for _ in range(4):
        assert post_login(client, user.email, PASSWORD).status_code == 302


# --- walkers --------------------------------------------------------------------------------------

def walker(app, walk, make, address=CARRIER):
    token = secrets.token_hex(16)
    make.participant(token=token, walk=walk)
    client = app.test_client()
    client.set_cookie(f"tvp_{walk.id}", token)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def submit(client, walk):
    return client.post(f"/api/walks/{walk.join_code}/observations", json=payload())


def test_twenty_walkers_behind_one_address_do_not_block_each_other(limited, make):
    limited.config["LIMIT_OBSERVATIONS"] = "3 per minute"
    walk = make.walk()
    walkers = [walker(limited, walk, make) for _ in range(20)]
    db.session.commit()
    for client in walkers:
        assert [submit(client, walk).status_code for _ in range(3)] == [201, 201, 201]
    refused = submit(walkers[0], walk)
    assert refused.status_code == 429 and "För många försök" in refused.get_json()["error"]
    assert "Retry-After" in refused.headers


def test_made_up_participant_cookies_are_counted_on_the_address(limited, client, make):
    limited.config["LIMIT_OBSERVATIONS"] = "3 per minute"
    walk = make.walk()
    db.session.commit()
    statuses = []
    for n in range(4):
        client.set_cookie(f"tvp_{walk.id}", f"made-up-{n}")
        statuses.append(client.post(f"/api/walks/{walk.join_code}/observations", json=payload(),
                                    **from_address(CARRIER)).status_code)
    assert statuses == [403, 403, 403, 429]


@pytest.mark.parametrize("setting, path", [
    ("LIMIT_TRACK", "/api/walks/{code}/track"),
    ("LIMIT_PHOTOS", "/api/observations/{uuid}/photos"),
])
def test_track_and_photo_uploads_are_limited_per_walker(limited, make, setting, path):
    limited.config[setting] = "2 per minute"
    walk = make.walk()
    client = walker(limited, walk, make)
    db.session.commit()
    url = path.format(code=walk.join_code, uuid=submit(client, walk).get_json()["uuid"])
    statuses = [client.post(url, json={}).status_code for _ in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429


def test_joining_is_limited_per_address(limited, client, make):
    limited.config["LIMIT_JOIN"] = "2 per minute"
    walk = make.walk()
    db.session.commit()
    client.set_cookie("lang", "en")
    data = {"display_name": "", "role": "resident", "consent": "y"}
    for _ in range(2):
        client.delete_cookie(f"tvp_{walk.id}")
        assert client.post(f"/j/{walk.join_code}", data=data).status_code == 302
    client.delete_cookie(f"tvp_{walk.id}")
    refused = client.post(f"/j/{walk.join_code}", data=data)
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(True)
    assert client.get(f"/j/{walk.join_code}").status_code == 200  # reading the page is not limited


# --- Open311 --------------------------------------------------------------------------------------

def test_open311_is_limited_per_address_in_the_spec_error_form(limited, client):
    limited.config["LIMIT_OPEN311"] = "2 per minute"
    assert [client.get("/open311/v2/services.json").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/open311/v2/services.json")
    assert refused.status_code == 429
    assert refused.get_json()[0]["code"] == 429 and refused.get_json()[0]["description"]
    xml = client.get("/open311/v2/services.xml")
    assert xml.status_code == 429 and xml.mimetype.endswith("xml") and b"<code>429</code>" in xml.data


def test_open311_client_with_a_key_has_its_own_counter(limited, client):
    limited.config["LIMIT_OPEN311"] = "2 per minute"
    key = create_api_key("stadens-app")
    db.session.commit()
    for _ in range(3):
        client.get("/open311/v2/services.json")
    assert client.get("/open311/v2/services.json").status_code == 429
    assert client.get(f"/open311/v2/services.json?api_key={key}").status_code == 200
    assert client.get("/open311/v2/services.json?api_key=made-up").status_code == 429


# --- storage: memory and a real redis-server ------------------------------------------------------

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server of its own on a free port, in a temp dir, without persistence."""
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    import redis
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        connection.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["memory", "redis"])
def storage(request, limited):
    uri = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
    limited.config["RATELIMIT_STORAGE_URI"] = uri
    limiter.init_app(limited)
    return request.param


def test_limits_hold_with_each_storage(limited, client, storage):
    limited.config["LIMIT_OPEN311"] = "3 per minute"
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_redis_counters_are_shared_by_workers_memory_ones_are_not(limited, client, storage):
    limited.config["LIMIT_OPEN311"] = "3 per minute"
    for _ in range(3):
        assert client.get("/open311/v2/services.json").status_code == 200
    limiter.init_app(limited)  # what a second worker process starts with: its own limiter and storage
    expected = 429 if storage == "redis" else 200
    assert client.get("/open311/v2/services.json").status_code == expected


def test_an_unreachable_redis_falls_back_to_memory_instead_of_failing(limited, client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    limited.config.update(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}", LIMIT_OPEN311="2 per minute")
    limiter.init_app(limited)
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
