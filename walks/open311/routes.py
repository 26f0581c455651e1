"""The Open311 GeoReport v2 endpoints under /open311/v2/, each as .json and .xml.

Errors are answered in the spec's form (a list of {code, description}) by this blueprint's own
handlers and by a catch-all rule for unknown paths under /open311/.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, json, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..extensions import csrf, db
from ..web import save
from . import service
from .service import Open311Error

bp = Blueprint("open311", __name__, url_prefix="/open311")
csrf.exempt(bp)

FORMAT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+00:00"
LIST_CHILDREN = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _locale() -> str:
    return str(get_locale() or "sv")


# --- rendering --------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, data: dict) -> None:
    for key, value in data.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            for entry in value:
                grandchild = ET.SubElement(child, LIST_CHILDREN.get(key, "item"))
                if isinstance(entry, dict):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        elif isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = _text(value)


def render(fmt: str, data, root: str, item: str | None = None, status: int = 200) -> Response:
    """JSON as is; XML as <root><item>…</item></root> for lists or <root>…</root> for one object."""
    if fmt == "json":
        return Response(json.dumps(data, ensure_ascii=False), status=status,
                        mimetype="application/json")
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, data)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return Response(body, status=status, mimetype="text/xml")


def error_response(status: int, description: str, fmt: str | None = None) -> Response:
    fmt = fmt or ("xml" if request.path.endswith(".xml") else "json")
    db.session.rollback()
    return render(fmt, [{"code": status, "description": description}], "errors", "error", status)


@bp.errorhandler(Open311Error)
def open311_error(error: Open311Error):
    return error_response(error.status, str(error.message))


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """404 and 403 keep their code; the spec answers everything else with 400."""
    status = error.code if error.code in (403, 404) else 400
    return error_response(status, error.description or error.name)


# --- endpoints --------------------------------------------------------------------------------------

@bp.get(f"/v2/discovery.{FORMAT}")
def discovery(fmt: str):
    data = {"changeset": CHANGESET, "contact": current_app.config["MAIL_SENDER"],
            "key_service": "flask --app app api-key create NAME",
            "endpoints": [{"specification": SPECIFICATION,
                           "url": url_for("open311.discovery", fmt=fmt, _external=True).rsplit("/", 1)[0],
                           "changeset": CHANGESET, "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return render(fmt, data, "discovery")


@bp.get(f"/v2/services.{FORMAT}")
def services(fmt: str):
    return render(fmt, [service.service_dict(c, _locale()) for c in service.services()], "services", "service")


@bp.get(f"/v2/services/<code>.{FORMAT}")
def service_definition(code: str, fmt: str):
    category = service.find_service(code)
    if category is None:
        raise Open311Error(_("service_code %(code)s is not a known service.", code=code), status=404)
    return render(fmt, service.service_definition(category), "service_definition")


@bp.get(f"/v2/requests.{FORMAT}")
def requests_list(fmt: str):
    found = service.search_requests(request.args, service.optional_api_key(request.args.get("api_key")))
    return render(fmt, [service.request_dict(o, _locale()) for o in found], "service_requests", "request")


@bp.post(f"/v2/requests.{FORMAT}")
def requests_create(fmt: str):
    observation = save(lambda: service.create_request(request.form)).value
    return render(fmt, [{"service_request_id": str(observation.id), "service_notice": "",
                         "account_id": None}], "service_requests", "request")


@bp.get(f"/v2/requests/<request_id>.{FORMAT}")
def request_detail(request_id: str, fmt: str):
    observation = service.find_request(request_id, service.optional_api_key(request.args.get("api_key")))
    return render(fmt, [service.request_dict(observation, _locale())], "service_requests", "request")


@bp.get(f"/v2/tokens/<token>.{FORMAT}")
def token(token: str, fmt: str):
    observation = service.find_token(token, service.optional_api_key(request.args.get("api_key")))
    return render(fmt, [{"service_request_id": str(observation.id), "token": token}],
                  "service_requests", "request")


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@bp.route("/", defaults={"rest": ""}, methods=ALL_METHODS)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str):
    """Paths no other rule takes: an unknown resource (404), or a known one with the wrong method (400)."""
    adapter = current_app.url_map.bind("localhost")
    for method in ("GET", "POST"):
        if method == request.method:
            continue
        try:
            endpoint, _values = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed, HTTPException):
            continue
        if endpoint != "open311.unknown":
            return error_response(400, _("%(method)s is not allowed here; use %(allowed)s.",
                                         method=request.method, allowed=method))
    return error_response(404, _("There is no resource at %(path)s.", path=request.path))
