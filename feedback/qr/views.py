"""Code management in the dashboard: codes, expiry, QR downloads, print sheets and kits, personalised batches
(what a scan of a code does: feedback.respondent)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from feedback.analysis import sentences
from feedback.analysis.services import code_arrivals, code_traffic
from feedback.analysis.summaries import Arrivals
from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.bounds import page_number
from feedback.confirm import check_undo, flash_with_undo
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.exports import dialect_named
from feedback.extensions import commit, db
from feedback.qr import personal, printkit, services
from feedback.qr.codes import group
from feedback.qr.forms import BatchForm, CodeForm, ExpiryForm
from feedback.qr.models import Code
from feedback.qr.rendering import QrOptions, RenderError, qr_url, render_png, render_svg
from feedback.qr.sheet import SheetItem, print_sheet
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Campaign, Touchpoint

codes_bp = Blueprint("codes", __name__, url_prefix="/w/<ws>")
scope_blueprint(codes_bp)


# --- dashboard -----------------------------------------------------------------------------------------------


@codes_bp.route("/touchpoints/<int:touchpoint_id>/codes", methods=["POST"])
def create_code(touchpoint_id: int) -> Response:
    """Give a touchpoint another code (placement or variant)."""
    require_role(Role.EDITOR)
    touchpoint = touchpoint_services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            code = services.create_code(touchpoint, form.label.data or "")
        except services.DuplicateLabel as error:
            flash(str(error.message), "error")
        else:
            commit()
            flash(_("Code %(code)s created.", code=group(code.code)), "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id) + "#codes")


@codes_bp.route("/codes/<int:code_id>")
def show_code(code_id: int) -> str:
    """A code: its printed URL, download options and state."""
    code = services.get_code(current_workspace().id, code_id)
    base = current_app.config["PUBLIC_BASE_URL"]
    timezone = current_workspace().timezone
    arrivals = code_arrivals(code.workspace_id, timezone, [code.touchpoint_id]).get(code.id, Arrivals())
    return render_template(
        "qr/code.html",
        code=code,
        touchpoint=code.touchpoint,
        campaign=code.touchpoint.campaign,
        encoded_url=qr_url(base, code.code),
        display_url=f"{base}/t/{code.code}",
        state=code.state(utcnow()),
        stats=services.code_stats(code.touchpoint, code_traffic(code.workspace_id, timezone, [code.touchpoint_id])).get(
            code.id
        ),
        arrivals=arrivals,
        scan_sentence=sentences.scannability(arrivals),
        expiry_form=ExpiryForm(expires_on=code.expires_at.date() if code.expires_at else None),
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
    )


@codes_bp.route("/codes/<int:code_id>/pause", methods=["POST"])
def pause_code(code_id: int) -> Response:
    """Pause (or with resume=1 resume) a code."""
    require_role(Role.EDITOR)
    code = services.get_code(current_workspace().id, code_id)
    if ConfirmForm().validate_on_submit():
        resume, now = request.form.get("resume") == "1", utcnow()
        check_undo("code.pause", code.id, now)
        services.set_paused(code, not resume, now)
        commit()
        if resume:
            flash(_("Code resumed."), "success")
        else:
            paused = _("Code paused. Visitors see that the campaign has ended.")
            flash_with_undo(paused, "code.pause", code.id, request.path, {"resume": "1"}, now)
    return redirect(url_for("codes.show_code", code_id=code.id))


@codes_bp.route("/codes/<int:code_id>/expiry", methods=["POST"])
def set_expiry(code_id: int) -> Response:
    """Set or clear the last day a code works."""
    require_role(Role.EDITOR)
    code = services.get_code(current_workspace().id, code_id)
    form = ExpiryForm()
    if form.validate_on_submit():
        services.set_expiry(code, form.expires_on.data, current_workspace())
        commit()
        flash(_("Expiry saved.") if form.expires_on.data else _("The code no longer expires."), "success")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("codes.show_code", code_id=code.id))


def _options_from_request(caption: str) -> QrOptions:
    """Image options from the query string; RenderError with a reason for anything unusable."""
    args = request.args

    def number(name: str, kind: type) -> float | int | None:
        raw = args.get(name, "").strip()
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise RenderError(_("“%(name)s” must be a number.", name=name)) from None

    size_mm, size_px = number("size_mm", float), number("size_px", int)
    if size_mm is None and size_px is None:
        size_mm = 40.0
    return QrOptions(
        size_mm=size_mm,
        size_px=size_px,
        dpi=int(number("dpi", int) or 300),
        error_correction=args.get("ec", "M").upper()[:1] or "M",
        foreground=args.get("fg", "#000000")[:7],
        background=args.get("bg", "#FFFFFF")[:7],
        border=int(number("border", int) or 4),
        caption=caption if args.get("caption", "1") == "1" else None,
    )


@codes_bp.route("/codes/<int:code_id>/qr.<any(png, svg):fmt>")
def download_code(code_id: int, fmt: str) -> Response:
    """The code as PNG (print size at 300 dpi, or pixels) or SVG; bad options get 400 with the reason."""
    code = services.get_code(current_workspace().id, code_id)
    try:
        options = _options_from_request(group(code.code))
    except RenderError as error:
        raise DomainError(str(error.message)) from None
    url = qr_url(current_app.config["PUBLIC_BASE_URL"], code.code)
    name = _download_name(code, fmt)
    if fmt == "png":
        response = make_response(render_png(url, options))
        response.headers["Content-Type"] = "image/png"
    else:
        response = make_response(render_svg(url, options))
        response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _download_name(code: Code, fmt: str) -> str:
    """A file name that says which touchpoint and placement the file belongs to."""
    from slugify import slugify

    parts = [slugify(code.touchpoint.name, max_length=40), slugify(code.label, max_length=30), code.code]
    return "-".join(p for p in parts if p) + f".{fmt}"


def _campaign_sheet_pdf(campaign: Campaign, codes: list[tuple[Code, Touchpoint]]) -> bytes:
    base = current_app.config["PUBLIC_BASE_URL"]
    host = base.split("://", 1)[1]
    items = [
        SheetItem(
            url=qr_url(base, code.code),
            display_url=f"{host}/t/{code.code}",
            code_text=group(code.code),
            title=touchpoint.name,
            subtitle=code.label or "",
        )
        for code, touchpoint in codes
    ]
    return print_sheet(_("%(campaign)s – QR codes", campaign=campaign.name), items)


def _nothing_to_print(campaign: Campaign) -> Response:
    """No empty download: back to the campaign, with what to do first."""
    flash(_("There is nothing to print yet: give a touchpoint of this campaign a code first."), "error")
    return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))


@codes_bp.route("/campaigns/<int:campaign_id>/codes.pdf")
def campaign_sheet(campaign_id: int) -> Response:
    """An A4 print sheet with every code of the campaign's active touchpoints."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    codes = services.campaign_codes(campaign, touchpoint_services.touchpoints_of(campaign))
    if not codes:
        return _nothing_to_print(campaign)
    response = make_response(_campaign_sheet_pdf(campaign, codes))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-qr-codes.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@codes_bp.route("/campaigns/<int:campaign_id>/codes.zip")
