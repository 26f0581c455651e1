"""Forms of the walker's pages (Flask-WTF: every POST carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..models import PARTICIPANT_ROLES

ROLE_LABELS = {
    "resident": _l("Resident"),
    "staff": _l("Staff"),
    "police": _l("Police"),
    "property_owner": _l("Property owner"),
    "business": _l("Business owner"),
    "politician": _l("Politician"),
    "other": _l("Other"),
}

SAFETY_LABELS = {
    0: _l("Very unsafe"),
    1: _l("Unsafe"),
    2: _l("Fairly safe"),
    3: _l("Safe"),
}

LOCATION_SOURCE_LABELS = {
    "gps": _l("GPS"),
    "exif": _l("from the photo"),
    "map": _l("placed on the map"),
    "landmark": _l("a place from the list"),
}

FINER_LABELS = {
    "lighting": _l("Lighting"),
    "openness": _l("Openness"),
    "visibility": _l("Visibility"),
    "people": _l("People around"),
    "security": _l("Security (guards, help nearby)"),
    "walkpath": _l("Walk path"),
}


class StartForm(FlaskForm):
    """Typing a walk's short code: a GET form, nothing changes."""
    class Meta:
        csrf = False

    code = StringField(_l("Walk code"), validators=[DataRequired(), Length(max=16)],
                       render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})


class JoinForm(FlaskForm):
    display_name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=80)],
                               render_kw={"autocomplete": "nickname"})
    role = RadioField(_l("I take part as"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in PARTICIPANT_ROLES],
                      default="resident", validators=[InputRequired(message=_l("Choose one of the roles."))])
    consent = BooleanField(_l("I have read the note above and want to take part."),
                           validators=[DataRequired(message=_l("Tick the box to accept how your observations are used."))])


class EditObservationForm(FlaskForm):
    category = SelectField(_l("Category"), validators=[InputRequired()])
    text = TextAreaField(_l("What did you notice?"), validators=[Optional(), Length(max=2000)])
    safety = RadioField(_l("How safe does it feel here?"),
                        choices=[SelectChoice(str(k), v) for k, v in SAFETY_LABELS.items()],
                        validators=[InputRequired(message=_l("Choose how safe the place feels (0–3)."))])


class DeleteForm(FlaskForm):
    """An empty form: the CSRF token for a delete button."""
