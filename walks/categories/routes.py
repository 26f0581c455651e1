"""The category list: coordinators add, rename, recolour, retire and (when unused) delete."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..extensions import db
from ..models import THEMES, Category
from ..web import editor_required
from . import service
from .forms import CategoryForm

bp = Blueprint("categories", __name__, url_prefix="/categories")


def _category_or_404(category_id: int) -> Category:
    return db.get_or_404(Category, category_id)


def _render_index(form: CategoryForm, status: int = 200):
    locale = str(get_locale())
    categories = list(db.session.scalars(sa.select(Category).order_by(Category.sort_order, Category.id)))
    groups = [(theme, service.theme_name(theme, locale), [c for c in categories if c.theme == theme])
              for theme in THEMES]
    in_use = {c.id for c in categories if service.category_in_use(c)}
    return render_template("categories/index.html", groups=groups, form=form, in_use=in_use,
                           locale=locale), status


def _apply_error(form: CategoryForm, error: service.CategoryError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


@bp.get("/")
@login_required
def index():
    return _render_index(CategoryForm())


@bp.post("/")
@editor_required
def create():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = service.create_category(form.values(), _current_user())
        except service.CategoryError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Category “%(name)s” added.", name=category.name(str(get_locale()))), "success")
            return redirect(url_for("categories.index"))
    return _render_index(form, 400)


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            service.update_category(category, form.values(), _current_user())
        except service.CategoryError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Category saved."), "success")
            return redirect(url_for("categories.index"))
    status = 400 if form.errors else 200
    return render_template("categories/edit.html", form=form, category=category,
                           in_use=service.category_in_use(category)), status


@bp.post("/<int:category_id>/retire")
@editor_required
def retire(category_id: int):
    return _set_retired(category_id, True)


@bp.post("/<int:category_id>/unretire")
@editor_required
def unretire(category_id: int):
    return _set_retired(category_id, False)


def _set_retired(category_id: int, retired: bool):
    category = _category_or_404(category_id)
    if FlaskForm().validate_on_submit():
        service.set_retired(category, retired, _current_user())
        db.session.commit()
        flash(_("Category retired: it is no longer offered on walks.") if retired
              else _("Category back in use."), "success")
    return redirect(url_for("categories.index"))


@bp.post("/<int:category_id>/delete")
@editor_required
def delete(category_id: int):
    category = _category_or_404(category_id)
    if FlaskForm().validate_on_submit():
        try:
            service.delete_category(category, _current_user())
        except service.CategoryError as error:
            db.session.rollback()
            category = _category_or_404(category_id)
            return render_template("categories/edit.html", form=CategoryForm(obj=category), category=category,
                                   in_use=True, refusal=str(error.message)), 409
        db.session.commit()
        flash(_("Category deleted."), "success")
    return redirect(url_for("categories.index"))


def _current_user():
    return current_user._get_current_object()
