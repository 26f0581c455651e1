"""Cells for every CSV and XLSX the app writes: text a spreadsheet would run as a formula stays text.

A value that starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe (OWASP's
advice against CSV injection), so that an actor named =HYPERLINK(...) is shown, never run. Phone
numbers and plain numbers such as +46 31-123 45 67 or -12,5 stay as they are: no formula fits in them.
"""
from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[+\-][0-9 ()\-.,]*")


def safe_cell(value):
    """The value to write into a cell: formula-like text neutralised, everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER_LIKE.fullmatch(value):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """Text read back from a sheet this app wrote (an import): the apostrophe safe_cell added comes off."""
    if text.startswith("'") and safe_cell(text[1:]) == text:
        return text[1:]
    return text
