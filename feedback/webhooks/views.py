"""Webhooks in the dashboard: owners add endpoints; members see the delivery log."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.bounds import MAX_BIG_ID, parse_id
from feedback.confirm import Confirmation, check_undo, confirmation_page, confirmed, flash_with_undo
from feedback.db_types import utcnow
from feedback.extensions import commit, db
from feedback.leads.services import may_identify_contacts
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.webhooks import services
from feedback.webhooks.delivery import SIGNATURE_HEADER
from feedback.webhooks.forms import EndpointForm
from feedback.webhooks.models import WITH_CONTACT

bp = Blueprint("webhooks", __name__, url_prefix="/w/<ws>/webhooks")
scope_blueprint(bp)


def _is_owner() -> bool:
    return current_role().allows(Role.OWNER)


@bp.route("/", methods=["GET", "POST"])
def list_endpoints() -> Response | str:
    """The workspace's webhooks with their delivery counts; owners add one."""
    workspace = current_workspace()
    form = EndpointForm()
    if request.method == "POST":
        require_role(Role.OWNER)
        if form.validate_on_submit():
            try:
                endpoint = services.create_endpoint(
                    workspace.id,
                    form.url.data or "",
                    form.events.data or [],
                    form.description.data or "",
                    current_user.id,
                )
            except services.InvalidEndpoint as error:
                db.session.rollback()
                form.url.errors = [str(error.message)]
            else:
                commit()
                flash(_("Webhook added. Verify its signature with the secret shown below."), "success")
                return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
    endpoints = services.endpoints_of(workspace.id)
    now = utcnow()
    html = render_template(
        "webhooks/list.html",
        endpoints=endpoints,
        suspended={e.id for e in endpoints if e.suspended(now)},
        counts=services.delivery_counts(workspace.id),
        form=form,
        is_owner=_is_owner(),
    )
    return make_response(html, 422 if form.errors else 200)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
def show_endpoint(endpoint_id: int) -> Response | str:
    """One webhook: its settings, secret (owners), and the delivery log, newest first."""
    workspace = current_workspace()
    endpoint = services.get_endpoint(workspace.id, endpoint_id)
    form = EndpointForm()
    if request.method == "GET":
        form = EndpointForm(
            data={"url": endpoint.url, "description": endpoint.description, "events": endpoint.events.split()}
        )
    if request.method == "POST":
        require_role(Role.OWNER)
        if form.validate_on_submit():
            try:
                services.update_endpoint(
                    endpoint, form.url.data or "", form.events.data or [], form.description.data or ""
                )
            except services.InvalidEndpoint as error:
                db.session.rollback()
                endpoint = services.get_endpoint(workspace.id, endpoint_id)
                form.url.errors = [str(error.message)]
            else:
                commit()
                flash(_("Webhook saved."), "success")
                return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))
    status = request.args.get("status") or None
    before = parse_id(request.args.get("before"), MAX_BIG_ID)  # a delivery id
    deliveries, next_before = services.deliveries_of(endpoint, status, before)
    # lead.qualified and contact.stage_changed bodies carry the contact's name, e-mail and phone: not for viewers
    with_contact = frozenset() if may_identify_contacts(current_role()) else WITH_CONTACT
    html = render_template(
        "webhooks/endpoint.html",
        endpoint=endpoint,
        form=form,
        deliveries=deliveries,
        hidden_bodies={d.id for d in deliveries if d.event in with_contact},
        next_before=next_before,
        status=status,
        counts=services.delivery_counts(workspace.id).get(endpoint.id, {}),
        suspended_until=endpoint.suspended_until if endpoint.suspended(utcnow()) else None,
        is_owner=_is_owner(),
        confirm_form=ConfirmForm(),
        signature_header=SIGNATURE_HEADER,
        allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"],
    )
    response = make_response(html, 422 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"  # the signing secret is on this page for owners
    return response


def _owner_action(endpoint_id: int):  # noqa: ANN202
    require_role(Role.OWNER)
    endpoint = services.get_endpoint(current_workspace().id, endpoint_id)
    return endpoint, ConfirmForm().validate_on_submit()


@bp.route("/<int:endpoint_id>/pause", methods=["POST"])
def pause(endpoint_id: int) -> Response:
    """Pause (or with resume=1 resume) an endpoint."""
    endpoint, valid = _owner_action(endpoint_id)
    if valid:
        resume, now = request.form.get("resume") == "1", utcnow()
        check_undo("webhook.pause", endpoint.id, now)
        services.set_paused(endpoint, not resume, now)
        commit()
        if resume:
            flash(_("Webhook resumed."), "success")
        else:
            paused = _("Webhook paused: nothing is sent to it until you resume it.")
            flash_with_undo(paused, "webhook.pause", endpoint.id, request.path, {"resume": "1"}, now)
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
def rotate(endpoint_id: int) -> Response:
    """A new signing secret."""
    endpoint, valid = _owner_action(endpoint_id)
    if valid:
        services.rotate_secret(endpoint)
        commit()
        flash(_("New secret created. Update your receiver: from now on deliveries are signed with it."), "success")
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/ping", methods=["POST"])
def send_ping(endpoint_id: int) -> Response:
    """Send a test event ("ping") now."""
    endpoint, valid = _owner_action(endpoint_id)
    if valid:
        services.ping(endpoint, utcnow())
        commit()
        flash(_("Test event queued; it appears in the log below in a moment."), "success")
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
def delete(endpoint_id: int) -> str | Response:
    """Remove an endpoint and its log (after a confirmation step)."""
    endpoint, valid = _owner_action(endpoint_id)
    if valid and not confirmed():
        confirmation = Confirmation(
            question=_("Delete the webhook to %(url)s?", url=endpoint.url),
            consequence=_(
                "Nothing more is sent to it, and its delivery log is deleted, including deliveries still waiting. "
                "This cannot be undone."
            ),
            yes=_("Yes, delete"),
            action=request.path,
            back=url_for("webhooks.show_endpoint", endpoint_id=endpoint.id),
        )
        return confirmation_page(confirmation, ConfirmForm())
    if valid:
        services.delete_endpoint(endpoint)
        commit()
        flash(_("Webhook deleted."), "success")
        return redirect(url_for("webhooks.list_endpoints"))
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=endpoint.id))


@bp.route("/deliveries/<int(max=9223372036854775807):delivery_id>/retry", methods=["POST"])
def retry(delivery_id: int) -> Response:
    """Send a waiting or failed delivery again now."""
    require_role(Role.OWNER)
    delivery = services.get_delivery(current_workspace().id, delivery_id)
    if ConfirmForm().validate_on_submit():
        services.retry_now(delivery, utcnow())
        commit()
        flash(_("Delivery queued again."), "success")
    return redirect(url_for("webhooks.show_endpoint", endpoint_id=delivery.endpoint_id))
