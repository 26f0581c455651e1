"""The authorization table (issue 13, "Tests"): every rule of `app.url_map` × seven kinds of visitor →
the status the access rule (DESIGN.md, "Access"; walks/access.py) says they get.

Columns: anonymous, a walker of this walk, a walker of another walk, a viewer of this area, a coordinator
of another area, a coordinator of this area, an admin. Values:
- a number: exactly that status;
- L: sent to log in (302 to /login, or 401);
- J: sent to the walk's join page (302 to /j/<code>);
- OK: let through (2xx, 302 elsewhere, or 400/409 for the empty or conflicting form every write here
  sends: the access check passed, the form did not).
Writes carry a valid CSRF token, so a refusal is about access, not about the token. A route missing from
the table fails `test_every_rule_is_in_the_table`, so a new route has to say who may use it.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import pytest

from walks.extensions import db

from .authz_world import ROLES, World
from .conftest import TEST_DATABASE_URL, _make_app, database_uri

L, J, OK = "L", "J", "OK"


# (method, rule, URL in the world, expected for: anonymous, walker, other_walker, viewer, stranger,
#  coordinator, admin)
TABLE = [
    # --- the app ----------------------------------------------------------------------------------------
    ("GET", "/", "/", (200, 200, 200, 302, 302, 302, 302)),
    ("GET", "/healthz", "/healthz", (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/static/<path:filename>", "/static/css/app.css", (200, 200, 200, 200, 200, 200, 200)),
    ("POST", "/language/<code>", "/language/en", (OK, OK, OK, OK, OK, OK, OK)),
    ("GET", "/login", "/login", (200, 200, 200, 302, 302, 302, 302)),
    ("POST", "/login", "/login", (OK, OK, OK, OK, OK, OK, OK)),
    ("POST", "/logout", "/logout", (OK, OK, OK, OK, OK, OK, OK)),
    ("POST", "/language", "/language", (OK, OK, OK, OK, OK, OK, OK)),
    ("GET", "/privacy", "/privacy", (200, 200, 200, 200, 200, 200, 200)),
    # --- admins only: everyone else is told the page does not exist -------------------------------------
    ("GET", "/admin/users", "/admin/users", (404, 404, 404, 404, 404, 404, 200)),
    ("POST", "/admin/users", "/admin/users", (404, 404, 404, 404, 404, 404, OK)),
    ("GET", "/admin/users/<int:user_id>", "/admin/users/{user}", (404, 404, 404, 404, 404, 404, 200)),
    ("POST", "/admin/users/<int:user_id>", "/admin/users/{user}", (404, 404, 404, 404, 404, 404, OK)),
    ("POST", "/admin/users/<int:user_id>/activate", "/admin/users/{user}/activate",
     (404, 404, 404, 404, 404, 404, OK)),
    ("POST", "/admin/users/<int:user_id>/deactivate", "/admin/users/{user}/deactivate",
     (404, 404, 404, 404, 404, 404, OK)),
    ("POST", "/admin/users/<int:user_id>/password-link", "/admin/users/{user}/password-link",
     (404, 404, 404, 404, 404, 404, OK)),
    ("GET", "/admin/audit", "/admin/audit", (404, 404, 404, 404, 404, 404, 200)),
    # a password link that was never made works for nobody
    ("GET", "/password/<token>", "/password/not-a-link", (404, 404, 404, 404, 404, 404, 404)),
    ("POST", "/password/<token>", "/password/not-a-link", (404, 404, 404, 404, 404, 404, 404)),
    # --- areas and walks --------------------------------------------------------------------------------
    ("GET", "/areas", "/areas", (L, L, L, 200, 200, 200, 200)),
    ("GET", "/areas/new", "/areas/new", (L, L, L, 403, 200, 200, 200)),
    ("POST", "/areas/new", "/areas/new", (L, L, L, 403, OK, OK, OK)),
    ("GET", "/areas/<int:area_id>", "/areas/{area}", (L, L, L, 200, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/routing/open311", "/areas/{area}/routing/open311", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/edit", "/areas/{area}/edit", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/edit", "/areas/{area}/edit", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/walks/new", "/areas/{area}/walks/new", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/walks/new", "/areas/{area}/walks/new", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/walks/<int:walk_id>/edit", "/walks/{walk}/edit", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/walks/<int:walk_id>/edit", "/walks/{walk}/edit", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/walks/<int:walk_id>/manage", "/walks/{walk}/manage", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>/poster", "/walks/{walk}/poster", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>/qr.png", "/walks/{walk}/qr.png", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>/qr.svg", "/walks/{walk}/qr.svg", (L, L, L, 200, 404, 200, 200)),
    ("POST", "/walks/<int:walk_id>/status/<status>", "/walks/{walk}/status/closed",
     (L, L, L, 403, 404, OK, OK)),
    # --- walkers: pages and API -------------------------------------------------------------------------
    ("GET", "/join", "/join", (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/j/<code>", "/j/{code}", (200, 302, 200, 200, 200, 200, 200)),
    ("POST", "/j/<code>", "/j/{code}", (OK, OK, OK, OK, OK, OK, OK)),
    ("GET", "/j/<code>/capture", "/j/{code}/capture", (J, 200, J, J, J, J, J)),
    ("GET", "/j/<code>/mine", "/j/{code}/mine", (J, 200, J, J, J, J, J)),
    ("GET", "/j/<code>/mine/<uuid>/edit", "/j/{code}/mine/{uuid}/edit", (404, 200, 404, 404, 404, 404, 404)),
    ("POST", "/j/<code>/mine/<uuid>/edit", "/j/{code}/mine/{uuid}/edit", (404, OK, 404, 404, 404, 404, 404)),
    ("POST", "/j/<code>/mine/<uuid>/delete", "/j/{code}/mine/{uuid}/delete",
     (404, OK, 404, 404, 404, 404, 404)),
    ("POST", "/api/walks/<code>/observations", "/api/walks/{code}/observations",
     (403, OK, 403, 403, 403, 403, 403)),
    ("GET", "/api/walks/<code>/points", "/api/walks/{code}/points", (403, 200, 403, 403, 403, 403, 403)),
    ("POST", "/api/walks/<code>/track", "/api/walks/{code}/track", (403, OK, 403, 403, 403, 403, 403)),
    ("GET", "/api/walks/<code>/nearby", "/api/walks/{code}/nearby?lat=57.7215&lon=11.9525",
     (403, 200, 403, 403, 403, 403, 403)),
    ("PATCH", "/api/observations/<uuid>", "/api/observations/{uuid}", (404, OK, 404, 404, 404, 404, 404)),
    ("DELETE", "/api/observations/<uuid>", "/api/observations/{uuid}", (404, OK, 404, 404, 404, 404, 404)),
    ("POST", "/api/observations/<uuid>/photos", "/api/observations/{uuid}/photos",
     (404, OK, 404, 404, 404, 404, 404)),
    ("GET", "/photos/<filename>", "/photos/{photo}", (404, 200, 404, 200, 404, 200, 200)),
    ("GET", "/photos/signed/<token>", "/photos/signed/{photo_token}", (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/sw.js", "/sw.js", (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/j/<code>/my-data", "/j/{code}/my-data", (403, 200, 403, 403, 403, 403, 403)),
    ("GET", "/j/<code>/my-data.<fmt>", "/j/{code}/my-data.json", (403, 200, 403, 403, 403, 403, 403)),
    ("POST", "/j/<code>/my-data/delete", "/j/{code}/my-data/delete", (403, OK, 403, 403, 403, 403, 403)),
    ("GET", "/walks/<int:walk_id>/participants", "/walks/{walk}/participants", (L, L, L, 403, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>/participants/<int:participant_id>/data.<fmt>",
     "/walks/{walk}/participants/{participant}/data.json", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/walks/<int:walk_id>/participants/<int:participant_id>/erase",
     "/walks/{walk}/participants/{participant}/erase", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/j/<code>/updates", "/j/{code}/updates", (403, OK, 403, 403, 403, 403, 403)),
    ("POST", "/j/<code>/updates/stop", "/j/{code}/updates/stop", (403, OK, 403, 403, 403, 403, 403)),
    ("POST", "/j/<code>/questions/<int:question_id>", "/j/{code}/questions/999999",
     (403, 404, 403, 403, 403, 403, 403)),
    # links by mail: a forged one works for nobody
    ("GET", "/updates/verify/<token>", "/updates/verify/forged", (404, 404, 404, 404, 404, 404, 404)),
    ("GET", "/fixed/<token>", "/fixed/forged", (404, 404, 404, 404, 404, 404, 404)),
    ("POST", "/fixed/<token>", "/fixed/forged", (404, 404, 404, 404, 404, 404, 404)),
    # --- public pages: anyone once published; before that, staff of the area only -----------------------
    ("GET", "/p/walks/<int:walk_id>", "/p/walks/{walk}", (404, 404, 404, 200, 404, 200, 200)),
    ("GET", "/p/walks/<int:walk_id>.json", "/p/walks/{walk}.json", (404, 404, 404, 200, 404, 200, 200)),
    ("GET", "/p/walks/<int:walk_id>/qr.svg", "/p/walks/{walk}/qr.svg", (404, 404, 404, 200, 404, 200, 200)),
    ("GET", "/p/areas/<int:area_id>", "/p/areas/{area}", (404, 404, 404, 200, 404, 200, 200)),
    ("GET", "/p/areas/<int:area_id>.json", "/p/areas/{area}.json", (404, 404, 404, 200, 404, 200, 200)),
    ("POST", "/walks/<int:walk_id>/public/<action>", "/walks/{walk}/public/publish", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/areas/<int:area_id>/public/<action>", "/areas/{area}/public/publish", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/photos/<int:photo_id>/public/<action>", "/photos/{photo_id}/public/publish",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/items/<int:item_id>/closed-not-fixed", "/reports/items/{item}/closed-not-fixed",
     (L, L, L, 403, 404, OK, OK)),
    # --- categories: everyone logged in reads, admins change ---------------------------------------------
    ("GET", "/categories/", "/categories/", (L, L, L, 200, 200, 200, 200)),
    ("POST", "/categories/", "/categories/", (L, L, L, 403, 403, 403, OK)),
    ("GET", "/categories/<int:category_id>/edit", "/categories/{category}/edit", (L, L, L, 403, 403, 403, 200)),
    ("POST", "/categories/<int:category_id>/edit", "/categories/{category}/edit", (L, L, L, 403, 403, 403, OK)),
    ("POST", "/categories/<int:category_id>/retire", "/categories/{category}/retire",
     (L, L, L, 403, 403, 403, OK)),
    ("POST", "/categories/<int:category_id>/unretire", "/categories/{category}/unretire",
     (L, L, L, 403, 403, 403, OK)),
    ("POST", "/categories/<int:category_id>/delete", "/categories/{category}/delete",
     (L, L, L, 403, 403, 403, OK)),
    # --- review -----------------------------------------------------------------------------------------
    ("GET", "/walks/<int:walk_id>/observations", "/walks/{walk}/observations", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/observations/<int:observation_id>", "/observations/{observation}", (L, L, L, 200, 404, 200, 200)),
    ("POST", "/observations/<int:observation_id>/edit", "/observations/{observation}/edit",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/observations/<int:observation_id>/hide", "/observations/{observation}/hide",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/observations/<int:observation_id>/unhide", "/observations/{observation}/unhide",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/observations/<int:observation_id>/merge", "/observations/{observation}/merge",
     (L, L, L, 403, 404, OK, OK)),
    # --- exports and maps -------------------------------------------------------------------------------
    ("GET", "/walks/<int:walk_id>.csv", "/walks/{walk}.csv", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>.geojson", "/walks/{walk}.geojson", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>.csv", "/areas/{area}.csv", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>.geojson", "/areas/{area}.geojson", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/maps", "/maps", (L, L, L, 200, 200, 200, 200)),
    ("GET", "/areas/<int:area_id>/map", "/areas/{area}/map", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>/map", "/walks/{walk}/map", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>.kml", "/walks/{walk}.kml", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/walks/<int:walk_id>.gpx", "/walks/{walk}.gpx", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/maps/observations/<int:observation_id>.json", "/maps/observations/{observation}.json",
     (L, L, L, 200, 404, 200, 200)),
    ("GET", "/maps/assets/leaflet/<path:filename>", "/maps/assets/leaflet/leaflet.js",
     (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/maps/assets/markercluster/<path:filename>", "/maps/assets/markercluster/leaflet.markercluster.js",
     (200, 200, 200, 200, 200, 200, 200)),
    # --- fault reports and routing ----------------------------------------------------------------------
    ("GET", "/areas/<int:area_id>/routing", "/areas/{area}/routing", (L, L, L, 200, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/routing", "/areas/{area}/routing", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/mail-sender", "/areas/{area}/mail-sender", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/mail-sender", "/areas/{area}/mail-sender", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/routing/<int:rule_id>", "/areas/{area}/routing/{rule}",
     (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/routing/<int:rule_id>", "/areas/{area}/routing/{rule}",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/areas/<int:area_id>/routing/<int:rule_id>/delete", "/areas/{area}/routing/{rule}/delete",
     (L, L, L, 403, 404, OK, OK)),
    ("GET", "/reports", "/reports", (L, L, L, 200, 200, 200, 200)),
    ("POST", "/walks/<int:walk_id>/reports", "/walks/{walk}/reports", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/reports/<int:report_id>", "/reports/{report}", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>.csv", "/reports/{report}.csv", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>.pdf", "/reports/{report}.pdf", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>.xlsx", "/reports/{report}.xlsx", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>/print", "/reports/{report}/print", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>/items/<int:item_id>/map.png", "/reports/{report}/items/{item}/map.png",
     (L, L, L, 200, 404, 200, 200)),
    ("GET", "/reports/<int:report_id>/photos/<filename>", "/reports/{report}/photos/{reported_photo}",
     (404, 404, 404, 200, 404, 200, 200)),
    ("POST", "/reports/<int:report_id>/cover", "/reports/{report}/cover", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/delete", "/reports/{report}/delete", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/external-ref", "/reports/{report}/external-ref",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/items/<int:item_id>/address", "/reports/{report}/items/{item}/address",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/items/<int:item_id>/move", "/reports/{report}/items/{item}/move",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/items/<int:item_id>/remove", "/reports/{report}/items/{item}/remove",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/items/<int:item_id>/status", "/reports/{report}/items/{item}/status",
     (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/send", "/reports/{report}/send", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/reports/<int:report_id>/status", "/reports/{report}/status", (L, L, L, 403, 404, OK, OK)),
    # --- Open311: public API; nothing a walker wrote is public unless the area publishes it --------------
    ("GET", "/open311/v2/discovery.<any(json, xml):fmt>", "/open311/v2/discovery.json",
     (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/open311/v2/services.<any(json, xml):fmt>", "/open311/v2/services.json",
     (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/open311/v2/services/<code>.<any(json, xml):fmt>", "/open311/v2/services/lighting.json",
     (200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/open311/v2/requests.<any(json, xml):fmt>", "/open311/v2/requests.json",
     (200, 200, 200, 200, 200, 200, 200)),
    ("POST", "/open311/v2/requests.<any(json, xml):fmt>", "/open311/v2/requests.json",
     (403, 403, 403, 403, 403, 403, 403)),
    ("GET", "/open311/v2/requests/<request_id>.<any(json, xml):fmt>", "/open311/v2/requests/{reported}.json",
     (404, 404, 404, 404, 404, 404, 404)),
    ("GET", "/open311/v2/tokens/<token>.<any(json, xml):fmt>", "/open311/v2/tokens/no-such-token.json",
     (404, 404, 404, 404, 404, 404, 404)),
    *[(method, rule, url, (404, 404, 404, 404, 404, 404, 404))
      for rule, url in (("/open311/", "/open311/"), ("/open311/<path:rest>", "/open311/v2/nothing.json"))
      for method in ("GET", "POST", "PUT", "PATCH", "DELETE")],
    # --- actors and contacts: visible where the actor takes part in one of the user's areas --------------
    ("GET", "/actors", "/actors", (L, L, L, 200, 200, 200, 200)),
    ("GET", "/actors/new", "/actors/new", (L, L, L, 403, 200, 200, 200)),
    ("POST", "/actors/new", "/actors/new", (L, L, L, 403, OK, OK, OK)),
    ("GET", "/actors/<int:org_id>", "/actors/{organization}", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/actors/<int:org_id>/edit", "/actors/{organization}/edit", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/actors/<int:org_id>/edit", "/actors/{organization}/edit", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/actors/<int:org_id>/delete", "/actors/{organization}/delete", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/actors/<int:org_id>/contacts/new", "/actors/{organization}/contacts/new",
     (L, L, L, 403, 404, 200, 200)),
    ("POST", "/actors/<int:org_id>/contacts/new", "/actors/{organization}/contacts/new",
     (L, L, L, 403, 404, OK, OK)),
    ("GET", "/actors/<int:org_id>/contacts/<int:contact_id>/edit",
     "/actors/{organization}/contacts/{contact}/edit", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/actors/<int:org_id>/contacts/<int:contact_id>/edit",
     "/actors/{organization}/contacts/{contact}/edit", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/actors/<int:org_id>/contacts/<int:contact_id>/delete",
     "/actors/{organization}/contacts/{contact}/delete", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/contacts", "/areas/{area}/contacts", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/contacts.csv", "/areas/{area}/contacts.csv", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/contacts.vcf", "/areas/{area}/contacts.vcf", (L, L, L, 200, 404, 200, 200)),
    # --- the action plan and follow-up meetings ---------------------------------------------------------
    ("GET", "/actions", "/actions", (L, L, L, 200, 200, 200, 200)),
    ("GET", "/areas/<int:area_id>/actions", "/areas/{area}/actions", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/actions.csv", "/areas/{area}/actions.csv", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/actions.xlsx", "/areas/{area}/actions.xlsx", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/actions/new", "/areas/{area}/actions/new", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/actions/new", "/areas/{area}/actions/new", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/areas/<int:area_id>/actions/from-observations", "/areas/{area}/actions/from-observations",
     (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/actions/import", "/areas/{area}/actions/import", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/actions/import", "/areas/{area}/actions/import", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/actions/<int:action_id>", "/actions/{action}", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/actions/<int:action_id>/edit", "/actions/{action}/edit", (L, L, L, 403, 404, 200, 200)),
    ("POST", "/actions/<int:action_id>/edit", "/actions/{action}/edit", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/actions/<int:action_id>/comment", "/actions/{action}/comment", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/actions/<int:action_id>/status", "/actions/{action}/status", (L, L, L, 403, 404, OK, OK)),
    ("POST", "/actions/<int:action_id>/observations/<int:observation_id>/unlink",
     "/actions/{action}/observations/{reported}/unlink", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/areas/<int:area_id>/meeting", "/areas/{area}/meeting", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/meeting/agenda", "/areas/{area}/meeting/agenda", (L, L, L, 200, 404, 200, 200)),
    ("POST", "/areas/<int:area_id>/meetings", "/areas/{area}/meetings", (L, L, L, 403, 404, OK, OK)),
    ("GET", "/meetings/<int:meeting_id>", "/meetings/{meeting}", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/dashboard", "/areas/{area}/dashboard", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/dashboard.json", "/areas/{area}/dashboard.json", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/compare", "/areas/{area}/compare", (L, L, L, 200, 404, 200, 200)),
    ("GET", "/areas/<int:area_id>/compare.json", "/areas/{area}/compare.json", (L, L, L, 200, 404, 200, 200)),
]

DENIED = {L, J, 401, 403, 404}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app and one world for the whole table; rebuilt only after a write that was let through."""
    folder = tmp_path_factory.mktemp("authz")
    app = _make_app(folder, database_uri(folder))
    with app.app_context():
        if TEST_DATABASE_URL:
            db.drop_all()
        db.create_all()
    built = World(app)
    built.build()
    yield built
    with app.app_context():
        db.session.remove()
        if TEST_DATABASE_URL:
            db.drop_all()
        db.engine.dispose()


