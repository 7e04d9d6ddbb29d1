"""A write that collides with a concurrent one is answered as 409 Conflict in the user's language and saves
nothing, on a page as in the API."""

from __future__ import annotations

import sqlalchemy as sa

from feedback.auth.models import User
from feedback.extensions import commit, db
from tests.helpers import count


def _colliding_write() -> str:
    """What a page does when another request took the same unique key a moment before."""
    db.session.add(User(email="taken@example.com", name="first", password_hash="x", locale="de"))
    db.session.add(User(email="taken@example.com", name="second", password_hash="x", locale="de"))
    commit()
    return "saved"


def _colliding_flush() -> str:
    """A service that flushes before the view commits (e.g. to learn a new row's id) hits the taken key there."""
    db.session.add(User(email="taken@example.com", name="first", password_hash="x", locale="de"))
    db.session.flush()
    db.session.add(User(email="taken@example.com", name="second", password_hash="x", locale="de"))
    db.session.flush()
    commit()
    return "saved"


def test_a_collision_at_a_flush_is_a_conflict_too_and_the_next_request_saves(app, client) -> None:
    app.add_url_rule("/flush", "flush", _colliding_flush)
    reply = client.get("/flush", headers={"Accept-Language": "en"})
    assert reply.status_code == 409 and "at the same moment" in reply.get_data(as_text=True)
    assert count(User) == 0  # rolled back: neither row stays
    api = client.get("/api/v1/nothing-here")  # the API's errors stay problem+json (401 before any collision)
    assert api.mimetype == "application/problem+json"
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
