"""Changing some settings of a printed code (what the API's PATCH does): label, pause and last day each change
alone, and another workspace's code is not found."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from feedback.auth.models import Workspace
from feedback.errors import NotFound
from feedback.extensions import db
from feedback.qr import services
from feedback.qr.models import CodeState
from tests.helpers import WHEN


@pytest.fixture
def code(make_code):  # noqa: ANN001, ANN201
    """A paused code labelled "Tür" that expires at the end of 31 March 2026 (Berlin time)."""
    printed = make_code(label="Tür")
    workspace = db.session.get(Workspace, printed.workspace_id)
    services.set_paused(printed, True, WHEN)
    services.set_expiry(printed, date(2026, 3, 31), workspace)
    db.session.commit()
    return printed


def _change(code, **changes):  # noqa: ANN001, ANN003, ANN202
    workspace = db.session.get(Workspace, code.workspace_id)
    return services.change_code(workspace, code.id, services.CodeChanges(**changes), WHEN)


def test_a_new_label_leaves_the_pause_and_the_last_day(code) -> None:
    _change(code, label="Fenster")
    assert (code.label, code.paused_at, code.expires_at) == ("Fenster", WHEN, datetime(2026, 3, 31, 22, tzinfo=UTC))


def test_resuming_leaves_the_label_and_the_last_day(code) -> None:
    _change(code, paused=False)
    assert (code.label, code.paused_at, code.expires_at) == ("Tür", None, datetime(2026, 3, 31, 22, tzinfo=UTC))


def test_no_label_and_no_pause_given_as_none_change_nothing(code) -> None:
    _change(code, label=None, paused=None)
    assert (code.label, code.paused_at) == ("Tür", WHEN)


def test_the_last_day_ends_at_midnight_workspace_time_or_never(code) -> None:
    _change(code, expires_on=date(2020, 1, 31))
    assert code.expires_at == datetime(2020, 1, 31, 23, tzinfo=UTC)
    assert code.state(WHEN) is CodeState.EXPIRED
    _change(code, expires_on=None)
    assert code.expires_at is None and code.state(WHEN) is CodeState.PAUSED


def test_a_label_another_code_of_the_touchpoint_has_is_refused(code, make_code) -> None:
    make_code(touchpoint=code.touchpoint, label="Fenster")
    with pytest.raises(services.DuplicateLabel):
        _change(code, label="fenster")
    assert code.label == "Tür"


def test_another_workspaces_code_is_not_found(code, make_workspace) -> None:
    with pytest.raises(NotFound):
        services.change_code(make_workspace(), code.id, services.CodeChanges(label="Fremd"), WHEN)
    assert code.label == "Tür"
