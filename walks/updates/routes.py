"""The walker's updates: opt in on the list page, verify by link, answer "was it fixed?"; the
coordinator's "closed, not fixed". Thin: parse, call the service, commit once, answer."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, mail
from ..capture import service as capture
from ..capture.outcome import outcome_for
from ..capture.routes import COOKIE_PREFIX
from ..extensions import db
from ..limits import per_participant
from ..models import FaultReportItem, FixedQuestion, Participant, Walk
from ..web import DomainError, editor_required, fail, save
from . import mails, service
from .forms import AnswerForm, UpdatesForm

bp = Blueprint("updates", __name__)


@bp.app_context_processor
def walker_helpers():
    """For the walker's list (capture/mine.html) and the coordinator's pages."""
    return {"walker_outcome": outcome_for, "walker_questions": service.open_questions,
            "walker_answers": service.answers_about, "UpdatesForm": UpdatesForm}


def _walk_and_participant(code: str) -> tuple[Walk, Participant]:
    walk = capture.find_walk(code)
    if walk is None:
        fail(404, _("There is no walk with the code %(code)s. Check the code and try again.", code=code[:16]))
    participant = capture.participant_for_token(walk, request.cookies.get(f"{COOKIE_PREFIX}{walk.id}"))
    if participant is None:
        fail(403, _("You have not joined this walk. Open its link again."))
    return walk, participant


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _max_age() -> int:
    return int(current_app.config["WALKER_LINK_MAX_AGE_DAYS"])


@bp.post("/j/<code>/updates")
@per_participant("LIMIT_WALKER_MAIL")
def opt_in(code: str):
    walk, participant = _walk_and_participant(code)
    form = UpdatesForm()
    if form.validate_on_submit() and save(lambda: service.request_updates(participant, form.email.data), form):
        try:
            mails.send_verification(participant)
        except mail.MailError as error:
            current_app.logger.warning("verification to participant %s not sent: %s", participant.id, error)
            save(lambda: service.stop_updates(participant))
            form.email.errors.append(_("No mail could be sent to this address. Check it, or try again later."))
        else:
            flash(_("We sent a link to %(email)s. Open it to start getting news.", email=participant.email), "success")
            return redirect(url_for("capture.mine", code=walk.join_code))
    return render_template("updates/opt_in.html", walk=walk, form=form), 400


@bp.post("/j/<code>/updates/stop")
def opt_out(code: str):
    walk, participant = _walk_and_participant(code)
    if not UpdatesForm().validate_on_submit():
        fail(400, _("The form has expired or was not sent from this site. Reload the page and try again."))
    save(lambda: service.stop_updates(participant))
    flash(_("Your address is deleted; you get no more mail about this walk."), "success")
    return redirect(url_for("capture.mine", code=walk.join_code))


@bp.get("/updates/verify/<token>")
def verify(token: str):
    payload = service.read_token(_secret(), service.VERIFY, token, _max_age())
    participant = db.session.get(Participant, payload["p"]) if isinstance(payload.get("p"), int) else None
    saved = save(lambda: service.verify_email(participant, payload.get("e")))
    return render_template("updates/verified.html", participant=saved.value)


def _answer(question: FixedQuestion, form: AnswerForm):
    """Record the answer and commit (a photo's files follow the transaction: walks/photos.py)."""
    upload = form.photo.data
    data = upload.read(current_app.config["MAX_PHOTO_BYTES"] + 1) if upload and upload.filename else None
    return save(lambda: service.answer_question(question, request.form.get("answer", ""), form.words.data,
                                                data, current_app.config), form, fallback="words")


@bp.route("/fixed/<token>", methods=["GET", "POST"])
def question(token: str):
    question = service.question_from_token(_secret(), token, _max_age())
    service.check_answerable(question)
    form = AnswerForm()
    if form.validate_on_submit() and _answer(question, form):
        return render_template("updates/thanks.html", question=question)
    status = 400 if request.method == "POST" else 200
    return render_template("updates/question.html", question=question, form=form,
                           outcome=outcome_for(question.item.observation)), status


@bp.post("/j/<code>/questions/<int:question_id>")
def answer_from_list(code: str, question_id: int):
    walk, participant = _walk_and_participant(code)
    question = db.session.get(FixedQuestion, question_id)
    if question is None or question.participant_id != participant.id:
        fail(404, _("That question was not found."))
    service.check_answerable(question)
    form = AnswerForm()
    if form.validate_on_submit() and _answer(question, form):
        flash(_("Thank you! Your answer is with the coordinator."), "success")
        return redirect(url_for("capture.mine", code=walk.join_code))
    return render_template("updates/question.html", question=question, form=form,
                           outcome=outcome_for(question.item.observation)), 400


@bp.post("/reports/items/<int:item_id>/closed-not-fixed")
@editor_required
def closed_not_fixed(item_id: int):
    item = db.session.get(FaultReportItem, item_id)
    if item is None:
        fail(404, _("The page was not found."))
    access.require_edit(current_user._get_current_object(), item.report)
    if not UpdatesForm().validate_on_submit():
        fail(400, _("The form has expired or was not sent from this site. Reload the page and try again."))
    try:
        save(lambda: service.close_not_fixed(item, current_user._get_current_object()))
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Closed as not fixed."), "success")
    return redirect(url_for("reports.detail", report_id=item.report_id))
