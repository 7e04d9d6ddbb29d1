"""Alerts by mail in the dashboard (each member's switches, the workspace's mail log) and the public one-click
unsubscribe page that every mail links to."""

from __future__ import annotations

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.bounds import page_number
from feedback.db_types import utcnow
from feedback.extensions import commit, csrf
from feedback.notifications import outbox, services
from feedback.notifications.models import SWITCHABLE, MailStatus, Topic
from feedback.tenancy import current_role, current_workspace, scope_blueprint

bp = Blueprint("notifications", __name__, url_prefix="/w/<ws>/notifications")
scope_blueprint(bp)
#: The page a mail's unsubscribe link opens, and where mail providers POST the one-click unsubscribe (RFC 8058):
#: no login and no CSRF token, the signed token in the URL is the proof.
unsubscribe_bp = Blueprint("unsubscribe", __name__)
csrf.exempt(unsubscribe_bp)

TOPIC_LABELS = {
    Topic.DETRACTOR: _l("A detractor (0–6) left a comment or asked to be contacted"),
    Topic.SALES_READY: _l("A lead became ready for sales"),
    Topic.NPS_DROP: _l("A touchpoint's NPS of the last 4 weeks is significantly below the 12 weeks before"),
    Topic.DELIVERY_FAILING: _l("Webhooks or mails have been failing for a day"),
    Topic.DIGEST: _l("Weekly report of each campaign (Monday morning)"),
    Topic.TEST: _l("Test mail"),
    Topic.NURTURE: _l("Nurture mail to a contact"),
}


def status_text(mail_status: str, attempts: int, configured: bool) -> str:
    """What the log says about a mail."""
    if mail_status == MailStatus.SENT.value:
        return _("sent")
    if mail_status == MailStatus.FAILED.value:
        return _("not sent: given up")
    if mail_status == MailStatus.CANCELLED.value:
        return _("not sent: what it reported was erased")
    if not configured:
        return _("not sent: no mail server configured")
    return _("waiting for a retry") if attempts else _("waiting")


@bp.route("/", methods=["GET", "POST"])
def settings() -> Response | str:
    """The member's switches (editors and owners get alerts) and, for editors, the mail log."""
    workspace = current_workspace()
    can_receive = current_role().allows(Role.EDITOR)
    if request.method == "POST" and can_receive:
        form = ConfirmForm()
        if form.validate_on_submit():
            chosen = set(request.form.getlist("topic"))
            now = utcnow()
            for topic in SWITCHABLE:
                services.switch(current_user.id, workspace.id, topic, topic.value in chosen, now)
            commit()
            flash(_("Your alerts are saved."), "success")
            return redirect(url_for("notifications.settings"))
    page = page_number(request.args.get("page"))
    mails = services.mail_log(workspace.id, page) if can_receive else []
    configured = outbox.smtp_settings() is not None
    html = render_template(
        "notifications/settings.html",
        switches=services.switches(current_user.id, workspace.id),
        labels=TOPIC_LABELS,
        can_receive=can_receive,
        mails=mails[: services.LOG_PAGE],
        more=len(mails) > services.LOG_PAGE,
        page=page,
        configured=configured,
        status_text=status_text,
        topic_label=lambda value: TOPIC_LABELS.get(Topic(value), value) if value in {t.value for t in Topic} else value,
        waiting=services.waiting_alerts(workspace.id) if can_receive else 0,
        form=ConfirmForm(),
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@unsubscribe_bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def page(token: str) -> Response | str:
    """GET: what the link switches off, with a button; POST (the button, or a mail provider's one-click): off."""
    chosen = services.read_unsubscribe_token(token)
    if chosen is None:
        return make_response(render_template("notifications/unsubscribe.html", invalid=True), 404)
    if request.method == "POST":
        done = services.unsubscribe(token, utcnow())
        if done is None:
            return make_response(render_template("notifications/unsubscribe.html", invalid=True), 404)
        commit()
        _, workspace = done
        return render_template(
            "notifications/unsubscribe.html", done=True, topic=TOPIC_LABELS[chosen.topic], workspace=workspace
        )
    workspace = services.workspace_named(chosen)
    if workspace is None:
        return make_response(render_template("notifications/unsubscribe.html", invalid=True), 404)
    return render_template(
        "notifications/unsubscribe.html", done=False, topic=TOPIC_LABELS[chosen.topic], workspace=workspace
    )
