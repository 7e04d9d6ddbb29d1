"""Realistic demo data: a coffee roaster with two campaigns over the whole customer journey (idempotent)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback.auth import services as auth
from feedback.auth.models import Membership, Role, User, Workspace
from feedback.db_types import utcnow
from feedback.demo_customers import demo_lifecycle
from feedback.demo_outreach import demo_outreach
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.qr import services as qr
from feedback.qr.models import Code, Scan
from feedback.surveys import services as survey_services
from feedback.surveys.models import Answer, Response, Survey, SurveyVersion
from feedback.surveys.questions import DETRACTOR_MAX, PROMOTER_MIN
from feedback.touchpoints import services as tp
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint

DEMO_EMAIL = "demo@example.com"
DEMO_WORKSPACE_SLUG = "nordlicht-kaffee"

CAMPAIGNS: list[tuple[tp.CampaignData, list[tp.TouchpointData]]] = [
    (
        tp.CampaignData(
            name="Frühjahr 2026: Neue Röstung",
            description="Start der Frühjahrsröstung in der Stadt: Plakate, Flyer, Anzeigen und die Läden.",
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
            tp.TouchpointData("Kassenbon-QR", Channel.RECEIPT, Phase.DECISION, Decimal("150"), 12000, "Alle Läden"),
            tp.TouchpointData("Verpackung 250 g", Channel.PACKAGING, Phase.RETENTION, Decimal("1800"), 20000),
            tp.TouchpointData(
                "Kundenkarte-Mailing",
                Channel.POSTAL_MAIL,
                Phase.RETENTION,
                Decimal("2600"),
                4000,
                "Stammkundschaft",
            ),
            tp.TouchpointData(
                "Empfehlungskarte",
                Channel.FLYER,
                Phase.ADVOCACY,
                Decimal("200"),
                2000,
                "Liegt jeder Bestellung bei",
            ),
        ],
    ),
    (
        tp.CampaignData(
            name="Messe & Events 2026",
            description="Messen und Verkostungen für Cafés, Büros und Restaurants (B2B).",
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


class NotTheDemosWorkspace(DomainError):
    """A workspace with the demo's address exists and belongs to other people."""

    status = 409
    message = _l(
        "A workspace with the demo's address (nordlicht-kaffee) already exists and belongs to other people; the demo "
        "is not loaded into it."
    )


def _demo_workspace(user: User) -> Workspace:
    """The demo workspace, owned by the demo user; never a workspace of the same slug that other people made.

    :raises NotTheDemosWorkspace: the slug is taken by a workspace the demo login is not a member of.
    """
    workspace = db.session.scalar(sa.select(Workspace).where(Workspace.slug == DEMO_WORKSPACE_SLUG))
    if workspace is not None:
        members = set(db.session.scalars(sa.select(Membership.user_id).where(Membership.workspace_id == workspace.id)))
        if members and user.id not in members:
            raise NotTheDemosWorkspace()
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


#: Code labels per touchpoint name (placements and print variants); others get one unlabelled code.
CODE_LABELS = {
    "Plakat Hauptbahnhof": ["Variante A: Bohnen", "Variante B: Tasse"],
    "Messestand INTERNORGA": ["Theke", "Eingang Halle B6"],
    "Flyer Wochenmarkt": ["Samstag", "Mittwoch"],
}
#: Rough scan volume per touchpoint (scans over the campaign window).
SCAN_VOLUME = {
    "poster": 420,
    "print_ad": 180,
    "flyer": 260,
    "store": 150,
    "receipt": 520,
    "packaging": 380,
    "postal_mail": 210,
    "trade_fair": 340,
    "event": 90,
}
DEVICES = [
    ("mobile", "iOS", "Mobile Safari", 0.46),
    ("mobile", "Android", "Chrome Mobile", 0.41),
    ("tablet", "iOS", "Mobile Safari", 0.05),
    ("desktop", "Windows", "Edge", 0.03),
    ("bot", "", "WhatsApp", 0.05),
]


