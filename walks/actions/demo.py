"""A demo action plan for the demo area, made from the first walk's observations, and one past meeting.

Some actions are finished, one is overdue, some are due soon; several observations of the first walk
and all of the follow-up walk are left for the coordinator to turn into actions. Needs the actors'
demo first (it is loaded before this one).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import ActionItem, Area, Organization, utcnow
from . import service

# (title, actor, contact, categories of first-walk observations, start, due (days from today), horizon,
#  priority, [statuses it went through], goal, indicators, outcome, mandate, resources)
PLAN = (
    ("Laga gatlyktan på gångvägen mot Hjalmar Brantingsgatan", "Stadsmiljöförvaltningen", "Johan Berglund",
     ("lighting",), -340, -300, "short", "high", ["planned", "in_progress", "done"],
     "Gångvägen är upplyst hela vägen.", "Inga mörka sträckor vid nästa vandring.",
     "Lyktan byttes i januari; gångvägen är upplyst.", "Belysning på allmän plats.", "Ordinarie underhåll."),
    ("Beskär buskagen längs cykelbanan", "Park- och naturförvaltningen", "Sofia Nyström",
     ("vegetation",), -330, -240, "short", "medium", ["planned", "in_progress", "done"],
     "Fri sikt mellan cykelbanan och hållplatsen.", "Buskar under 1 meter; trygghet på nästa vandring.",
     "Beskuret i mars. Följs upp vid nästa vandring.", "Skötsel av grönytor.", "Ordinarie skötsel."),
    ("Byt den krossade rutan och belysningen i väderskyddet", "Västtrafik", "Karin Åberg",
     ("transit_stop",), -330, -300, "short", "medium", ["planned", "in_progress", "done"],
     "Helt och upplyst väderskydd.", "Inga trasiga rutor vid nästa vandring.", "Rutan och belysningen bytta.",
     "Hållplatsens utrustning.", "Ordinarie underhåll."),
    ("Belysning och insyn i gångtunneln under Lundbyleden", "Stadsmiljöförvaltningen", "Maria Lindqvist",
     ("hiding_places",), -200, -20, "medium", "high", ["planned", "in_progress"],
     "En ljus tunnel med insyn från båda hållen.", "Upplevd trygghet i tunneln på nästa vandring (0–3).",
     "", "Investering i belysning; beslut i nämnden.", "Investeringsbudget 2026."),
    ("Sanera klottret på bullerplanket och elskåpet", "Stadsmiljöförvaltningen", "Maria Lindqvist",
     ("graffiti",), -30, 7, "short", "high", ["planned"],
     "Klotterfritt; kränkande klotter bort inom 24 timmar.", "Tid från anmälan till sanering.", "",
     "Klottersanering på allmän plats.", "Saneringsavtal."),
    ("Fartdämpande åtgärd vid övergångsstället", "Stadsmiljöförvaltningen", "Maria Lindqvist",
     ("traffic_safety",), None, 25, "medium", "medium", ["planned"],
     "Lägre hastighet förbi övergångsstället.", "Mätt hastighet före och efter.", "",
     "Trafikregler och gatans utformning.", ""),
    ("Kvällsaktiviteter på torget när butikerna stängt", "Hisingens föreningsråd", "Ali Rahimi",
     ("deserted",), None, None, "long", "low", [],
     "Mer folkliv på torget kvällstid.", "Antal kvällar med aktivitet per månad.", "", "", "Föreningsbidrag."),
)


def _first_walk_observations(walks) -> dict:
    by_category: dict = {}
    first = walks[0] if walks else None
    for obs in (first.observations if first else []):
        by_category.setdefault(obs.category.code, []).append(obs)
    return by_category


def _stamp(action: ActionItem, when: dt.datetime) -> None:
    """Put the latest log entry at a moment in the demo's past."""
    action.updates[-1].at = when


def load_demo(area: Area, walks, coordinator) -> list[ActionItem]:
    today = utcnow().date()
    noon = dt.time(12, 0)
    by_category = _first_walk_observations(walks)
    actions = []
    for (title, actor, contact_name, codes, start, due, horizon, priority, statuses, goal, indicators, outcome,
         mandate, resources) in PLAN:
        org = db.session.scalar(sa.select(Organization).where(Organization.name == actor))
        contact = next((c for c in org.contacts if c.name == contact_name), None) if org else None
        observations = [o for code in codes for o in by_category.get(code, [])]
        created = today + dt.timedelta(days=(start or -60) - 10)
        action = service.create_action(area, {
            "title": title, "organization": org, "contact": contact, "goal": goal, "indicators": indicators,
            "mandate": mandate, "resources": resources, "horizon": horizon, "priority": priority,
            "start_date": today + dt.timedelta(days=start) if start is not None else None,
            "due_date": today + dt.timedelta(days=due) if due is not None else None}, coordinator, observations)
        action.created_at = dt.datetime.combine(created, noon)
        _stamp(action, action.created_at)
        for step, status in enumerate(statuses, start=1):
            finished = status == "done"
            service.transition(action, status, coordinator, resolve_observations=finished)
            when = created + dt.timedelta(days=step * 12)
            _stamp(action, dt.datetime.combine(min(when, today - dt.timedelta(days=25)), noon))
        if outcome:
            service.update_action(action, {"outcome": outcome}, coordinator)
            _stamp(action, dt.datetime.combine(today - dt.timedelta(days=30), noon))
        actions.append(action)

    tunnel, graffiti = actions[3], actions[4]
    meeting = service.record_meeting(area, {
        "held_on": today - dt.timedelta(days=21), "title": "Uppföljningsmöte platssamverkan",
        "notes": "Gick igenom åtgärdsplanen. Belysningen och buskagen är klara. Tunneln väntar på beslut om "
                 "investering. Klottret på bullerplanket har kommit tillbaka.",
        "decisions": "Stadsmiljöförvaltningen återkommer om tunneln till nästa möte. Klottret saneras inom två "
                     "veckor. Ny trygghetsvandring i november."}, coordinator, [tunnel, graffiti])
    meeting.created_at = dt.datetime.combine(today - dt.timedelta(days=21), dt.time(16, 0))
    # Since that meeting: a comment on the tunnel and a date change on the graffiti.
    service.update_action(tunnel, {}, coordinator, "Beslut om ny belysning väntas i nämnden nästa månad.")
    _stamp(tunnel, dt.datetime.combine(today - dt.timedelta(days=6), noon))
    service.update_action(graffiti, {"due_date": today + dt.timedelta(days=14)}, coordinator,
                          "Saneringsfirman kommer vecka två.")
    _stamp(graffiti, dt.datetime.combine(today - dt.timedelta(days=3), noon))
    db.session.flush()
    return actions
