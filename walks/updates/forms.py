"""Forms of the walker's updates (every POST carries a CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional


class UpdatesForm(FlaskForm):
    """Opt in to news of this walk (the service checks the address)."""
    email = StringField(_l("Your e-mail address"), validators=[Length(max=254)])


class AnswerForm(FlaskForm):
    """"Was it fixed?": the answer is the button pressed (name="answer")."""
    words = TextAreaField(_l("Anything to add? (optional)"), validators=[Optional(), Length(max=2000)])
    photo = FileField(_l("A photo of how it looks now (optional)"))
