"""Forms of the fault-report pages. Choices are checked by the service, so its messages show."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..models import REJECT_REASONS

REJECT_REASON_LABELS = {
    "not_responsible": _l("Not our responsibility"),
    "duplicate": _l("Duplicate"),
    "no_action": _l("No action"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "sent": _l("Sent"),
    "acknowledged": _l("Acknowledged"),
    "resolved": _l("Resolved"),
    "rejected": _l("Rejected"),
}
ACTION_LABELS = {
    "create": _l("Draft made"), "add_items": _l("Items added"), "move_item": _l("Item moved here"),
    "remove_item": _l("Item left out"), "edit_cover": _l("Cover text edited"), "sent": _l("Sent"),
    "send_failed": _l("Sending failed"), "acknowledged": _l("Acknowledged"), "resolved": _l("Resolved"),
    "rejected": _l("Rejected"), "external_ref": _l("Recipient's reference recorded"),
    "item_acknowledged": _l("Item acknowledged"), "item_resolved": _l("Item resolved"),
    "item_rejected": _l("Item rejected"),
}
CHANNEL_LABELS = {"email": _l("E-mail"), "open311": _l("Open311"), "paper": _l("Paper")}


class RuleForm(FlaskForm):
    category_id = SelectField(_l("Category"), validate_choice=False)
    organization_id = SelectField(_l("Recipient"), validate_choice=False)
    sub_area_name = StringField(_l("Sub-area name"), validators=[Optional(), Length(max=200)])
    sub_area = TextAreaField(_l("Sub-area (GeoJSON polygon)"), validators=[Optional()])


class CoverForm(FlaskForm):
    cover_text = TextAreaField(_l("Cover text"), validators=[Length(max=10000)])


class MoveForm(FlaskForm):
    target_id = SelectField(_l("Move to"), validate_choice=False)


class AddressForm(FlaskForm):
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=300)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validate_choice=False)
    reason = SelectField(_l("Reason (if rejected)"), validate_choice=False,
                         choices=[SelectChoice("", "–")] + [SelectChoice(r, REJECT_REASON_LABELS[r])
                                                          for r in REJECT_REASONS])


class ExternalRefForm(FlaskForm):
    external_ref = StringField(_l("Recipient's reference"), validators=[Optional(), Length(max=120)])


class PublishForm(FlaskForm):
    open311_public = BooleanField(_l("Publish this area's fault items on the open Open311 API"))


class SenderForm(FlaskForm):
    """Who a department answers for an area: Reply-To and the signature of its fault report mails."""
    reply_to = StringField(_l("Reply-to address"), validators=[Length(max=254)])
    reply_name = StringField(_l("Name in the signature"), validators=[Length(max=120)])
    reply_phone = StringField(_l("Phone in the signature"), validators=[Length(max=40)])
