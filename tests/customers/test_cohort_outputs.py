"""The cohort table is the same on the page, in the CSV and XLSX downloads and through the API; the ratings page
shows the customers' lifetime values."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from feedback.analysis.cohort_queries import campaign_cohorts
from feedback.analysis.cohorts import By, Who
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from tests.customers.histories import History, key


@pytest.fixture
def campaign(make_user, make_workspace, make_campaign, make_touchpoint, with_survey):
    """Twelve respondents three months ago at a booth, four of them back a month later; two customers."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner)
    campaign = make_campaign(workspace=workspace, name="Spring")
    booth = with_survey(make_touchpoint(campaign, "Booth <b>"))
    now = utcnow()
    h = History()
    start = now - timedelta(days=95)
    for i in range(12):
        response = h.respond(booth, start + timedelta(hours=i), key(f"p{i}"))
        if i < 4:
            h.scan(booth, start + timedelta(days=31), key(f"p{i}"))
        if i < 2:
            h.coupon(response, start + timedelta(days=1), "20.00")
            h.contact(response, f"p{i}@example.com")
    h.coupon(h.respond(booth, start + timedelta(days=32), key("p0")), start + timedelta(days=33), "35.00")
    db.session.commit()
    return {"owner": owner, "workspace": workspace, "campaign": campaign}


@pytest.mark.parametrize(("who", "by"), [(Who.RESPONDENTS, By.MONTH), (Who.CUSTOMERS, By.TOUCHPOINT)])
def test_page_downloads_and_api_show_the_same_cells(client, auth, campaign, who, by) -> None:
    ws, cid = campaign["workspace"].slug, campaign["campaign"].id
    table = campaign_cohorts(campaign["campaign"], who, by, campaign["workspace"].timezone, utcnow())
    wanted = [
        (c.k, c.rate.k, c.rate.n, pytest.approx(c.rate.ci.low), pytest.approx(c.rate.ci.high), c.few)
        for row in table.rows
        for c in row.cells
        if c is not None
    ]
    assert wanted and table.members == (12 if who is Who.RESPONDENTS else 2)
    auth.login(campaign["owner"])
    base = f"/w/{ws}/campaigns/{cid}/cohorts"
    query = f"?who={who.value}&by={by.value}"
    page = client.get(base + query, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "<b>" not in text
    if by is By.TOUCHPOINT:
        assert "Booth &lt;b&gt;" in text
    text_csv = client.get(base + ".csv" + query).get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text_csv)))
    found_csv = [
        (int(r["months_after"]), int(r["came_back"]), int(r["n"]), float(r["rate_low"]), float(r["rate_high"]),
         r["too_few"] == "True")
        for r in rows
    ]  # fmt: skip
    assert found_csv == wanted
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx" + query).data))
    sheet = list(book.active.iter_rows(values_only=True))
    head = sheet[0]
    columns = ("months_after", "came_back", "n", "rate_low", "rate_high", "too_few")
    assert [tuple(r[head.index(c)] for c in columns) for r in sheet[1:]] == wanted
    _token, secret = api_services.create_token(
        campaign["workspace"].id, "BI", Scope.READ, campaign["owner"].id, utcnow()
    )
    db.session.commit()
    api = client.get(f"/api/v1/campaigns/{cid}/cohorts{query}", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    assert [tuple(c[k] for k in columns) for c in api.get_json()["cells"]] == wanted
    for cell in table.rows[0].cells:
        if cell is not None:
            assert f"n = {cell.rate.n}" in text


def test_unknown_choices_are_refused(client, auth, campaign) -> None:
    auth.login(campaign["owner"])
    base = f"/w/{campaign['workspace'].slug}/campaigns/{campaign['campaign'].id}/cohorts"
    assert client.get(base + "?who=visitors").status_code == 400
    assert client.get(base + ".pdf").status_code == 404


def test_the_ratings_page_shows_customers_and_their_lifetime_value(client, auth, campaign) -> None:
    auth.login(campaign["owner"])
    page = client.get(
        f"/w/{campaign['workspace'].slug}/campaigns/{campaign['campaign'].id}/ratings?tab=offers",
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    card = page[page.index('id="customers"') :]
    assert "Customer lifetime value" in card and "n = 2" in card and "too few" in card
