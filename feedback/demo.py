"""Realistic demo data: a coffee roaster with two campaigns over the whole customer journey (idempotent)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from feedback.auth import services as auth
from feedback.auth.models import Membership, Role, User, Workspace
from feedback.extensions import db
from feedback.touchpoints import services as tp
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint

DEMO_EMAIL = "demo@example.com"
DEMO_WORKSPACE_SLUG = "nordlicht-kaffee"

CAMPAIGNS: list[tuple[tp.CampaignData, list[tp.TouchpointData]]] = [
    (
        tp.CampaignData(
            name="Frühjahr 2026: Neue Röstung",
            description="Launch of the spring roast in the city: posters, flyers, ads and the shops.",
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 6, 30),
            budget=Decimal("18500.00"),
        ),
        [
            tp.TouchpointData(
                "Plakat Hauptbahnhof",
                Channel.POSTER,
                Phase.AWARENESS,
                Decimal("3200"),
                40000,
                "Hamburg Hbf, Wandelhalle",
            ),
            tp.TouchpointData(
                "Anzeige Stadtmagazin",
                Channel.PRINT_AD,
                Phase.AWARENESS,
                Decimal("2400"),
                25000,
                "SZENE Hamburg, April",
            ),
            tp.TouchpointData(
                "Flyer Wochenmarkt", Channel.FLYER, Phase.CONSIDERATION, Decimal("450"), 5000, "Isemarkt"
            ),
            tp.TouchpointData(
                "Aufsteller im Café",
                Channel.STORE,
                Phase.CONSIDERATION,
                Decimal("300"),
                3000,
                "Café Nordlicht, Schanze",
            ),
            tp.TouchpointData("Kassenbon-QR", Channel.RECEIPT, Phase.DECISION, Decimal("150"), 12000, "All shops"),
            tp.TouchpointData("Verpackung 250 g", Channel.PACKAGING, Phase.RETENTION, Decimal("1800"), 20000),
            tp.TouchpointData(
                "Kundenkarte-Mailing",
                Channel.POSTAL_MAIL,
                Phase.RETENTION,
                Decimal("2600"),
                4000,
                "Loyalty customers",
            ),
            tp.TouchpointData(
                "Empfehlungskarte",
                Channel.FLYER,
                Phase.ADVOCACY,
                Decimal("200"),
                2000,
                "Handed out with every order",
            ),
        ],
    ),
    (
        tp.CampaignData(
            name="Messe & Events 2026",
            description="Trade fairs and tastings for cafés, offices and restaurants (B2B).",
            starts_on=date(2026, 2, 1),
            ends_on=date(2026, 11, 30),
            budget=Decimal("24000.00"),
        ),
        [
            tp.TouchpointData(
                "Messestand INTERNORGA",
                Channel.TRADE_FAIR,
                Phase.AWARENESS,
                Decimal("14000"),
                3500,
                "Hamburg Messe, Halle B6",
            ),
            tp.TouchpointData("Verkostung Bürotag", Channel.EVENT, Phase.CONSIDERATION, Decimal("1200"), 400),
            tp.TouchpointData("Angebotsmappe", Channel.POSTAL_MAIL, Phase.DECISION, Decimal("900"), 600),
            tp.TouchpointData("Barista-Schulung", Channel.EVENT, Phase.RETENTION, Decimal("2500"), 120),
        ],
    ),
]


def _demo_user(password: str) -> User:
    """The demo login, created or given the new password."""
    user = auth.user_by_email(DEMO_EMAIL)
    if user is None:
        return auth.create_user(DEMO_EMAIL, password, "Demo Marketing", "de")
    auth.set_password(user, password)
    user.active = True
    return user


def _demo_workspace(user: User) -> Workspace:
    """The demo workspace, owned by the demo user."""
    workspace = db.session.scalar(sa.select(Workspace).where(Workspace.slug == DEMO_WORKSPACE_SLUG))
    if workspace is None:
        workspace = Workspace(slug=DEMO_WORKSPACE_SLUG, name="Nordlicht Kaffeerösterei", timezone="Europe/Berlin")
        db.session.add(workspace)
        db.session.flush()
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.workspace_id == workspace.id, Membership.user_id == user.id)
    )
    if membership is None:
        db.session.add(Membership(workspace=workspace, user=user, role=Role.OWNER.value))
    else:
        membership.role = Role.OWNER.value
    return workspace


def load_demo_data(password: str) -> Workspace:
    """Create whatever part of the demo data is missing; the caller commits."""
    user = _demo_user(password)
    workspace = _demo_workspace(user)
    db.session.flush()
    for campaign_data, touchpoints in CAMPAIGNS:
        campaign = db.session.scalar(
            sa.select(Campaign).where(Campaign.workspace_id == workspace.id, Campaign.name == campaign_data.name)
        )
        if campaign is None:
            campaign = tp.create_campaign(workspace.id, campaign_data)
        existing = set(db.session.scalars(sa.select(Touchpoint.name).where(Touchpoint.campaign_id == campaign.id)))
        for touchpoint_data in touchpoints:
            if touchpoint_data.name not in existing:
                tp.create_touchpoint(campaign, touchpoint_data)
    db.session.flush()
    return workspace
