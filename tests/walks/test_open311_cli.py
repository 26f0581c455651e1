"""`flask api-key create/revoke`: the key is printed alone on the last line, only its hash is kept."""
from __future__ import annotations

import sqlalchemy as sa

from walks.extensions import db
from walks.models import ApiKey, hash_token


def test_create_prints_the_key_on_its_last_line_and_stores_only_the_hash(runner):
    result = runner.invoke(args=["api-key", "create", "västtrafik"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert len(key) >= 40 and " " not in key
    stored = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "västtrafik"))
    assert stored.key_hash == hash_token(key) and key not in stored.key_hash


def test_the_created_key_works_and_stops_working_when_revoked(runner, client):
    key = runner.invoke(args=["api-key", "create", "app"]).output.strip().splitlines()[-1]
    data = {"api_key": key, "service_code": "litter", "lat": "57.72", "long": "11.95"}
    assert client.post("/open311/v2/requests.json", data=data).status_code == 200
    result = runner.invoke(args=["api-key", "revoke", "app"])
    assert result.exit_code == 0, result.output
    assert client.post("/open311/v2/requests.json", data=data).status_code == 403


def test_a_duplicate_name_or_unknown_revoke_fails_cleanly(runner):
    assert runner.invoke(args=["api-key", "create", "app"]).exit_code == 0
    duplicate = runner.invoke(args=["api-key", "create", "app"])
    assert duplicate.exit_code != 0 and "finns redan" in duplicate.output
    unknown = runner.invoke(args=["api-key", "revoke", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiKey)) == 1


def test_a_key_can_belong_to_a_body(runner, app):
    from tests import factories
    city = factories.organization()
    db.session.commit()
    assert runner.invoke(args=["api-key", "create", "stadens-system", "--organization", str(city.id)]).exit_code == 0
    stored = db.session.scalar(sa.select(ApiKey).where(ApiKey.name == "stadens-system"))
    assert stored.organization_id == city.id
    unknown = runner.invoke(args=["api-key", "create", "ingen", "--organization", "999999"])
    assert unknown.exit_code != 0 and "999999" in unknown.output
