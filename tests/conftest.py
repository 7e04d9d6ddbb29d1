"""Shared fixtures: one migrated database per run (SQLite, or PostgreSQL via TEST_DATABASE_URL), builders."""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from feedback import create_app
from feedback.auth import services as auth_services
from feedback.auth.models import Membership, Role, User, Workspace
from feedback.config import normalise_database_url
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from feedback.referrals import services as referral_services
from feedback.referrals.models import Invite
from feedback.surveys import services as survey_services
from feedback.surveys.models import Answer, Response, Survey
from feedback.touchpoints import services as tp_services
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint
from tests.helpers import WHEN, first_code

PASSWORD = "correct horse battery"
PUBLIC_BASE_URL = "https://fb.example"


@pytest.fixture(scope="session", autouse=True)
def _each_password_hashed_once() -> Iterator[None]:
    """scrypt is slow on purpose (a tenth of a second); the suite makes thousands of users with one password and
    logs them in thousands of times. The first hash of a password (and the first check of a password against a hash)
    runs the real scrypt; later ones reuse its result, so a wrong password still fails and hashes still look real."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth_services, "generate_password_hash", functools.cache(auth_services.generate_password_hash))
        patch.setattr(auth_services, "check_password_hash", functools.cache(auth_services.check_password_hash))
        yield


@pytest.fixture(scope="session", autouse=True)
def _url_builders_compiled_once() -> Iterator[None]:
    """Each test builds its own app, and most of `create_app`'s time is Werkzeug compiling two URL builder functions
    per rule with Python's compiler. A builder's code depends only on the rule's parts, defaults and kind (it reaches
    the converters through the rule it is bound to), so the suite compiles each one once and binds it to every
    app's rule as Werkzeug does. Without the private method (another Werkzeug) nothing is patched."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        yield
        return
    compiled: dict[tuple[Any, ...], Any] = {}

    def once(rule: Rule, append_unknown: bool = True) -> Any:
        key = (tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", once)
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL (a throw-away PostgreSQL database) or a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        name = sa.engine.make_url(url).database or ""
        if not name.startswith("feedback_test"):
            pytest.exit(f"TEST_DATABASE_URL must name a throw-away database 'feedback_test…', got {name!r}")
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'feedback-test.sqlite3'}"


