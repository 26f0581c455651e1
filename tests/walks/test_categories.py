"""Categories: the list by theme; add, rename, recolour, retire; delete only when unused; seed."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from walks.categories import service
from walks.categories.service import DEFAULT_CATEGORIES
from walks.extensions import db
from walks.models import AuditEvent, Category

from ..conftest import csrf_token_from

GOOD = {"name_sv": "Trasig parkbänk", "name_en": "Broken park bench", "theme": "clean", "color": "#336699",
        "icon": "🪑", "is_fault": "y"}


def count_categories() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Category))


def by_code(code: str) -> Category:
    return db.session.scalar(sa.select(Category).where(Category.code == code))


def post_new(client, data):
    page = client.get("/categories/").get_data(True)
    return client.post("/categories/", data={**data, "csrf_token": csrf_token_from(page)})


# --- service -------------------------------------------------------------------------------------

def test_create_category_makes_a_unique_code_and_an_audit_event(make):
    user = make.user()
    first = service.create_category({**GOOD, "is_fault": True}, user)
    second = service.create_category({**GOOD, "name_sv": "Trasig bänk", "name_en": "Broken park-bench!"}, user)
    assert first.code == "broken_park_bench" and second.code == "broken_park_bench_2"
    assert first.sort_order > max(c.sort_order for c in db.session.scalars(
        sa.select(Category).where(Category.code == "other")))
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_id == first.id,
                                                         AuditEvent.object_type == "Category")).user_id == user.id


@pytest.mark.parametrize("change, field", [
    ({"name_sv": ""}, "name_sv"),
    ({"name_en": "  "}, "name_en"),
    ({"name_sv": "x" * 121}, "name_sv"),
    ({"theme": "people"}, "theme"),
    ({"color": "red"}, "color"),
    ({"color": "#12345"}, "color"),
    ({"icon": ""}, "icon"),
    ({"icon": "x" * 9}, "icon"),
    ({"name_sv": "Belysning"}, "name_sv"),  # taken by a default category
    ({"name_en": "LIGHTING"}, "name_en"),
    ({"name_sv": "Hemlösa personer"}, "name_sv"),  # labels people, not a place
    ({"name_en": "Drug users"}, "name_en"),
])
def test_create_category_refuses_bad_values(make, change, field):
    before = count_categories()
    with pytest.raises(service.CategoryError) as refused:
        service.create_category({**GOOD, **change}, make.user())
    assert refused.value.field == field
    assert count_categories() == before


def test_people_labels_get_a_clear_reason(app):
    with force_locale("en"), pytest.raises(service.CategoryError, match="not groups of people"):
        service.create_category({**GOOD, "name_sv": "Tiggare vid entrén"}, None)


def test_update_rename_recolour_and_change_theme(make):
    lighting = make.category("lighting")
    service.update_category(lighting, {"name_sv": "Belysning och armaturer", "name_en": "Lighting and lamps",
                                       "theme": "access", "color": "#ABCDEF", "icon": "🔦",
                                       "is_fault": False, "has_offensive_flag": False}, None)
    assert (lighting.name_sv, lighting.theme, lighting.color, lighting.icon, lighting.is_fault) == \
        ("Belysning och armaturer", "access", "#abcdef", "🔦", False)


def test_update_may_keep_its_own_name_but_not_take_another(make):
    lighting = make.category("lighting")
    values = {"name_sv": "Belysning", "name_en": "Lighting", "theme": "safety", "color": "#c0392b",
              "icon": "💡", "is_fault": True}
    service.update_category(lighting, values, None)
    with pytest.raises(service.CategoryError):
        service.update_category(lighting, {**values, "name_sv": "Övrigt"}, None)


def test_retire_and_unretire(make):
    litter = make.category("litter")
    service.set_retired(litter, True, None)
    assert litter not in service.active_categories()
    service.set_retired(litter, False, None)
    assert litter in service.active_categories()


def test_delete_only_when_not_in_use(make):
    used = make.category("graffiti")
    make.observation(category=used)
    with pytest.raises(service.CategoryError):
        service.delete_category(used, None)
    assert by_code("graffiti") is not None
    unused = service.create_category({**GOOD, "is_fault": True}, None)
    service.delete_category(unused, None)
    assert by_code("broken_park_bench") is None


# --- HTTP ----------------------------------------------------------------------------------------

def test_index_lists_categories_by_theme_for_any_logged_in_user(client, login, make):
    assert client.get("/categories/").status_code == 302
    login(make.user(role="viewer", password="viewer password"), password="viewer password")
    page = client.get("/categories/").get_data(True)
    for theme in ("Trygghet", "Rent och snyggt", "Tillgänglighet och framkomlighet", "Positivt"):
        assert theme in page
    assert "Växtlighet skymmer sikt" in page
    assert 'action="/categories/"' not in page  # a viewer gets no form


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_only_admins_change_categories(client, login, make, role):
    login(make.user(role=role, areas=[make.area()], password="viewer password"), password="viewer password")
    assert 'action="/categories/"' not in client.get("/categories/").get_data(True)
    assert post_new(client, GOOD).status_code == 403
    lighting = make.category("lighting")
    page = client.get("/categories/").get_data(True)
    token = csrf_token_from(page)
    for action, data in (("retire", {}), ("delete", {}), ("edit", {**GOOD})):
        response = client.post(f"/categories/{lighting.id}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 403, action
    assert client.get(f"/categories/{lighting.id}/edit").status_code == 403
    db.session.expire_all()
    assert not by_code("lighting").retired and by_code("lighting").name_sv == "Belysning"


def test_admin_adds_edits_retires_and_deletes(client, login):
    login()
    response = post_new(client, GOOD)
    assert response.status_code == 302
    created = by_code("broken_park_bench")
    assert created.theme == "clean" and created.is_fault
    page = client.get(f"/categories/{created.id}/edit").get_data(True)
    response = client.post(f"/categories/{created.id}/edit", data={
        **GOOD, "name_sv": "Trasig soffa", "color": "#aa0000", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert by_code("broken_park_bench").name_sv == "Trasig soffa"
    token = csrf_token_from(page)
    assert client.post(f"/categories/{created.id}/retire", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert by_code("broken_park_bench").retired
    assert "Bring back" in client.get("/categories/", headers={"Cookie": "lang=en"}).get_data(True) or \
        "Ta tillbaka" in client.get("/categories/").get_data(True)
    assert client.post(f"/categories/{created.id}/unretire", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/categories/{created.id}/delete", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert by_code("broken_park_bench") is None


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(client, login):
    login()
    client.set_cookie("lang", "en")
    before = count_categories()
    response = post_new(client, {**GOOD, "color": "#zzzzzz"})
    assert response.status_code == 400
    assert 'id="color-error"' in response.get_data(True)
    assert count_categories() == before


def test_deleting_a_category_in_use_is_refused_with_a_message(client, login, make):
    login()
    graffiti = make.category("graffiti")
    make.observation(category=graffiti)
    db.session.commit()
    client.set_cookie("lang", "en")
    page = client.get("/categories/").get_data(True)
    response = client.post(f"/categories/{graffiti.id}/delete", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 409
    assert response.get_data(True).count("is in use and cannot be deleted") == 1
    assert by_code("graffiti") is not None


def test_unknown_category_is_404(client, login):
    login()
    assert client.get("/categories/9999/edit").status_code == 404


def test_missing_csrf_token_is_refused(client, login):
    login()
    before = count_categories()
    response = client.post("/categories/", data=GOOD)
    assert response.status_code == 400
    assert count_categories() == before


# --- CLI -----------------------------------------------------------------------------------------

def test_seed_command_is_idempotent(runner):
    db.session.execute(sa.delete(Category))
    db.session.commit()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and str(len(DEFAULT_CATEGORIES)) in first.output
    assert count_categories() == len(DEFAULT_CATEGORIES)
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    assert count_categories() == len(DEFAULT_CATEGORIES)


def test_default_categories_never_label_people():
    for row in DEFAULT_CATEGORIES:
        for name in row[1:3]:
            assert not service.labels_people(name), name


@pytest.mark.parametrize("name, labels", [
    ("Gängbråk vid torget", True), ("Hemlösa", True), ("Homeless camp", True), ("Tiggeri", True),
    ("Tillgänglighet (rullstol, barnvagn)", False), ("Övergångsställe", False), ("Trasig belysning", False),
])
def test_labels_people(name, labels):
    assert service.labels_people(name) is labels


# --- names in the walker languages ---------------------------------------------------------------

def test_name_in_each_language_falls_back_to_swedish(make):
    lighting = by_code("lighting")
    assert lighting.name("ar") == "الإضاءة" and lighting.name("fi") == "Valaistus"
    assert lighting.name("en_GB") == "Lighting" and lighting.name("sv") == "Belysning"
    assert lighting.name("xx") == "Belysning"
    lighting.names = {}
    assert lighting.name("ar") == "Belysning"


def test_seed_fills_missing_translations_but_keeps_a_coordinators_names(runner):
    lighting = by_code("lighting")
    lighting.names = {"fi": "Katuvalot"}
    by_code("litter").names = None
    db.session.commit()
    assert runner.invoke(args=["seed"]).exit_code == 0
    db.session.expire_all()
    assert by_code("lighting").names["fi"] == "Katuvalot" and by_code("lighting").names["ar"] == "الإضاءة"
    assert by_code("litter").name("so") == "Qashin iyo nadaafad"


def test_coordinator_edits_the_names_in_the_walker_languages(client, login):
    login()
    lighting = by_code("lighting")
    page = client.get(f"/categories/{lighting.id}/edit").get_data(True)
    assert 'value="الإضاءة"' in page and 'lang="ar"' in page and 'dir="rtl"' in page
    response = client.post(f"/categories/{lighting.id}/edit", data={
        "name_sv": "Belysning", "name_en": "Lighting", "theme": "safety", "color": "#c0392b", "icon": "💡",
        "is_fault": "y", "name_ar": "  إنارة الشارع ", "name_so": "", "name_ti": "መብራህቲ", "name_fa": "روشنایی",
        "name_fi": "Valaistus", "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    db.session.expire_all()
    names = by_code("lighting").names
    assert names["ar"] == "إنارة الشارع" and "so" not in names and by_code("lighting").name("so") == "Belysning"


@pytest.mark.parametrize("field, value", [("name_fa", "x" * 121), ("name_fi", "Homeless camp")])
def test_bad_names_in_a_walker_language_are_refused(client, login, field, value):
    login()
    lighting = by_code("lighting")
    before = dict(lighting.names)
    page = client.get(f"/categories/{lighting.id}/edit").get_data(True)
    response = client.post(f"/categories/{lighting.id}/edit", data={
        "name_sv": "Belysning", "name_en": "Lighting", "theme": "safety", "color": "#c0392b", "icon": "💡",
        field: value, "csrf_token": csrf_token_from(page)})
    assert response.status_code == 400 and f'id="{field}-error"' in response.get_data(True)
    db.session.expire_all()
    assert by_code("lighting").names == before


def test_a_new_category_can_get_names_in_the_walker_languages(client, login):
    login()
    assert post_new(client, {**GOOD, "name_fa": "نیمکت شکسته"}).status_code == 302
    created = by_code("broken_park_bench")
    assert created.name("fa") == "نیمکت شکسته" and created.name("ar") == "Trasig parkbänk"
