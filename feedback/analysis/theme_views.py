"""The edits of the themes on the open-text answers page: rename, hide, merge, undo (editors only). Each POST
redirects back to the page with its filters, rebuilt from the validated filters."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.analysis import theme_edits
from feedback.analysis.comments import read_comment_filters
from feedback.analysis.forms import ThemeEditForm
from feedback.analysis.segment_store import read_campaign_segment
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import commit, db
from feedback.replica import route_reads
from feedback.tenancy import current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

bp = Blueprint("themes", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)
route_reads(bp)  # after the access check: the analysis may read from the replica

DONE = {
    "rename": _l("Theme renamed."),
    "hide": _l("Theme hidden."),
    "merge": _l("Themes merged."),
    "undo": _l("Change undone."),
}


@bp.post("/campaigns/<int:campaign_id>/themes")
def edit_theme(campaign_id: int) -> Response:
    """Rename, hide, merge or undo one theme of the campaign; a refused edit changes nothing and says why."""
    require_role(Role.EDITOR)
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    touchpoints = touchpoint_services.touchpoints_of(campaign, include_archived=True)
    segment, _problems = read_campaign_segment(request.args, campaign)
    filters, _notices = read_comment_filters(request.args, touchpoints, segment)
    back = redirect(url_for("analysis.comments", campaign_id=campaign.id, **filters.query()))
    form = ThemeEditForm()
    if not form.validate_on_submit():
        flash(_("The theme could not be changed; nothing was changed."), "error")
        return back
    action, key, user_id, now = form.action.data, form.key.data, current_user.id, utcnow()
    try:
        if action == "undo":
            theme_edits.undo_edit(campaign, key)
        else:
            known = theme_edits.campaign_themes(campaign, filters).keys
            if action == "rename":
                theme_edits.rename_theme(campaign, key, form.name.data or "", known, user_id, now)
            elif action == "hide":
                theme_edits.hide_theme(campaign, key, known, user_id, now)
            else:
                theme_edits.merge_theme(campaign, key, form.into.data or "", known, user_id, now)
        commit()
    except theme_edits.ThemeEditRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return back
    flash(str(DONE[action]), "success")
    return back
