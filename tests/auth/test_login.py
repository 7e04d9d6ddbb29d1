"""Logging in and out: hashed passwords, one message for every failure, rate limits, safe redirects."""

from __future__ import annotations

import pytest

from feedback.auth.models import User
from feedback.extensions import db
from tests.conftest import PASSWORD


def test_password_is_stored_hashed_with_a_strong_algorithm(make_user) -> None:
    user = make_user(email="hash@example.com")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:", "argon2"))


def test_login_with_correct_password_opens_the_dashboard(client, auth, make_workspace, make_user) -> None:
    user = make_user(email="Anna@Example.com")
    workspace = make_workspace("Kaffee GmbH", owner=user)
    response = auth.login("  ANNA@example.com ")
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == f"/w/{workspace.slug}/"
    assert "Kaffee GmbH" in client.get(f"/w/{workspace.slug}/").get_data(as_text=True)


def test_unknown_user_and_wrong_password_get_the_identical_answer(client, auth, make_user) -> None:
    make_user(email="real@example.com")
    wrong_password = auth.login("real@example.com", "not the password")
    unknown_user = auth.login("nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "E-mail or password is wrong." in wrong_password.get_data(as_text=True)
    assert wrong_password.get_data(as_text=True) == unknown_user.get_data(as_text=True).replace(
        "nobody@example.com", "real@example.com"
    )


def test_disabled_user_cannot_log_in_and_loses_open_sessions(client, auth, make_user, make_workspace) -> None:
    user = make_user(email="gone@example.com")
    make_workspace(owner=user)
    auth.login(user)
    assert client.get("/account").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/account").status_code == 302  # back to login
    assert auth.login("gone@example.com").status_code == 401


def test_dashboard_requires_login(client, make_workspace) -> None:
    workspace = make_workspace()
    response = client.get(f"/w/{workspace.slug}/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "http:/evil"],
)
def test_login_never_redirects_off_site(client, auth, make_user, target) -> None:
    make_user(email="next@example.com")
    response = client.post(f"/login?next={target}", data={"email": "next@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next_path(client, make_user) -> None:
    make_user(email="local@example.com")
    response = client.post("/login?next=/account", data={"email": "local@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_login_is_rate_limited(client, make_user) -> None:
    make_user(email="target@example.com")
    statuses = [
        client.post("/login", data={"email": "target@example.com", "password": "guess"}).status_code for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert "Too many attempts" in client.post("/login", data={"email": "x@y.z", "password": "a"}).get_data(as_text=True)


def test_the_session_cookie_is_http_only_same_site_and_secure_in_production(make_app, make_user) -> None:
    for environ, secure in (({}, False), ({"FEEDBACK_ENV": "production"}, True)):
        app = make_app(environ)
        with app.app_context():
            make_user(email=f"cookie{int(secure)}@example.com")
            client = app.test_client()
            response = client.post("/login", data={"email": f"cookie{int(secure)}@example.com", "password": PASSWORD})
            assert response.status_code == 302
            (session_cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("feedback_session=")]
            flags = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")}
            assert {"httponly", "path"} <= flags and "SameSite=Lax" in session_cookie
            assert ("secure" in flags) is secure


def test_logout_needs_post_and_ends_the_session(client, auth, make_user) -> None:
    make_user(email="out@example.com")
    auth.login("out@example.com")
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302


def test_logout_everywhere_ends_sessions_on_other_devices(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        make_user(email="two@example.com")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/login", data={"email": "two@example.com", "password": PASSWORD})
    assert phone.get("/account").status_code == 200
    laptop.post("/account/logout-everywhere")
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 302


def test_changing_the_password_logs_out_other_devices_but_keeps_this_one(make_app, make_user) -> None:
    app = make_app()
    with app.app_context():
        make_user(email="pw@example.com")
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/login", data={"email": "pw@example.com", "password": PASSWORD})
    response = laptop.post(
        "/account",
        data={
            "password-current": PASSWORD,
            "password-password": "a brand new passphrase",
            "password-confirm": "a brand new passphrase",
            "password-submit": "1",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302


def test_changing_the_password_needs_the_current_one(client, auth, make_user) -> None:
    user = make_user(email="cur@example.com")
    auth.login(user)
    old_hash = user.password_hash
    response = client.post(
        "/account",
        data={
            "password-current": "wrong",
            "password-password": "a brand new passphrase",
            "password-confirm": "a brand new passphrase",
            "password-submit": "1",
        },
    )
    assert response.status_code == 200
    assert "The current password is wrong." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_user_picks_the_dashboard_language(client, auth, make_user, make_workspace) -> None:
    user = make_user(email="sprache@example.com")
    make_workspace(owner=user)
    auth.login(user)
    client.post("/account", data={"account-name": "Anna", "account-locale": "de", "account-submit": "1"})
    assert db.session.get(User, user.id).locale == "de"
    assert "Kampagnen" in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_guessing_the_current_password_is_rate_limited_like_a_login(make_app, make_user) -> None:
    app = make_app(LOGIN_RATE_LIMIT="5 per minute")
    with app.app_context():
        user = make_user(email="guess@example.com")
        old_hash = user.password_hash
    stolen = app.test_client()
    stolen.post("/login", data={"email": "guess@example.com", "password": PASSWORD})

    def change(current: str):  # noqa: ANN202
        new = "a brand new passphrase"
        form = {"password-current": current, "password-password": new, "password-confirm": new, "password-submit": "1"}
        return stolen.post("/account", data=form)

    statuses = [change(f"guess {n}").status_code for n in range(4)]  # the login was the account's first attempt
    assert statuses == [200] * 4
    refused = change(PASSWORD)  # even the right one waits until the minute is over
    assert refused.status_code == 429 and "Too many attempts" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(type(user), user.id).password_hash == old_hash
    renamed = stolen.post("/account", data={"account-name": "Neu", "account-locale": "de", "account-submit": "1"})
    assert renamed.status_code in (200, 302)  # the page's other form guesses nothing
    elsewhere = app.test_client().post("/login", data={"email": "guess@example.com", "password": PASSWORD})
    assert elsewhere.status_code == 429  # the same counter as the login form's
