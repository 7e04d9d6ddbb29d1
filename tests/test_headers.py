"""Security headers: CSP without inline scripts, no framing, nosniff, referrer policy, no-store on private pages."""

from __future__ import annotations

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services as survey_services
from feedback.touchpoints import services as tp


def _csp(response) -> dict[str, str]:  # noqa: ANN001
    return dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


def test_every_kind_of_page_carries_the_security_headers(client, auth, make_user, make_workspace) -> None:
    editor = make_user()
    workspace = make_workspace(members={editor: Role.EDITOR})
    campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="Kampagne"))
    touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData("Plakat", "poster", "awareness"))
    survey = survey_services.create_survey(workspace.id, "NPS", "nps-reason")
    survey_services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    auth.login(editor)
    pages = {
        "login": client.get("/login"),
        "dashboard": client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}"),
        "scan": client.get(f"/t/{code.code}"),
        "api": client.get("/api/v1/campaigns"),
        "static": client.get("/static/respond.js"),
    }
    pages["static"].close()  # a file response: release the file
    for name, response in pages.items():
        csp = _csp(response)
        assert csp["script-src"] == "'self'", name  # no inline scripts, no eval
        assert csp["frame-ancestors"] == "'none'" and response.headers["X-Frame-Options"] == "DENY", name
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", name
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "same-origin", name
    for name in ("login", "dashboard", "scan", "api"):
        assert pages[name].headers["Cache-Control"] == "no-store", name
    preview = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame")
    csp = _csp(preview)
    # the preview's form may only go back to the preview itself (it is clicked through page by page)
    assert csp["form-action"].endswith(f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame")
    assert csp["frame-ancestors"] == "'self'" and " " not in csp["form-action"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_no_template_has_inline_scripts_or_event_handlers() -> None:
    """What the CSP would block must not be written in the first place."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {template}"
        assert not re.search(r"\son[a-z]+=\"", text), f"inline event handler in {template}"
        assert "javascript:" not in text, f"javascript: URL in {template}"