#: Landing pages of some demo touchpoints: (headline de, headline en, text de, text en, extras).
LANDINGS = {
    "Plakat Hauptbahnhof": (
        "Unsere Frühjahrsröstung ist da",
        "Our spring roast has arrived",
        "Fruchtig, hell und frisch geröstet in Hamburg. Verraten Sie uns in 30 Sekunden, wie Ihnen das Plakat gefällt.",
        "Fruity, light and freshly roasted in Hamburg. Tell us in 30 seconds what you think.",
        {
            "cta_url": "https://www.example.com/fruehjahr",
            "cta_label": {"de": "Zur Frühjahrsröstung", "en": "See the spring roast"},
        },
    ),
    "Messestand INTERNORGA": (
        "Schön, dass Sie am Stand waren!",
        "Thanks for visiting our stand!",
        "Kaffee für Ihr Café, Büro oder Restaurant – direkt von der Rösterei. Wir melden uns gern mit einem Angebot.",
        "Coffee for your café, office or restaurant, straight from the roastery.",
        {"phone": "+49 40 1234567", "event": (datetime(2026, 3, 13, 8, tzinfo=UTC), 9)},
    ),
    "Kassenbon-QR": (
        "Danke für Ihren Einkauf",
        "Thank you for shopping with us",
        "Wie war Ihr Besuch? Ihre Meinung hilft uns, noch besser zu werden.",
        "How was your visit? Your opinion helps us get even better.",
        {"social_url": "https://www.instagram.com/example"},
    ),
}


#: The same landing pages for the demo's Turkish and Polish visitors: (headline, text) per language.
LANDINGS_MORE = {
    "Plakat Hauptbahnhof": {
        "tr": ("Bahar kavurmamız geldi", "Meyvemsi, hafif ve Hamburg'da taze kavruldu. Fikrinizi söyleyin."),
        "pl": ("Nasza wiosenna palona kawa już jest", "Owocowa, jasna, świeżo palona w Hamburgu. Prosimy o opinię."),
    },
    "Messestand INTERNORGA": {
        "tr": ("Standımızı ziyaret ettiğiniz için teşekkürler!", "Kafeniz, ofisiniz veya restoranınız için kahve."),
        "pl": ("Dziękujemy za odwiedzenie naszego stoiska!", "Kawa dla Państwa kawiarni, biura lub restauracji."),
    },
    "Kassenbon-QR": {
        "tr": ("Alışverişiniz için teşekkürler", "Ziyaretiniz nasıldı? Görüşünüz daha iyi olmamıza yardımcı olur."),
        "pl": ("Dziękujemy za zakupy", "Jak minęła wizyta? Państwa opinia pomaga nam być lepszymi."),
    },
}


def _demo_landing(touchpoint: Touchpoint) -> None:
    """Fill the landing page of a demo touchpoint once (never over a marketer's own texts)."""
    landing = LANDINGS.get(touchpoint.name)
    if landing is None or touchpoint.headline_texts:
        return
    headline_de, headline_en, body_de, body_en, extras = landing
    more = LANDINGS_MORE.get(touchpoint.name, {})
    touchpoint.headline_texts = {"de": headline_de, "en": headline_en} | {k: v[0] for k, v in more.items()}
    touchpoint.body_texts = {"de": body_de, "en": body_en} | {k: v[1] for k, v in more.items()}
    touchpoint.cta_url = extras.get("cta_url")
    touchpoint.cta_label = extras.get("cta_label", {})
    touchpoint.phone = extras.get("phone", "")
    touchpoint.social_url = extras.get("social_url")
    if "event" in extras:
        starts, hours = extras["event"]
        touchpoint.event_starts_at, touchpoint.event_ends_at = starts, starts + timedelta(hours=hours)


def _demo_codes(touchpoints: list[Touchpoint]) -> list[Code]:
    """Codes for the demo touchpoints (once)."""
    codes = []
    for touchpoint in touchpoints:
        existing = qr.codes_of(touchpoint)
        if existing:
            codes.extend(existing)
            continue
        for label in CODE_LABELS.get(touchpoint.name, [""]):
            codes.append(qr.create_code(touchpoint, label))
    return codes


def _demo_scans(campaign: Campaign, codes: list[Code], rng: random.Random) -> None:
    """Synthetic scans spread over the campaign window, with weekday rhythm, device mix and some bots."""
    start = datetime.combine(campaign.starts_on or date(2026, 3, 1), datetime.min.time(), tzinfo=UTC)
    days = max(7, ((campaign.ends_on or date(2026, 6, 30)) - start.date()).days)
    rows = []
    for code in codes:
        touchpoint = db.session.get(Touchpoint, code.touchpoint_id)
        volume = int(SCAN_VOLUME.get(touchpoint.channel, 150) * rng.uniform(0.6, 1.3) / max(1, len(codes) / 8))
        visitors = [f"{rng.getrandbits(128):032x}" for _ in range(max(1, int(volume * 0.8)))]
        for _ in range(volume):
            moment = start + timedelta(days=rng.triangular(0, days, days * 0.3), hours=rng.gauss(14, 3))
            rows.append(_scan_row(code, moment, rng.choice(visitors), rng))
    if rows:
        db.session.execute(sa.insert(Scan), rows)


