"""The app-wide input checks, one mechanism per kind of input (issue 12):

- ids in paths: IdConverter, the app's `int` converter (404 for what the database cannot hold);
- form bodies: StrictRequest decodes urlencoded and multipart fields as strict UTF-8 (400 otherwise);
- text anywhere in a request: a before_request check with walks/text.py (path values, query string,
  form fields and keys, file names); JSON bodies are checked by walks/jsonload.py as they are loaded;
- numbers the database cannot store that slip through elsewhere: 400, the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, Request, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.routing import IntegerConverter

from . import text
from .extensions import db
from .web import fail

# The largest id an INTEGER primary key holds on PostgreSQL. SQLite would hold more, but both databases
# must answer the same: a larger id is a 404, never a 500 or a 400.
MAX_ID = 2**31 - 1


def parse_id(raw) -> int | None:
    """A database id from text ("12"), or None for anything else (signs, other digits, too large)."""
    raw = str(raw).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: ASCII digits only, at most MAX_ID, else the route does not match (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed=False)


class BadEncoding(BadRequest):
    custom_message = True


def _strict_utf8(value: str, name: str) -> str:
    """A field's value decoded as Latin-1 (lossless) re-decoded as strict UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        raise BadEncoding(description=str(_l("The field “%(name)s” is not valid UTF-8 text. Send the form "
                                             "from a browser or encode it as UTF-8.", name=name))) from None


class _StrictMultiPartParser(MultiPartParser):
    def get_part_charset(self, headers) -> str:
        return "latin-1"

    def parse(self, stream, boundary, content_length):
        try:
            fields, files = super().parse(stream, boundary, content_length)
        except UnicodeDecodeError:  # the part headers (field and file names) are read as strict UTF-8
            raise BadEncoding(description=str(_l("The form is not valid UTF-8 text. Send it from a browser "
                                                 "or encode it as UTF-8."))) from None
        return MultiDict([(key, _strict_utf8(value, key)) for key, value in fields.items(multi=True)]), files


class _StrictFormDataParser(FormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = _StrictMultiPartParser(stream_factory=self.stream_factory,
                                        max_form_memory_size=self.max_form_memory_size,
                                        max_form_parts=self.max_form_parts, cls=self.cls)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise BadEncoding(description=str(_l("The upload has no multipart boundary. Send it from a "
                                                 "browser or as multipart/form-data with a boundary.")))
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read()
        try:
            items = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise BadEncoding(description=str(_l("The form is not valid UTF-8 text. Send it from a browser "
                                                 "or encode it as UTF-8."))) from None
        return stream, self.cls(items), self.cls()


class StrictRequest(Request):
    form_data_parser_class = _StrictFormDataParser


BODY_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "application/json"})


def check_request_body() -> None:
    """A body comes as a form, a multipart upload or JSON; JSON is loaded (and checked) before any view."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")
    if has_body and request.mimetype not in BODY_TYPES and not request.is_json:
        fail(415, _l("Send the data as a form or as JSON (Content-Type application/json)."))
    if request.is_json:
        request.get_json()


def check_request_text() -> None:
    """Refuse NUL, lone surrogates, control characters (and line breaks in single-line fields)."""
    check_request_body()
    single_line = text.single_line_fields()
    try:
        for name, value in (request.view_args or {}).items():
            if isinstance(value, str):
                text.check_text(value, name, single_line=True)
        for source in (request.args, request.form):
            for name, value in source.items(multi=True):
                text.check_text(name, name, single_line=True)
                text.check_text(value, name, single_line=name in single_line)
        for name, storage in request.files.items(multi=True):
            text.check_text(name, name, single_line=True)
            text.check_file_name(storage.filename or "")
    except text.TextError as error:
        fail(400, error.message)


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, check_request_text)  # before CSRF reads the form

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def out_of_range(error):
        db.session.rollback()
        message = str(_l("A number or value in the request is out of range."))
        if (request.path.startswith(("/api/", "/open311/")) or request.is_json
                or request.accept_mimetypes.best == "application/json"):
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400
