"""The dashboard and before/after pages over HTTP, and every bad input the issue lists."""
import json
import re

import pytest

from walks.extensions import db
from walks.models import Area, Observation, Walk

from .test_followup_service import add_actions, add_fault_reports, build_two_walks


@pytest.fixture
def data(make):
    data = build_two_walks(make)
    add_fault_reports(make, data)
    add_actions(data)
    db.session.commit()
    return data


def compare_url(data, **args):
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/areas/{data.area.id}/compare" + (f"?{query}" if query else "")


@pytest.mark.parametrize("path", ["/areas/{id}/dashboard", "/areas/{id}/dashboard.json", "/areas/{id}/compare",
                                  "/areas/{id}/compare.json"])
def test_pages_need_a_login(client, data, path):
    response = client.get(path.format(id=data.area.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_dashboard_draws_four_accessible_charts_with_tables(client, login, data):
    login()
    html = client.get(f"/areas/{data.area.id}/dashboard").get_data(True)
    assert html.count('role="img"') == 4
    for chart_id in ("chart-themes", "chart-safety", "chart-faults", "chart-actions"):
        assert f'id="{chart_id}"' in html and f'<title id="{chart_id}-title">' in html
    assert html.count("<details class=\"figures\">") == 4
    # Theme names in Swedish and the theme colours.
    assert "Rent och snyggt" in html and 'fill="#7d5ba6"' in html and 'fill="#2e8540"' in html
    # The safety table row of the first walk: ratings 0–3 and the mean in Swedish notation.
    assert re.search(r"Höstvandring 2025 \(2025-10-14\)</th><td class=\"num\">1</td><td class=\"num\">1</td>"
                     r"<td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">1,6</td>", html)
    assert "4,5" in html  # median days to resolve
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # the charts need no script


def test_dashboard_json_is_the_machine_twin(client, login, data):
    login()
    figures = client.get(f"/areas/{data.area.id}/dashboard.json").get_json()
    assert figures["area"]["name"] == "Hjalmar Brantingsplatsen"
    assert [w["safety"]["mean"] for w in figures["walks"]] == [1.6, 1.25, None]
    assert figures["walks"][0]["starts_at"] == "2025-10-14T18:00:00"
    assert figures["faults"]["median_days_to_resolve"] == 4.5
    assert figures["faults"]["sent"] == 6
    assert figures["actions"]["by_status"]["in_progress"] == 2


def test_dashboard_escapes_walk_titles(client, login, make):
    login()
    area = make.area()
    walk = make.walk(area=area, title='<img src=x onerror="alert(1)">')
    make.observation(walk=walk)
    db.session.commit()
    html = client.get(f"/areas/{area.id}/dashboard").get_data(True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_compare_defaults_to_the_first_and_latest_walk_with_known_figures(client, login, data):
    login()
    html = client.get(compare_url(data)).get_data(True)
    assert "Höstvandring 2025" in html and "Uppföljning 2026" in html
    assert re.search(r'<option value="%d" selected>Höstvandring' % data.before.id, html)
    assert re.search(r'<option value="%d" selected>Uppföljning' % data.after.id, html)
    assert "<dd>1,6</dd>" in html and "<dd>1,25</dd>" in html
    assert "1 av 4 åtgärdade" in html and "2 fortfarande öppna" in html
    assert "Mörk gång bakom skolan" in html and "Klotter på elskåpet" in html
    # Each still-open point links to its review page.
    assert f'<a href="/observations/{data.b.lamp_open.id}">' in html
    assert f'<a href="/observations/{data.b.graffiti.id}">' in html
    # The category table: lighting 2 -> 1.
    assert re.search(r"Belysning</th>\s*<td class=\"num\">2</td><td class=\"num\">1</td>\s*"
                     r"<td class=\"num change better\">-1</td>", html)
    # More positive observations is better, not worse.
    assert re.search(r"värna</th>\s*<td class=\"num\">1</td><td class=\"num\">2</td>\s*"
                     r"<td class=\"num change better\">\+1</td>", html)


def test_compare_hands_the_map_its_points_as_json_data(client, login, data):
    login()
    html = client.get(compare_url(data, before=data.before.id, after=data.after.id)).get_data(True)
    raw = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', html, re.S).group(1)
    payload = json.loads(raw)
    assert len(payload["points"]["before"]) == 5 and len(payload["points"]["after"]) == 4
    assert sum(p["open_fault"] for p in payload["points"]["before"]) == 2
    assert payload["tiles"]["url"].endswith("{z}/{x}/{y}.png")
    assert '<script src="/maps/assets/leaflet/leaflet.js?v=' in html


def test_user_text_cannot_break_out_of_the_map_data(client, login, data):
    login()
    data.b.lamp_open.text = '</script><script>alert("x")</script>'
    db.session.commit()
    html = client.get(compare_url(data)).get_data(True)
    assert '<script>alert("x")' not in html
    raw = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', html, re.S).group(1)
    texts = [p["text"] for p in json.loads(raw)["points"]["before"]]
    assert '</script><script>alert("x")</script>' in texts


def test_compare_json_twin(client, login, data):
    login()
    result = client.get(f"/areas/{data.area.id}/compare.json?before={data.before.id}&after={data.after.id}").get_json()
    assert (result["before"]["safety"]["mean"], result["after"]["safety"]["mean"]) == (1.6, 1.25)
    assert result["faults_from_first_walk"]["total"] == 4


def test_compare_can_swap_to_other_walks(client, login, data):
    login()
    html = client.get(compare_url(data, before=data.after.id, after=data.planned.id)).get_data(True)
    assert re.search(r'<option value="%d" selected>Planerad' % data.planned.id, html)
    assert "Den första vandringen hittade inga fel" not in html  # the "after" walk had faults
    assert "0 av 2 åtgärdade" not in html and "1 av 2 åtgärdade" in html
    assert "gjordes efter den som valts som" not in html


def test_walks_in_reverse_order_are_compared_with_a_note(client, login, data):
    login()
    response = client.get(compare_url(data, before=data.after.id, after=data.before.id))
    assert response.status_code == 200
    html = response.get_data(True)
    assert "gjordes efter den som valts som ”efter”" in html
    assert "<dd>1,25</dd>" in html


def test_an_area_with_one_walk_says_what_is_missing(client, login, make):
    login()
    area = make.area()
    make.walk(area=area)
    db.session.commit()
    response = client.get(f"/areas/{area.id}/compare")
    assert response.status_code == 200
    assert "behöver två vandringar" in response.get_data(True)
    assert client.get(f"/areas/{area.id}/compare.json").status_code == 404


@pytest.mark.parametrize("args, status, message", [
    ({"before": "abc"}, 400, "med sitt nummer"),
    ({"before": "1.5"}, 400, "med sitt nummer"),
    ({"after": "-3"}, 400, "med sitt nummer"),
    ({"after": "²"}, 400, "med sitt nummer"),
    ({"after": "3%20OR%201=1"}, 400, "med sitt nummer"),
    ({"before": "9" * 30}, 404, "Det finns ingen vandring med nummer 999"),
    ({"before": "999999"}, 404, "Det finns ingen vandring med nummer 999999"),
    ({"after": "999999"}, 404, "Det finns ingen vandring med nummer 999999"),
    ({"before": "{before}", "after": "{before}"}, 400, "samma vandring två gånger"),
    ({"before": "{elsewhere}"}, 400, "tillhör ett annat område"),
    ({"before": "{before}", "after": "{elsewhere}"}, 400, "tillhör ett annat område"),
])
@pytest.mark.parametrize("suffix", ["", ".json"])
def test_bad_compare_input_gets_a_clear_message(client, login, data, args, status, message, suffix):
    login()
    ids = {"before": data.before.id, "elsewhere": data.elsewhere.id}
    query = "&".join(f"{k}={v.format(**ids)}" for k, v in args.items())
    count = db.session.query(Observation).count()
    response = client.get(f"/areas/{data.area.id}/compare{suffix}?{query}")
    assert response.status_code == status
    assert message in response.get_data(True)
    assert db.session.query(Observation).count() == count


def test_walks_of_two_other_areas_are_refused_even_if_they_match_each_other(client, login, make, data):
    """before in area B and after in area B, asked under area A: still refused."""
    login()
    second = make.walk(area=data.other_area)
    db.session.commit()
    response = client.get(compare_url(data, before=data.elsewhere.id, after=second.id))
    assert response.status_code == 400
    assert "Annan plats" in response.get_data(True)


@pytest.mark.parametrize("path", ["/areas/999999/dashboard", "/areas/999999/compare", "/areas/999999/dashboard.json"])
def test_unknown_area(client, login, path):
    login()
    response = client.get(path)
    assert response.status_code == 404
    assert "inget område med det numret" in response.get_data(True)


def test_english_labels(client, login, data):
    login()
    client.set_cookie("lang", "en")
    html = client.get(compare_url(data)).get_data(True)
    assert "1 of 4 resolved" in html and "<dd>1.25</dd>" in html and "Lighting" in html


def test_the_map_library_comes_from_the_app_not_a_cdn(client, login, data):
    login()
    html = client.get(compare_url(data)).get_data(True)
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))(?:\?v=\w+)?"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    for source in sources:
        with client.get(source) as response:
            assert response.status_code == 200, source


def test_the_demo_walks_compare_with_figures_that_match_the_database(client, login, app):
    """The demo's two walks (made by the demo command, whose content may change): the page's figures
    agree with counts and means computed here straight from the table."""
    import sqlalchemy as sa

    from walks import demo

    loaded = demo.load_demo()
    demo.run_hooks(loaded["area"], loaded["walks"], loaded["coordinator"])
    db.session.commit()
    login()
    area, (first, follow_up) = loaded["area"], loaded["walks"]
    result = client.get(f"/areas/{area.id}/compare.json").get_json()
    assert (result["before"]["id"], result["after"]["id"]) == (first.id, follow_up.id)
    for part, walk in (("before", first), ("after", follow_up)):
        visible = sa.and_(Observation.walk_id == walk.id, Observation.hidden.is_(False),
                          Observation.merged_into_id.is_(None))
        count, mean = db.session.execute(
            sa.select(sa.func.count(), sa.func.avg(Observation.safety)).where(visible)).one()
        assert count > 0
        assert result[part]["observations"] == count
        assert result[part]["safety"]["mean"] == round(float(mean), 2)
    assert client.get(f"/areas/{area.id}/compare").status_code == 200
    assert client.get(f"/areas/{area.id}/dashboard").status_code == 200


# --- one count, two pages ---------------------------------------------------------------------------

def test_on_the_demo_the_dashboard_and_compare_agree_about_the_first_walk(client, login, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    area = db.session.scalar(db.select(Area).order_by(Area.id))
    first = db.session.scalar(db.select(Walk).where(Walk.area_id == area.id).order_by(Walk.starts_at))
    login()
    dashboard = client.get(f"/areas/{area.id}/dashboard.json").get_json()
    compare = client.get(f"/areas/{area.id}/compare.json").get_json()
    (row,) = [w for w in dashboard["walks"] if w["id"] == first.id]
    assert compare["before"]["id"] == first.id
    from_first = compare["faults_from_first_walk"]
    assert (row["faults"]["total"], row["faults"]["reported"], row["faults"]["resolved"]) == \
        (from_first["total"], from_first["reported"], from_first["resolved"])
    assert row["faults"]["resolved"] > 0  # the demo's finished actions resolved some of them
    assert row["faults"]["reported"] >= row["faults"]["resolved"]


# --- who sees what ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status", [("stranger", 404), ("viewer", 200)])
@pytest.mark.parametrize("path", ["/areas/{id}/dashboard", "/areas/{id}/dashboard.json", "/areas/{id}/compare",
                                  "/areas/{id}/compare.json"])
def test_a_coordinator_of_another_area_finds_nothing_and_a_viewer_reads(client, login, make, data, path, who,
                                                                        status):
    people = {"stranger": make.user(role="coordinator", areas=[data.other_area]),
              "viewer": make.user(role="viewer", areas=[data.area])}
    db.session.commit()
    login(people[who])
    assert client.get(path.format(id=data.area.id)).status_code == status


def test_a_walk_of_another_area_is_not_found_rather_than_named(client, login, make, data):
    login(make.user(role="coordinator", areas=[data.area]))
    response = client.get(compare_url(data, before=data.before.id, after=data.elsewhere.id))
    assert response.status_code == 404 and data.elsewhere.title not in response.get_data(True)
