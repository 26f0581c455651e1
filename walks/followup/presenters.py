"""Turn the follow-up figures into charts and tables with translated labels (needs a request)."""
from __future__ import annotations

from flask_babel import format_datetime, format_decimal
from flask_babel import lazy_gettext as _l

from ..categories.service import theme_name
from ..models import ACTION_STATUSES, SAFETY_RATINGS, THEMES
from .charts import bar_chart
from .service import SENT_STATUSES, AreaFigures, Comparison

THEME_COLOURS = {"safety": "#c0392b", "clean": "#7d5ba6", "access": "#1f6fb2", "positive": "#2e8540"}
SAFETY_COLOURS = ("#8e1b10", "#e67e22", "#9cc27a", "#2e8540")
SAFETY_LABELS = (_l("Very unsafe"), _l("Unsafe"), _l("Fairly safe"), _l("Safe"))
ACTION_STATUS_LABELS = {"proposed": _l("Proposed"), "planned": _l("Planned"),
                        "in_progress": _l("In progress"), "done": _l("Done"), "cancelled": _l("Cancelled")}
ACTION_STATUS_COLOURS = {"proposed": "#8a949c", "planned": "#1f6fb2", "in_progress": "#b7791f",
                         "done": "#2e8540", "cancelled": "#5b6670"}
FAULT_STATUS_LABELS = {"sent": _l("Sent, no answer yet"), "acknowledged": _l("Acknowledged"),
                       "resolved": _l("Resolved"), "rejected": _l("Rejected")}
OBSERVATION_STATUS_LABELS = {"new": _l("New"), "reported": _l("Reported"), "in_action": _l("In an action"),
                             "resolved": _l("Resolved"), "dismissed": _l("Dismissed"),
                             "partly_fixed": _l("Partly fixed"), "closed_not_fixed": _l("Closed, not fixed")}
BEFORE_COLOUR, AFTER_COLOUR = "#1f6fb2", "#d35400"


def walk_label(walk_or_row) -> str:
    """A Walk's or a WalkFigures' title and date."""
    title, starts = walk_or_row.title, walk_or_row.starts_at
    return f"{title} ({format_datetime(starts, 'yyyy-MM-dd')})"


def number(value) -> str:
    return "–" if value is None else format_decimal(value)


def safety_label(rating: int) -> str:
    return f"{rating} {SAFETY_LABELS[rating]}"


def _table(head, rows) -> dict:
    return {"head": [str(h) for h in head], "rows": [[str(c) for c in row] for row in rows]}


