"""Personalised codes for mailings: upload or count, mail-merge CSV, ZIP of images, reference on answers, notices."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from feedback.auth.models import Membership, Role
from feedback.extensions import db
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.models import Code, CodeBatch
from feedback.referrals.models import Invite
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel
from feedback.touchpoints.services import touchpoints_of
from tests.helpers import count
from tests.phone import PHONE, answer, take_invite

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def mailing(client, auth, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A postal-mail touchpoint with the loyalty survey, its editor logged in."""
    editor = make_user()
    workspace = make_workspace("Rösterei", members={editor: Role.EDITOR})
    auth.login(editor)
    touchpoint = make_touchpoint(
        campaign=make_campaign(workspace=workspace), name="Kundenmailing März", channel=Channel.POSTAL_MAIL
    )
    survey_services.attach(touchpoint, survey_services.create_survey(workspace.id, "Treue", "loyalty"))
    db.session.commit()
    return touchpoint


def _ws(touchpoint) -> str:  # noqa: ANN001
    return f"/w/{touchpoint.campaign.workspace.slug}"


def _upload(client, touchpoint, data: bytes, name: str = "Mailing März", **extra):  # noqa: ANN001, ANN202
    form = {"name": name, "references": (io.BytesIO(data), "empfaenger.csv"), **extra}
    return client.post(
        f"{_ws(touchpoint)}/touchpoints/{touchpoint.id}/batches",
        data=form,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


# --- reading the uploaded references --------------------------------------------------------------------------


def test_references_come_from_the_reference_column_of_a_german_excel_csv(app) -> None:
    data = "Name;Referenz;Ort\r\nMüller;K-1001;Köln\r\n;;\r\nSchäfer;K-1002;Bonn\r\n".encode("cp1252")
    assert personal.parse_references(data) == ["K-1001", "K-1002"]


def test_without_a_reference_header_the_first_column_of_every_row_counts(app) -> None:
    data = "\ufeffCRM-1,Anna\nCRM-2,Ben\n\nCRM-3\n".encode()
    assert personal.parse_references(data) == ["CRM-1", "CRM-2", "CRM-3"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "contains no references"),
        (b"reference\nA\nB\nA\n", "Line 4: \u201cA\u201d already appears in line 2."),
        (b"reference,x\n,filled\n", "Line 2: the reference is empty."),
        (("x" * 121 + "\n").encode(), "Line 1: longer than 120 characters."),
        ("\n".join(str(i) for i in range(10_001)).encode(), "more than 10,000 per batch"),
    ],
)
def test_bad_reference_files_are_refused_with_the_line(app, data: bytes, message: str) -> None:
    with pytest.raises(personal.BatchError) as refused:
        personal.parse_references(data)
    assert message in str(refused.value.message)


# --- the dashboard ---------------------------------------------------------------------------------------------


def test_an_uploaded_csv_makes_one_personal_code_per_recipient(client, mailing) -> None:
    page = _upload(client, mailing, b"reference\nK-1001\nK-1002\nK-1003\n")
    html = page.get_data(as_text=True)
    assert "3 personalised codes created in “Mailing März”." in html
    batch = db.session.scalar(sa.select(CodeBatch))
    codes = list(db.session.scalars(sa.select(Code).where(Code.batch_id == batch.id).order_by(Code.id)))
    assert [c.reference for c in codes] == ["K-1001", "K-1002", "K-1003"] and batch.size == 3
    assert len({c.code for c in codes}) == 3 and all(c.touchpoint_id == mailing.id for c in codes)
    assert "K-1002" in html and codes[1].code[:4] in html  # the batch page lists references and codes
    # friends invited by recipients need a code that is nobody's: one shared code exists, unprinted
    shared = qr_services.codes_of(mailing)
    assert [c.label for c in shared] == ["Invited friends"] and shared[0].reference is None
    touchpoint_page = client.get(f"{_ws(mailing)}/touchpoints/{mailing.id}").get_data(as_text=True)
    assert "not anonymous" in touchpoint_page and "Mailing März" in touchpoint_page
    assert codes[0].code not in touchpoint_page  # personal codes are not listed among the printed ones
    campaign_page = client.get(f"{_ws(mailing)}/campaigns/{mailing.campaign_id}").get_data(as_text=True)
    assert "not anonymous" in campaign_page


def test_a_count_makes_numbered_references_that_continue(client, mailing) -> None:
    _upload(client, mailing, b"00002\n")
    client.post(
        f"{_ws(mailing)}/touchpoints/{mailing.id}/batches",
        data={"name": "", "count": "3"},
        content_type="multipart/form-data",
    )
    references = db.session.scalars(sa.select(Code.reference).where(Code.reference.is_not(None)).order_by(Code.id))
    assert list(references) == ["00002", "00003", "00004", "00005"]
    assert db.session.scalar(sa.select(CodeBatch.name).order_by(CodeBatch.id.desc())).startswith("Mailing of ")


