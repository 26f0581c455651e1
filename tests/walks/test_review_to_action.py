"""From the review table to an action: tick observations, get the new-action form filled in."""
from __future__ import annotations

import re

from tests.conftest import csrf_token_from
from walks.extensions import db


def test_selected_observations_prefill_a_new_action(client, make, login):
    login()
    walk = make.walk()
    chosen = [make.observation(walk=walk, text=f"Mörk passage {n}") for n in range(3)]
    other = make.observation(walk=walk, text="Inte vald")
    db.session.commit()

    page = client.get(f"/walks/{walk.id}/observations").get_data(True)
    assert f'action="/areas/{walk.area_id}/actions/from-observations"' in page
    boxes = re.findall(r'name="observation_ids" value="(\d+)" form="selection"', page)
    assert sorted(boxes) == sorted(str(o.id) for o in chosen + [other])

    response = client.post(f"/areas/{walk.area_id}/actions/from-observations", data={
        "csrf_token": csrf_token_from(page), "observation_ids": [str(o.id) for o in chosen]})
    assert response.status_code == 200
    form = response.get_data(True)
    assert all(f"Mörk passage {n}" in form for n in range(3))
    assert "Inte vald" not in form


def test_viewers_get_no_selection(client, make, login):
    login(make.user(role="viewer"))
    walk = make.walk()
    make.observation(walk=walk)
    db.session.commit()
    page = client.get(f"/walks/{walk.id}/observations").get_data(True)
    assert "from-observations" not in page and 'name="observation_ids"' not in page
