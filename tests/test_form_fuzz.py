"""Every dashboard form, filled by Hypothesis with what attackers and typos send: the answer is a page or a
redirect with a message (2xx, 3xx, 4xx) and carries the security headers, never a 500.

The forms are found, not listed: every page of a workspace is opened, every POST form on it is read (its fields,
their types, the choices of its selects) and sent with hostile values in every field but the CSRF token. A new form
is fuzzed the day it appears. Forms that delete or end something run last, so the others find their objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.extensions import db
from tests import tenants

#: Values that broke or could break a parser: calendar and integer edges, digits Python reads but databases do
#: not, numbers in the wrong format, control and direction characters, and very long text.
EDGES = [
    "", " ", "0", "-1", "²", "٣", "５", "1e309", "NaN", "inf", "9" * 40, str(2**63), str(2**31), "1.234,50",
    "9999-12-31", "0000-00-00", "2026-02-30", "1899-12-31", "31.12.2026", "9999-12-31T23:30", "0001-01-01T00:30",
    "2026-13-01T10:00", "x" * 20_000, "\u202e", "a\tb\r\nc",
    "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "../../etc/passwd", "javascript:alert(1)",
    "https://x.example:abc/", "https://[::1]/", "on", "yes", "owner", "everyone", "de", "en",
]  # fmt: skip
HOSTILE = st.one_of(st.sampled_from(EDGES), st.text(max_size=60))
#: Forms that end something: sent after the others so those still find their objects.
ENDING = ("delete", "erase", "remove", "revoke", "logout", "leave", "transfer", "archive", "rotate")
EXAMPLES = 25


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → the choices (or one current value)

    @property
    def ending(self) -> bool:
        return any(word in self.action for word in ENDING)


class _Forms(HTMLParser):
    """The POST forms of a page and their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._current = Form(a.get("action", ""))
            self.forms.append(self._current)
        elif self._current is None or "name" not in a and tag != "option":
            return
        elif tag in ("input", "textarea"):
            self._current.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._current.fields.setdefault(a["name"], [])
        elif tag == "option" and self._select:
            self._current.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _forms_of(client, app, slug: str, ids: dict) -> dict[str, Form]:  # noqa: ANN001
    """Every POST form on every page of the workspace, by action."""
    found: dict[str, Form] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/w/<ws>") or "GET" not in rule.methods:
            continue
        params = [a for a in rule.arguments if a != "ws"]
        if not set(params) <= ids.keys() or "fmt" in params:
            continue
        path = rule.build({"ws": slug, **{p: ids[p] for p in params}}, append_unknown=False)[1]
        with client.get(path) as page:
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            parser = _Forms()
            parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            form.action = form.action or path  # a form without an action posts to its own page
            if form.action.startswith(f"/w/{slug}/"):
                found.setdefault(form.action.split("?")[0], form)
    return found


@pytest.fixture
def two_tenants(app, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN001,ANN201
    """A workspace with one object of every kind (and another workspace)."""
    return tenants.two_tenants(make_user, make_workspace, make_campaign, make_touchpoint)


def _fuzz(client, action: str, form: Form):  # noqa: ANN001,ANN202
    """A Hypothesis test that sends the form with hostile values in every field (the CSRF token kept)."""
    names = [n for n in form.fields if n != "csrf_token"]
    values = st.fixed_dictionaries({n: st.one_of(HOSTILE, st.sampled_from(form.fields[n] or [""])) for n in names})

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(values)
    def send(sent: dict[str, str]) -> None:
        csrf = form.fields.get("csrf_token", [""])[0]  # (the tests' app does not check it; production does)
        with client.post(action, data={**sent, "csrf_token": csrf}) as answer:
            assert answer.status_code < 500, f"POST {action} {sent!r} → {answer.status_code}"
            assert answer.headers.get("Content-Security-Policy"), action
        db.session.rollback()

    return send


def test_every_dashboard_form_answers_hostile_values_without_a_500(client, auth, app, two_tenants) -> None:
    _attacker, _own, workspace, ids = two_tenants
    from feedback.auth.models import Membership, Role, User

    owner = db.session.get(User, db.session.scalar(
        Membership.__table__.select().with_only_columns(Membership.user_id).where(
            Membership.workspace_id == workspace.id, Membership.role == Role.OWNER.value)))  # fmt: skip
    auth.login(owner)
    forms = _forms_of(client, app, workspace.slug, ids)
    assert len(forms) >= 40, sorted(forms)
    sent: list[str] = []

    for action, form in sorted(forms.items(), key=lambda item: (item[1].ending, item[0])):
        _fuzz(client, action, form)()
        sent.append(action)
        if "logout" in action:
            auth.login(owner)
    assert len(sent) == len(forms)


@pytest.mark.parametrize("value", ["9999-12-31", "²", str(2**63)])
def test_the_parser_finds_the_fields_of_a_form(value: str) -> None:
    parser = _Forms()
    parser.feed(f'<form method="post" action="/w/x/a"><input name="csrf_token" value="t"><select name="s">'
                f'<option value="1">a</option><option value="{value}">b</option></select><textarea name="t">'
                '</textarea></form><form method="get"><input name="q"></form>')  # fmt: skip
    (form,) = parser.forms
    assert form.fields == {"csrf_token": ["t"], "s": ["1", value], "t": [""]}
