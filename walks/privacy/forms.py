from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional


class EraseForm(FlaskForm):
    """Deleting someone's data is final: a box to tick, not only a button."""
    confirm = BooleanField(_l("Yes, delete it. This cannot be undone."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    area = SelectField(_l("Area"), coerce=str, validators=[Optional()])
    user = SelectField(_l("User"), coerce=str, validators=[Optional()])
    kind = SelectField(_l("Kind"), coerce=str, validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)])
