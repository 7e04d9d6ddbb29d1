"""Completion claims (`CompletionClaim`), the atomic statements the repeat rules and the coupon cap rest on; what is
claimed when is decided by `feedback.respondent.repeats` and `feedback.offers.services`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback.extensions import db
from feedback.surveys.models import CompletionClaim

#: The fixed window of the coupon cap.
COUPON_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    """One thing a completion claims: `since` is the start of its window (an older claim may be taken over)."""

    kind: str
    scope_id: int
    key: str
    since: datetime


class Statements:
    """The claim and coupon-count statements in a dialect's SQL and parameter style, for the session (full path)
    and for the group commit's own connection alike."""

    def __init__(self, dialect: sa.Dialect) -> None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        table = "completion_claim"
        values = f"({', '.join([mark] * 7)})"
        columns = "(workspace_id, kind, scope_id, key, token, claimed_at, n)"
        self.claim = (
            f"INSERT INTO {table} {columns} VALUES {values} ON CONFLICT (kind, scope_id, key) DO UPDATE SET "  # noqa: S608 - no input
            f"token = excluded.token, claimed_at = excluded.claimed_at, n = 1 "
            f"WHERE {table}.claimed_at < {mark} OR {table}.token = excluded.token RETURNING id"
        )
        self.count = (
            f"INSERT INTO {table} {columns} VALUES {values} ON CONFLICT (kind, scope_id, key) DO UPDATE SET "  # noqa: S608 - no input
            f"n = CASE WHEN {table}.claimed_at < {mark} THEN 1 ELSE {table}.n + 1 END, "
            f"claimed_at = CASE WHEN {table}.claimed_at < {mark} THEN excluded.claimed_at ELSE {table}.claimed_at END, "
            f"token = excluded.token RETURNING n"
        )
        self.time = CompletionClaim.__table__.c.claimed_at.type.bind_processor(dialect) or (lambda value: value)

    def claim_parameters(self, workspace_id: int, claim: Claim, token: str, now: datetime) -> tuple:
        """The parameters of one claim."""
        return (workspace_id, claim.kind, claim.scope_id, claim.key, token, self.time(now), 1, self.time(claim.since))

    def count_parameters(self, workspace_id: int, code_id: int, device: str, token: str, now: datetime) -> tuple:
        """The parameters of one coupon count."""
        since = self.time(now - COUPON_HOUR)
        return (workspace_id, "coupons", code_id, device, token, self.time(now), 1, since, since)


def _statements() -> Statements:
    return Statements(db.session.get_bind().dialect)


def claim_all(workspace_id: int, claims: list[Claim], token: str, now: datetime) -> bool:
    """Take every claim in the session's transaction; False when one of them is held by another completion in its
    window (the claims taken before it stay with this token, which may claim again)."""
    statements = _statements()
    connection = db.session.connection()
    for claim in claims:
        parameters = statements.claim_parameters(workspace_id, claim, token, now)
        if connection.exec_driver_sql(statements.claim, parameters).first() is None:
            return False
    return True


def count_coupon(workspace_id: int, code_id: int, device: str, token: str, now: datetime) -> int:
    """Count one more coupon for this network + device at this code; the number in the current hour, this one
    included."""
    statements = _statements()
    found = db.session.connection().exec_driver_sql(
        statements.count, statements.count_parameters(workspace_id, code_id, device, token, now)
    )
    return int(found.scalar_one())
