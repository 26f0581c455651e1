"""Follow-up figures with known answers: two walks of one area built with the factories."""
import datetime as dt
from types import SimpleNamespace

import pytest

from walks.extensions import db
from walks.followup import service
from walks.models import ActionItem, FaultReport, FaultReportItem

TODAY = dt.date(2026, 11, 20)
BEFORE_AT = dt.datetime(2025, 10, 14, 18, 0)
AFTER_AT = dt.datetime(2026, 10, 13, 18, 0)


def build_two_walks(make):
    """A first walk and a follow-up a year later, with hidden, merged and other-area noise.

    Before (visible): lighting 0 resolved, lighting 1 new, graffiti 2 reported, litter 2 dismissed,
    positive 3 new  -> 5 observations, mean 8/5 = 1.6, distribution [1, 1, 2, 1];
    faults 4: 1 resolved, 1 dismissed, 2 open (lighting "new", graffiti "reported").
    After: lighting 1, graffiti 1, positive 2, positive 1 -> 4, mean 5/4 = 1.25, distribution [0, 3, 1, 0].
    """
    area = make.area(name="Hjalmar Brantingsplatsen")
    other_area = make.area(name="Hammarkullen")
    before = make.walk(area=area, title="Höstvandring 2025", starts_at=BEFORE_AT, status="closed")
    after = make.walk(area=area, title="Uppföljning 2026", starts_at=AFTER_AT, status="closed")
    planned = make.walk(area=area, title="Planerad vandring", starts_at=AFTER_AT + dt.timedelta(days=60),
                        status="planned")
    elsewhere = make.walk(area=other_area, title="Annan plats", starts_at=AFTER_AT)

    spots = iter(range(100))

    def obs(walk, code, safety, status="new", **extra):
        spot = next(spots)  # spread over the area so that the map shows separate points
        return make.observation(walk=walk, category=make.category(code), safety=safety, status=status,
                                lat=57.7200 + 0.0007 * (spot % 5), lon=11.9495 + 0.0012 * (spot // 5 % 4),
                                **extra)

    b = SimpleNamespace(
        lamp_fixed=obs(before, "lighting", 0, "resolved", text="Trasig lampa i tunneln"),
        lamp_open=obs(before, "lighting", 1, "new", text="Mörk gång bakom skolan"),
        graffiti=obs(before, "graffiti", 2, "reported", text="Klotter på elskåpet"),
        litter=obs(before, "litter", 2, "dismissed", text="Skräp vid bänken"),
        good=obs(before, "positive", 3, "new", text="Bra belyst torg"),
    )
    obs(before, "lighting", 0, "new", hidden=True, text="Dold")
    obs(before, "graffiti", 0, "new", merged_into_id=b.graffiti.id, text="Dubblett")
    a = SimpleNamespace(
        lamp=obs(after, "lighting", 1, "resolved", text="Ny lampa blinkar"),
        graffiti=obs(after, "graffiti", 1, "new"),
        good1=obs(after, "positive", 2),
        good2=obs(after, "positive", 1),
    )
    obs(after, "litter", 0, hidden=True)
    obs(elsewhere, "lighting", 0)
    return SimpleNamespace(area=area, other_area=other_area, before=before, after=after, planned=planned,
                           elsewhere=elsewhere, b=b, a=a)


def add_fault_reports(make, data):
    """Six sent items about the area (+ a draft and one of another area), resolved after 10, 4.5 and 2 days."""
    org = make.organization()
    roaming = make.observation(walk=None, area=data.area, category=make.category("litter"), safety=1,
                               source="open311")
    other = make.observation(walk=data.elsewhere, category=make.category("lighting"), safety=1)
    r1 = FaultReport(reference="TV-2026-0001", organization=org, area=data.area, status="resolved",
                     sent_at=dt.datetime(2026, 1, 1, 8, 0), resolved_at=dt.datetime(2026, 1, 11, 8, 0))
    r1.items = [FaultReportItem(observation=data.b.lamp_fixed, status="resolved")]
    r2 = FaultReport(reference="TV-2026-0002", organization=org, area=data.area, status="acknowledged",
                     sent_at=dt.datetime(2026, 2, 1, 0, 0))
    r2.items = [
        FaultReportItem(observation=data.b.graffiti, status="acknowledged"),
        FaultReportItem(observation=data.b.litter, status="resolved", updated_at=dt.datetime(2026, 2, 5, 12, 0)),
        FaultReportItem(observation=data.b.lamp_open, status="rejected"),
        FaultReportItem(observation=data.a.lamp, status="resolved", updated_at=dt.datetime(2026, 2, 3, 0, 0)),
        FaultReportItem(observation=roaming, status="sent"),
    ]
    draft = FaultReport(reference="TV-2026-0003", organization=org, area=data.area, status="draft")
    draft.items = [FaultReportItem(observation=data.a.graffiti, status="draft")]
    elsewhere = FaultReport(reference="TV-2026-0004", organization=org, area=data.other_area, status="sent",
                            sent_at=dt.datetime(2026, 2, 1))
    elsewhere.items = [FaultReportItem(observation=other, status="resolved")]
    db.session.add_all([r1, r2, draft, elsewhere])
    db.session.flush()


def add_actions(data):
    """6 actions: 2 overdue (proposed and in progress, due yesterday); done/cancelled past due are not."""
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    rows = [("proposed", yesterday), ("planned", tomorrow), ("in_progress", None), ("in_progress", yesterday),
            ("done", yesterday), ("cancelled", yesterday)]
    for n, (status, due) in enumerate(rows):
        db.session.add(ActionItem(area=data.area, title=f"Åtgärd {n}", status=status, due_date=due))
    db.session.add(ActionItem(area=data.other_area, title="Annat område", status="proposed", due_date=yesterday))
    db.session.flush()


@pytest.fixture
def data(make):
    data = build_two_walks(make)
    add_fault_reports(make, data)
    add_actions(data)
    return data


def test_compare_two_walks_with_known_answers(data):
    result = service.compare_walks(data.before, data.after)
    assert result.before.observations == 5
    assert result.after.observations == 4
    assert result.before.safety == service.SafetySummary(count=5, mean=1.6, distribution=[1, 1, 2, 1])
    assert result.after.safety == service.SafetySummary(count=4, mean=1.25, distribution=[0, 3, 1, 0])
    assert service.mean_change(result) == -0.35
    assert [(r.category.code, r.before, r.after, r.change) for r in result.categories] == [
        ("lighting", 2, 1, -1), ("graffiti", 1, 1, 0), ("litter", 1, 0, -1), ("positive", 1, 2, 1)]
    faults = result.faults
    assert (faults.total, faults.resolved, faults.dismissed) == (4, 1, 1)
    assert [o.id for o in faults.open] == [data.b.lamp_open.id, data.b.graffiti.id]


def test_compare_leaves_hidden_and_merged_observations_out_of_the_map(data):
    result = service.compare_walks(data.before, data.after)
    points = service.map_points(result, "sv", lambda o: f"/obs/{o.id}")
    assert len(points["before"]) == 5 and len(points["after"]) == 4
    texts = {p["text"] for p in points["before"] + points["after"]}
    assert "Dold" not in texts and "Dubblett" not in texts
    open_points = [p for p in points["before"] if p["open_fault"]]
    assert [(p["category"], p["status"], p["url"]) for p in open_points] == [
        ("Belysning", "new", f"/obs/{data.b.lamp_open.id}"),
        ("Klotter och skadegörelse", "reported", f"/obs/{data.b.graffiti.id}")]
    assert not any(p["open_fault"] for p in points["after"])


def test_compare_json_is_the_same_figures_in_plain_values(data):
    result = service.comparison_json(service.compare_walks(data.before, data.after), "en")
    assert result["before"]["safety"]["mean"] == 1.6 and result["after"]["safety"]["mean"] == 1.25
    assert result["mean_safety_change"] == -0.35
    assert result["categories"][0] == {"code": "lighting", "name": "Lighting", "before": 2, "after": 1, "change": -1}
    assert result["faults_from_first_walk"]["resolved"] == 1
    assert [o["text"] for o in result["faults_from_first_walk"]["open"]] == [
        "Mörk gång bakom skolan", "Klotter på elskåpet"]


def test_the_first_and_latest_held_walk_are_the_default_pair(data):
    assert service.default_pair(data.area) == (data.before, data.after)


def test_default_pair_uses_planned_walks_only_when_needed(make):
    area = make.area()
    assert service.default_pair(area) == (None, None)
    first = make.walk(area=area, starts_at=BEFORE_AT, status="closed")
    assert service.default_pair(area) == (first, None)
    planned = make.walk(area=area, starts_at=AFTER_AT, status="planned")
    assert service.default_pair(area) == (first, planned)


@pytest.mark.parametrize("pair, message", [
    (("before", "before"), "samma vandring två gånger"),
    (("before", "elsewhere"), "tillhör olika områden"),
    (("elsewhere", "after"), "tillhör olika områden"),
])
def test_walks_that_cannot_be_compared_are_refused(data, pair, message):
    with pytest.raises(service.CompareError, match=message):
        service.compare_walks(getattr(data, pair[0]), getattr(data, pair[1]))


def test_check_pair_names_the_walk_of_another_area(data):
    with pytest.raises(service.CompareError, match="”Annan plats” tillhör ett annat område än Hjalmar"):
        service.check_pair(data.before, data.elsewhere, data.area)


def test_area_figures_with_known_answers(data):
    figures = service.area_figures(data.area, TODAY)
    assert [w.title for w in figures.walks] == ["Höstvandring 2025", "Uppföljning 2026", "Planerad vandring"]
    assert [w.themes for w in figures.walks] == [
        {"safety": 2, "clean": 2, "access": 0, "positive": 1},
        {"safety": 1, "clean": 1, "access": 0, "positive": 2},
        {"safety": 0, "clean": 0, "access": 0, "positive": 0}]
    assert [w.safety.distribution for w in figures.walks] == [[1, 1, 2, 1], [0, 3, 1, 0], [0, 0, 0, 0]]
    assert [w.safety.mean for w in figures.walks] == [1.6, 1.25, None]
    assert figures.observations == 9
    assert figures.faults.sent == 6
    assert figures.faults.by_status == {"sent": 1, "acknowledged": 1, "resolved": 3, "rejected": 1}
    assert (figures.faults.resolved, figures.faults.open) == (3, 2)
    # Resolved after 10 days (report resolved_at), 4.5 and 2 days (item updated_at): the median is 4.5.
    assert figures.faults.median_days_to_resolve == 4.5
    # What became of the faults (observations.outcome_counts): reported = in a sent report or taken up.
    assert [w.faults for w in figures.walks] == [
        {"total": 4, "reported": 4, "resolved": 1, "dismissed": 1, "unresolved": 2},
        {"total": 2, "reported": 1, "resolved": 1, "dismissed": 0, "unresolved": 1},
        {"total": 0, "reported": 0, "resolved": 0, "dismissed": 0, "unresolved": 0}]
    assert figures.faults.outside_walks == {"total": 1, "reported": 1, "resolved": 0, "dismissed": 0,
                                            "unresolved": 1}
    assert figures.outcomes == {"total": 7, "reported": 6, "resolved": 2, "dismissed": 1, "unresolved": 4}
    assert figures.actions == service.ActionFigures(
        total=6, overdue=2, by_status={"proposed": 1, "planned": 1, "in_progress": 2, "done": 1, "cancelled": 1})


def test_overdue_depends_on_today(data):
    assert service.area_figures(data.area, TODAY - dt.timedelta(days=1)).actions.overdue == 0


def test_area_figures_of_an_empty_area(make):
    figures = service.area_figures(make.area(), TODAY)
    assert figures.walks == [] and figures.observations == 0
    assert figures.faults.sent == 0 and figures.faults.median_days_to_resolve is None
    assert figures.actions.overdue == 0


@pytest.mark.parametrize("days, expected", [([], None), ([3.0], 3.0), ([1.0, 2.0], 1.5), ([10, 4.5, 2], 4.5)])
def test_median(days, expected):
    assert service.median(days) == expected


@pytest.mark.parametrize("status, sent, report_resolved, item_updated, expected", [
    ("resolved", dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 11), dt.datetime(2026, 3, 1), 10.0),
    ("resolved", dt.datetime(2025, 12, 31, 12, 0), None, dt.datetime(2026, 1, 1), 0.5),
    ("resolved", None, None, dt.datetime(2026, 1, 1), None),  # never sent
    ("resolved", dt.datetime(2026, 1, 2), None, dt.datetime(2026, 1, 1), None),  # before it was sent: left out
    ("acknowledged", dt.datetime(2026, 1, 1), None, dt.datetime(2026, 1, 5), None),
])
def test_resolve_days(status, sent, report_resolved, item_updated, expected):
    assert service.resolve_days(status, sent, report_resolved, item_updated) == expected


@pytest.mark.parametrize("counts, expected", [
    ({}, {"count": 0, "mean": None, "distribution": [0, 0, 0, 0]}),
    ({0: 1, 1: 1, 2: 2, 3: 1}, {"count": 5, "mean": 1.6, "distribution": [1, 1, 2, 1]}),
    ({1: 3, 2: 1}, {"count": 4, "mean": 1.25, "distribution": [0, 3, 1, 0]}),
    ({3: 2, 0: 1}, {"count": 3, "mean": 2.0, "distribution": [1, 0, 0, 2]}),
])
def test_safety_summary(counts, expected):
    assert service.safety_summary(counts) == service.SafetySummary(**expected)
