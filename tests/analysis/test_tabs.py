"""The ratings page in tabs: each tab shows its part only, filters narrow every number the way the service does, bad
filter values are ignored with a message, and a mailing's personal codes are one row with their pooled numbers."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from feedback.analysis.filters import Filters
from feedback.analysis.services import campaign_report
from feedback.extensions import db
from feedback.qr import personal
from feedback.qr.models import Scan
from feedback.touchpoints.models import Channel, Phase
from tests.helpers import WHEN

HOSTILE = '<img src=x onerror="alert(1)">'
BATCH_NPS = [10, 9, 3, 10, 6, 8]

#: What only each tab shows (English headings).
PARTS = {
    "overview": ["Where the budget should go", "<h2>Ranking</h2>", "<h2>Weekly trend</h2>"],
    "touchpoints": ["<h2>Touchpoint matrix</h2>", "<h2>By channel</h2>", "<h2>By code (print variant)</h2>"],
    "journey": ["<h2>Customer journey</h2>", "<h2>By journey phase</h2>", 'id="landing-actions"'],
    "referrals": ["<h2>By referring touchpoint</h2>"],
    "offers": ["<h2>Revenue and leads</h2>"],
    "drivers": ['id="drivers"'],
}


@pytest.fixture
def rated(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """A booth (trade fair, awareness) rated well, a flyer with a hostile name (consideration) rated poorly, and a
    postal mailing (retention) with a batch of six personal codes, four of them answered."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner, name="Rösterei")
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    booth = with_survey(
        make_touchpoint(campaign, "Messestand", Channel.TRADE_FAIR, Phase.AWARENESS, Decimal("900"), 2000)
    )
    flyer = with_survey(make_touchpoint(campaign, HOSTILE, Channel.FLYER, Phase.CONSIDERATION, Decimal("300")))
    mailing = with_survey(make_touchpoint(campaign, "Kundenmailing", Channel.POSTAL_MAIL, Phase.RETENTION))
    make_scans(booth, 40, visitors=30)
    make_scans(flyer, 25)
    make_scans(mailing, 5)  # the mailing's shared code
    for value in [10] * 12 + [9] * 6 + [8] * 5 + [5] * 4:
        make_response(booth, nps=value)
    for value in [9] * 3 + [7] * 6 + [4] * 8 + [2] * 5:
        make_response(flyer, nps=value)
    batch = personal.issue_batch(mailing, "März", ["K-1", "K-2", "K-3", "K-4", "K-5", "K-6"], None)
    db.session.commit()
    codes = list(personal.batch_codes(batch))
    for i, value in enumerate(BATCH_NPS):
        code = codes[i % 4]  # two codes answered twice, two once, two never
        db.session.add(
            Scan(
                workspace_id=workspace.id,
                touchpoint_id=mailing.id,
                code_id=code.id,
                scanned_at=WHEN,
                visitor_key=f"{i:032d}",
                device_class="mobile",
                language="de",
            )
        )
        response = make_response(mailing, nps=value)
        response.code_id = code.id
    db.session.commit()
    return {
        "owner": owner,
        "workspace": workspace,
        "campaign": campaign,
        "booth": booth,
        "flyer": flyer,
        "mailing": mailing,
        "batch": batch,
        "base": f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings",
    }


def _get(client, url: str) -> str:  # noqa: ANN001
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _ranking_rows(page: str) -> list[str]:
    table = page[page.index('class="table ranking"') :].split("</table>")[0]
    return table.split("<tbody>")[1].split("</tr>")[:-1]


def _facts(page: str) -> str:
    return page[page.index('<dl class="facts">') :].split("</dl>")[0]


@pytest.mark.parametrize("tab", list(PARTS))
def test_each_tab_shows_its_part_and_none_of_the_others(client, auth, rated, tab) -> None:
    """One tab's sections, the tab marked as the current page, the others' sections absent."""
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?tab={tab}")
    for marker in PARTS[tab]:
        assert marker in page, marker
    for other, markers in PARTS.items():
        if other != tab:
            assert not any(marker in page for marker in markers), other
    current = re.findall(r'<a href="([^"]*)" data-tab="(\w+)" aria-current="page">', page)
    assert [name for _, name in current] == [tab]