def dashboard_charts(figures: AreaFigures, locale: str) -> list[dict]:
    """The dashboard's charts, each with its heading, layout and the same figures as a table."""
    walks = figures.walks
    labels = [walk_label(row) for row in walks]
    empty = str(_l("No walks with observations yet."))
    themes = [{"label": theme_name(t, locale), "color": THEME_COLOURS[t],
               "values": [row.themes[t] for row in walks]} for t in THEMES]
    safety = [{"label": safety_label(r), "color": SAFETY_COLOURS[r],
               "values": [row.safety.distribution[r] for row in walks]} for r in SAFETY_RATINGS]
    fault_rows = [row.faults for row in walks]
    fault_labels = list(labels)
    outside = figures.faults.outside_walks
    if outside["total"]:
        fault_rows.append(outside)
        fault_labels.append(str(_l("Not from a walk")))
    faults = [{"label": str(_l("Faults reported")), "color": "#1f6fb2",
               "values": [r["reported"] for r in fault_rows]},
              {"label": str(_l("Faults resolved")), "color": "#2e8540",
               "values": [r["resolved"] for r in fault_rows]}]
    statuses = [str(ACTION_STATUS_LABELS[s]) for s in ACTION_STATUSES]
    actions = [{"label": str(_l("Actions")), "color": "#1b3a4b",
                "values": [figures.actions.by_status[s] for s in ACTION_STATUSES]}]
    return [
        {"id": "themes", "heading": _l("Observations per theme and walk"),
         "chart": bar_chart(themes, labels, title=str(_l("Observations per theme and walk")),
                          chart_id="chart-themes", empty_text=empty),
         "table": _table([_l("Walk")] + [s["label"] for s in themes] + [_l("Total")],
                         [[label] + [s["values"][i] for s in themes] + [walks[i].observations]
                          for i, label in enumerate(labels)])},
        {"id": "safety", "heading": _l("Perceived safety per walk"),
         "chart": bar_chart(safety, labels, title=str(_l("Perceived safety per walk: number of observations "
                                                       "per rating from 0 very unsafe to 3 safe")),
                          chart_id="chart-safety", empty_text=empty),
         "table": _table([_l("Walk")] + [s["label"] for s in safety] + [_l("Mean (0–3)")],
                         [[label] + [s["values"][i] for s in safety] + [number(walks[i].safety.mean)]
                          for i, label in enumerate(labels)])},
        {"id": "faults", "heading": _l("Faults: reported and resolved"),
         "chart": bar_chart(faults, fault_labels, title=str(_l("Faults reported and resolved per walk")),
                          chart_id="chart-faults", stacked=False, empty_text=str(_l("No faults reported yet."))),
         "table": _table([_l("Walk"), _l("Faults found"), _l("Faults reported"), _l("Faults resolved")],
                         [[label, r["total"], r["reported"], r["resolved"]]
                          for label, r in zip(fault_labels, fault_rows)])},
        {"id": "actions", "heading": _l("Actions by status"),
         "chart": bar_chart(actions, statuses, title=str(_l("Actions in the action plan by status")),
                          chart_id="chart-actions", stacked=False, empty_text=str(_l("No actions yet."))),
         "note": _l("%(count)s of them overdue: the due date has passed and they are neither done nor cancelled.",
                    count=figures.actions.overdue),
         "table": _table([_l("Status"), _l("Actions")],
                         [[label, actions[0]["values"][i]] for i, label in enumerate(statuses)]
                         + [[_l("Overdue"), figures.actions.overdue]])},
    ]


def fault_status_rows(figures: AreaFigures) -> list[tuple[str, int]]:
    return [(str(FAULT_STATUS_LABELS[s]), figures.faults.by_status[s]) for s in SENT_STATUSES]


def compare_charts(comparison: Comparison, locale: str) -> list[dict]:
    """Side by side: the safety distribution of both walks, and counts per category."""
    before, after = comparison.before, comparison.after
    labels = [f'{_l("Before")}: {walk_label(before.walk)}', f'{_l("After")}: {walk_label(after.walk)}']
    safety = [{"label": safety_label(r), "color": SAFETY_COLOURS[r],
               "values": [before.safety.distribution[r], after.safety.distribution[r]]}
              for r in SAFETY_RATINGS]
    rows = comparison.categories
    per_category = [
        {"label": str(_l("Before")), "color": BEFORE_COLOUR, "values": [row.before for row in rows]},
        {"label": str(_l("After")), "color": AFTER_COLOUR, "values": [row.after for row in rows]}]
    return [
        {"id": "compare-safety", "heading": _l("Perceived safety"),
         "chart": bar_chart(safety, labels, title=str(_l("Perceived safety on both walks: number of "
                                                       "observations per rating from 0 very unsafe to 3 safe")),
                          chart_id="chart-compare-safety", empty_text=str(_l("No observations."))),
         "table": _table([_l("Rating"), _l("Before"), _l("After")],
                         [[s["label"], s["values"][0], s["values"][1]] for s in safety]
                         + [[_l("Mean (0–3)"), number(before.safety.mean),
                             number(after.safety.mean)]])},
        {"id": "compare-categories", "heading": _l("Observations per category"),
         "chart": bar_chart(per_category, [row.category.name(locale) for row in rows],
                          title=str(_l("Observations per category, before and after")),
                          chart_id="chart-compare-categories", stacked=False,
                          empty_text=str(_l("No observations."))),
         "table": None},
    ]
