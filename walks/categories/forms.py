from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.fields import ColorField
from wtforms.validators import DataRequired, Length, Optional

THEME_CHOICES = [
    SelectChoice("safety", _l("Safety")),
    SelectChoice("clean", _l("Clean and tidy")),
    SelectChoice("access", _l("Accessibility and ease of movement")),
    SelectChoice("positive", _l("Positive")),
]


class CategoryForm(FlaskForm):
    name_sv = StringField(_l("Name in Swedish"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    theme = SelectField(_l("Theme"), choices=THEME_CHOICES)
    color = ColorField(_l("Colour"), default="#555555", validators=[DataRequired()])
    icon = StringField(_l("Icon (one emoji or a short symbol)"), default="•",
                       validators=[DataRequired(), Length(max=8)])
    is_fault = BooleanField(_l("A fixable fault (goes into fault reports)"), default=True)
    has_offensive_flag = BooleanField(_l("Walkers can mark it as offensive (removed faster)"))
    metoo_radius_m = IntegerField(_l("“Me too” radius in metres"), default=30, validators=[Optional()])

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("name_sv", "name_en", "theme", "color", "icon", "is_fault", "has_offensive_flag",
                 "metoo_radius_m")}
