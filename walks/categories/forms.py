from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.fields import ColorField
from wtforms.validators import DataRequired, Length, Optional

from .service import NAME_LANGUAGES

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
    # The walker languages beyond Swedish and English (service.NAME_LANGUAGES); empty shows Swedish.
    name_ar = StringField(_l("Name in Arabic"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "ar", "dir": "rtl"})
    name_so = StringField(_l("Name in Somali"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "so", "dir": "ltr"})
    name_ti = StringField(_l("Name in Tigrinya"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "ti", "dir": "ltr"})
    name_fa = StringField(_l("Name in Persian"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "fa", "dir": "rtl"})
    name_fi = StringField(_l("Name in Finnish"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "fi", "dir": "ltr"})

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        if obj is not None and not self.is_submitted():
            for language in NAME_LANGUAGES:
                getattr(self, f"name_{language}").data = (obj.names or {}).get(language, "")

    def name_fields(self) -> list:
        return [getattr(self, f"name_{language}") for language in NAME_LANGUAGES]

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in
                  ("name_sv", "name_en", "theme", "color", "icon", "is_fault", "has_offensive_flag",
                   "metoo_radius_m")}
        values["names"] = {language: getattr(self, f"name_{language}").data or "" for language in NAME_LANGUAGES}
        return values
