from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional

from ..models import ORGANIZATION_KINDS, REPORT_CHANNELS
from .service import CHANNEL_LABELS, KIND_LABELS


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of actor"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in ORGANIZATION_KINDS])
    area_ids = CheckboxListField(_l("Areas it takes part in"), coerce=int, validate_choice=False)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    report_channel = SelectField(_l("How fault reports are sent"),
                                 choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in REPORT_CHANNELS])
    report_email = StringField(_l("E-mail for fault reports"), validators=[Optional(), Length(max=254)],
                               render_kw={"type": "email", "autocomplete": "off"})
    open311_base_url = StringField(_l("Open311 endpoint"), validators=[Optional(), Length(max=500)],
                                   render_kw={"type": "url", "placeholder": "https://"})
    open311_api_key = StringField(_l("Open311 API key"), validators=[Optional(), Length(max=200)],
                                  render_kw={"autocomplete": "off"})
    open311_jurisdiction = StringField(_l("Open311 jurisdiction"), validators=[Optional(), Length(max=200)])
    open311_service_codes = TextAreaField(_l("Open311 service codes"), validators=[Optional(), Length(max=5000)],
                                          render_kw={"placeholder": "lighting = 101\ngraffiti = 205",
                                                     "spellcheck": "false"})


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "off"})
    role = StringField(_l("Role"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)], render_kw={"type": "tel"})
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "off"})
