"""The category list: everyone logged in reads it; admins add, rename, recolour, retire and (when unused)
delete (DESIGN.md, "Access": categories are app-wide, not an area's)."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..extensions import db
from ..models import THEMES, Category
from ..web import ButtonForm, fail, save
from . import service
from .forms import CategoryForm

bp = Blueprint("categories", __name__, url_prefix="/categories")


def admin_only(view):
    """Changing the categories changes every area's walks: admins only."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not access.is_admin(current_user):
            fail(403, _("Only an administrator can change the categories."))
        return view(*args, **kwargs)
    return wrapped


def _category_or_404(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        fail(404, _("That category was not found."))
    return category


def _render_index(form: CategoryForm, status: int = 200):
    locale = str(get_locale())
    categories = list(db.session.scalars(sa.select(Category).order_by(Category.sort_order, Category.id)))
    groups = [(theme, service.theme_name(theme, locale), [c for c in categories if c.theme == theme])
              for theme in THEMES]
    in_use = {c.id for c in categories if service.category_in_use(c)}
    return render_template("categories/index.html", groups=groups, form=form, in_use=in_use,
                           locale=locale, editable=access.is_admin(current_user)), status


@bp.get("/")
@login_required
def index():
    return _render_index(CategoryForm())


@bp.post("/")
@admin_only
def create():
    form = CategoryForm()
    if form.validate_on_submit():
        saved = save(lambda: service.create_category(form.values(), _current_user()), form)
        if saved:
            flash(_("Category “%(name)s” added.", name=saved.value.name(str(get_locale()))), "success")
            return redirect(url_for("categories.index"))
    return _render_index(form, 400)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@admin_only
def edit(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit() and save(lambda: service.update_category(category, form.values(), _current_user()),
                                          form):
        flash(_("Category saved."), "success")
        return redirect(url_for("categories.index"))
    status = 400 if form.errors else 200
    return render_template("categories/edit.html", form=form, category=category,
                           in_use=service.category_in_use(category)), status


@bp.post("/<int:category_id>/retire")
@admin_only
def retire(category_id: int):
    return _set_retired(category_id, True)


@bp.post("/<int:category_id>/unretire")
@admin_only
def unretire(category_id: int):
    return _set_retired(category_id, False)


def _set_retired(category_id: int, retired: bool):
    category = _category_or_404(category_id)
    if ButtonForm().validate_on_submit() and save(lambda: service.set_retired(category, retired, _current_user())):
        flash(_("Category retired: it is no longer offered on walks.") if retired
              else _("Category back in use."), "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/delete")
@admin_only
def delete(category_id: int):
    category = _category_or_404(category_id)
    form = ButtonForm()
    if form.validate_on_submit():
        if save(lambda: service.delete_category(category, _current_user()), form):
            flash(_("Category deleted."), "success")
        else:
            # The refusal was flashed by save(): it shows above the form.
            return render_template("categories/edit.html", form=CategoryForm(obj=category), category=category,
                                   in_use=True), 409
    return redirect(url_for("categories.index"))


def _current_user():
    return current_user._get_current_object()
