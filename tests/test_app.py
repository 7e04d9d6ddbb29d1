"""The application shell: health checks, database settings, proxies, error pages, cookies."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db


def test_healthz_answers_without_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and set(response.json) == {"status", "scans_not_stored"}
    assert isinstance(response.json["scans_not_stored"], int)  # a counter of this process, no query


def test_readyz_checks_the_database(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(make_app, tmp_path) -> None:
    app = make_app(environ={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_postgres_runs_through_psycopg3(app: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    assert db.engine.dialect.driver == "psycopg"
    assert db.session.scalar(sa.text("SELECT 1")) == 1


def test_unknown_page_is_a_friendly_404_in_the_visitors_language(client) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Diese Seite gibt es nicht" in text
    assert "Traceback" not in text


def test_oversized_body_is_refused_with_413(client) -> None:
    response = client.post("/login", data={"email": "a@b.c", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_wrong_method_is_405_with_allow_header(client) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_unexpected_errors_render_a_page_without_a_stack_trace(make_app) -> None:
    app = make_app(TESTING=False)

    @app.route("/boom")
    def boom():  # noqa: ANN202
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert "Something went wrong on our side" in text


def test_proxy_fix_trusts_the_configured_number_of_hops(make_app) -> None:
    app = make_app(environ={"PROXY_HOPS": "1"})

    @app.route("/whoami")
    def whoami():  # noqa: ANN202
        from flask import request

        return f"{request.remote_addr} {request.scheme} {request.host}"

    response = app.test_client().get(
        "/whoami",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "fb.example",
        },
    )
    assert response.get_data(as_text=True) == "203.0.113.9 https fb.example"


def test_without_proxy_hops_forwarded_headers_are_ignored(make_app) -> None:
    app = make_app()

    @app.route("/whoami")
    def whoami():  # noqa: ANN202
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "127.0.0.1 http"


def test_session_cookie_is_httponly_and_samesite(client, make_user, auth) -> None:
    make_user(email="cookie@example.com")
    response = auth.login("cookie@example.com")
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("feedback_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
