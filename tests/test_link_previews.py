"""Link previews and mail scanners GET (and HEAD) the links we send people: they consume nothing a person's visit
would, and are not counted as visits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.analysis.services import campaign_ratings
from feedback.auth import services as auth_services
from feedback.auth.models import Role, WorkspaceInvitation
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.offers import services as offers
from feedback.qr.models import Scan
from feedback.referrals.models import Invite
from feedback.referrals.services import referral_numbers
from feedback.texts import Texts
from tests.phone import answer, take_invite

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)


@pytest.fixture
def code(make_code):  # noqa: ANN001,ANN201
    """A flyer's code with the loyalty survey and an incentive for invites."""
    return make_code(incentive="10 % für dich und deine Freundin")

#: What chat apps, social networks and mail security gateways send when someone pastes or receives a link.
PREVIEWERS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
]


def _rows() -> dict[str, int]:
    """Rows per table, all tables but scans and unknown-code hits (whose bot rows are checked on their own)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name not in ("scan", "unknown_code_hit"):
            counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return counts


def _state() -> dict[str, object]:
    """What a person's visit would change: rows, pending invitations, issued invites, people's scans."""
    db.session.commit()
    return {
        "rows": _rows(),
        "pending": db.session.scalars(sa.select(WorkspaceInvitation.accepted_at)).all(),
        "invites": db.session.scalars(sa.select(Invite.revoked_at)).all(),
        "people": db.session.scalar(sa.select(sa.func.count()).where(Scan.is_bot.is_(False))),
    }


def test_previews_of_every_link_we_send_change_nothing_a_person_would(app, client, code, make_user) -> None:
    campaign = code.touchpoint.campaign
    offers.create_offer(campaign, offers.OfferData("Rabatt", Texts.of(de="10 % Rabatt", en="10 % off")))
    owner = make_user()
    _invitation, token = auth_services.invite_member(
        campaign.workspace, "new.colleague@example.com", Role.EDITOR, owner, utcnow(), 7
    )
    db.session.commit()
    thanks = answer(client, f"/t/{code.code}")
    invite_link = take_invite(client, thanks).replace("https://fb.example", "")
    links = [f"/t/{code.code}", f"/T/{code.code}", thanks, invite_link, f"/join/{token}"]
    before, ratings_before = _state(), campaign_ratings(campaign).total.counts
    numbers_before = referral_numbers(campaign, (None, None))[0]
    for agent in PREVIEWERS:
        previewer = app.test_client()  # no cookies: every preview comes fresh
        for link in links:
            for method in ("GET", "HEAD"):
                answered = previewer.open(link, method=method, headers={"User-Agent": agent})
                assert answered.status_code < 500, (agent, link, method)
    assert _state() == before
    assert campaign_ratings(campaign).total.counts == ratings_before
    assert referral_numbers(campaign, (None, None))[0] == numbers_before
    bots = db.session.scalar(sa.select(sa.func.count()).where(Scan.is_bot.is_(True)))
    assert bots == len(PREVIEWERS) * 6  # two /t and one /i link, GET and HEAD: stored, but only as bot visits
