"""Small helpers for tests."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from feedback.analysis.ratings import Outcomes, TouchpointInput
from feedback.analysis.summaries import GroupCounts, Metric
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys.questions import QuestionType
from feedback.touchpoints.models import Touchpoint

#: The moment the builders date scans and responses at unless told otherwise (a Tuesday noon, UTC).
WHEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def count(model: type) -> int:
    """Number of rows of a model."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def first_code(touchpoint: Touchpoint) -> Code | None:
    """The touchpoint's first printed code, if any."""
    return db.session.scalar(sa.select(Code).where(Code.touchpoint_id == touchpoint.id).order_by(Code.id))


def rating_input(
    id: int,
    nps: dict[int, int],
    csat: dict[int, int] | None = None,
    scans: int = 100,
    visitors: int = 80,
    cost: str | None = "500",
    reach: int | None = 1000,
    coupons: int = 0,
    revenue: str = "0",
    asked: frozenset[Metric] | None = None,
) -> TouchpointInput:
    """A touchpoint as the pure rating code sees it ("TP <id>", a flyer): NPS answers (and CSAT when given), every
    respondent started and completed; `coupons` issued and all redeemed for `revenue`. Asks NPS (and CSAT) unless
    `asked` says otherwise."""
    n = sum(nps.values())
    answers = {QuestionType.NPS: nps} | ({QuestionType.CSAT: csat} if csat else {})
    return TouchpointInput(
        id=id,
        name=f"TP {id}",
        channel="flyer",
        phase="awareness",
        cost=Decimal(cost) if cost else None,
        reach=reach,
        counts=GroupCounts(scans=scans, visitors=visitors, starts=n, completions=n, answers=answers),
        asked=asked if asked is not None else frozenset({Metric.NPS} | ({Metric.CSAT} if csat else set())),
        outcomes=Outcomes(coupons_issued=coupons, redemptions=coupons, revenue=Decimal(revenue)),
    )


def wait_until_ready(port: int, process: subprocess.Popen, patience: float = 120) -> int | None:
    """Poll a started `feedback serve` until /readyz answers (its status), or until it exits or `patience` seconds
    pass (None): the deadline only ends a start that failed; a busy machine may take long to get there."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    return None
