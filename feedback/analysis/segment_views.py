"""Saved segments: saving the segment of an analysis page under a name, the workspace's list, deleting one
(editors save and delete; everyone sees the list). Each POST redirects to a page rebuilt from validated values."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.analysis import segment_store
from feedback.analysis.forms import SegmentDeleteForm, SegmentSaveForm
from feedback.analysis.segment_panel import panel
from feedback.analysis.services import InvalidPeriod, parse_range
from feedback.analysis.tabs import Tab
from feedback.auth.models import Role
from feedback.extensions import commit, db
from feedback.replica import route_reads
from feedback.templating import device_label
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

bp = Blueprint("segments", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)
route_reads(bp)  # after the access check: the analysis may read from the replica

#: The pages a saved segment returns to.
PAGES = {
    "ratings": "analysis.overview",
    "compare": "analysis.compare",
    "comments": "analysis.comments",
    "periods": "periods.page",
    "touchpoint": "analysis.touchpoint",
}


#: What a page keeps besides the period and the segment (rebuilt into a URL of our own: no open redirect).
PAGE_KEYS = {
    "analysis.overview": ("touchpoint", "channel", "phase"),
    "analysis.compare": ("kind", "a", "b", "benchmark", "side"),
    "analysis.comments": ("q", "group"),
    "periods.page": ("against", "other", "b_from", "b_to"),
    "analysis.touchpoint": ("group",),
}


def _back(campaign_id: int) -> tuple[str, dict[str, str]]:
    """The page to return to with its period, tab and own parameters (short strings only)."""
    page = PAGES.get(request.args.get("page") or "", PAGES["ratings"])
    keep: dict[str, str] = {
        key: value[:100]
        for key in PAGE_KEYS.get(page, ())
        if (value := (request.args.get(key) or "").strip())
    }
    if page == PAGES["comments"]:
        touchpoints = [v for v in request.args.getlist("touchpoint") if v.isascii() and v.isdigit() and len(v) < 10]
        if touchpoints:
            keep["touchpoint"] = touchpoints  # type: ignore[assignment]
    if page == PAGES["touchpoint"]:
        value = request.args.get("touchpoint_id") or ""
        if not (value.isascii() and value.isdigit() and len(value) < 10):
            page = PAGES["ratings"]
        else:
            keep["touchpoint_id"] = value
    try:
        dates = parse_range(request.args.get("from"), request.args.get("to"))
        keep.update({k: v.isoformat() for k, v in (("from", dates.first), ("to", dates.last)) if v})
    except InvalidPeriod:
        pass
    tab = request.args.get("tab") or ""
    if page == PAGES["ratings"] and tab in set(Tab) and tab != Tab.OVERVIEW:
        keep["tab"] = tab
    return page, {"campaign_id": str(campaign_id), **keep}


@bp.post("/campaigns/<int:campaign_id>/segments")
def save(campaign_id: int) -> Response:
    """Save the segment of the query string under the posted name and show the page with it."""
    require_role(Role.EDITOR)
    workspace = current_workspace()
    campaign = touchpoint_services.get_campaign(workspace.id, campaign_id)
    segment, _problems = segment_store.read_campaign_segment(request.args, campaign)
    page, keep = _back(campaign.id)
    form = SegmentSaveForm()
    if not form.validate_on_submit():
        flash(_("Give the segment a name of at most 80 characters; nothing was saved."), "error")
        return redirect(url_for(page, **keep, **segment.query()))
    try:
        row = segment_store.save_segment(workspace.id, current_user.id, form.name.data or "", segment)
        commit()
    except segment_store.SegmentRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(url_for(page, **keep, **segment.query()))
    flash(_("Segment “%(name)s” saved.", name=row.name), "success")
    return redirect(url_for(page, **keep, segment=str(row.id)))


def _no_url(_segment: object) -> str:
    return ""


@bp.get("/segments")
def index() -> str:
    """The workspace's saved segments with their conditions."""
    workspace = current_workspace()
    language = get_locale().language if get_locale() else "en"
    questions = segment_store.segment_questions(workspace.id)
    rows = []
    for row in segment_store.saved_segments(workspace.id):
        conditions = replace(segment_store.as_segment(row), saved_id=None)
        rows.append((row, panel(conditions, questions, [], language, _no_url, device_label)))
    return render_template(
        "analysis/segments.html",
        rows=rows,
        can_edit=current_role().allows(Role.EDITOR),
        form=SegmentDeleteForm(),
    )


@bp.post("/segments/<int:segment_id>/delete")
def delete(segment_id: int) -> Response:
    """Delete a saved segment (another workspace's id: 404)."""
    require_role(Role.EDITOR)
    form = SegmentDeleteForm()
    if not form.validate_on_submit():
        flash(_("The segment could not be deleted; please try again."), "error")
        return redirect(url_for("segments.index"))
    segment_store.delete_segment(current_workspace().id, segment_id)
    commit()
    flash(_("Segment deleted."), "success")
    return redirect(url_for("segments.index"))