def _scan_row(code: Code, moment: datetime, visitor: str, rng: random.Random) -> dict[str, object]:
    """One synthetic scan of a code with a drawn device and language."""
    device, os_family, browser, _weight = rng.choices(DEVICES, weights=[d[3] for d in DEVICES])[0]
    return {
        "workspace_id": code.workspace_id,
        "touchpoint_id": code.touchpoint_id,
        "code_id": code.id,
        "scanned_at": moment,
        "visitor_key": visitor,
        "visitor_from_cookie": False,
        "device_class": device,
        "os": os_family,
        "browser": browser,
        "language": rng.choices(["de", "en", "tr", "pl"], weights=[85, 10, 3, 2])[0],
        "is_bot": device == "bot",
        "outcome": "ok",
        # most people scan; a few type the printed address or the code (small prints a few more)
        "arrival": "personal_mailing"
        if code.reference is not None
        else rng.choices(["symbol", "typed_url", "typed_code"], weights=[84, 10, 6])[0],
    }


#: The loyalty-card mailing went to 400 customers with one personal code each (references as in the CRM).
MAILING = ("Kundenkarte-Mailing", "Kundenkarte Frühjahr", [f"KK-{100001 + i}" for i in range(400)])


def _demo_mailing(campaign: Campaign, rng: random.Random) -> None:
    """Personal codes for the mailing's recipients (once); about a quarter of them scan their letter."""
    from feedback.qr import personal

    touchpoint = next((t for t in tp.touchpoints_of(campaign) if t.name == MAILING[0]), None)
    if touchpoint is None or personal.batches_of(touchpoint):
        return
    batch = personal.create_batch(touchpoint, MAILING[1], MAILING[2])
    db.session.flush()
    start = datetime.combine(campaign.starts_on or date(2026, 3, 1), datetime.min.time(), tzinfo=UTC)
    rows = []
    for code in personal.batch_codes(batch):
        if rng.random() < 0.27:
            visitor = f"{rng.getrandbits(128):032x}"
            for _ in range(rng.choice([1, 1, 1, 2])):
                moment = start + timedelta(days=rng.expovariate(1 / 6) + 10, hours=rng.gauss(18, 2))
                rows.append(_scan_row(code, moment, visitor, rng))
    db.session.execute(sa.insert(Scan), rows)


#: How well each demo touchpoint works: (share of scans that answer, chance of a promoter, of a detractor).
QUALITY = {
    "Messestand INTERNORGA": (0.32, 0.62, 0.08),
    "Barista-Schulung": (0.45, 0.70, 0.05),
    "Verkostung Bürotag": (0.30, 0.50, 0.12),
    "Angebotsmappe": (0.15, 0.30, 0.25),
    "Plakat Hauptbahnhof": (0.10, 0.35, 0.25),
    "Anzeige Stadtmagazin": (0.08, 0.22, 0.40),
    "Flyer Wochenmarkt": (0.18, 0.45, 0.18),
    "Aufsteller im Café": (0.22, 0.55, 0.10),
    "Kassenbon-QR": (0.20, 0.48, 0.15),
    "Verpackung 250 g": (0.16, 0.52, 0.12),
    "Kundenkarte-Mailing": (0.25, 0.58, 0.10),
    "Empfehlungskarte": (0.35, 0.72, 0.04),
}
COMMENTS = {
    "promoter": [
        "Super Kaffee, sehr freundlich!",
        "Beste Röstung in Hamburg.",
        "Great coffee and service 👍",
        "Tolle Beratung am Stand.",
    ],
    "passive": ["Ganz gut, etwas teuer.", "Okay, aber die Wartezeit war lang.", "Good, a bit pricey."],
    "detractor": [
        "Zu teuer für die Menge.",
        "Plakat war kaum lesbar.",
        "Der Code ging erst beim zweiten Mal.",
        "Nobody at the stand had time.",
    ],
}


def _demo_surveys(workspace: Workspace) -> dict[str, Survey]:
    """The demo surveys (once): trade-fair visit for B2B, loyalty for the shops."""
    surveys = {}
    for name, template_slug in (
        ("Messebesuch", "trade-fair"),
        ("Kundenbindung", "loyalty"),
        ("NPS + Grund", "nps-reason"),
    ):
        survey = db.session.scalar(sa.select(Survey).where(Survey.workspace_id == workspace.id, Survey.name == name))
        surveys[template_slug] = survey or survey_services.create_survey(workspace.id, name, template_slug)
    return surveys


