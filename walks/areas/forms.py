from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, SearchField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

LIGHT_CHOICES = [SelectChoice("daylight", _l("Daylight")), SelectChoice("dusk", _l("Dusk")),
                 SelectChoice("dark", _l("Dark"))]
STATUS_CHOICES = [SelectChoice("planned", _l("Planned")), SelectChoice("open", _l("Open: walkers can join")),
                  SelectChoice("closed", _l("Closed"))]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class AreaForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    boundary_file = FileField(_l("Boundary: a GeoJSON file"))
    boundary_text = TextAreaField(_l("…or paste the GeoJSON here"),
                                  render_kw={"rows": 5, "spellcheck": "false", "class": "mono"})


class WalkForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMATS, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])
    light_condition = SelectField(_l("Light"), choices=LIGHT_CHOICES, default="dark")
    weather = StringField(_l("Weather"), validators=[Length(max=200)])
    meeting_point = StringField(_l("Meeting point"), validators=[Length(max=300)])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="planned")
    route_file = FileField(_l("Planned route: a GeoJSON LineString (optional)"))
    remove_route = BooleanField(_l("Remove the planned route"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search areas and walks"), validators=[Length(max=200)])
