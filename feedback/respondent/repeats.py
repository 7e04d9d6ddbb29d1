"""The repeat rules: one counted completion per person where a person can be told apart, on every path and under
concurrency.

A completion claims, in its own transaction, what it is a completion of (`CompletionClaim`):

- `visitor`: the visitor (first-party cookie, else the day's hash) at the touchpoint, for the survey's repeat days;
- `device`: the network + device signature (`qr.visitors.device_signature`) at the code, for the campaign's repeat
  window (default 30 minutes): a private tab or a cleared cookie on the same phone is the same device.

A claim is one INSERT … ON CONFLICT … DO UPDATE … WHERE the old claim is outside its window, RETURNING: of ten
simultaneous completions of one person exactly one gets the row back, the others are kept but flagged as possible
repeats (`REPEAT`), which no number counts and which set nothing off (no coupon, no invite). The same form token may
claim again (a resend, or the full path after the group commit handed a completion over).

The coupon cap counts coupons per network + device at a code in a fixed hour (`coupons`, `n`), so a shared
trade-fair Wi-Fi still gives distinct phones their coupons while one phone cannot farm them.

Rows of `device` and `coupons` are deleted after a day (`forget_old`), together with the referrer signatures of
invites; `visitor` rows live as long as the survey's repeat period, like the responses that hold the same key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from feedback.extensions import db
from feedback.referrals.models import Invite
from feedback.surveys.claims import Claim
from feedback.surveys.models import CompletionClaim, Survey
from feedback.touchpoints.models import Campaign, Touchpoint

#: Flag reasons of completions kept but not counted.
REPEAT = "repeat"
OWN_INVITE = "own_invite"
#: How long device signatures are kept at all.
KEEP_DEVICES = timedelta(days=1)
#: How often one process deletes old device claims (app.extensions holds when it last did).
PURGE_SECONDS = 600.0
PURGED = "feedback.claims_purged_at"


@dataclass(frozen=True)
class Rules:
    """What the repeat rules of one touchpoint are (read with the touchpoint, or cached by the group commit)."""

    repeat_days: int
    window_minutes: int
    coupon_cap: int


@dataclass(frozen=True)
class Guard:
    """The repeat rules of a touchpoint and the completing request's network + device signature."""

    rules: Rules
    device: str


def rules_of(touchpoint: Touchpoint) -> Rules:
    """The survey's repeat days and the campaign's repeat window and coupon cap; none on a kiosk, where one person
    after another answers on the same screen."""
    if touchpoint.kiosk:
        return Rules(0, 0, 0)
    days = 0
    if touchpoint.survey_id is not None:
        days = db.session.scalar(sa.select(Survey.repeat_days).where(Survey.id == touchpoint.survey_id)) or 0
    window, cap = db.session.execute(
        sa.select(Campaign.repeat_window_minutes, Campaign.coupon_cap_per_hour).where(
            Campaign.id == touchpoint.campaign_id
        )
    ).one()
    return Rules(days, window, cap)


def claims_for(
    rules: Rules, touchpoint_id: int, code_id: int, visitor_key: str, device: str, now: datetime
) -> list[Claim]:
    """The claims a completion at this touchpoint and code makes (none where a rule is switched off)."""
    claims = []
    if rules.repeat_days:
        claims.append(Claim("visitor", touchpoint_id, visitor_key, now - timedelta(days=rules.repeat_days)))
    if rules.window_minutes and device:
        claims.append(Claim("device", code_id, device, now - timedelta(minutes=rules.window_minutes)))
    return claims


def own_invite(invite: Invite | None, device: str, window_minutes: int, now: datetime) -> bool:
    """A completion through an invite from the network + device that took the invite, within the repeat window:
    the referrer answered their own invite (not an acceptance, no coupon)."""
    if invite is None or not device or not invite.referrer_signature or not window_minutes:
        return False
    issued = invite.created_at if invite.created_at.tzinfo else invite.created_at.replace(tzinfo=now.tzinfo)
    return invite.referrer_signature == device and now - issued <= timedelta(minutes=window_minutes)


def forget_old(now: datetime) -> None:
    """Delete device signatures older than a day: device and coupon claims, and the referrer signatures of
    invites. Runs at most every PURGE_SECONDS per process, in the caller's transaction."""
    extensions = current_app.extensions
    if time.monotonic() - extensions.get(PURGED, float("-inf")) < PURGE_SECONDS:
        return
    extensions[PURGED] = time.monotonic()
    cutoff = now - KEEP_DEVICES
    db.session.execute(
        sa.delete(CompletionClaim).where(
            CompletionClaim.kind.in_(["device", "coupons"]), CompletionClaim.claimed_at < cutoff
        )
    )
    db.session.execute(
        sa.update(Invite)
        .where(Invite.referrer_signature != "", Invite.created_at < cutoff)
        .values(referrer_signature="")
        .execution_options(synchronize_session=False)
    )