def _score(rng: random.Random, promoter: float, detractor: float) -> int:
    """An NPS answer drawn for a touchpoint's quality."""
    roll = rng.random()
    if roll < promoter:
        return rng.choice([9, 10, 10])
    if roll < promoter + detractor:
        return rng.choice([2, 4, 5, 6, 6])
    return rng.choice([7, 8, 8])


def _demo_responses(touchpoint: Touchpoint, version: SurveyVersion, rng: random.Random) -> None:
    """Responses for a share of the touchpoint's human scans, answered in line with its quality."""
    rate, promoter, detractor = QUALITY.get(touchpoint.name, (0.15, 0.4, 0.2))
    scans = db.session.execute(
        sa.select(Scan.id, Scan.code_id, Scan.scanned_at, Scan.visitor_key, Scan.language)
        .where(Scan.touchpoint_id == touchpoint.id, Scan.is_bot.is_(False))
        .order_by(Scan.id)
    ).all()
    keys = [q.key for q in version.questions]
    for scan_id, code_id, scanned_at, visitor, language in scans:
        if rng.random() > rate:
            continue
        nps = _score(rng, promoter, detractor)
        group = "promoter" if nps >= PROMOTER_MIN else "detractor" if nps <= DETRACTOR_MAX else "passive"
        completed = rng.random() > 0.12
        response = Response(
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            code_id=code_id,
            scan_id=scan_id,
            version_id=version.id,
            token=f"demo-{scan_id}-{rng.getrandbits(64):016x}",
            visitor_key=visitor,
            language=language,  # the templates' questions are written in every language the scans arrive in
            started_at=scanned_at,
            completed_at=scanned_at + timedelta(seconds=rng.randint(25, 90)) if completed else None,
            flagged=rng.random() < 0.02,
        )
        response.flag_reason = "too_fast" if response.flagged else ""
        values: dict[str, int | str] = {"nps": nps}
        good = {"promoter": 1, "passive": 0, "detractor": -1}[group]
        values["csat"] = max(1, min(5, 4 + good + rng.choice([-1, 0, 0, 1])))
        values["ces"] = max(1, min(7, 5 + good + rng.choice([-2, -1, 0, 1])))
        values["repurchase"] = max(1, min(5, 4 + good + rng.choice([-1, 0, 1])))
        values["follow_up"] = rng.choices(["offer", "info", "no"], weights=[2 + good, 3, 4 - good])[0]
        if rng.random() < 0.45:
            values["reason"] = rng.choice(COMMENTS[group])
        answered = keys if completed else keys[:1]
        for key in answered:
            if key in values:
                value = values[key]
                response.answers.append(
                    Answer(
                        workspace_id=touchpoint.workspace_id,
                        touchpoint_id=touchpoint.id,
                        question_key=key,
                        question_type=next(q.type for q in version.questions if q.key == key),
                        value_number=value if isinstance(value, int) else None,
                        value_text=value if isinstance(value, str) else None,
                        answered_at=scanned_at,
                    )
                )
        db.session.add(response)


