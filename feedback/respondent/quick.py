"""Survey completions in one request, stored through a group commit: the common case of the respondent flow.

Most responses are a one-page survey sent once: a new response with its answers, nothing else to set off. For that
case the submit lane (`respondent.lane`, before Flask) checks the form against the code's survey setup
(`completion_of`), cached per process (`setup_of`: read at most once a second, dropped at once when this process
changes a survey, an offer or a webhook; a change made by another process is seen within `SETUP_SECONDS`), runs no
query and takes no lock of its own; the response with its answers
goes to this process's writer, which stores the completions that arrive together in one transaction (one fsync,
one turn at SQLite's lock) and checks the form's token and the survey's repeat rule inside it. Everything else,
and every case in doubt, takes the full path of `respond.submit_page`: a response that exists already (a double
tap, answers saved one by one), several pages, an invite, a completion that a subscriber of ResponseCompleted
would act on (a coupon offer, webhook subscribers), validation errors, a first send faster than the minimum
fill time (the full path asks to take a moment), a failed write.

Nothing is acknowledged before it is stored: the request returns only after the commit that holds its rows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from feedback import events
from feedback.events import ResponseCompleted
from feedback.extensions import db, when_unlocked
from feedback.groupcommit import DriverStatement, GroupCommit, Pending, writers_of
from feedback.qr import fastpath
from feedback.qr import services as qr_services
from feedback.respondent import repeats, respond
from feedback.surveys.claims import Claim, Statements
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import QuestionSpec

log = logging.getLogger(__name__)

#: What the writer answers when the full path has to decide (the token exists, or the visitor answered already).
FULL_PATH = 0


@dataclass(frozen=True)
class Completion:
    """A completed response and its answer rows, as plain values (no ORM objects cross into the writer)."""

    response: dict[str, Any]
    answers: list[dict[str, Any]] = field(default_factory=list)
    #: With a repeat period: no completion of this visitor at this touchpoint since then may exist.
    repeat_since: datetime | None = None
    #: What the completion claims under the repeat rules (`respondent.repeats`): taken in the batch's transaction
    #: before the response is written; one held by another completion hands it to the full path, which flags it.
    claims: list[Claim] = field(default_factory=list)


class ResponseWriter(GroupCommit):
    """Completions of one engine in one process: per response an INSERT … ON CONFLICT (token) DO NOTHING, its
    answers in one executemany, all of a batch in one transaction."""

    what = "a survey response"

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        table, dialect = Response.__table__, engine.dialect
        insert = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
        self.response = DriverStatement(engine, table, insert.on_conflict_do_nothing(index_elements=["token"]))
        self.answer = DriverStatement(engine, Answer.__table__)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.repeat_sql = (
            f"SELECT 1 FROM response WHERE touchpoint_id = {mark} AND visitor_key = {mark}"  # noqa: S608 - no input
            f" AND completed_at IS NOT NULL AND completed_at >= {mark} LIMIT 1"
        )
        self.time = table.c.completed_at.type.bind_processor(dialect) or (lambda value: value)
        self.claims = Statements(dialect)

    def _write(self, cursor: Any, batch: list[Pending]) -> list[int | None]:
        """The new response's id per item, FULL_PATH where its token exists or the visitor answered already."""
        if self.sqlite:
            when_unlocked(cursor.connection, lambda: cursor.execute("BEGIN IMMEDIATE"))
        results: list[int | None] = []
        for item in batch:
            completion: Completion = item.values
            values = completion.response
            if completion.repeat_since is not None:
                since = self.time(completion.repeat_since)
                cursor.execute(self.repeat_sql, (values["touchpoint_id"], values["visitor_key"], since))
                if cursor.fetchone() is not None:
                    results.append(FULL_PATH)
                    continue
            if not self._claim(cursor, completion):
                results.append(FULL_PATH)
                continue
            cursor.execute(self.response.returning_sql, self.response.parameters(values))
            row = cursor.fetchone()
            if row is None:  # the same form arrived twice at once, or its answers were saved one by one
                results.append(FULL_PATH)
                continue
            response_id = int(row[0])
            if completion.answers:
                cursor.executemany(
                    self.answer.sql,
                    [self.answer.parameters({**answer, "response_id": response_id}) for answer in completion.answers],
                )
            results.append(response_id)
        return results


    def _claim(self, cursor: Any, completion: Completion) -> bool:
        """Take the completion's claims; False at the first one another completion holds (the claims taken stay
        with the form's token, so the full path can take them again)."""
        values = completion.response
        for claim in completion.claims:
            parameters = self.claims.claim_parameters(
                values["workspace_id"], claim, values["token"], values["completed_at"]
            )
            cursor.execute(self.claims.claim, parameters)
            if cursor.fetchone() is None:
                return False
        return True


def store(completion: Completion) -> int | None:
    """Store the completion and return once it is committed: the new response's id; FULL_PATH when the full path
    must decide; None when the write failed or took too long (logged; its outcome is then unknown, and the full
    path, which finds the token if it was stored after all, decides too)."""
    writer = writers_of(current_app).get(db.engine, "response", ResponseWriter)
    item = Pending(completion)
    if not writer.store(item):
        log.error("survey response not committed in time")
        return None
    return item.result


def repeat_since(repeat_days: int, now: datetime) -> datetime | None:
    """The start of the repeat period of a survey that blocks answering again for `repeat_days` (0: never)."""
    return now - timedelta(days=repeat_days) if repeat_days else None