def test_the_old_address_lands_on_the_overview_and_compare_is_a_tab(client, auth, rated) -> None:
    """/ratings without a tab is the overview; the compare tab is the compare page, which shows the tabs too."""
    auth.login(rated["owner"])
    page = _get(client, rated["base"] + "?from=2026-01-01")
    assert re.search(r'data-tab="overview" aria-current="page"', page)
    compare_link = re.search(r'<a href="([^"]*)" data-tab="compare"', page).group(1)
    assert urlsplit(compare_link).path.endswith("/compare") and "from=2026-01-01" in compare_link
    compare = _get(client, compare_link.replace("&amp;", "&"))
    assert re.search(r'data-tab="compare" aria-current="page"', compare) and "Compare touchpoints" in compare
    moved = client.get(rated["base"] + "?tab=compare&channel=flyer")
    assert moved.status_code == 302 and "/compare?" in moved.headers["Location"]
    assert "channel=flyer" in moved.headers["Location"]


def test_a_channel_filter_narrows_the_rows_and_numbers_as_the_service_does(client, auth, rated) -> None:
    """The overview filtered by a channel lists its touchpoint only; its facts are the service's numbers for the
    same filter; ranks stay the campaign's."""
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?channel=trade_fair")
    rows = _ranking_rows(page)
    assert len(rows) == 1 and ">Messestand</a>" in rows[0]
    report = campaign_report(rated["campaign"], filters=Filters(channel="trade_fair"))
    whole = campaign_report(rated["campaign"])
    assert report.total.counts.scans == 40 and report.total.counts.scans < whole.total.counts.scans
    facts = _facts(page)
    assert re.search(rf"<dd>{report.total.counts.scans} <span", facts)
    assert f"<strong>{round(report.total.nps.nps)}</strong>" in facts
    assert f"n = {report.total.nps.n}" in facts
    booth = next(r for r in whole.ratings.rows if r.touchpoint.id == rated["booth"].id)
    assert rows[0].split("</td>")[0].endswith(f">{booth.rank}")
    chip = re.search(r'<a class="chip" href="([^"]*)">Channel: Trade fair', page)
    assert chip and "channel=" not in chip.group(1)


def test_filters_combine_and_narrow_the_code_and_channel_tables(client, auth, rated) -> None:
    """Touchpoints tab by phase: only the mailing's channel and codes; touchpoint and phase together give its
    numbers; a combination that matches nothing says so."""
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?tab=touchpoints&phase=retention")
    channels = page[page.index("<h2>By channel</h2>") :].split("</table>")[0]
    assert channels.count('<tr><th scope="row">') == 1 and "Postal mail" in channels
    codes = page[page.index('id="codes"') :].split("</tbody>\n</table></div>")[0]
    assert "Messestand" not in codes and "März" in codes
    mailing = rated["mailing"].id
    report = campaign_report(rated["campaign"], filters=Filters(touchpoint=mailing, phase="retention"))
    both = _get(client, f"{rated['base']}?touchpoint={mailing}&phase=retention")
    assert f"n = {report.total.nps.n}" in _facts(both) and report.total.nps.n == len(BATCH_NPS)
    none = _get(client, f"{rated['base']}?touchpoint={mailing}&phase=awareness")
    assert "No touchpoint of this campaign matches these filters." in none
    assert _ranking_rows(none) == []