def campaign_print_kit(campaign_id: int) -> Response:
    """The print kit: every code of the campaign's active touchpoints as PNG and SVG (named by touchpoint and
    label), the print sheet and a printing guide, in one ZIP."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    try:
        options = _options_from_request("-")
    except RenderError as error:
        raise DomainError(str(error.message)) from None
    codes = services.campaign_codes(campaign, touchpoint_services.touchpoints_of(campaign))
    if not codes:
        return _nothing_to_print(campaign)
    body = printkit.campaign_zip(
        campaign.name, codes, current_app.config["PUBLIC_BASE_URL"], options, _campaign_sheet_pdf(campaign, codes)
    )
    response = Response(stream_with_context(body), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-print-kit.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- personalised codes for mailings ----------------------------------------------------------------------------


@codes_bp.route("/touchpoints/<int:touchpoint_id>/batches", methods=["POST"])
def create_batch(touchpoint_id: int) -> Response:
    """Personalised codes from an uploaded CSV of recipient references, or a number of numbered codes."""
    require_role(Role.EDITOR)
    touchpoint = touchpoint_services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = BatchForm()
    back = url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id) + "#mailings"
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    upload = form.references.data
    try:
        if upload and upload.filename:
            references = personal.parse_references(upload.read())  # MAX_CONTENT_LENGTH bounds it
        elif form.count.data:
            references = personal.serial_references(touchpoint, form.count.data)
        else:
            raise personal.BatchError(_("Choose a CSV file of references or give a number of codes."))
        batch = personal.create_batch(touchpoint, form.name.data or "", references)
    except personal.BatchError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    commit()
    flash(_("%(n)s personalised codes created in “%(name)s”.", n=f"{batch.size:,}", name=batch.name), "success")
    return redirect(url_for("codes.show_batch", batch_id=batch.id))


@codes_bp.route("/batches/<int:batch_id>")
def show_batch(batch_id: int) -> str:
    """A mailing batch: downloads for the mail house, how it did, and its codes (searchable by reference)."""
    batch = personal.get_batch(current_workspace().id, batch_id)
    search = request.args.get("q", "").strip()[:120]
    page = page_number(request.args.get("page"), last=10_000)
    codes, more = personal.batch_page(batch, search, page)
    return render_template(
        "qr/batch.html",
        batch=batch,
        touchpoint=batch.touchpoint,
        campaign=batch.touchpoint.campaign,
        stats=personal.batch_stats(batch.touchpoint).get(batch.id),
        codes=codes,
        code_activity=personal.code_activity(batch, [c.id for c in codes]),
        search=search,
        page=page,
        more=more,
        now=utcnow(),
    )


@codes_bp.route("/batches/<int:batch_id>/mailmerge.csv")
def batch_mailmerge(batch_id: int) -> Response:
    """reference, code, code_display, url: one row per recipient, for the mail merge (`?dialect=excel-de`: with
    semicolons, as German Excel and Word open it)."""
    batch = personal.get_batch(current_workspace().id, batch_id)
    dialect = dialect_named(request.args.get("dialect"))
    body = personal.mailmerge_csv(batch, current_app.config["PUBLIC_BASE_URL"], dialect)
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{personal.file_stem(batch)}-mailmerge.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def batch_formats(raw: str | None) -> tuple[str, ...]:
    """`png`, `svg` or both (default), from a comma-separated query value; DomainError for anything else."""
    formats = tuple(sorted({part.strip().lower() for part in (raw or "png,svg").split(",") if part.strip()}))
    if not formats or not set(formats) <= {"png", "svg"}:
        raise DomainError(_("Formats must be png, svg or png,svg."))
    return formats


@codes_bp.route("/batches/<int:batch_id>/codes.zip")
def batch_zip(batch_id: int) -> Response:
    """Every code of the batch as PNG and/or SVG, named reference_code, with the mail-merge CSV; streamed."""
    batch = personal.get_batch(current_workspace().id, batch_id)
    formats = batch_formats(request.args.get("formats"))
    try:
        options = _options_from_request("-")
    except RenderError as error:
        raise DomainError(str(error.message)) from None
    body = personal.batch_zip(batch, current_app.config["PUBLIC_BASE_URL"], formats, options)
    response = Response(stream_with_context(body), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{personal.file_stem(batch)}-codes.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response
