"""Domain events: what happened, published by the service that caused it and handled by the subscribers that
create_app registered, one after the other, in the publisher's transaction (a subscriber that fails fails the
whole write). Outbound delivery (webhooks) subscribes by writing outbox rows in that transaction.

A subscriber may say for which touchpoints it would act (`wants`), and for a completion with which answers (`when`),
so a fast path that writes outside the session (the group commit of survey completions) can see that nobody would
and skip publishing; a subscriber without `wants` always acts, so such a path never skips it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app

EXTENSION = "feedback.events"


@dataclass(frozen=True)
class ResponseCompleted:
    """A person (not a likely bot) completed a survey."""

    workspace_id: int
    response_id: int
    campaign_id: int
    touchpoint_id: int
    at: datetime
    #: The code it was answered at and the completing request's network + device signature (a keyed hash, empty
    #: when unknown), for the coupon cap.
    code_id: int | None = None
    device: str = ""


@dataclass(frozen=True)
class InviteAccepted:
    """A friend invited by `referrer_response_id` completed the survey as `response_id`."""

    workspace_id: int
    invite_id: int
    referrer_response_id: int
    response_id: int
    touchpoint_id: int
    at: datetime


@dataclass(frozen=True)
class CouponRedeemed:
    """A coupon issued for a response was redeemed at the till or online."""

    workspace_id: int
    coupon_id: int
    response_id: int | None
    touchpoint_id: int
    at: datetime


@dataclass(frozen=True)
class LeadStageChanged:
    """A contact moved to another stage (`rose` when it went up the funnel): by its score, or moved by a member
    or a sales system (`changed_by`: score, dashboard, api)."""

    workspace_id: int
    contact_id: int
    previous: str
    stage: str
    rose: bool
    at: datetime
    changed_by: str = "score"


@dataclass(frozen=True)
class ContactLeft:
    """A respondent who answered `response_id` left their details, consenting to be contacted."""

    workspace_id: int
    contact_id: int
    response_id: int
    touchpoint_id: int
    at: datetime


@dataclass(frozen=True)
class MembershipChanged:
    """A member's role in a workspace changed (`role`), or the member was removed (`role` None)."""

    workspace_id: int
    user_id: int
    role: str | None
    at: datetime


@dataclass(frozen=True)
class ResponseErased:
    """A response and its answers were deleted (a respondent's right to deletion)."""

    workspace_id: int
    response_id: int
    at: datetime


@dataclass(frozen=True)
class ContactErased:
    """A contact's details, consent and score were deleted (GDPR Art. 17)."""

    workspace_id: int
    contact_id: int
    at: datetime


Event = (
    ResponseCompleted
    | InviteAccepted
    | CouponRedeemed
    | LeadStageChanged
    | ContactLeft
    | MembershipChanged
    | ResponseErased
    | ContactErased
)
E = TypeVar("E")
#: Whether a subscriber would act on an event at (workspace_id, campaign_id, touchpoint_id).
Wants = Callable[[int, int, int], bool]
#: Whether a completion with these answers (rows with question_type, value_number, value_text) would make a
#: subscriber act, where its `wants` says it might.
When = Callable[[Sequence[Mapping[str, Any]]], bool]


@dataclass
class Subscription:
    handler: Callable[[Any], None]
    wants: Wants | None
    when: When | None = None


@dataclass
class Bus:
    """The subscribers of one app, by event type, in the order they were registered."""

    subscriptions: dict[type, list[Subscription]] = field(default_factory=dict)

    def subscribe(
        self, event_type: type[E], handler: Callable[[E], None], wants: Wants | None = None, when: When | None = None
    ) -> None:
        self.subscriptions.setdefault(event_type, []).append(Subscription(handler, wants, when))

    def publish(self, event: Event) -> None:
        for subscription in self.subscriptions.get(type(event), []):
            subscription.handler(event)

    def wanted(self, event_type: type, workspace_id: int, campaign_id: int, touchpoint_id: int) -> bool:
        """Whether any subscriber would act on such an event here (True for a subscriber that does not say)."""
        return self.conditions(event_type, workspace_id, campaign_id, touchpoint_id) != ()

    def conditions(
        self, event_type: type, workspace_id: int, campaign_id: int, touchpoint_id: int
    ) -> tuple[When, ...] | None:
        """What decides whether a completion here sets a subscriber off: None when one would act on any completion,
        the answer checks of those that would act only on some, () when none would act."""
        checks: list[When] = []
        for s in self.subscriptions.get(event_type, []):
            if s.wants is None or s.wants(workspace_id, campaign_id, touchpoint_id):
                if s.when is None:
                    return None
                checks.append(s.when)
        return tuple(checks)


def init_app(app: Flask) -> Bus:
    """Give the app its (empty) bus; create_app registers the subscribers."""
    bus = app.extensions[EXTENSION] = Bus()
    return bus


def bus() -> Bus:
    """The current app's bus."""
    return current_app.extensions[EXTENSION]


def publish(event: Event) -> None:
    """Tell the current app's subscribers, in the caller's transaction."""
    bus().publish(event)
