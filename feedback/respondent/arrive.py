"""Arrival: a phone opens a printed code (/t/<code>) or a friend's invite (/i/<code>).

Both go the same way: the code is resolved, the scan is recorded by the scan service (feedback.qr.services.
record_scan, the only writer of scans), and the touchpoint decides what comes next: the end of a paused or expired
code, a redirect to the destination, the first survey page, "already answered", or the plain landing page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from feedback.auth.models import Workspace
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Arrival as ScanArrival
from feedback.qr.models import ScanOutcome
from feedback.qr.services import ResolvedCode
from feedback.qr.visitors import Visit
from feedback.referrals import services as referrals
from feedback.respondent import respond
from feedback.surveys.models import SurveyVersion


class Next(enum.StrEnum):
    """What the phone is shown after it arrived."""

    UNKNOWN = "unknown"
    ENDED = "ended"
    EXPIRED = "expired"
    REDIRECT = "redirect"
    SURVEY = "survey"
    ANSWERED = "answered"
    LANDING = "landing"


@dataclass(frozen=True)
class Arrival:
    """The outcome of one arrival; `state` and `version` are set for SURVEY, `invited` for an attributed invite."""

    next: Next
    resolved: ResolvedCode | None = None
    scan_id: int | None = None
    version: SurveyVersion | None = None
    state: respond.FormState | None = None
    invited: bool = False


def by_code(
    raw: str, visit: Visit, now: datetime, how: ScanArrival = ScanArrival.SYMBOL, team: frozenset[int] = frozenset()
) -> Arrival:
    """A printed code was scanned or typed (`how`); `team`: the workspaces whose team this device belongs to."""
    resolved = qr_services.resolve_code(raw)
    if resolved is None:
        return Arrival(Next.UNKNOWN)
    if how is ScanArrival.KIOSK and not resolved.touchpoint.kiosk:  # only a kiosk resets itself
        how = ScanArrival.TYPED_URL
    outcome = qr_services.outcome_for(resolved.code, now, resolved.campaign_archived)
    own = resolved.code.workspace_id in team
    recorded = ScanOutcome.TEAM if own and outcome is ScanOutcome.OK else outcome
    scan_id = qr_services.record_scan(resolved, visit, recorded, now, arrival=how)
    if outcome is not ScanOutcome.OK:
        return Arrival(Next.EXPIRED if outcome is ScanOutcome.EXPIRED else Next.ENDED, resolved, scan_id)
    if resolved.touchpoint.destination_url:
        return Arrival(Next.REDIRECT, resolved, scan_id)
    return _after_scan(resolved, scan_id, visit, now, invite_id=None, own=own)


def by_invite(raw: str, visit: Visit, now: datetime, team: frozenset[int] = frozenset()) -> Arrival:
    """A friend opened an invite link: the scan counts at the campaign's referral landing touchpoint, attributed to
    the invite unless it was revoked (a revoked link still opens the survey). The link obeys the code it lands on: a
    paused or expired code, or an archived campaign, answers as the code does, and nothing is stored."""
    found = referrals.resolve_invite(raw)
    if found is None or found.code is None:
        return Arrival(Next.UNKNOWN)
    workspace = db.session.get(Workspace, found.landing.workspace_id)
    archived = found.campaign.archived_at is not None
    resolved = ResolvedCode(
        found.code,
        found.landing,
        found.campaign.slug,
        workspace.name,
        workspace.timezone,
        campaign_archived=archived,
        main_language=workspace.language_list[0],
    )
    outcome = qr_services.outcome_for(found.code, now, archived)
    if outcome is not ScanOutcome.OK:
        return Arrival(Next.EXPIRED if outcome is ScanOutcome.EXPIRED else Next.ENDED, resolved)
    own = workspace.id in team
    attributed = found.invite.revoked_at is None and not own
    invite_id = found.invite.id if attributed else None
    outcome = ScanOutcome.TEAM if own else ScanOutcome.OK
    scan_id = qr_services.record_scan(
        resolved, visit, outcome, now, invite_id=invite_id, printed=False, arrival=ScanArrival.INVITE
    )
    return replace(_after_scan(resolved, scan_id, visit, now, invite_id=invite_id, own=own), invited=attributed)


def _after_scan(
    resolved: ResolvedCode, scan_id: int | None, visit: Visit, now: datetime, invite_id: int | None, own: bool
) -> Arrival:
    """The first survey page, "already answered", or the landing page when the touchpoint asks nothing; a team
    device may answer again at any time (its answers are not counted)."""
    version = respond.current_version(resolved.touchpoint)
    if version is None or not version.questions:
        return Arrival(Next.LANDING, resolved, scan_id)
    if not own and respond.already_answered(resolved.touchpoint, visit.visitor_key, now):
        return Arrival(Next.ANSWERED, resolved, scan_id)
    state = respond.FormState(respond.new_token(), version.id, scan_id, resolved.code.id, now.timestamp(), invite_id)
    return Arrival(Next.SURVEY, resolved, scan_id, version, state)
