"""The walker's status in plain words: outcome_for(observation), without HTTP."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from walks.capture.outcome import outcome_for
from walks.extensions import db
from walks.models import FixedQuestion, utcnow
from walks.observations import set_status


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def sent(make, observation, **item):
    org = make.organization(name="Park- och naturförvaltningen")
    report = make.fault_report([observation], status="sent", organization=org, sent_at=utcnow() - dt.timedelta(days=2))
    for key, value in item.items():
        setattr(report.items[0], key, value)
    set_status(observation, "sent")
    db.session.flush()
    return report


def test_a_new_observation_is_noted(make):
    outcome = outcome_for(make.observation())
    assert outcome.kind == "noted" and "Noted" in outcome.text


def test_sent_says_to_whom_when_and_their_reference(make):
    observation = make.observation()
    report = sent(make, observation, external_id="PNF-4711")
    outcome = outcome_for(observation)
    assert outcome.kind == "sent"
    assert "Park- och naturförvaltningen" in outcome.text and "PNF-4711" in outcome.text
    assert outcome.date == report.sent_at


def test_without_their_reference_ours_is_given(make):
    observation = make.observation()
    report = sent(make, observation)
    assert report.reference in outcome_for(observation).text


def test_fixed_says_when_and_keeps_their_notes(make):
    observation = make.observation()
    report = sent(make, observation, external_id="PNF-1")
    item = report.items[0]
    item.status, item.recipient_notes = "resolved", "Lampan är bytt."
    set_status(observation, "report_resolved")
    outcome = outcome_for(observation)
    assert (outcome.kind, outcome.recipient_notes) == ("fixed", "Lampan är bytt.")
    assert "Fixed on" in outcome.text


def test_judged_not_a_fault(make):
    observation = make.observation()
    set_status(observation, "dismissed")
    assert outcome_for(observation).kind == "not_a_fault"


def test_merged_shows_the_other_point_and_its_outcome(make):
    walk = make.walk()
    other = make.observation(walk=walk, text="Mörkt vid tunneln")
    mine = make.observation(walk=walk, merged_into=other)
    sent(make, other)
    outcome = outcome_for(mine)
    assert outcome.kind == "merged" and outcome.merged_with is other
    assert outcome.merged_outcome.kind == "sent" and "Sent to" in outcome.text
    assert outcome.text.startswith("Merged with another walker's point")


def test_a_walkers_own_me_too_says_so(make):
    walk = make.walk()
    other = make.observation(walk=walk, text="Mörkt vid tunneln")
    mine = make.observation(walk=walk, merged_into=other, source="metoo")
    sent(make, other)
    outcome = outcome_for(mine)
    assert outcome.kind == "merged" and outcome.merged_with is other
    assert outcome.text.startswith("You said “me too” to another walker's point here: Sent to")
    with force_locale("sv"):
        assert outcome_for(mine).text.startswith("Du sa ”Jag med” till en annan deltagares punkt här:")


def test_in_an_action_gives_its_title_and_status(make):
    observation = make.observation()
    make.action([observation], title="Ny belysning i tunneln", status="in_progress")
    set_status(observation, "action_linked")
    outcome = outcome_for(observation)
    assert outcome.kind == "in_action"
    assert "Ny belysning i tunneln" in outcome.text and "in progress" in outcome.text


def test_hidden_is_set_aside(make):
    assert outcome_for(make.observation(hidden=True)).kind == "hidden"


@pytest.mark.parametrize("event, kind", [("walker_partly_fixed", "partly_fixed"),
                                         ("closed_not_fixed", "closed_not_fixed")])
def test_the_walkers_verdicts_are_statuses_of_their_own(make, event, kind):
    observation = make.observation()
    report = sent(make, observation)
    report.items[0].status = "resolved"
    set_status(observation, event)
    assert observation.status == kind
    assert outcome_for(observation).kind == kind


def test_reopened_when_a_walker_said_not_fixed(make):
    observation = make.observation()
    report = sent(make, observation)
    participant = make.participant(walk=observation.walk)
    db.session.add(FixedQuestion(item=report.items[0], participant=participant, answer="not_fixed",
                                 words="Fortfarande mörkt", answered_at=utcnow()))
    db.session.flush()
    outcome = outcome_for(observation)
    assert outcome.kind == "reopened" and outcome.answers[0].words == "Fortfarande mörkt"


def test_swedish_wording(app, make):
    observation = make.observation()
    with force_locale("sv"):
        assert "Noterad" in outcome_for(observation).text
