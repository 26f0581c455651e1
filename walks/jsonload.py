"""One JSON loader for everything users send: request bodies (request.get_json) and JSON text fields.

Limits: size (MAX_JSON_BYTES) and nesting depth (MAX_DEPTH), checked before parsing so that
`[` × 100,000 costs nothing; NaN, Infinity and duplicate keys are refused; every string goes through
the text cleaner (walks/text.py).
"""
from __future__ import annotations

import json
import re

from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from . import text
from .web import DomainError

MAX_DEPTH = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class JSONInputError(DomainError):
    """Refused JSON; `message` says why, in words a person understands."""


def _depth(raw: bytes) -> int:
    deepest = depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _refuse_constant(name: str):
    raise JSONInputError(_l("The JSON contains %(name)s, which is not a number. Send a number or null.",
                            name=name))


def _unique_keys(pairs: list[tuple]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise JSONInputError(_l("The JSON names the field “%(key)s” twice. Send each field once.",
                                    key=text.shown(key)))
        result[key] = value
    return result


def loads(raw: str | bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH,
          single_line: frozenset[str] = frozenset()):
    """Decoded JSON, or JSONInputError saying what is wrong with it."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONInputError(_l("The JSON contains a broken character (a lone surrogate).")) from None
    if len(raw) > max_bytes:
        raise JSONInputError(_l("The JSON is too large (at most %(kb)d kB).", kb=max_bytes // 1024))
    if not raw.strip():
        raise JSONInputError(_l("The request has no JSON in it."))
    if _depth(raw) > max_depth:
        raise JSONInputError(_l("The JSON is nested too deeply (at most %(n)d levels).", n=max_depth))
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant,
                          object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise JSONInputError(_l("The text is not valid JSON: it is not UTF-8.")) from None
    except json.JSONDecodeError as error:
        raise JSONInputError(_l("The text is not valid JSON (%(reason)s at line %(line)d, column %(column)d).",
                                reason=error.msg, line=error.lineno, column=error.colno)) from None
    except RecursionError:
        raise JSONInputError(_l("The JSON is nested too deeply (at most %(n)d levels).", n=max_depth)) \
            from None
    try:
        text.check_tree(data, single_line=single_line)
    except text.TextError as error:
        raise JSONInputError(error.message) from None
    return data


class BadJSON(BadRequest):
    """A 400 whose description is shown to the person as is (see app.py's error handler)."""

    custom_message = True


class SafeJSONProvider(DefaultJSONProvider):
    """The app's JSON: request.get_json (silent or not) answers 400 with the loader's message."""

    def loads(self, s: str | bytes, **kwargs):
        try:
            return loads(s, max_bytes=self._app.config["MAX_JSON_BYTES"],
                         single_line=text.single_line_fields())
        except JSONInputError as error:
            raise BadJSON(description=str(error.message)) from None