def environ_for(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a test app is built from (never the developer's own)."""
    return {
        "FEEDBACK_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }


@pytest.fixture(scope="session")
def _migrated(database_url: str) -> None:
    """Bring the test database to the migration head once per run."""
    from flask_migrate import upgrade

    app = create_app({"ENVIRON": environ_for(database_url)})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


_cleaners: dict[str, sa.Engine] = {}


def _clean(database_url: str) -> None:
    """Delete every row the test wrote, keeping the schema and the migration version (each test's app starts with
    empty caches: they live on the app).

    One plain engine per database does it, not an app of its own: building an app compiles every URL rule (a tenth
    of a second, twice per test). Row by row in reverse dependency order is faster than TRUNCATE on tables a test
    left nearly empty; PostgreSQL's sequences then start again at 1, as SQLite's row ids do on an emptied table.
    """
    engine = _cleaners.get(database_url)
    if engine is None:
        engine = _cleaners[database_url] = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )


#: What every browser sends and the test client does not: without Accept (and Accept-Language) a visit is taken as
#: automated (`feedback.qr.automated`). Accept-Language is left out so pages keep their default language.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class IsolatedClient(FlaskClient):
    """Gives every request a clean `g`, as in production, even while a test holds an app context open, and sends
    a browser's Accept header unless the test sends its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT", BROWSER_ACCEPT)

    def open(self, *args: Any, **kwargs: Any):  # noqa: ANN201
        """End the test's own transaction and clear what the previous request left on `g` (locale, user, workspace).

        In production every request starts with a fresh session; here the test shares one with the app, so an
        open read transaction of the test would otherwise carry a stale SQLite snapshot into the request.
        """
        if not has_app_context():
            return super().open(*args, **kwargs)
        db.session.commit()
        for name in list(vars(g)):
            delattr(g, name)
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.rollback()  # what the app's teardown does to the request's session


@pytest.fixture
def make_app(database_url: str, _migrated: None) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database with extra config; rows are removed after the test."""
    built: list[Flask] = []

    def build(environ: dict[str, str] | None = None, **config: Any) -> Flask:
        settings: dict[str, Any] = {"TESTING": True, "WTF_CSRF_ENABLED": False}
        settings.update(config)
        settings["ENVIRON"] = environ_for(database_url, **(environ or {}))
        app = create_app(settings)
        app.test_client_class = IsolatedClient
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
            if "feedback_replica" in app.extensions:
                app.extensions["feedback_replica"].engine.dispose()
    if built:
        _clean(database_url)


@pytest.fixture
def app(make_app: Callable[..., Flask], request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app under test with an application context pushed (so builders can use the session); a module or test
    marked `@pytest.mark.app_config(NAME=value)` gets that config (e.g. `SURVEY_MIN_FILL_SECONDS=0`: tests answer at
    once, and the fill-time check would flag them as bots)."""
    marker = request.node.get_closest_marker("app_config")
    application = make_app(**(marker.kwargs if marker else {}))
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    """A CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create users: make_user(email=..., password=..., locale=...)."""
    counter = iter(range(1, 10_000))

    def build(email: str | None = None, password: str = PASSWORD, locale: str = "en", **kw: Any) -> User:
        user = auth_services.create_user(email or f"user{next(counter)}@example.com", password, locale=locale, **kw)
        db.session.commit()
        return user

    return build


@pytest.fixture
def make_workspace(app: Flask, make_user: Callable[..., User]) -> Callable[..., Workspace]:
    """Create workspaces: make_workspace(name, owner=user, members={user: Role.VIEWER})."""
    counter = iter(range(1, 10_000))

    def build(name: str | None = None, owner: User | None = None, members: dict[User, Role] | None = None) -> Workspace:
        workspace = auth_services.create_workspace(name or f"Workspace {next(counter)}", owner or make_user())
        for user, role in (members or {}).items():
            db.session.add(Membership(user=user, workspace=workspace, role=role.value))
        db.session.commit()
        return workspace

    return build


@pytest.fixture
def make_campaign(app: Flask, make_workspace: Callable[..., Workspace]) -> Callable[..., Campaign]:
    """Create campaigns: make_campaign(workspace=..., name=..., budget=...)."""
    counter = iter(range(1, 10_000))

    def build(workspace: Workspace | None = None, name: str | None = None, **kw: Any) -> Campaign:
        ws = workspace or make_workspace()
        data = tp_services.CampaignData(name=name or f"Campaign {next(counter)}", **kw)
        campaign = tp_services.create_campaign(ws.id, data)
        db.session.commit()
        return campaign

    return build


@pytest.fixture
def make_touchpoint(app: Flask, make_campaign: Callable[..., Campaign]) -> Callable[..., Touchpoint]:
    """Create touchpoints: make_touchpoint(campaign=..., channel=Channel.FLYER, phase=Phase.AWARENESS)."""
    counter = iter(range(1, 10_000))

    def build(
        campaign: Campaign | None = None,
        name: str | None = None,
        channel: Channel = Channel.FLYER,
        phase: Phase = Phase.AWARENESS,
        cost: Decimal | None = None,
        reach: int | None = None,
        **kw: Any,
    ) -> Touchpoint:
        data = tp_services.TouchpointData(
            name=name or f"Touchpoint {next(counter)}",
            channel=channel,
            phase=phase,
            cost=cost,
            reach=reach,
            **kw,
        )
        touchpoint = tp_services.create_touchpoint(campaign or make_campaign(), data)
        db.session.commit()
        return touchpoint

    return build


@pytest.fixture
def make_survey(app: Flask) -> Callable[..., Any]:
    """Create a survey from a template and attach it: make_survey(touchpoint, template="loyalty", name=...)."""
    counter = iter(range(1, 10_000))

    def build(touchpoint: Touchpoint, template: str = "loyalty", name: str | None = None) -> Any:
        survey = survey_services.create_survey(touchpoint.workspace_id, name or f"Survey {next(counter)}", template)
        survey_services.attach(touchpoint, survey)
        db.session.commit()
        return survey

    return build


@pytest.fixture
def make_code(
    app: Flask, make_touchpoint: Callable[..., Touchpoint], make_survey: Callable[..., Any]
) -> Callable[..., Any]:
    """Create a printed code: make_code(touchpoint=None, survey="loyalty", label="", incentive=None); a new
    touchpoint (named "Flyer") with the survey template when none is given, `survey=None` for none."""

    def build(
        touchpoint: Touchpoint | None = None,
        survey: str | None = "loyalty",
        label: str = "",
        incentive: str | None = None,
    ) -> Any:
        if touchpoint is None:
            touchpoint = make_touchpoint(name="Flyer")
            if survey:
                make_survey(touchpoint, survey)
        if incentive is not None:
            touchpoint.campaign.incentive_text = incentive
        code = qr_services.create_code(touchpoint, label)
        db.session.commit()
        return code

    return build


class AuthActions:
    """Log a test client in and out."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, user_or_email: User | str, password: str = PASSWORD):  # noqa: ANN201
        """Post the login form."""
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):  # noqa: ANN201
        """Post the logout form."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Login helper bound to the test client."""
    return AuthActions(client)


# --- scans and answered responses, written straight into the database (for analysis, exports, retention) ---------

_tokens = itertools.count(1)


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
def make_scans(app: Any) -> Callable[..., None]:
    """make_scans(touchpoint, n, when=..., device="mobile", bot=False, visitors=None): n scans of its first code."""

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
def make_response(app: Any) -> Callable[..., Response]:
    """make_response(touchpoint, nps=9, reason="…", completed=True, flagged=False, when=...): one response."""

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


@pytest.fixture
def make_invite(
    app: Any, make_code: Callable[..., Any], make_response: Callable[..., Response]
) -> Callable[..., Invite]:
    """make_invite(touchpoint=None, when=WHEN): the personal invite of a response completed at the touchpoint
    (through its first code), issued a minute later; a new "Flyer" touchpoint with the loyalty survey and a code when
    none is given."""

    def build(touchpoint: Touchpoint | None = None, when: datetime = WHEN) -> Invite:
        touchpoint = touchpoint or make_code().touchpoint
        response = make_response(touchpoint, when=when)
        invite = referral_services.issue_invite(response, touchpoint.campaign, when + timedelta(minutes=1))
        db.session.commit()
        return invite

    return build