def test_bad_uploads_create_nothing_and_say_why(client, mailing) -> None:
    _upload(client, mailing, b"K-1\n")
    before = (count(Code), count(CodeBatch))
    html = _upload(client, mailing, b"K-2\nK-1\n").get_data(as_text=True)
    assert "Nothing was created." in html and "“K-1” already has a code on this touchpoint." in html
    html = _upload(client, mailing, b"A\nA\n").get_data(as_text=True)
    assert "Line 2: “A” already appears in line 1." in html
    neither = client.post(
        f"{_ws(mailing)}/touchpoints/{mailing.id}/batches", data={"name": "x"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Choose a CSV file of references or give a number of codes." in neither
    too_many = client.post(
        f"{_ws(mailing)}/touchpoints/{mailing.id}/batches", data={"count": "10001"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "10000" in too_many.replace(",", "").replace(".", "")
    hostile = _upload(client, mailing, b"<script>alert(1)</script>\n<script>alert(1)</script>\n")
    assert "<script>alert(1)" not in hostile.get_data(as_text=True)
    assert (count(Code), count(CodeBatch)) == before


def test_a_batch_is_issued_from_either_references_or_a_count_never_both_or_neither(mailing) -> None:
    for references, number in ((["K-1"], 2), (None, None)):
        with pytest.raises(personal.BatchError, match="Give either references or count."):
            personal.issue_batch(mailing, "März", references, number)
    assert (count(Code), count(CodeBatch)) == (0, 0)
    listed = personal.issue_batch(mailing, "März", ["K-1", "K-2"], None)
    numbered = personal.issue_batch(mailing, "April", None, 2)
    assert (listed.size, numbered.size) == (2, 2)
    references = db.session.scalars(sa.select(Code.reference).where(Code.reference.is_not(None)).order_by(Code.id))
    assert list(references) == ["K-1", "K-2", "00003", "00004"]


def test_viewers_cannot_create_and_other_workspaces_see_nothing(
    client, auth, mailing, make_user, make_workspace
) -> None:
    _upload(client, mailing, b"K-1\n")
    batch = db.session.scalar(sa.select(CodeBatch))
    viewer = make_user()
    db.session.add(Membership(user=viewer, workspace=mailing.campaign.workspace, role=Role.VIEWER.value))
    db.session.commit()
    auth.logout()
    auth.login(viewer)
    assert client.get(f"{_ws(mailing)}/batches/{batch.id}").status_code == 200
    refused = client.post(f"{_ws(mailing)}/touchpoints/{mailing.id}/batches", data={"count": "2"})
    assert refused.status_code == 403 and count(CodeBatch) == 1
    stranger = make_user()
    other = make_workspace(owner=stranger)
    auth.logout()
    auth.login(stranger)
    for path in ("", "/mailmerge.csv", "/codes.zip"):
        assert client.get(f"/w/{other.slug}/batches/{batch.id}{path}").status_code == 404


def test_the_mail_merge_csv_ties_references_to_codes_and_urls(client, mailing) -> None:
    _upload(client, mailing, b'reference\nK-1001\n=HYPERLINK("http://evil")\n')
    batch = db.session.scalar(sa.select(CodeBatch))
    response = client.get(f"{_ws(mailing)}/batches/{batch.id}/mailmerge.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "kundenmailing-marz-mailing-marz" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    codes = {c.reference: c.code for c in db.session.scalars(sa.select(Code).where(Code.batch_id == batch.id))}
    assert list(rows[0]) == ["reference", "code", "code_display", "url"]
    assert rows[0] == {
        "reference": "K-1001",
        "code": codes["K-1001"],
        "code_display": f"{codes['K-1001'][:4]}-{codes['K-1001'][4:]}",
        "url": f"HTTPS://FB.EXAMPLE/T/{codes['K-1001']}",
    }
    assert rows[1]["reference"] == '\'=HYPERLINK("http://evil")'  # formula neutralised
    assert client.get(f"/t/{rows[0]['code']}", headers=PHONE).status_code == 200
    german = client.get(f"{_ws(mailing)}/batches/{batch.id}/mailmerge.csv?dialect=excel-de").get_data(as_text=True)
    assert german.startswith("\ufeffreference;code;code_display;url\r\n")
    assert list(csv.DictReader(io.StringIO(german.lstrip("\ufeff")), delimiter=";")) == rows


def test_the_zip_holds_a_scannable_image_per_recipient_and_the_mail_merge_file(client, mailing) -> None:
    _upload(client, mailing, "reference\nK-1001\nMüller/Köln 7\n".encode())
    batch = db.session.scalar(sa.select(CodeBatch))
    response = client.get(f"{_ws(mailing)}/batches/{batch.id}/codes.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    codes = {c.reference: c.code for c in db.session.scalars(sa.select(Code).where(Code.batch_id == batch.id))}
    assert names == sorted(
        [
            "mailmerge.csv",
            f"png/K-1001_{codes['K-1001']}.png",
            f"svg/K-1001_{codes['K-1001']}.svg",
            f"png/Muller-Koln-7_{codes['Müller/Köln 7']}.png",
            f"svg/Muller-Koln-7_{codes['Müller/Köln 7']}.svg",
        ]
    )
    image = Image.open(io.BytesIO(archive.read(f"png/K-1001_{codes['K-1001']}.png")))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"HTTPS://FB.EXAMPLE/T/{codes['K-1001']}"]
    svg_only = zipfile.ZipFile(io.BytesIO(client.get(f"{_ws(mailing)}/batches/{batch.id}/codes.zip?formats=svg").data))
    assert not any(n.startswith("png/") for n in svg_only.namelist())
    assert client.get(f"{_ws(mailing)}/batches/{batch.id}/codes.zip?formats=gif").status_code == 400


def test_the_batch_page_finds_a_recipient_by_reference_or_code(client, mailing) -> None:
    _upload(client, mailing, b"reference\nK-1001\nK-2002\n100%_sure\n")
    batch = db.session.scalar(sa.select(CodeBatch))
    code = db.session.scalar(sa.select(Code).where(Code.reference == "K-2002"))
    by_reference = client.get(f"{_ws(mailing)}/batches/{batch.id}?q=k-20").get_data(as_text=True)
    assert "K-2002" in by_reference and "K-1001" not in by_reference
    by_code = client.get(f"{_ws(mailing)}/batches/{batch.id}?q={code.code.lower()}").get_data(as_text=True)
    assert "K-2002" in by_code and "K-1001" not in by_code
    wildcard = client.get(f"{_ws(mailing)}/batches/{batch.id}?q=%25").get_data(as_text=True)
    assert "100%_sure" in wildcard and "K-1001" not in wildcard  # % is searched for, not a wildcard


# --- respondents -------------------------------------------------------------------------------------------------


def test_answers_through_a_personal_code_carry_the_reference_and_the_respondent_is_told(app, client, mailing) -> None:
    _upload(client, mailing, b"reference\nK-1001\n")
    code = db.session.scalar(sa.select(Code).where(Code.reference == "K-1001"))
    recipient = app.test_client()
    page = recipient.get(f"/t/{code.code}", headers={**PHONE, "Accept-Language": "de"}).get_data(as_text=True)
    assert "Dieser Link wurde Ihnen persönlich zugeschickt" in page and "nicht anonym" in page
    answer(recipient, f"/t/{code.code}", nps="10")
    response = db.session.scalar(sa.select(Response))
    assert response.code_id == code.id and response.completed_at is not None
    survey = survey_services.list_surveys(mailing.workspace_id)[0][0]
    export = client.get(f"{_ws(mailing)}/surveys/{survey.id}/responses.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows[0]["reference"] == "K-1001" and rows[0]["code"] == code.code
    listed = client.get(f"{_ws(mailing)}/surveys/{survey.id}/responses").get_data(as_text=True)
    assert "badge--personal" in listed and "K-1001" in listed
    batch_page = client.get(f"{_ws(mailing)}/batches/{code.batch_id}").get_data(as_text=True)
    assert "Recipients who scanned" in batch_page
    stats = personal.batch_stats(mailing)[code.batch_id]
    assert (stats.scanned_codes, stats.responses) == (1, 1)
    shared = qr_services.codes_of(mailing)[0]
    assert "persönlich" not in recipient.get(f"/t/{shared.code}", headers=PHONE).get_data(as_text=True)


def test_a_friend_invited_by_a_recipient_never_answers_under_the_recipients_reference(app, client, mailing) -> None:
    _upload(client, mailing, b"reference\nK-1001\n")
    code = db.session.scalar(sa.select(Code).where(Code.reference == "K-1001"))
    recipient, friend = app.test_client(), app.test_client()
    link = take_invite(recipient, answer(recipient, f"/t/{code.code}"))
    page = friend.get(link.replace("https://fb.example", ""), headers=PHONE).get_data(as_text=True)
    assert "persönlich" not in page
    answer(friend, link.replace("https://fb.example", ""))
    friends_answer = db.session.scalar(sa.select(Response).where(Response.invite_id.is_not(None)))
    assert friends_answer is not None and count(Invite) == 1
    assert db.session.get(Code, friends_answer.code_id).reference is None


def test_the_print_sheet_leaves_personal_codes_to_the_mail_merge(client, mailing) -> None:
    qr_services.create_code(mailing, "Beileger")
    db.session.commit()
    _upload(client, mailing, b"K-1\nK-2\n")
    printed = [c.label for c, _t in qr_services.campaign_codes(mailing.campaign, touchpoints_of(mailing.campaign))]
    assert printed == ["Beileger"]  # it already had a shared code, so no extra one for invited friends
