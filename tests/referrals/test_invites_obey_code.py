"""Invite links obey the code they land on: a paused or expired code, or an archived campaign, answers at /i/ as
it does at /t/ (no survey), and opening the invite stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr.models import Code, Scan
from feedback.referrals.models import InviteAcceptance
from feedback.surveys.models import Response
from feedback.touchpoints.models import Campaign
from tests.helpers import count
from tests.phone import Respondent


@pytest.fixture
def invite(make_invite, make_code):  # noqa: ANN001,ANN201
    """An invite issued after an answer through a flyer's code (the code friends land on)."""
    return make_invite(make_code().touchpoint)


def _code_of(invite) -> Code:  # noqa: ANN001
    """The code the invite's friends land on: the one the referrer answered through."""
    return db.session.get(Code, db.session.get(Response, invite.response_id).code_id)


def _stop(invite, how: str) -> None:  # noqa: ANN001
    """Pause the invite's code, let it expire, or archive its campaign."""
    code = _code_of(invite)
    if how == "paused":
        code.paused_at = utcnow()
    elif how == "expired":
        code.expires_at = utcnow() - timedelta(minutes=1)
    else:
        db.session.get(Campaign, invite.campaign_id).archived_at = utcnow()
    db.session.commit()


def _rows() -> tuple[int, int, int]:
    db.session.commit()
    return count(Scan), count(Response), count(InviteAcceptance)


@pytest.mark.parametrize(
    ("how", "status", "says"),
    [
        ("paused", 200, "Dieser Code ist im Moment nicht aktiv."),
        ("expired", 410, "Der gescannte Code ist nicht mehr gültig."),
        ("archived", 200, "Dieser Code ist im Moment nicht aktiv."),
    ],
)
def test_an_invite_answers_like_its_stopped_code_and_stores_nothing(app, invite, how, status, says) -> None:
    _stop(invite, how)
    friend = Respondent(app.test_client())
    before = _rows()
    opened = friend.open(f"/i/{invite.code}")
    page = opened.get_data(as_text=True)
    assert opened.status_code == status
    assert "Diese Aktion ist beendet" in page and says in page
    assert 'name="state"' not in page and "eingeladen" not in page
    assert _rows() == before  # no scan, no response, no acceptance
    scanned = Respondent(app.test_client()).open(f"/t/{_code_of(invite).code}")
    assert scanned.status_code == status and says in scanned.get_data(as_text=True)


def test_an_invite_of_an_active_code_still_opens_the_survey(app, invite) -> None:
    page = Respondent(app.test_client()).open(f"/i/{invite.code}").get_data(as_text=True)
    assert 'name="state"' in page and "eingeladen" in page
    assert count(Scan) == 1


def test_a_restored_campaign_opens_its_invites_again(app, invite) -> None:
    _stop(invite, "archived")
    db.session.get(Campaign, invite.campaign_id).archived_at = None
    db.session.commit()
    page = Respondent(app.test_client()).open(f"/i/{invite.code}").get_data(as_text=True)
    assert 'name="state"' in page
