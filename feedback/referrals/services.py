"""Use cases for referrals: issue, resolve, open, accept, revoke, and the numbers analysis needs."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from feedback.analysis.summaries import ReferralMetrics, Referrals, referral_metrics
from feedback.extensions import db
from feedback.qr.codes import InvalidCode, generate_code, normalise_code
from feedback.qr.models import Code, Scan
from feedback.referrals.models import INVITE_CODE_LENGTH, Invite, InviteAcceptance
from feedback.surveys.models import Answer, Response
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Campaign, Touchpoint

PROMOTER_MIN = 9


@dataclass(frozen=True)
class ResolvedInvite:
    """An invite with what /i needs: the campaign and the touchpoint invited friends land on."""

    invite: Invite
    campaign: Campaign
    landing: Touchpoint
    code: Code | None


@dataclass(frozen=True)
class ReferralNumbers:
    """Referral figures of one referring touchpoint (or a whole campaign): the respondents who completed in the
    period, the invites they took, the opens of those links and the friends they won (whenever those answered)."""

    referrals: Referrals
    opens: int
    median_hours_to_accept: float | None

    @property
    def metrics(self) -> ReferralMetrics:
        """Acceptance rate, friends per invite and k-factor with their intervals (feedback.analysis.summaries)."""
        return referral_metrics(self.referrals)


def offers_invite(response: Response, campaign: Campaign) -> bool:
    """Whether the campaign offers this respondent a personal invite."""
    if response.completed_at is None or response.flagged or campaign.invite_policy == "off":
        return False
    if campaign.invite_policy == "promoters":
        nps = db.session.scalar(
            sa.select(Answer.value_number).where(Answer.response_id == response.id, Answer.question_type == "nps")
        )
        return nps is not None and nps >= PROMOTER_MIN
    return True


def invite_of(response: Response) -> Invite | None:
    """The invite already issued for a response."""
    return db.session.scalar(sa.select(Invite).where(Invite.response_id == response.id))


def issue_invite(response: Response, campaign: Campaign, now: datetime, device: str = "") -> Invite:
    """The respondent's personal invite (the same one when asked again); the caller commits. `device` is the
    network + device signature of the request taking it: a friend answering from it within the campaign's repeat
    window is the referrer themselves (kept for a day)."""
    existing = invite_of(response)
    if existing is not None:
        return existing
    parent = db.session.get(Invite, response.invite_id) if response.invite_id else None
    while True:
        token = generate_code(INVITE_CODE_LENGTH)
        if db.session.scalar(sa.select(Invite.id).where(Invite.code == token)) is None:
            break
    invite = Invite(
        workspace_id=response.workspace_id,
        campaign_id=campaign.id,
        touchpoint_id=response.touchpoint_id,
        response_id=response.id,
        code=token,
        referrer_visitor_key=response.visitor_key,
        referrer_signature=device,
        generation=(parent.generation + 1) if parent else 1,
        parent_invite_id=parent.id if parent else None,
        created_at=now,
    )
    db.session.add(invite)
    db.session.flush()
    return invite


def resolve_invite(typed: str) -> ResolvedInvite | None:
    """The invite behind a typed or clicked code, with the touchpoint friends land on; None if unknown."""
    try:
        token = normalise_code(typed, INVITE_CODE_LENGTH)
    except InvalidCode:
        return None
    row = db.session.execute(
        sa.select(Invite, Campaign).join(Campaign, Campaign.id == Invite.campaign_id).where(Invite.code == token)
    ).first()
    if row is None:
        return None
    invite, campaign = row
    landing = db.session.get(Touchpoint, campaign.referral_touchpoint_id or invite.touchpoint_id)
    if landing is None:
        return None
    code = None
    if landing.id == invite.touchpoint_id:
        referrer_code = db.session.scalar(sa.select(Response.code_id).where(Response.id == invite.response_id))
        code = db.session.get(Code, referrer_code) if referrer_code else None
    if code is None or code.is_personal:  # a friend must never answer under the referrer's personal reference
        code = db.session.scalar(
            sa.select(Code).where(Code.touchpoint_id == landing.id, Code.batch_id.is_(None)).order_by(Code.id).limit(1)
        )
    return ResolvedInvite(invite, campaign, landing, code)


def accept(response: Response, now: datetime) -> bool:
    """Count a completed response that came through an invite; False for self-referrals and repeats."""
    if response.invite_id is None or response.completed_at is None or response.flagged:
        return False
    invite = db.session.get(Invite, response.invite_id)
    if invite is None or invite.revoked_at is not None or invite.referrer_visitor_key == response.visitor_key:
        return False
    if invite.response_id == response.id:
        return False
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InviteAcceptance)
    result = db.session.execute(
        insert.values(
            workspace_id=response.workspace_id,
            invite_id=invite.id,
            response_id=response.id,
            visitor_key=response.visitor_key,
            accepted_at=now,
        ).on_conflict_do_nothing()
    )
    return bool(result.rowcount)


def get_invite(workspace_id: int, invite_id: int) -> Invite:
    """One invite of the workspace or NotFound."""
    return get_owned(Invite, workspace_id, invite_id)


def revoke(workspace_id: int, invite_id: int, now: datetime) -> Invite:
    """Stop an invite from attributing anything new; the caller commits."""
    invite = get_owned(Invite, workspace_id, invite_id)
    invite.revoked_at = now
    return invite


def _within(column: sa.ColumnElement[datetime], period: tuple[datetime | None, datetime | None]) -> list:
    """Conditions limiting a time column to [start, end)."""
    start, end = period
    return [c for c in (column >= start if start else None, column < end if end else None) if c is not None]


def _median_hours(
    campaign: Campaign, counted: tuple[sa.ColumnElement[bool], ...], touchpoint_id: int | None = None
) -> float | None:
    """Median time from issuing an invite to an acceptance, in hours, over the invites of the counted respondents
    (the same people as every other referral number)."""
    query = (
        sa.select(Invite.created_at, InviteAcceptance.accepted_at)
        .join(InviteAcceptance, InviteAcceptance.invite_id == Invite.id)
        .join(Response, Response.id == Invite.response_id)
        .where(Invite.campaign_id == campaign.id, Invite.workspace_id == campaign.workspace_id, *counted)
    )
    if touchpoint_id is not None:
        query = query.where(Invite.touchpoint_id == touchpoint_id)
    gaps = [(accepted - issued).total_seconds() / 3600 for issued, accepted in db.session.execute(query)]
    return statistics.median(gaps) if gaps else None


def referral_numbers(
    campaign: Campaign,
    period: tuple[datetime | None, datetime | None] = (None, None),
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
    respondents: Mapping[int, int] | None = None,
) -> tuple[dict[int, ReferralNumbers], ReferralNumbers]:
    """Per referring touchpoint and for the whole campaign (counted by the database, GROUP BY touchpoint).

    The invites are few and are read from their side (each joined to its response by key); the respondents without
    one are the touchpoint's respondents less those with one.

    :param period: UTC [start, end) of the respondents' starts (as every response count); their invites, the opens
        of those and the friends won count whenever they happened, so that every rate is about the same people.
    :param responses: conditions on Response: only the respondents meeting them (an analysis segment).
    :param respondents: the completed, counted responses per touchpoint of that period (and segment), when the
        caller has them already (the ratings' roll-ups); otherwise they are counted here.
    """
    ws = campaign.workspace_id
    touchpoint_ids = list(
        db.session.scalars(
            owned(Touchpoint, ws, Touchpoint.campaign_id == campaign.id).with_only_columns(Touchpoint.id)
        )
    )
    counted = (
        Response.workspace_id == ws,
        Response.touchpoint_id.in_(touchpoint_ids),
        Response.completed_at.is_not(None),
        Response.flagged.is_(False),
        *_within(Response.started_at, period),
        *(responses or ()),
    )
    if respondents is None:
        respondents = dict(
            db.session.execute(  # type: ignore[arg-type]
                sa.select(Response.touchpoint_id, sa.func.count()).where(*counted).group_by(Response.touchpoint_id)
            ).all()
        )
    friends = (
        sa.select(InviteAcceptance.invite_id, sa.func.count().label("n"))
        .where(InviteAcceptance.workspace_id == ws)
        .group_by(InviteAcceptance.invite_id)
        .subquery()
    )
    won = sa.func.coalesce(friends.c.n, 0).label("won")
    grouped: dict[int, dict[tuple[bool, int], int]] = {tp: {} for tp in touchpoint_ids}
    invited: dict[int, int] = defaultdict(int)
    for tp, n_friends, count in db.session.execute(
        sa.select(Response.touchpoint_id, won, sa.func.count())
        .select_from(Invite)
        .join(Response, Response.id == Invite.response_id)
        .outerjoin(friends, friends.c.invite_id == Invite.id)
        .where(Invite.workspace_id == ws, *counted)
        .group_by(Response.touchpoint_id, won)
    ):
        grouped[tp][(True, int(n_friends))] = count
        invited[tp] += count
    for tp in touchpoint_ids:
        without = respondents.get(tp, 0) - invited[tp]
        if without > 0:
            grouped[tp][(False, 0)] = without
    opens = {
        tp: (total, unique)
        for tp, total, unique in db.session.execute(
            sa.select(Response.touchpoint_id, sa.func.count(Scan.id), sa.func.count(sa.distinct(Scan.visitor_key)))
            .select_from(Invite)
            .join(Response, Response.id == Invite.response_id)
            .join(Scan, Scan.invite_id == Invite.id)
            .where(Invite.workspace_id == ws, *counted, Scan.is_bot.is_(False))
            .where(Scan.visitor_key != Invite.referrer_visitor_key)
            .group_by(Response.touchpoint_id)
        )
    }
    per_touchpoint = {
        tp: ReferralNumbers(
            referrals=Referrals(grouped[tp], opens.get(tp, (0, 0))[1]),
            opens=opens.get(tp, (0, 0))[0],
            median_hours_to_accept=_median_hours(campaign, counted, tp) if any(f for (_, f) in grouped[tp]) else None,
        )
        for tp in touchpoint_ids
    }
    total = ReferralNumbers(
        referrals=sum((n.referrals for n in per_touchpoint.values()), Referrals()),
        opens=sum(n.opens for n in per_touchpoint.values()),
        median_hours_to_accept=_median_hours(campaign, counted),
    )
    return per_touchpoint, total


def own_invites_answered(campaign: Campaign) -> int:
    """Completions through an invite from the referrer's own network and device (the repeat rules flag them
    `own_invite`): not acceptances, no coupon; the referrals page shows how many."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .join(Invite, Invite.id == Response.invite_id)
            .where(
                Invite.campaign_id == campaign.id,
                Response.workspace_id == campaign.workspace_id,
                Response.flagged.is_(True),
                Response.flag_reason.like("own_invite%"),
            )
        )
        or 0
    )