def _endpoints(app) -> dict[tuple[str, str], str]:
    return {(method, rule.rule): rule.endpoint for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_rule_is_in_the_table(world):
    rules = _endpoints(world.app)
    table = [(method, rule) for method, rule, _url, _expected in TABLE]
    assert len(table) == len(set(table)), "a rule is in the table twice"
    assert not set(rules) - set(table), f"routes missing from the table: {sorted(set(rules) - set(table))}"
    assert not set(table) - set(rules), f"rows for routes that do not exist: {sorted(set(table) - set(rules))}"


def _send(client, method: str, url: str, token: str):
    headers = {"X-CSRFToken": token}
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token}, headers=headers)


def _outcome(response, code: str):
    """The status as the table writes it: L and J for the two redirects that refuse."""
    location = response.headers.get("Location", "")
    if response.status_code in (302, 303) and location.startswith("/login"):
        return L
    if response.status_code in (302, 303) and location.rstrip("/") == f"/j/{code}":
        return J
    if response.status_code == 401:
        return L
    return response.status_code


def _matches(expected, outcome) -> bool:
    if expected == OK:
        return outcome not in DENIED and outcome in (200, 201, 204, 302, 303, 400, 409)
    return outcome == expected


CASES = [pytest.param(method, rule, url, role, expected, id=f"{method} {rule} as {role}")
         for method, rule, url, row in TABLE for role, expected in zip(ROLES, row)]


@pytest.mark.parametrize("method, rule, url, role, expected", CASES)
def test_access(world, method, rule, url, role, expected):
    endpoint = _endpoints(world.app).get((method, rule))
    client = world.client(role)
    with _send(client, method, world.url(url), world.csrf[role]) as response:
        outcome = _outcome(response, world.ids["code"])
        body = response.get_data(True)[:300] if outcome != expected else ""
    if method != "GET" and outcome not in DENIED and outcome < 400:
        world.reset()  # a write went through: later rows expect the world as it was built
    assert _matches(expected, outcome), f"{method} {url} as {role}: expected {expected}, got {outcome}\n{body}"
