"""Translated names for the values the maps show (ratings, statuses, light conditions)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SAFETY_LABELS = {
    0: _l("0 – very unsafe"),
    1: _l("1 – rather unsafe"),
    2: _l("2 – rather safe"),
    3: _l("3 – safe"),
}
STATUS_LABELS = {
    "new": _l("New"),
    "reported": _l("Reported"),
    "in_action": _l("In the action plan"),
    "resolved": _l("Resolved"),
    "dismissed": _l("Dismissed"),
}
LIGHT_LABELS = {"daylight": _l("Daylight"), "dusk": _l("Dusk"), "dark": _l("Dark")}


def safety_label(value: int | None) -> str:
    return str(SAFETY_LABELS.get(value, value if value is not None else ""))


def status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


def light_label(value: str | None) -> str:
    return str(LIGHT_LABELS.get(value, value or ""))
