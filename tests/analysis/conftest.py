"""Builders that put scans and answered responses into the database for analysis tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Code, Scan
from feedback.surveys import services as survey_services
from feedback.surveys.models import Answer, Response, Survey
from feedback.touchpoints.models import Touchpoint

WHEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
_tokens = itertools.count(1)


def first_code(touchpoint: Touchpoint) -> Code | None:
    """The touchpoint's first printed code, if any."""
    return db.session.scalar(sa.select(Code).where(Code.touchpoint_id == touchpoint.id).order_by(Code.id))


@pytest.fixture
def with_survey(app: Any) -> Callable[..., Touchpoint]:
    """Attach a new survey from a template ("nps-reason", "trade-fair" …) to a touchpoint."""

    def attach(touchpoint: Touchpoint, template: str = "nps-reason") -> Touchpoint:
        survey = survey_services.create_survey(touchpoint.workspace_id, f"S{next(_tokens)}", template)
        survey_services.attach(touchpoint, survey)
        db.session.commit()
        return touchpoint

    return attach


@pytest.fixture
def add_scans(app: Any) -> Callable[..., None]:
    """add_scans(touchpoint, n, when=..., device="mobile", bot=False, visitors=None): n scans of its first code."""

    def add(
        touchpoint: Touchpoint,
        n: int,
        when: datetime = WHEN,
        device: str = "mobile",
        bot: bool = False,
        visitors: int | None = None,
        language: str = "de",
    ) -> None:
        code = first_code(touchpoint) or qr_services.create_code(touchpoint, "")
        db.session.flush()
        for i in range(n):
            db.session.add(
                Scan(
                    workspace_id=touchpoint.workspace_id,
                    touchpoint_id=touchpoint.id,
                    code_id=code.id,
                    scanned_at=when + timedelta(minutes=i),
                    visitor_key=f"{touchpoint.id:04d}{(i % visitors) if visitors else next(_tokens):028d}",
                    device_class="bot" if bot else device,
                    language=language,
                    is_bot=bot,
                )
            )
        db.session.commit()

    return add


@pytest.fixture
def add_response(app: Any) -> Callable[..., Response]:
    """add_response(touchpoint, nps=9, reason="…", completed=True, flagged=False, when=...): one response."""

    def add(
        touchpoint: Touchpoint,
        completed: bool = True,
        flagged: bool = False,
        when: datetime = WHEN,
        language: str = "de",
        **answers: int | str,
    ) -> Response:
        version = db.session.get(Survey, touchpoint.survey_id).current
        types = {q.key: q.type for q in version.questions}
        response = Response(
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            code_id=code.id if (code := first_code(touchpoint)) else None,
            version_id=version.id,
            token=f"t-{next(_tokens)}",
            visitor_key=f"v{next(_tokens):031d}",
            language=language,
            started_at=when,
            completed_at=when + timedelta(seconds=40) if completed else None,
            flagged=flagged,
            flag_reason="too_fast" if flagged else "",
        )
        for key, value in answers.items():
            response.answers.append(
                Answer(
                    workspace_id=touchpoint.workspace_id,
                    touchpoint_id=touchpoint.id,
                    question_key=key,
                    question_type=types[key],
                    value_number=value if isinstance(value, int) else None,
                    value_text=value if isinstance(value, str) else None,
                    answered_at=when,
                )
            )
        db.session.add(response)
        db.session.commit()
        return response

    return add
