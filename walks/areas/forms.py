from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateTimeLocalField, SearchField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..capture.landmarks import LandmarkError, format_landmarks, parse_landmarks

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


class LandmarksField(TextAreaField):
    """Lines "Name; latitude; longitude"; .data is the parsed list, every bad row an error."""

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        try:
            self.data = parse_landmarks(self.raw_text)
        except LandmarkError as error:
            self.data = None
            self.process_errors.extend(str(message) for message in error.errors)

    def _value(self):
        if hasattr(self, "raw_text"):
            return self.raw_text
        return format_landmarks(self.data)


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
    landmarks = LandmarksField(
        _l("Places walkers can choose instead of the map (optional)"),
        description=_l("One a line: Name; latitude; longitude. For example: Tram stop Brunnsbotorget; 57.7219; 11.9530"),
        render_kw={"rows": 4, "spellcheck": "false"})


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search areas and walks"), validators=[Length(max=200)])
