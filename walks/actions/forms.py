from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import ACTION_HORIZONS, ACTION_PRIORITIES, ACTION_STATUSES
from .service import HORIZON_LABELS, PRIORITY_LABELS, STATUS_LABELS

LONG = [Optional(), Length(max=10_000)]


class ActionForm(FlaskForm):
    title = StringField(_l("What is to be done"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=LONG)
    organization_id = SelectField(_l("Responsible actor"), coerce=int)
    contact_id = SelectField(_l("Contact person"), coerce=int)
    mandate = TextAreaField(_l("Mandate"), validators=LONG, render_kw={"rows": 2})
    resources = TextAreaField(_l("Resources"), validators=LONG, render_kw={"rows": 2})
    start_date = DateField(_l("Start"), validators=[Optional()])
    due_date = DateField(_l("Finished by"), validators=[Optional()])
    goal = TextAreaField(_l("What should be achieved"), validators=LONG, render_kw={"rows": 3})
    indicators = TextAreaField(_l("Indicators"), validators=LONG, render_kw={"rows": 2})
    outcome = TextAreaField(_l("What we have achieved"), validators=LONG, render_kw={"rows": 3})
    horizon = SelectField(_l("Time horizon"), choices=[SelectChoice(h, HORIZON_LABELS[h]) for h in ACTION_HORIZONS],
                          default="short")
    priority = SelectField(_l("Priority"), choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in ACTION_PRIORITIES],
                           default="medium")
    status = SelectField(_l("Status"), choices=[SelectChoice(s, STATUS_LABELS[s]) for s in ACTION_STATUSES],
                         default="proposed")
    resolve_observations = BooleanField(_l("When done: mark the linked observations as resolved"))
    comment = TextAreaField(_l("Comment for the log"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2})


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[])
    resolve_observations = BooleanField(_l("Mark the linked observations as resolved"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2})


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Date of the meeting"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=20_000)], render_kw={"rows": 5})
    decisions = TextAreaField(_l("Decisions"), validators=[Optional(), Length(max=20_000)], render_kw={"rows": 4})


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx)"), validators=[FileRequired()],
                     render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