def _demo_referrals(campaign: Campaign, rng: random.Random) -> None:
    """Invites for some promoters, and friends who opened and answered (two generations)."""
    from feedback.referrals import services as referrals
    from feedback.referrals.models import InviteAcceptance

    promoters = db.session.scalars(
        sa.select(Response)
        .join(Touchpoint, Touchpoint.id == Response.touchpoint_id)
        .join(Answer, Answer.response_id == Response.id)
        .where(
            Touchpoint.campaign_id == campaign.id,
            Response.completed_at.is_not(None),
            Response.flagged.is_(False),
            Answer.question_key == "nps",
            Answer.value_number >= PROMOTER_MIN,
        )
        .order_by(Response.id)
    ).all()
    for response in promoters:
        if rng.random() > 0.35:
            continue
        invite = referrals.issue_invite(response, campaign, response.completed_at)
        # friends answer through the touchpoint's shared code, never under a mailing recipient's personal one
        friend_code = response.code_id
        if db.session.scalar(sa.select(Code.reference).where(Code.id == response.code_id)) is not None:
            friend_code = db.session.scalar(
                sa.select(Code.id).where(Code.touchpoint_id == response.touchpoint_id, Code.batch_id.is_(None)).limit(1)
            )
        db.session.flush()
        for _friend in range(rng.choice([0, 0, 1, 1, 2, 3])):
            opened = invite.created_at + timedelta(hours=rng.uniform(0.5, 72))
            visitor = f"{rng.getrandbits(128):032x}"
            db.session.add(
                Scan(
                    workspace_id=invite.workspace_id,
                    touchpoint_id=invite.touchpoint_id,
                    code_id=friend_code,
                    invite_id=invite.id,
                    scanned_at=opened,
                    visitor_key=visitor,
                    device_class="mobile",
                    os="iOS",
                    browser="Mobile Safari",
                    language="de",
                    arrival="invite",
                )
            )
            if rng.random() < 0.55:
                friend = Response(
                    workspace_id=invite.workspace_id,
                    touchpoint_id=invite.touchpoint_id,
                    code_id=friend_code,
                    version_id=response.version_id,
                    invite_id=invite.id,
                    token=f"demo-friend-{rng.getrandbits(64):016x}",
                    visitor_key=visitor,
                    language="de",
                    started_at=opened,
                    completed_at=opened + timedelta(seconds=40),
                )
                friend.answers.append(
                    Answer(
                        workspace_id=invite.workspace_id,
                        touchpoint_id=invite.touchpoint_id,
                        question_key="nps",
                        question_type="nps",
                        value_number=rng.choice([8, 9, 10, 10]),
                        answered_at=opened,
                    )
                )
                db.session.add(friend)
                db.session.flush()
                db.session.add(
                    InviteAcceptance(
                        workspace_id=invite.workspace_id,
                        invite_id=invite.id,
                        response_id=friend.id,
                        visitor_key=visitor,
                        accepted_at=friend.completed_at,
                    )
                )
                if rng.random() < 0.3:
                    referrals.issue_invite(friend, campaign, friend.completed_at)


DEMO_PEOPLE = [
    "Anna Becker", "Jonas Weber", "Leonie Schulz", "Mehmet Yılmaz", "Sophie Wagner", "Lukas Hoffmann", "Marie Koch",
    "Paul Richter", "Emma Klein", "Felix Wolf", "Hannah Neumann", "Tim Schröder", "Lea Zimmermann", "Ben Krüger",
]  # fmt: skip


