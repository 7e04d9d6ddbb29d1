"""Survey templates with proper wordings in German and English."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.surveys.questions import Condition, Option, QuestionSpec, QuestionType

NPS_LOW_DE, NPS_LOW_EN = "Sehr unwahrscheinlich", "Not at all likely"
NPS_HIGH_DE, NPS_HIGH_EN = "Sehr wahrscheinlich", "Extremely likely"


def _nps() -> QuestionSpec:
    return QuestionSpec(
        key="nps",
        type=QuestionType.NPS,
        required=True,
        text_de="Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
        text_en="How likely are you to recommend us to a friend or colleague?",
        low_label_de=NPS_LOW_DE,
        low_label_en=NPS_LOW_EN,
        high_label_de=NPS_HIGH_DE,
        high_label_en=NPS_HIGH_EN,
    )


def _reason() -> QuestionSpec:
    return QuestionSpec(
        key="reason",
        type=QuestionType.TEXT,
        required=False,
        text_de="Was ist der wichtigste Grund für Ihre Bewertung?",
        text_en="What is the main reason for your score?",
        wording_key="nps",
        detractor_de="Was sollten wir verbessern?",
        detractor_en="What should we improve?",
        promoter_de="Was hat Ihnen am besten gefallen?",
        promoter_en="What did you like most?",
    )


def _csat(text_de: str, text_en: str) -> QuestionSpec:
    return QuestionSpec(
        key="csat",
        type=QuestionType.CSAT,
        required=True,
        text_de=text_de,
        text_en=text_en,
        low_label_de="Sehr unzufrieden",
        low_label_en="Very dissatisfied",
        high_label_de="Sehr zufrieden",
        high_label_en="Very satisfied",
    )


def _ces() -> QuestionSpec:
    return QuestionSpec(
        key="ces",
        type=QuestionType.CES,
        required=True,
        text_de="Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen.",
        text_en="The company made it easy for me to handle my issue.",
        low_label_de="Stimme überhaupt nicht zu",
        low_label_en="Strongly disagree",
        high_label_de="Stimme voll zu",
        high_label_en="Strongly agree",
    )


@dataclass(frozen=True)
class SurveyTemplate:
    """A ready-made survey."""

    slug: str
    name_de: str
    name_en: str
    questions: tuple[QuestionSpec, ...]


TEMPLATES: tuple[SurveyTemplate, ...] = (
    SurveyTemplate("nps-reason", "NPS + Grund", "NPS + reason", (_nps(), _reason())),
    SurveyTemplate(
        "csat-purchase",
        "Zufriedenheit nach dem Kauf",
        "CSAT after purchase",
        (
            _csat("Wie zufrieden sind Sie mit Ihrem Einkauf?", "How satisfied are you with your purchase?"),
            QuestionSpec(
                key="improve",
                type=QuestionType.TEXT,
                required=False,
                text_de="Was können wir besser machen?",
                text_en="What could we do better?",
                condition=Condition("csat", 1, 3),
            ),
        ),
    ),
    SurveyTemplate(
        "trade-fair",
        "Messebesuch",
        "Trade-fair visit",
        (
            _nps(),
            _csat(
                "Wie zufrieden waren Sie mit dem Gespräch an unserem Stand?",
                "How satisfied were you with the conversation at our stand?",
            ),
            _ces(),
            QuestionSpec(
                key="follow_up",
                type=QuestionType.SINGLE_CHOICE,
                required=True,
                text_de="Möchten Sie, dass wir uns bei Ihnen melden?",
                text_en="Would you like us to get in touch?",
                options=(
                    Option("offer", "Ja, mit einem Angebot", "Yes, with an offer"),
                    Option("info", "Ja, mit Informationen", "Yes, with information"),
                    Option("no", "Nein, danke", "No, thank you"),
                ),
            ),
        ),
    ),
    SurveyTemplate(
        "loyalty",
        "Kundenbindung",
        "Loyalty",
        (
            _nps(),
            _csat("Wie zufrieden sind Sie insgesamt mit uns?", "Overall, how satisfied are you with us?"),
            QuestionSpec(
                key="repurchase",
                type=QuestionType.RATING,
                required=True,
                text_de="Wie wahrscheinlich ist es, dass Sie wieder bei uns kaufen?",
                text_en="How likely are you to buy from us again?",
                low_label_de="Sehr unwahrscheinlich",
                low_label_en="Very unlikely",
                high_label_de="Sehr wahrscheinlich",
                high_label_en="Very likely",
                loyalty=True,
            ),
        ),
    ),
)


def template(slug: str) -> SurveyTemplate | None:
    """The template with this slug."""
    return next((t for t in TEMPLATES if t.slug == slug), None)
