"""Downloads that open in the marketer's spreadsheet: the CSV for German Excel read back with `;` gives the service's
numbers, the plain CSV stays as scripts know it, and LibreOffice opens the workbook with its numbers typed."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from feedback.analysis.exports import COLUMNS, rating_rows
from feedback.analysis.services import campaign_ratings
from feedback.auth.models import Role
from feedback.exports import EXCEL_DE, PLAIN, csv_stream, dialect_named
from feedback.touchpoints.models import Channel, Phase
from tests.helpers import WHEN

HOSTILE = '=HYPERLINK("http://evil.example","click")'
GERMAN_TIME = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """A campaign with a liked booth and a disliked flyer with a hostile name (a negative NPS), owned by a user of
    the German dashboard."""
    owner = make_user(locale="de")
    english = make_user(locale="en")
    workspace = make_workspace(owner=owner, name="Rösterei", members={english: Role.VIEWER})
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    booth = with_survey(make_touchpoint(campaign, "Messestand", Channel.TRADE_FAIR, Phase.AWARENESS, Decimal("900")))
    flyer = with_survey(make_touchpoint(campaign, HOSTILE, Channel.FLYER, Phase.CONSIDERATION, Decimal("300"), 5000))
    make_scans(booth, 40, visitors=30)
    make_scans(flyer, 25)
    for i, value in enumerate([10] * 9 + [9] * 4 + [7] * 3 + [5] * 3):
        make_response(booth, when=WHEN + timedelta(hours=i), nps=value, reason="-3,5 is what I'd give")
    for value in [9] * 2 + [7] * 4 + [3] * 8:
        make_response(flyer, nps=value)
    return {"owner": owner, "english": english, "workspace": workspace, "campaign": campaign}


def _german(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff") and "\r\n" in text
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def _number(cell: str) -> float | None:
    """A German Excel number back to a float (decimal comma, no thousands separator)."""
    return None if cell == "" else float(cell.replace(",", "."))


def test_a_cell_is_neutralised_before_it_is_formatted() -> None:
    """Numbers (negative ones too) stay numbers in both dialects; text that starts like a formula does not."""
    assert EXCEL_DE.cell(-3.5) == "-3,5" and PLAIN.cell(-3.5) == -3.5
    assert EXCEL_DE.cell(84.891234) == "84,891234" and EXCEL_DE.cell(Decimal("22.50")) == "22,50"
    assert EXCEL_DE.cell(12345) == 12345 and EXCEL_DE.cell(None) == "" and EXCEL_DE.cell(True) is True
    assert EXCEL_DE.cell("-3,5") == "'-3,5" and EXCEL_DE.cell(HOSTILE) == "'" + HOSTILE
    assert EXCEL_DE.cell(date(2026, 3, 1)) == "01.03.2026" and PLAIN.cell(date(2026, 3, 1)) == "2026-03-01"
    late = datetime(2026, 3, 10, 23, 30, 5, tzinfo=UTC)
    assert EXCEL_DE.in_zone("Europe/Berlin").cell(late) == "11.03.2026 00:30:05"
    assert PLAIN.in_zone("Europe/Berlin").cell(late) == "2026-03-10T23:30:05+00:00"
    text = "".join(csv_stream(["name", "value"], [["a;b", 1.25]], EXCEL_DE))
    assert text == '\ufeffname;value\r\n"a;b";1,25\r\n'
    assert dialect_named(None) is PLAIN and dialect_named("excel-de") is EXCEL_DE


def test_the_german_csv_reads_back_as_the_services_numbers(client, auth, shop) -> None:
    """Every cell of the German ratings CSV, read with `;` and its commas turned back into points, is the service's
    value; text that starts like a formula is neutralised and negative numbers are not."""
    auth.login(shop["owner"])
    base = f"/w/{shop['workspace'].slug}/campaigns/{shop['campaign'].id}/ratings.csv"
    response = client.get(base + "?dialect=excel-de")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, *rows = _german(response.get_data(as_text=True))
    assert header == [c.key for c in COLUMNS]
    expected = rating_rows(campaign_ratings(shop["campaign"]))
    assert len(rows) == len(expected) == 2
    for row, values in zip(rows, expected, strict=True):
        for column, cell, value in zip(COLUMNS, row, values, strict=True):
            if isinstance(value, float):
                assert "." not in cell, column.key
                assert _number(cell) == pytest.approx(value, rel=1e-9, abs=1e-12), column.key
            elif isinstance(value, int):
                assert cell == str(value), column.key
            elif value is None:
                assert cell == "", column.key
            else:
                assert cell == (("'" + value) if value.startswith(("=", "+", "-", "@")) else value), column.key
    flyer = dict(zip(header, next(r for r in rows if r[2].endswith('"click")')), strict=True))
    assert flyer["touchpoint"] == "'" + HOSTILE
    assert flyer["nps"].startswith("-") and _number(flyer["nps"]) < 0
    assert client.get(base + "?dialect=lotus").status_code == 400


def test_the_german_responses_have_local_dates_and_the_plain_ones_iso(client, auth, shop) -> None:
    """Times as TT.MM.JJJJ hh:mm:ss in the workspace's zone (Berlin: UTC + 1 in March) for German Excel, ISO 8601
    with the offset in the plain CSV, which keeps commas and points."""
    auth.login(shop["owner"])
    base = f"/w/{shop['workspace'].slug}/campaigns/{shop['campaign'].id}/responses.csv"
    header, *rows = _german(client.get(base + "?dialect=excel-de").get_data(as_text=True))
    german = [dict(zip(header, row, strict=True)) for row in rows]
    assert german[0]["started_at"] == "10.03.2026 13:00:00" and GERMAN_TIME.match(german[0]["completed_at"])
    assert german[0]["reason"] == "'-3,5 is what I'd give" and german[0]["nps"] == "10"

    text = client.get(base).get_data(as_text=True)
    assert text.startswith("\ufeffresponse_id,touchpoint,code,language,started_at,")
    plain = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert plain[0]["started_at"] == "2026-03-10T12:00:00+00:00" and ISO_TIME.match(plain[0]["completed_at"])
    ratings = client.get(base.replace("responses", "ratings") + "?dialect=plain").get_data(as_text=True)
    assert ratings.startswith("\ufeffrank,touchpoint_id,touchpoint,channel,phase,rating,")
    booth = next(
        r for r in csv.DictReader(io.StringIO(ratings.removeprefix("\ufeff"))) if r["touchpoint"] == "Messestand"
    )
    assert "." in booth["nps"] and "," not in booth["nps"]


def test_the_german_dashboard_offers_the_csv_for_german_excel_first(client, auth, shop) -> None:
    """German: the CSV for German Excel is the first link of the menu; English: the workbook, then the plain CSV,
    whose address is the one of before."""
    workspace, campaign = shop["workspace"], shop["campaign"]
    auth.login(shop["owner"])
    page = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings").get_data(as_text=True)
    links = re.findall(r'href="([^"]*/ratings\.[a-z]+[^"]*)"', page)
    assert links[0].endswith("ratings.csv?dialect=excel-de") and links[1].endswith("ratings.xlsx")
    assert "Auswertung (CSV für Excel, deutsch)" in page and "Auswertung (CSV, maschinenlesbar)" in page
    listing = client.get(f"/w/{workspace.slug}/").get_data(as_text=True)
    assert (
        re.findall(r'href="([^"]*/ratings\.[a-z]+[^"]*)"', listing)[0]
        == f"/w/{workspace.slug}/ratings.csv?dialect=excel-de"
    )
    auth.logout()

    auth.login(shop["english"])
    page = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings").get_data(as_text=True)
    links = re.findall(r'href="([^"]*/ratings\.[a-z]+[^"]*)"', page)
    assert [link.rsplit("/", 1)[1] for link in links] == [
        "ratings.xlsx",
        "ratings.csv",
        "ratings.csv?dialect=excel-de",
        "ratings.json",
    ]
    assert "Ratings (CSV, machine-readable)" in page and "Ratings (CSV for German Excel)" in page


def test_the_commands_write_the_german_dialect_when_asked(runner, shop) -> None:
    """`--dialect excel-de` on `feedback ratings` and `feedback codes`; plain stays the default."""
    slug = shop["campaign"].slug
    assert "excel-de" in runner.invoke(args=["ratings", "--help"]).output
    result = runner.invoke(args=["ratings", "--campaign", slug, "--dialect", "excel-de"])
    assert result.exit_code == 0, result.output
    header, *rows = _german(result.stdout_bytes.decode("utf-8"))  # `output` would turn CRLF into LF
    booth = dict(zip(header, next(r for r in rows if r[2] == "Messestand"), strict=True))
    expected = next(r for r in campaign_ratings(shop["campaign"]).rows if r.touchpoint.name == "Messestand")
    assert _number(booth["nps"]) == pytest.approx(expected.summary.nps.nps, abs=1e-6) and booth["scans"] == "40"
    assert runner.invoke(args=["ratings", "--campaign", slug]).output.startswith("\ufeffrank,touchpoint_id,")
    assert runner.invoke(args=["ratings", "--campaign", slug, "--dialect", "lotus"]).exit_code == 2

    codes = runner.invoke(args=["codes", "--campaign", slug, "--dialect", "excel-de"])
    assert codes.exit_code == 0, codes.output
    header, *rows = _german(codes.stdout_bytes.decode("utf-8"))
    assert header[:3] == ["workspace", "campaign", "touchpoint"] and {r[2] for r in rows} == {
        "Messestand",
        "'" + HOSTILE,
    }
    plain = runner.invoke(args=["codes", "--campaign", slug]).stdout_bytes.decode("utf-8")
    assert plain.startswith("workspace,campaign,touchpoint,") and "\r\n" not in plain


def _office() -> str:
    """LibreOffice's soffice; a skip where it is missing, a failure in CI (FEEDBACK_REQUIRE_OFFICE=1)."""
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("FEEDBACK_REQUIRE_OFFICE") == "1":
            pytest.fail("soffice not found; install it with: apt-get install -y libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui)")
    return found