def top_invites(campaign: Campaign, limit: int = 10) -> list[tuple[Invite, int, int]]:
    """The invites that brought most friends (anonymous: code only), with unique opens and acceptances."""
    opens = (
        sa.select(Scan.invite_id, sa.func.count(sa.distinct(Scan.visitor_key)).label("n"))
        .join(Invite, Invite.id == Scan.invite_id)
        .where(
            Invite.campaign_id == campaign.id,
            Scan.is_bot.is_(False),
            Scan.visitor_key != Invite.referrer_visitor_key,
        )
        .group_by(Scan.invite_id)
        .subquery()
    )
    accepted = (
        sa.select(InviteAcceptance.invite_id, sa.func.count().label("n"))
        .group_by(InviteAcceptance.invite_id)
        .subquery()
    )
    rows = db.session.execute(
        owned(Invite, campaign.workspace_id, Invite.campaign_id == campaign.id)
        .add_columns(sa.func.coalesce(opens.c.n, 0), sa.func.coalesce(accepted.c.n, 0))
        .outerjoin(opens, opens.c.invite_id == Invite.id)
        .outerjoin(accepted, accepted.c.invite_id == Invite.id)
        .order_by(sa.func.coalesce(accepted.c.n, 0).desc(), sa.func.coalesce(opens.c.n, 0).desc(), Invite.id)
        .limit(limit)
    )
    return [(invite, unique_opens, acceptances) for invite, unique_opens, acceptances in rows]


def generations(campaign: Campaign) -> list[tuple[int, int, int]]:
    """The referral chain by generation: (generation, invites issued, acceptances)."""
    rows = db.session.execute(
        sa.select(Invite.generation, sa.func.count(sa.distinct(Invite.id)), sa.func.count(InviteAcceptance.id))
        .outerjoin(InviteAcceptance, InviteAcceptance.invite_id == Invite.id)
        .where(Invite.campaign_id == campaign.id, Invite.workspace_id == campaign.workspace_id)
        .group_by(Invite.generation)
        .order_by(Invite.generation)
    )
    return [(generation, issued, accepted) for generation, issued, accepted in rows]


@dataclass(frozen=True)
class ThanksInvite:
    """What the thank-you page offers about invites: the incentive, and the respondent's invite once taken."""

    incentive: str
    token: str
    invite: Invite | None


def thanks_invite(response: Response, campaign: Campaign) -> ThanksInvite | None:
    """The invite step of the thank-you page; None when the campaign offers no invites to this response."""
    if not offers_invite(response, campaign):
        return None
    return ThanksInvite(campaign.incentive_text or "", response.token, invite_of(response))
