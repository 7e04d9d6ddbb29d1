"""Scoring that fits the workspace (issue 25, item 2): points and thresholds saved as versions by editors, every lead
rescored from its score events in one transaction, bad input refused in the member's language, and the suggested
weights page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.leads import scoring, services, stages
from feedback.leads.models import ChangedBy, Contact, RulesVersion, ScoreEvent, StageChange
from tests.helpers import WHEN, count, csrf_token_from

FORM = {"scan": "1", "completed": "5", "promoter": "10", "follow_up": "20", "invite_accepted": "10",
        "coupon_redeemed": "25", "nurture_reaction": "5", "mql_at": "15", "sales_ready_at": "35"}  # fmt: skip


@pytest.fixture
def team(make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A workspace with an owner, a German editor and a viewer, and a booth."""
    owner, editor, viewer = make_user(), make_user(locale="de"), make_user()
    workspace = make_workspace("Nordlicht", owner=owner, members={editor: Role.EDITOR, viewer: Role.VIEWER})
    booth = make_touchpoint(campaign=make_campaign(workspace=workspace), name="Booth")
    return {"owner": owner, "editor": editor, "viewer": viewer, "workspace": workspace, "booth": booth}


def _lead(touchpoint, name: str, activities: list[str], stage: str = "new") -> Contact:  # noqa: ANN001
    """A contact with one score event per activity, scored with the default points."""
    contact = Contact(
        workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id, name=name, email=f"{name}@ex.com",
        consent_text="ok", consent_language="de", consented_at=WHEN, created_at=WHEN, stage=stage,
    )  # fmt: skip
    db.session.add(contact)
    db.session.flush()
    rules = services.rules_for(touchpoint.workspace_id)
    for i, activity in enumerate(activities):
        points = rules.points[next(a for a in rules.points if a.value == activity)]
        db.session.add(
            ScoreEvent(
                workspace_id=contact.workspace_id, contact_id=contact.id, activity=activity, points=points,
                source=f"response:{contact.id}{i}", touchpoint_id=touchpoint.id, created_at=WHEN,
            )
        )  # fmt: skip
        contact.score += points
    db.session.commit()
    return contact


def test_an_editor_saves_a_version_and_every_lead_is_rescored_from_its_events(client, auth, team) -> None:
    booth = team["booth"]
    _lead(booth, "anna", ["scan", "completed"])  # 6: new
    _lead(booth, "ben", ["scan", "completed", "promoter"])  # 16: would be MQL, stored as new
    _lead(booth, "cara", ["follow_up", "promoter", "completed"], stage="marketing_qualified")  # 35
    dora = _lead(booth, "dora", ["follow_up", "coupon_redeemed"])  # 45
    stages.move_stage(booth.workspace_id, dora.id, stages.Move("sales_accepted"), stages.Mover(ChangedBy.DASHBOARD),
                      WHEN + timedelta(days=1))  # fmt: skip
    db.session.commit()
    auth.login(team["editor"])
    base = f"/w/{team['workspace'].slug}/leads/settings"
    saved = client.post(base, data={**FORM, "completed": "10", "promoter": "0", "mql_at": "12", "sales_ready_at": "30"})
    assert saved.status_code == 302
    db.session.expire_all()
    scores = {c.name: (c.score, c.stage) for c in db.session.scalars(sa.select(Contact))}
    assert scores == {
        "anna": (11, "new"),
        "ben": (11, "new"),
        "cara": (30, "sales_ready"),
        "dora": (45, "sales_accepted"),  # sales took it on: the score no longer moves it
    }
    assert db.session.scalars(sa.select(ScoreEvent.points).where(ScoreEvent.activity == "completed")).all() == [10] * 3
    moves = db.session.execute(
        sa.select(Contact.name, StageChange.from_stage, StageChange.to_stage, StageChange.changed_by)
        .join(Contact, Contact.id == StageChange.contact_id)
        .where(StageChange.changed_by == "score")
    ).all()
    assert moves == [("cara", "marketing_qualified", "sales_ready", "score")]
    version = db.session.scalar(sa.select(RulesVersion))
    assert (version.number, version.saved_by, version.mql_at, version.sales_ready_at) == (1, team["editor"].id, 12, 30)
    assert version.points["completed"] == 10 and version.points["nurture_reaction"] == 5
    assert (version.rescored, version.restaged) == (3, 1)  # anna 6→11, ben 16→11, cara 35→30; cara moved
    page = client.get(base).get_data(as_text=True)
    assert "Versionen" in page and "in Kraft" in page and team["editor"].email in page


