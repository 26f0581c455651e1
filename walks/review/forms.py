"""Coordinator review forms (Flask-WTF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class EditForm(FlaskForm):
    category = SelectField(_l("Category"), validators=[InputRequired()])
    text = TextAreaField(_l("Text"), validators=[Optional(), Length(max=2000)])
    lat = FloatField(_l("Latitude (WGS84)"), validators=[InputRequired(message=_l("Give a latitude."))])
    lon = FloatField(_l("Longitude (WGS84)"), validators=[InputRequired(message=_l("Give a longitude."))])


class HideForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])


class MergeForm(FlaskForm):
    other = RadioField(_l("Duplicate to merge into this one"), coerce=int,
                       validators=[InputRequired(message=_l("Choose the duplicate."))])