def _demo_offers_and_leads(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """The spring campaign gives coupons (a third redeemed at the till); the trade-fair campaign collects leads."""
    from feedback.leads import services as leads
    from feedback.offers.models import Offer
    from feedback.offers.services import issue_coupon

    completed = db.session.scalars(
        sa.select(Response)
        .join(Touchpoint, Touchpoint.id == Response.touchpoint_id)
        .where(Touchpoint.campaign_id == campaign.id, Response.completed_at.is_not(None), Response.flagged.is_(False))
        .order_by(Response.id)
    ).all()
    if campaign.name.startswith("Messe"):
        campaign.ask_contact = True
        for response in completed:
            follow_up = db.session.scalar(
                sa.select(Answer.value_text).where(
                    Answer.response_id == response.id, Answer.question_key == "follow_up"
                )
            )
            if follow_up in ("offer", "info") and rng.random() < 0.3:
                name = rng.choice(DEMO_PEOPLE)
                email = f"{name.split()[0].lower()}.{rng.randint(1, 999)}@example.com"
                leads.capture(response, name, email, "", True, "de", workspace.name, response.completed_at)
        _demo_funnel(workspace, campaign, rng)
        return
    offer = Offer(
        workspace_id=workspace.id,
        campaign_id=campaign.id,
        name="Frühjahrs-Gutschein",
        texts={
            "de": "10 % auf Ihren nächsten Einkauf in unseren Läden.",
            "en": "10 % off your next purchase in our shops.",
        },
        with_coupon=True,
        valid_days=60,
        created_at=datetime.combine(campaign.starts_on or date(2026, 3, 1), datetime.min.time(), tzinfo=UTC),
    )
    db.session.add(offer)
    db.session.flush()
    for response in completed:
        coupon = issue_coupon(response, response.completed_at)
        if coupon is not None and rng.random() < 0.34:
            coupon.redeemed_at = coupon.issued_at + timedelta(days=rng.uniform(1, 25))
            coupon.order_value = Decimal(str(round(rng.uniform(6, 58), 2)))
            coupon.redeemed_via = "dashboard"


def _demo_funnel(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """Sales takes on most of the trade-fair campaign's leads: some are qualified, then won with an order or lost with a
    reason, so that the funnel page has something to show (no move lies in the future)."""
    from feedback.leads.models import Contact

    contacts = db.session.scalars(
        sa.select(Contact)
        .join(Touchpoint, Touchpoint.id == Contact.touchpoint_id)
        .where(
            Contact.workspace_id == workspace.id,
            Contact.unconfirmed.is_(False),
            Touchpoint.campaign_id == campaign.id,
        )
        .order_by(Contact.id)
    ).all()
    for contact in contacts:
        _demo_lead_path(workspace, contact.id, contact.created_at, rng)


def _demo_lead_path(workspace: Workspace, contact_id: int, at: datetime, rng: random.Random) -> None:
    """One lead's moves: lost early, left with marketing, or accepted, qualified and won or lost."""
    from feedback.leads import stages
    from feedback.leads.models import ChangedBy

    now, mover = utcnow(), stages.Mover(ChangedBy.DASHBOARD)
    reasons = ["price", "competitor", "no_budget", "timing", "no_response"]
    plan: list[tuple[str, tuple[float, float], dict[str, object]]] = []
    roll = rng.random()
    if roll < 0.1:
        plan = [("lost", (2, 8), {"reason": rng.choice(reasons)})]
    elif roll < 0.75:
        plan = [("sales_accepted", (1, 5), {})]
        if rng.random() < 0.2:
            plan.append(("lost", (3, 14), {"reason": rng.choice(reasons)}))
        else:
            plan.append(("sales_qualified", (2, 12), {}))
            if rng.random() < 0.65:
                plan.append(("won", (5, 30), {"order_value": Decimal(rng.randrange(80_000, 1_500_000)) / 100}))
            elif rng.random() < 0.5:
                plan.append(("lost", (5, 30), {"reason": "other", "note": "Projekt verschoben, Budget erst 2027"}))
    for stage, days, values in plan:
        at = at + timedelta(days=rng.uniform(*days))
        if at > now:
            return
        stages.move_stage(workspace.id, contact_id, stages.Move(stage, **values), mover, at)  # type: ignore[arg-type]


def load_demo_data(password: str) -> Workspace:
    """Create whatever part of the demo data is missing; the caller commits."""
    user = _demo_user(password)
    workspace = _demo_workspace(user)
    db.session.flush()
    return fill_workspace(workspace)


def fill_workspace(workspace: Workspace) -> Workspace:
    """Put the demo campaigns, with their codes, scans, answers, referrals, offers and leads, into a workspace
    (whatever part is missing); the caller commits."""
    if workspace.languages == "de,en":  # its visitors also scan in Turkish and Polish
        workspace.languages = "de,en,tr,pl"
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
        for touchpoint in tp.touchpoints_of(campaign):
            _demo_landing(touchpoint)
        codes = _demo_codes(tp.touchpoints_of(campaign))
        db.session.flush()
        has_scans = db.session.scalar(sa.select(Scan.id).where(Scan.code_id.in_([c.id for c in codes])).limit(1))
        if not has_scans:
            rng = random.Random(f"demo-{campaign.slug}")
            _demo_scans(campaign, codes, rng)
            _demo_mailing(campaign, rng)
            surveys = _demo_surveys(workspace)
            db.session.flush()
            for touchpoint in tp.touchpoints_of(campaign):
                b2b = touchpoint.channel in ("trade_fair", "event") or campaign.name.startswith("Messe")
                survey = surveys[
                    "trade-fair"
                    if b2b
                    else "loyalty"
                    if touchpoint.phase in ("retention", "advocacy")
                    else "nps-reason"
                ]
                survey_services.attach(touchpoint, survey)
                _demo_responses(touchpoint, survey.current, rng)
            # new touchpoints of the demo campaigns start with its main survey
            campaign.survey_id = surveys["trade-fair" if campaign.name.startswith("Messe") else "nps-reason"].id
            db.session.flush()
            _demo_referrals(campaign, rng)
            db.session.flush()
            _demo_offers_and_leads(workspace, campaign, rng)
            if not campaign.name.startswith("Messe"):
                db.session.flush()
                demo_lifecycle(workspace, campaign, rng)
    db.session.flush()
    spring = db.session.scalar(
        sa.select(Campaign).where(Campaign.workspace_id == workspace.id, Campaign.name == CAMPAIGNS[0][0].name)
    )
    if spring is not None:
        demo_outreach(workspace, spring, random.Random(f"demo-outreach-{spring.slug}"))
        db.session.flush()
    return workspace