def test_a_second_version_is_current_and_the_history_keeps_the_first(client, auth, team) -> None:
    _lead(team["booth"], "anna", ["follow_up"])
    auth.login(team["owner"])
    base = f"/w/{team['workspace'].slug}/leads/settings"
    assert client.post(base, data=FORM).status_code == 302
    assert client.post(base, data={**FORM, "follow_up": "40"}).status_code == 302
    rows = scoring.history(team["workspace"].id)
    found = [(r.version.number, r.current, r.version.points["follow_up"]) for r in rows]
    assert found == [(2, True, 40), (1, False, 20)]
    assert db.session.scalar(sa.select(Contact.stage)) == "sales_ready"  # 40 points


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"scan": "-1"}, "zwischen 0 und 1000"),
        ({"promoter": "zehn"}, "ganze Zahl"),
        ({"follow_up": "2.5"}, "ganze Zahl"),
        ({"coupon_redeemed": "99999999999999999999"}, "zu groß"),
        ({"coupon_redeemed": "5000"}, "1000"),
        ({"mql_at": "40", "sales_ready_at": "40"}, "muss über der"),
        ({"sales_ready_at": "20000"}, "10000"),
    ],
)
def test_bad_input_changes_nothing_and_says_why_in_german(client, auth, team, change, field_error) -> None:
    lead = _lead(team["booth"], "anna", ["scan", "completed"])
    auth.login(team["editor"])
    response = client.post(f"/w/{team['workspace'].slug}/leads/settings", data={**FORM, **change})
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    db.session.expire_all()
    assert count(RulesVersion) == 0 and db.session.get(Contact, lead.id).score == 6
    assert set(db.session.scalars(sa.select(ScoreEvent.points))) == {1, 5}


def test_the_service_refuses_what_the_form_would_and_names_each_field(team) -> None:
    with pytest.raises(scoring.RulesRefused) as refused:
        scoring.save_version(team["workspace"].id, {"scan": -3, "promoter": 1.5, "completed": True}, "x", 10, None)
    assert set(refused.value.errors) == {"scan", "promoter", "completed", "mql_at"}
    with pytest.raises(scoring.RulesRefused) as refused:
        scoring.save_version(team["workspace"].id, {}, 40, 30, None)
    assert set(refused.value.errors) == {"sales_ready_at"}
    assert count(RulesVersion) == 0


def test_viewers_cannot_save_consent_is_for_owners_and_english_errors_read_english(client, auth, team) -> None:
    base = f"/w/{team['workspace'].slug}/leads/settings"
    auth.login(team["viewer"])
    assert client.post(base, data=FORM).status_code == 403
    auth.logout()
    auth.login(team["editor"])
    assert client.post(f"{base}/consent", data={"purpose-de": "Wir rufen an."}).status_code == 403
    auth.logout()
    auth.login(team["owner"])
    english = client.post(base, data={**FORM, "mql_at": "50", "sales_ready_at": "40"}).get_data(as_text=True)
    assert "The sales-ready threshold must be above the marketing-qualified one." in english
    assert client.post(f"{base}/consent", data={"purpose-de": "Wir rufen an."}).status_code == 302
    assert services.rules_for(team["workspace"].id).purpose("de", "x") == "Wir rufen an."
    assert count(RulesVersion) == 0  # the consent text is no scoring version


def test_saving_needs_the_csrf_token(make_app, make_user, make_workspace) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        owner = make_user()
        workspace = make_workspace(owner=owner)
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"email": owner.email, "password": "correct horse battery",
                                    "csrf_token": csrf_token_from(login)})  # fmt: skip
        refused = client.post(f"/w/{workspace.slug}/leads/settings", data=FORM)
        assert refused.status_code in (400, 422) and count(RulesVersion) == 0
        page = client.get(f"/w/{workspace.slug}/leads/settings").get_data(as_text=True)
        saved = client.post(f"/w/{workspace.slug}/leads/settings", data={**FORM, "csrf_token": csrf_token_from(page)})
        assert saved.status_code == 302 and count(RulesVersion) == 1


def test_the_suggested_weights_page_quotes_its_numbers_and_flags_small_samples(client, auth, team) -> None:
    booth = team["booth"]
    for i in range(6):
        lead = _lead(booth, f"lead{i}", ["scan", "follow_up"] if i < 3 else ["scan"])
        if i < 2:
            for stage in ("sales_accepted", "sales_qualified"):
                stages.move_stage(booth.workspace_id, lead.id, stages.Move(stage), stages.Mover(ChangedBy.DASHBOARD),
                                  WHEN + timedelta(days=1))  # fmt: skip
            stages.move_stage(booth.workspace_id, lead.id, stages.Move("won", order_value="100"),
                              stages.Mover(ChangedBy.DASHBOARD), WHEN + timedelta(days=2))  # fmt: skip
    db.session.commit()
    auth.login(team["owner"])
    page = client.get(f"/w/{team['workspace'].slug}/leads/weights").get_data(as_text=True)
    assert "2 of 6 leads were won." in page
    assert "Only 2 won leads among 6 leads" in page  # the small-n caveat
    assert "Fewer than 10 leads on one side: no test, no suggested weight." in page
    # one side empty: said as such, not as a share of "no leads"
    assert "Scanned a code”: every lead has it; 33% (2 of 6; 95 % interval" in page
    assert "Redeemed a coupon”: no lead has it yet: no suggested weight." in page
    assert "won with it no leads" not in page
    assert "These are associations, not causes" in page
