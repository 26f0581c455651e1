"""One text cleaner for every input: forms, query strings, path values, file names and JSON.

A text may not contain NUL, lone surrogates or control characters other than newline, carriage return
and tab; a single-line field (a name, a title) may not contain line breaks either. Which fields are
single-line is read from the forms themselves: every StringField that is not a TextAreaField.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from .web import DomainError

# C0 controls but tab, newline and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")

# Single-line fields sent by clients that have no WTForms form of ours (Open311 POST).
API_SINGLE_LINE = frozenset({"first_name", "last_name", "email", "phone", "service_code", "device_id",
                             "account_id", "uuid", "category", "location_source"})


class TextError(DomainError):
    """Refused text; `message` says why, in words a person understands."""


def shown(name: str, limit: int = 40) -> str:
    """A name to quote in a message: printable characters as they are, anything else escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for ch in name[:limit])


def check_text(value: str, field: str | None = None, *, single_line: bool = False) -> str:
    """The text unchanged, or TextError saying what is wrong with it."""
    where = shown(field or "text")
    if "\x00" in value:
        raise TextError(_l("“%(field)s” contains a NUL character. Remove it and try again.", field=where), field)
    if _SURROGATE.search(value):
        raise TextError(_l("“%(field)s” contains a broken character (a lone surrogate). Retype it and try "
                           "again.", field=where), field)
    if _CONTROL.search(value):
        raise TextError(_l("“%(field)s” contains an invisible control character. Remove it and try again.",
                           field=where), field)
    if single_line and _LINE_BREAK.search(value):
        raise TextError(_l("“%(field)s” must be a single line.", field=where), field)
    return value


def check_file_name(name: str) -> str:
    """An uploaded file's name: clean text, one line, and a bare name (no folders, no "..")."""
    check_text(name, str(_l("the file name")), single_line=True)
    if "/" in name or "\\" in name or (name and not name.strip(". ")):
        raise TextError(_l("The file name “%(name)s” is not a plain file name. Rename the file and try "
                           "again.", name=shown(name, 80)), "file")
    return name


def check_tree(data, field: str | None = None, single_line: frozenset[str] = frozenset()) -> None:
    """Check every string in decoded JSON: keys and values, at any depth."""
    if isinstance(data, str):
        check_text(data, field, single_line=field in single_line)
    elif isinstance(data, dict):
        for key, value in data.items():
            check_text(key, key, single_line=True)
            check_tree(value, key, single_line)
    elif isinstance(data, list):
        for value in data:
            check_tree(value, field, single_line)


@lru_cache(maxsize=1)
def single_line_fields() -> frozenset[str]:
    """Names of the form fields that are one line in every form that has them, plus API_SINGLE_LINE."""
    from flask_wtf import FlaskForm
    from wtforms import StringField, TextAreaField
    from wtforms.fields.core import UnboundField

    one_line, multi_line = set(), set()
    pending = [FlaskForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        for name in dir(form_class):
            unbound = getattr(form_class, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            if issubclass(unbound.field_class, TextAreaField):
                multi_line.add(name)
            elif issubclass(unbound.field_class, StringField):
                one_line.add(name)
    return frozenset(one_line - multi_line) | API_SINGLE_LINE