def test_filter_links_keep_the_tab_the_period_and_the_other_filters(client, auth, rated) -> None:
    """A channel clicked on the touchpoints tab of a period filtered by phase keeps all three."""
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?tab=touchpoints&from=2026-01-01&to=2026-12-31&phase=awareness")
    link = re.search(r'<a class="filterlink" href="([^"]*)"[^>]*>Trade fair</a>', page).group(1)
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query == {
        "tab": ["touchpoints"],
        "from": ["2026-01-01"],
        "to": ["2026-12-31"],
        "phase": ["awareness"],
        "channel": ["trade_fair"],
    }
    form = page[page.index('<form class="period"') :].split("</form>")[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert hidden == {"tab": "touchpoints", "phase": "awareness"}  # the period form keeps the rest


@pytest.mark.parametrize(
    "query",
    [
        "touchpoint=abc",
        "touchpoint=99999999999999999999999",
        "touchpoint=-1",
        "channel=%3Cscript%3Ealert(1)%3C/script%3E",
        "phase=nowhere",
        "tab=%3Cb%3E",
        "tab=overview&tab=journey&channel=",
    ],
)
def test_bad_filter_values_are_ignored_with_a_message_never_an_error(client, auth, rated, query) -> None:
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?{query}")
    assert len(_ranking_rows(page)) == 3 or "data-tab=\"journey\" aria-current" in page
    assert "<script>alert(1)" not in page and "<b>" not in page
    if "abc" in query or "999" in query or "-1" in query:
        assert "This campaign has no such touchpoint" in page
    if "script" in query:
        assert "There is no such channel" in page
    if "phase" in query:
        assert "There is no such journey phase" in page
    if "%3Cb" in query:
        assert "This part of the ratings does not exist" in page


def test_another_workspaces_touchpoint_is_no_filter(
    client, auth, rated, make_workspace, make_campaign, make_touchpoint
) -> None:
    """A touchpoint id of another workspace (or campaign) is ignored: nothing of it shows, the message does."""
    stranger = make_touchpoint(make_campaign(workspace=make_workspace(name="Fremd"), name="X"), "Fremdplakat")
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?touchpoint={stranger.id}")
    assert "Fremdplakat" not in page and "This campaign has no such touchpoint" in page
    assert len(_ranking_rows(page)) == 3


def test_a_hostile_touchpoint_name_is_escaped_in_its_chip_and_links(client, auth, rated) -> None:
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?tab=offers&touchpoint={rated['flyer'].id}")
    assert HOSTILE not in page
    assert "Touchpoint: &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_a_mailing_batch_is_one_row_with_numbers_over_its_pooled_answers(client, auth, rated) -> None:
    """Six personal codes, four answered: one row (not four) whose NPS and interval come from all six answers
    together, expandable to the four codes' own rows."""
    auth.login(rated["owner"])
    page = _get(client, f"{rated['base']}?tab=touchpoints")
    codes = page[page.index('id="codes"') :].split("</tbody>\n</table></div>")[0]
    rows = re.findall(r'<tr class="coderow[^"]*">', codes)
    assert len(rows) == 4  # booth's, flyer's and the mailing's shared codes, and the batch
    assert rows.count('<tr class="coderow coderow--batch">') == 1
    batch_row = codes[codes.index("coderow--batch") :].split('<tr class="coderow')[0]
    assert "<details" in batch_row and "6 personal codes" in batch_row and "4 codes with answers or scans" in batch_row
    assert batch_row.count('<tr><th scope="row">') == 4  # the codes inside
    scores = np.where(np.array(BATCH_NPS) >= 9, 1, np.where(np.array(BATCH_NPS) <= 6, -1, 0))
    pooled = round(100 * scores.mean())
    cells = batch_row.split("</details>")[1]
    assert f"<strong>{pooled}</strong>" in cells and f'<td class="num">{len(BATCH_NPS)}</td>' in cells
    report = campaign_report(rated["campaign"])
    group = next(g for g in report.codes if g.batch == "März")
    assert group.row.summary.nps.n == len(BATCH_NPS) and len(group.codes) == 4
    assert group.row.summary.nps.nps == pytest.approx(100 * scores.mean())
    low, high = group.row.summary.nps.ci.low, group.row.summary.nps.ci.high
    assert f"{round(low)} … {round(high)}".replace("-", "−") in cells or f"{round(low)} … {round(high)}" in cells
    assert group.row.summary.counts.scans == len(BATCH_NPS)