def test_libreoffice_opens_the_workbook_with_its_numbers_typed(client, auth, shop, tmp_path: Path) -> None:
    """LibreOffice headless loads the ratings and responses workbooks and saves them again with the numbers as
    numbers and the times as times (read back with openpyxl)."""
    soffice = _office()
    auth.login(shop["owner"])
    base = f"/w/{shop['workspace'].slug}/campaigns/{shop['campaign'].id}"
    for name in ("ratings", "responses"):
        (tmp_path / f"{name}.xlsx").write_bytes(client.get(f"{base}/{name}.xlsx").data)
    sheets = load_workbook(tmp_path / "ratings.xlsx").sheetnames
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    converted = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "ratings.xlsx"),
            str(tmp_path / "responses.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert converted.returncode == 0, converted.stderr
    ratings = load_workbook(tmp_path / "out" / "ratings.xlsx")
    # ratings, comparisons, choices, drivers, themes, periods, trend, columns
    assert ratings.sheetnames == sheets and len(sheets) == 8
    sheet = ratings.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    expected = {r.touchpoint.name: r for r in campaign_ratings(shop["campaign"]).rows}
    booth = next(r for r in rows if r["touchpoint"].value == "Messestand")
    assert booth["scans"].data_type == "n" and booth["scans"].value == 40
    assert booth["nps"].data_type == "n"
    assert booth["nps"].value == pytest.approx(expected["Messestand"].summary.nps.nps, abs=1e-6)
    assert booth["cost_per_scan"].value == pytest.approx(22.5) and booth["promoters_share"].number_format.endswith("%")
    flyer = next(r for r in rows if r["touchpoint"].value.endswith('"click")'))
    assert flyer["touchpoint"].value == "'" + HOSTILE and flyer["touchpoint"].data_type == "s"
    assert flyer["nps"].data_type == "n" and flyer["nps"].value < 0

    responses = load_workbook(tmp_path / "out" / "responses.xlsx").worksheets[0]
    header = [c.value for c in responses[1]]
    first = dict(zip(header, next(responses.iter_rows(min_row=2)), strict=True))
    assert first["nps"].data_type == "n" and first["nps"].value == 10
    assert first["started_at"].is_date and first["started_at"].value == datetime(2026, 3, 10, 13, 0)