@dataclass(frozen=True)
class Setup:
    """What completing the survey at one code depends on, read once and kept for a moment (`SETUP_SECONDS`)."""

    code_id: int
    workspace_id: int
    touchpoint_id: int
    version_id: int
    pages: list[list[QuestionSpec]]
    repeat_days: int
    rules: repeats.Rules
    #: A subscriber of ResponseCompleted would act on a person's completion here (a coupon offer, webhook
    #: subscribers, …): the full path publishes the event in the response's transaction.
    sets_off: bool
    taken_at: float
    generation: int
    #: A kiosk touchpoint: no repeat rule (repeat_days is 0), and its responses are marked `kiosk`.
    kiosk: bool = False
    #: Where the subscribers that `sets_off` names act only on some answers (a detractor's comment), their checks:
    #: a completion whose answers none of them takes stays on the group commit. Empty: any completion sets off.
    sets_off_when: tuple[events.When, ...] = ()


#: How long a setup is used before it is read again: a change made by another process (a new survey version, an
#: offer, a webhook) is seen within this time; a change made by this process drops every setup at once.
SETUP_SECONDS = 1.0
MAX_SETUPS = 4096
#: Where an app keeps its setups (app.extensions; each gunicorn worker builds its own app, so its own cache).
SETUPS = "feedback.survey_setups"


def init_app(app: Flask) -> None:
    """Give the app its (empty) cache of survey setups."""
    app.extensions[SETUPS] = {}


def setup_of(code: str) -> Setup | None:
    """The survey setup of a code (canonical form) from this process's cache, read anew when older than
    SETUP_SECONDS or after a change here; None when the code is unknown or shows no survey. Reads in a transaction
    of its own that takes no write lock, and ends it."""
    setups: dict[str, Setup] = current_app.extensions[SETUPS]
    setup, clock = setups.get(code), time.monotonic()
    if setup is not None and clock - setup.taken_at < SETUP_SECONDS and setup.generation == fastpath.generation():
        return setup
    if db.session().in_transaction():  # the request already read something: let the full path go on with it
        return None
    generation = fastpath.generation()  # before reading: a change during the read is not missed
    db.session.connection(execution_options={"sqlite_immediate": False})
    try:
        resolved = qr_services.resolve_code(code)
        version = respond.current_version(resolved.touchpoint) if resolved is not None else None
        if resolved is None or version is None or not version.questions:
            return None
        touchpoint = resolved.touchpoint
        setup = Setup(
            code_id=resolved.code.id,
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            version_id=version.id,
            pages=respond.survey_pages(version),
            # the repeat rules read the survey's repeat days once (none on a kiosk, where one person answers after
            # another)
            repeat_days=(rules := repeats.rules_of(touchpoint)).repeat_days,
            rules=rules,
            sets_off=(
                conditions := events.bus().conditions(
                    ResponseCompleted, touchpoint.workspace_id, touchpoint.campaign_id, touchpoint.id
                )
            )
            != (),
            sets_off_when=conditions or (),
            taken_at=clock,
            generation=generation,
            kiosk=touchpoint.kiosk,
        )
    finally:
        db.session.commit()  # a read-only transaction; the full path, if it follows, takes the write lock first
    if len(setups) >= MAX_SETUPS:
        setups.clear()
    setups[code] = setup
    return setup


def completion_of(
    setup: Setup,
    state: respond.FormState,
    page: int,
    form: dict[str, list[str]],
    visitor_key: str,
    language: str,
    now: datetime,
    device: str = "",
) -> Completion | None:
    """The new response this one page completes, ready for the group commit (`device`: the request's network +
    device signature for the repeat rules); None (nothing to store here) when the case is not the common one and the
    full path must take it: the form belongs to another code, version or an invite, the page has errors or is not
    the last, the completion would set something off, or it came too fast for the first time (the full path asks to
    take a moment). Whether the form's response exists already, or the visitor answered within the survey's repeat
    period, the writer finds out (`store` then answers FULL_PATH)."""
    if state.code_id != setup.code_id or state.version_id != setup.version_id or state.invite_id is not None:
        return None
    all_pages = setup.pages
    page = max(0, min(page, len(all_pages) - 1))
    checked = respond.check_page(all_pages, page, {}, form)
    if checked.errors or checked.next_page is not None:
        return None
    reasons = respond.bot_signs(form, state, now)
    workspace_id, touchpoint_id = setup.workspace_id, setup.touchpoint_id
    answers = [
        row
        for question in all_pages[page]
        if question.key in checked.parsed
        for row in respond.answer_rows(workspace_id, touchpoint_id, question, checked.parsed[question.key], now)
    ]
    if setup.sets_off and not reasons:  # likely bots set nothing off
        if not setup.sets_off_when or any(check(answers) for check in setup.sets_off_when):
            return None
    if respond.needs_a_moment(reasons, state):  # the full path asks to take a moment first
        return None
    response = {
        "workspace_id": workspace_id,
        "touchpoint_id": touchpoint_id,
        "code_id": state.code_id,
        "scan_id": state.scan_id,
        "version_id": setup.version_id,
        "invite_id": None,
        "token": state.token,
        "visitor_key": visitor_key,
        "language": language,
        "started_at": now,
        "completed_at": now,
        "flagged": bool(reasons),
        "flag_reason": ",".join(reasons),
        "contact_id": None,
        "coupon_withheld": False,
        "kiosk": setup.kiosk,
    }
    claims = [] if reasons else repeats.claims_for(setup.rules, touchpoint_id, state.code_id, visitor_key, device, now)
    return Completion(response, answers, repeat_since(setup.repeat_days, now), claims)
