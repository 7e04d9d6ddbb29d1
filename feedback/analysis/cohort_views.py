"""The cohorts page of a campaign (`/w/<ws>/campaigns/<id>/cohorts`): respondents or customers grouped by the month
or the touchpoint of their first contact, and who of them came back in each month after; with its CSV and XLSX
downloads."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis import cohort_chart
from feedback.analysis.cohort_queries import campaign_cohorts
from feedback.analysis.cohorts import COHORT_HEADER, MIN_CELL_N, By, CohortTable, Who, cohort_rows
from feedback.analysis.downloads import MIMETYPES, Download, UnknownFormat, cohort_download
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.exports import dialect_named
from feedback.replica import route_reads
from feedback.templating import percent
from feedback.tenancy import current_workspace, scope_blueprint
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Campaign

bp = Blueprint("cohorts", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)
route_reads(bp)  # after the access check: the analysis may read from the replica

WHO_LABELS = {Who.RESPONDENTS: _l("Respondents"), Who.CUSTOMERS: _l("Customers")}
BY_LABELS = {By.MONTH: _l("Month of first contact"), By.TOUCHPOINT: _l("Touchpoint of first contact")}


class UnknownCohort(DomainError):
    """A cohort choice the page does not offer."""

    status = 400
    message = _l("Cohorts are of who=respondents or who=customers, grouped by=month or by=touchpoint.")


def read_choice() -> tuple[Who, By]:
    """`who` and `by` of the query string (respondents by month without them).

    :raises UnknownCohort: a value that names no choice.
    """
    who, by = request.args.get("who") or Who.RESPONDENTS.value, request.args.get("by") or By.MONTH.value
    if who not in set(Who) or by not in set(By):
        raise UnknownCohort()
    return Who(who), By(by)


def _labels(campaign: Campaign) -> dict[int, str]:
    return {tp.id: tp.name for tp in touchpoint_services.touchpoints_of(campaign, include_archived=True)}


def _chart(table: CohortTable, labels: dict[int, str]):  # noqa: ANN202
    """The heat table of the cohort table (None without members)."""
    if not table.rows:
        return None

    def hover(k: int, back: int, n: int, low: float, high: float) -> str:
        text = _(
            "%(k)s months after: %(back)s of %(n)s came back (95 %% interval %(low)s–%(high)s)",
            k=k, back=back, n=n, low=percent(low), high=percent(high),
        )  # fmt: skip
        return text + (" – " + _("too few to read (n < %(min)s)", min=MIN_CELL_N) if n < MIN_CELL_N else "")

    rows = []
    for row in table.rows:
        label = row.key.strftime("%Y-%m") if table.by is By.MONTH else labels.get(row.key, str(row.key))  # type: ignore[union-attr,arg-type]
        cells = [
            (c.rate.share, c.rate.k, c.rate.n, c.rate.ci.low, c.rate.ci.high, c.few) if c and c.rate.ci else None
            for c in row.cells
        ]
        rows.append(cohort_chart.HeatRow(label, str(row.size), cohort_chart.cells_of(cells, percent, hover)))
    return cohort_chart.heat_table(
        rows,
        [f"+{k}" for k in range(1, table.width + 1)],
        _("Cohort retention: %(who)s by %(by)s", who=WHO_LABELS[table.who], by=BY_LABELS[table.by]),
        _(
            "Each row is a cohort; each cell the share of its members who came back in that month after their "
            "first contact, of the members whose month is over. Hatched cells have fewer than %(min)s members.",
            min=MIN_CELL_N,
        ),
        _("n"),
        _("fewer than %(min)s members: too few to read", min=MIN_CELL_N),
    )


@bp.route("/campaigns/<int:campaign_id>/cohorts")
def page(campaign_id: int) -> str:
    """The cohort table and heat chart of `who` (respondents, customers) grouped `by` month or touchpoint."""
    workspace = current_workspace()
    campaign = touchpoint_services.get_campaign(workspace.id, campaign_id)
    who, by = read_choice()
    table = campaign_cohorts(campaign, who, by, workspace.timezone, utcnow())
    labels = _labels(campaign)
    return render_template(
        "analysis/cohorts.html",
        campaign=campaign,
        table=table,
        labels=labels,
        who=who,
        by=by,
        who_labels=WHO_LABELS,
        by_labels=BY_LABELS,
        chart=_chart(table, labels),
        min_n=MIN_CELL_N,
        campaigns=[c for c, _n in touchpoint_services.list_campaigns(workspace.id)],
    )


@bp.route("/campaigns/<int:campaign_id>/cohorts.<fmt>")
def download(campaign_id: int, fmt: str) -> Response:
    """The cohort table's cells as CSV (`?dialect=excel-de` for German Excel) or XLSX, one row per cell."""
    workspace = current_workspace()
    campaign = touchpoint_services.get_campaign(workspace.id, campaign_id)
    if fmt not in ("csv", "xlsx"):
        raise UnknownFormat()
    who, by = read_choice()
    table = campaign_cohorts(campaign, who, by, workspace.timezone, utcnow())
    rows = cohort_rows(table, _labels(campaign))
    found: Download = cohort_download(campaign, COHORT_HEADER, rows, fmt, dialect_named(request.args.get("dialect")))
    body = found.body if isinstance(found.body, bytes) else stream_with_context(found.body)
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
