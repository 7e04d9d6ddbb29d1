"""Workspaces, roles and inviting colleagues."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from feedback.auth.models import Membership, Role, User, WorkspaceInvitation
from feedback.db_types import utcnow
from feedback.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import count


def _invite(client, slug: str, email: str, role: str = "editor") -> str:
    """Create an invitation through the members page and return the link path."""
    response = client.post(f"/w/{slug}/members/", data={"email": email, "role": role})
    assert response.status_code == 200
    match = re.search(r'value="https?://[^/"]+(/join/[^"]+)"', response.get_data(as_text=True))
    assert match, "the page shows the invitation link"
    return match.group(1)


def test_owner_invites_a_new_colleague_who_signs_up_through_the_link(make_app, make_user, make_workspace) -> None:
    app = make_app()
    with app.app_context():
        owner = make_user(email="owner@example.com")
        workspace = make_workspace("Agentur Nord", owner=owner)
        slug = workspace.slug
    boss, colleague = app.test_client(), app.test_client()
    boss.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    with app.app_context():
        link = _invite(boss, slug, "New.Colleague@example.com", "viewer")
        stored = db.session.scalar(sa.select(WorkspaceInvitation))
        assert stored.email == "new.colleague@example.com"
        assert link.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is stored

    page = colleague.get(link)
    assert page.status_code == 200 and "Agentur Nord" in page.get_data(as_text=True)
    response = colleague.post(link, data={"name": "Nina", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == f"/w/{slug}/"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.colleague@example.com"))
        membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        assert membership.role == "viewer"
    assert colleague.get(f"/w/{slug}/").status_code == 200
    # the link works once
    assert app.test_client().get(link).status_code == 404


def test_existing_user_joins_after_logging_in(make_app, make_user, make_workspace) -> None:
    app = make_app()
    with app.app_context():
        owner = make_user(email="o@example.com")
        make_user(email="known@example.com")
        slug = make_workspace("Shared", owner=owner).slug
    boss, known = app.test_client(), app.test_client()
    boss.post("/login", data={"email": "o@example.com", "password": PASSWORD})
    with app.app_context():
        link = _invite(boss, slug, "known@example.com")
    assert "already have an account" in known.get(link).get_data(as_text=True)
    known.post("/login", data={"email": "known@example.com", "password": PASSWORD})
    assert known.post(link).status_code == 302
    assert known.get(f"/w/{slug}/").status_code == 200


def test_invitation_for_another_address_is_refused(make_app, make_user, make_workspace) -> None:
    app = make_app()
    with app.app_context():
        owner = make_user(email="o2@example.com")
        make_user(email="intruder@example.com")
        slug = make_workspace(owner=owner).slug
    boss, intruder = app.test_client(), app.test_client()
    boss.post("/login", data={"email": "o2@example.com", "password": PASSWORD})
    with app.app_context():
        link = _invite(boss, slug, "someone@example.com")
    intruder.post("/login", data={"email": "intruder@example.com", "password": PASSWORD})
    response = intruder.post(link)
    assert response.status_code == 403
    assert intruder.get(f"/w/{slug}/").status_code == 404


def test_expired_and_unknown_invitation_links_are_friendly_404s(client, app, make_user, make_workspace) -> None:
    owner = make_user()
    workspace = make_workspace(owner=owner)
    from feedback.auth import services

    invitation, token = services.invite_member(workspace, "late@example.com", Role.EDITOR, owner, utcnow(), 7)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    for path in (f"/join/{token}", "/join/unknown-token", "/join/" + "x" * 5000):
        response = client.get(path, headers={"Accept-Language": "de"})
        assert response.status_code == 404
        assert "Einladungslink ist nicht mehr gültig" in response.get_data(as_text=True)


def test_inviting_an_existing_member_says_so(client, auth, make_user, make_workspace) -> None:
    owner = make_user(email="boss@example.com")
    workspace = make_workspace(owner=owner)
    auth.login(owner)
    response = client.post(f"/w/{workspace.slug}/members/", data={"email": "boss@example.com", "role": "viewer"})
    assert "already a member" in response.get_data(as_text=True)
    assert count(WorkspaceInvitation) == 0


def test_invalid_email_is_refused_next_to_the_field(client, auth, make_user, make_workspace) -> None:
    owner = make_user()
    workspace = make_workspace(owner=owner)
    auth.login(owner)
    response = client.post(f"/w/{workspace.slug}/members/", data={"email": "not-an-address", "role": "viewer"})
    assert "Invalid email address" in response.get_data(as_text=True)
    assert count(WorkspaceInvitation) == 0


def test_unknown_role_is_refused(client, auth, make_user, make_workspace) -> None:
    owner = make_user()
    workspace = make_workspace(owner=owner)
    auth.login(owner)
    response = client.post(f"/w/{workspace.slug}/members/", data={"email": "x@example.com", "role": "admin"})
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(WorkspaceInvitation) == 0


def test_the_last_owner_cannot_be_demoted_or_removed(client, auth, make_user, make_workspace) -> None:
    owner = make_user()
    workspace = make_workspace(owner=owner)
    auth.login(owner)
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == owner.id))
    page = client.post(
        f"/w/{workspace.slug}/members/{membership.id}/role", data={"role": "viewer"}, follow_redirects=True
    )
    assert "at least one owner" in page.get_data(as_text=True)
    remove = f"/w/{workspace.slug}/members/{membership.id}/remove"
    page = client.post(remove, data={"confirm": "1"}, follow_redirects=True)
    assert "at least one owner" in page.get_data(as_text=True)
    db.session.refresh(membership)
    assert membership.role == "owner"


def test_owner_changes_a_role_and_removes_a_member(client, auth, make_user, make_workspace) -> None:
    owner, editor = make_user(), make_user()
    workspace = make_workspace(owner=owner, members={editor: Role.EDITOR})
    auth.login(owner)
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == editor.id))
    client.post(f"/w/{workspace.slug}/members/{membership.id}/role", data={"role": "viewer"})
    db.session.refresh(membership)
    assert membership.role == "viewer"
    client.post(f"/w/{workspace.slug}/members/{membership.id}/remove", data={"confirm": "1"})
    assert db.session.get(Membership, membership.id) is None


def test_editors_and_viewers_cannot_manage_members(client, auth, make_user, make_workspace) -> None:
    owner, editor = make_user(), make_user()
    workspace = make_workspace(owner=owner, members={editor: Role.EDITOR})
    auth.login(editor)
    owner_membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == owner.id))
    assert client.get(f"/w/{workspace.slug}/members/").status_code == 200
    assert (
        client.post(f"/w/{workspace.slug}/members/", data={"email": "x@example.com", "role": "owner"}).status_code
        == 403
    )
    assert (
        client.post(f"/w/{workspace.slug}/members/{owner_membership.id}/role", data={"role": "viewer"}).status_code
        == 403
    )
    assert client.post(f"/w/{workspace.slug}/members/{owner_membership.id}/remove").status_code == 403
    assert count(WorkspaceInvitation) == 0
    db.session.refresh(owner_membership)
    assert owner_membership.role == "owner"


def test_user_creates_another_workspace_and_owns_it(client, auth, make_user) -> None:
    user = make_user()
    auth.login(user)
    response = client.post("/workspaces/new", data={"name": "Zweite Marke GmbH"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/w/zweite-marke-gmbh/"
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
    assert membership.role == "owner"


def test_two_owners_removing_each_other_at_once_leave_one_owner(make_app, make_user, make_workspace) -> None:
    """The workspace is locked while its owners are counted: of two simultaneous removals one is refused."""
    import threading

    app = make_app()
    with app.app_context():
        first, second = make_user(email="a@example.com"), make_user(email="b@example.com")
        workspace = make_workspace(owner=first, members={second: Role.OWNER})
        members = {m.user_id: m.id for m in db.session.scalars(sa.select(Membership))}
        slug, a_id, b_id = workspace.slug, first.id, second.id
    browsers = {}
    for email in ("a@example.com", "b@example.com"):
        browsers[email] = app.test_client()
        browsers[email].post("/login", data={"email": email, "password": PASSWORD})
    start = threading.Barrier(2)
    statuses: list[int] = []

    def remove(browser, membership_id: int) -> None:  # noqa: ANN001
        start.wait()
        statuses.append(browser.post(f"/w/{slug}/members/{membership_id}/remove", data={"confirm": "1"}).status_code)

    threads = [
        threading.Thread(target=remove, args=(browsers["a@example.com"], members[b_id])),
        threading.Thread(target=remove, args=(browsers["b@example.com"], members[a_id])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        left = db.session.scalars(sa.select(Membership.role)).all()
    assert left == [Role.OWNER.value], statuses
