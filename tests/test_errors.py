"""A write that collides with a concurrent one is answered as 409 Conflict in the user's language and saves
nothing, on a page as in the API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.auth.models import User
from feedback.errors import Conflict
from feedback.extensions import commit, db
from tests.helpers import count


def _colliding_write() -> str:
    """What a page does when another request took the same unique key a moment before."""
    db.session.add(User(email="taken@example.com", name="first", password_hash="x", locale="de"))
    db.session.add(User(email="taken@example.com", name="second", password_hash="x", locale="de"))
    commit()
    return "saved"


def test_commit_turns_a_collision_into_a_conflict_and_keeps_the_session_usable(app) -> None:
    with pytest.raises(Conflict) as raised:
        _colliding_write()
    assert raised.value.status == 409
    assert count(User) == 0  # rolled back, and the session answers again
    db.session.add(User(email="next@example.com", name="", password_hash="x", locale="en"))
    commit()
    assert db.session.scalar(sa.select(User.email)) == "next@example.com"


def test_a_page_shows_the_conflict_in_the_users_language(app, client) -> None:
    app.add_url_rule("/collide", "collide", _colliding_write)
    german = client.get("/collide", headers={"Accept-Language": "de"})
    assert german.status_code == 409
    assert "Traceback" not in german.get_data(as_text=True)
    assert "gleichen Moment" in german.get_data(as_text=True)
    english = client.get("/collide", headers={"Accept-Language": "en"})
    assert english.status_code == 409 and "at the same moment" in english.get_data(as_text=True)
    assert count(User) == 0
