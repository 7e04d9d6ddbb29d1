"""Survey templates with proper wordings in every language respondents' pages speak (feedback/texts.py)."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.surveys.questions import Condition, Option, QuestionSpec, QuestionType
from feedback.texts import Texts

NPS_LOW = Texts.of(
    de="Sehr unwahrscheinlich",
    en="Not at all likely",
    fr="Pas du tout probable",
    es="Nada probable",
    it="Per niente probabile",
    nl="Zeer onwaarschijnlijk",
    pl="Zupełnie nieprawdopodobne",
    tr="Hiç olası değil",
)
NPS_HIGH = Texts.of(
    de="Sehr wahrscheinlich",
    en="Extremely likely",
    fr="Extrêmement probable",
    es="Muy probable",
    it="Estremamente probabile",
    nl="Zeer waarschijnlijk",
    pl="Bardzo prawdopodobne",
    tr="Çok olası",
)


def _nps() -> QuestionSpec:
    return QuestionSpec(
        key="nps",
        type=QuestionType.NPS,
        required=True,
        text=Texts.of(
            de="Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
            en="How likely are you to recommend us to a friend or colleague?",
            fr="Quelle est la probabilité que vous nous recommandiez à un ami ou à un collègue ?",
            es="¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
            it="Quanto è probabile che ci raccomandi a un amico o a un collega?",
            nl="Hoe waarschijnlijk is het dat u ons aanbeveelt bij een vriend of collega?",
            pl="Jak prawdopodobne jest, że polecą nas Państwo znajomemu lub współpracownikowi?",
            tr="Bizi bir arkadaşınıza veya iş arkadaşınıza tavsiye etme olasılığınız nedir?",
        ),
        low_label=NPS_LOW,
        high_label=NPS_HIGH,
    )


def _reason() -> QuestionSpec:
    return QuestionSpec(
        key="reason",
        type=QuestionType.TEXT,
        required=False,
        text=Texts.of(
            de="Was ist der wichtigste Grund für Ihre Bewertung?",
            en="What is the main reason for your score?",
            fr="Quelle est la raison principale de votre note ?",
            es="¿Cuál es el motivo principal de su puntuación?",
            it="Qual è il motivo principale del suo punteggio?",
            nl="Wat is de belangrijkste reden voor uw score?",
            pl="Jaki jest główny powód Państwa oceny?",
            tr="Puanınızın temel nedeni nedir?",
        ),
        wording_key="nps",
        detractor_text=Texts.of(
            de="Was sollten wir verbessern?",
            en="What should we improve?",
            fr="Que devrions-nous améliorer ?",
            es="¿Qué deberíamos mejorar?",
            it="Che cosa dovremmo migliorare?",
            nl="Wat moeten we verbeteren?",
            pl="Co powinniśmy poprawić?",
            tr="Neyi iyileştirmeliyiz?",
        ),
        promoter_text=Texts.of(
            de="Was hat Ihnen am besten gefallen?",
            en="What did you like most?",
            fr="Qu'avez-vous le plus apprécié ?",
            es="¿Qué es lo que más le ha gustado?",
            it="Che cosa le è piaciuto di più?",
            nl="Wat vond u het beste?",
            pl="Co podobało się Państwu najbardziej?",
            tr="En çok neyi beğendiniz?",
        ),
    )


def _csat(text: Texts) -> QuestionSpec:
    return QuestionSpec(
        key="csat",
        type=QuestionType.CSAT,
        required=True,
        text=text,
        low_label=Texts.of(
            de="Sehr unzufrieden",
            en="Very dissatisfied",
            fr="Très insatisfait",
            es="Muy insatisfecho",
            it="Molto insoddisfatto",
            nl="Zeer ontevreden",
            pl="Bardzo niezadowolony",
            tr="Hiç memnun değilim",
        ),
        high_label=Texts.of(
            de="Sehr zufrieden",
            en="Very satisfied",
            fr="Très satisfait",
            es="Muy satisfecho",
            it="Molto soddisfatto",
            nl="Zeer tevreden",
            pl="Bardzo zadowolony",
            tr="Çok memnunum",
        ),
    )


def _ces() -> QuestionSpec:
    return QuestionSpec(
        key="ces",
        type=QuestionType.CES,
        required=True,
        text=Texts.of(
            de="Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen.",
            en="The company made it easy for me to handle my issue.",
            fr="L'entreprise m'a facilité le traitement de ma demande.",
            es="La empresa me facilitó resolver mi asunto.",
            it="L'azienda mi ha reso facile risolvere la mia richiesta.",
            nl="Het bedrijf maakte het mij gemakkelijk om mijn zaak te regelen.",
            pl="Firma ułatwiła mi załatwienie mojej sprawy.",
            tr="Şirket, işimi halletmemi kolaylaştırdı.",
        ),
        low_label=Texts.of(
            de="Stimme überhaupt nicht zu",
            en="Strongly disagree",
            fr="Pas du tout d'accord",
            es="Totalmente en desacuerdo",
            it="Per niente d'accordo",
            nl="Helemaal mee oneens",
            pl="Zdecydowanie się nie zgadzam",
            tr="Kesinlikle katılmıyorum",
        ),
        high_label=Texts.of(
            de="Stimme voll zu",
            en="Strongly agree",
            fr="Tout à fait d'accord",
            es="Totalmente de acuerdo",
            it="Completamente d'accordo",
            nl="Helemaal mee eens",
            pl="Zdecydowanie się zgadzam",
            tr="Kesinlikle katılıyorum",
        ),
    )


def _option(value: str, **texts: str) -> Option:
    return Option(value, Texts.of(**texts))


def _left_reasons() -> QuestionSpec:
    """Why a customer stopped buying: the usual reasons, several may apply."""
    return QuestionSpec(
        key="left_reason",
        type=QuestionType.MULTI_CHOICE,
        required=False,
        text=Texts.of(
            de="Warum haben Sie zuletzt nicht mehr bei uns gekauft?",
            en="Why did you stop buying from us?",
            fr="Pourquoi avez-vous cessé d'acheter chez nous ?",
            es="¿Por qué dejó de comprarnos?",
            it="Perché ha smesso di acquistare da noi?",
            nl="Waarom koopt u niet meer bij ons?",
            pl="Dlaczego przestali Państwo u nas kupować?",
            tr="Neden bizden alışveriş yapmayı bıraktınız?",
        ),
        options=(
            _option("price", de="Zu teuer", en="Too expensive", fr="Trop cher", es="Demasiado caro",
                    it="Troppo caro", nl="Te duur", pl="Za drogo", tr="Çok pahalı"),
            _option("quality", de="Qualität hat nicht überzeugt", en="The quality did not convince me",
                    fr="La qualité ne m'a pas convaincu", es="La calidad no me convenció",
                    it="La qualità non mi ha convinto", nl="De kwaliteit overtuigde niet",
                    pl="Jakość nie przekonała", tr="Kalite beni ikna etmedi"),
            _option("service", de="Schlechter Service", en="Poor service", fr="Service insuffisant",
                    es="Mal servicio", it="Servizio scadente", nl="Slechte service", pl="Słaba obsługa",
                    tr="Kötü hizmet"),
            _option("competitor", de="Zu einem anderen Anbieter gewechselt", en="Switched to another provider",
                    fr="Passé à un autre fournisseur", es="Me cambié a otro proveedor",
                    it="Passato a un altro fornitore", nl="Overgestapt naar een andere aanbieder",
                    pl="Zmiana na innego dostawcę", tr="Başka bir sağlayıcıya geçtim"),
            _option("no_need", de="Kein Bedarf mehr", en="No longer needed", fr="Plus besoin",
                    es="Ya no lo necesito", it="Non ne ho più bisogno", nl="Geen behoefte meer",
                    pl="Nie ma już potrzeby", tr="Artık ihtiyacım yok"),
            _option("forgot", de="Einfach vergessen", en="Simply forgot", fr="J'ai simplement oublié",
                    es="Simplemente lo olvidé", it="Me ne sono semplicemente dimenticato",
                    nl="Gewoon vergeten", pl="Po prostu zapomniałem", tr="Sadece unuttum"),
        ),
    )  # fmt: skip


def _open_text(key: str, **texts: str) -> QuestionSpec:
    return QuestionSpec(key=key, type=QuestionType.TEXT, required=False, text=Texts.of(**texts))


@dataclass(frozen=True)
class SurveyTemplate:
    """A ready-made survey; its name is shown in the dashboard (German or English)."""

    slug: str
    name_de: str
    name_en: str
    questions: tuple[QuestionSpec, ...]

    def name(self, language: str) -> str:
        """The template's name in the dashboard's language."""
        return self.name_de if language == "de" else self.name_en


TEMPLATES: tuple[SurveyTemplate, ...] = (
    SurveyTemplate("nps-reason", "NPS + Grund", "NPS + reason", (_nps(), _reason())),
    SurveyTemplate(
        "csat-purchase",
        "Zufriedenheit nach dem Kauf",
        "CSAT after purchase",
        (
            _csat(
                Texts.of(
                    de="Wie zufrieden sind Sie mit Ihrem Einkauf?",
                    en="How satisfied are you with your purchase?",
                    fr="Dans quelle mesure êtes-vous satisfait de votre achat ?",
                    es="¿Qué tan satisfecho está con su compra?",
                    it="Quanto è soddisfatto del suo acquisto?",
                    nl="Hoe tevreden bent u over uw aankoop?",
                    pl="Jak bardzo są Państwo zadowoleni z zakupu?",
                    tr="Satın aldığınız üründen ne kadar memnunsunuz?",
                )
            ),
            QuestionSpec(
                key="improve",
                type=QuestionType.TEXT,
                required=False,
                text=Texts.of(
                    de="Was können wir besser machen?",
                    en="What could we do better?",
                    fr="Que pourrions-nous faire mieux ?",
                    es="¿Qué podríamos hacer mejor?",
                    it="Che cosa potremmo fare meglio?",
                    nl="Wat kunnen we beter doen?",
                    pl="Co moglibyśmy robić lepiej?",
                    tr="Neyi daha iyi yapabiliriz?",
                ),
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
                Texts.of(
                    de="Wie zufrieden waren Sie mit dem Gespräch an unserem Stand?",
                    en="How satisfied were you with the conversation at our stand?",
                    fr="Dans quelle mesure avez-vous été satisfait de l'échange sur notre stand ?",
                    es="¿Qué tan satisfecho quedó con la conversación en nuestro stand?",
                    it="Quanto è stato soddisfatto del colloquio presso il nostro stand?",
                    nl="Hoe tevreden was u over het gesprek op onze stand?",
                    pl="Jak bardzo byli Państwo zadowoleni z rozmowy na naszym stoisku?",
                    tr="Standımızdaki görüşmeden ne kadar memnun kaldınız?",
                )
            ),
            _ces(),
            QuestionSpec(
                key="follow_up",
                type=QuestionType.SINGLE_CHOICE,
                required=True,
                text=Texts.of(
                    de="Möchten Sie, dass wir uns bei Ihnen melden?",
                    en="Would you like us to get in touch?",
                    fr="Souhaitez-vous que nous vous recontactions ?",
                    es="¿Desea que nos pongamos en contacto con usted?",
                    it="Desidera essere ricontattato?",
                    nl="Wilt u dat we contact met u opnemen?",
                    pl="Czy chcą Państwo, abyśmy się z Państwem skontaktowali?",
                    tr="Sizinle iletişime geçmemizi ister misiniz?",
                ),
                options=(
                    Option(
                        "offer",
                        Texts.of(
                            de="Ja, mit einem Angebot",
                            en="Yes, with an offer",
                            fr="Oui, avec une offre",
                            es="Sí, con una oferta",
                            it="Sì, con un'offerta",
                            nl="Ja, met een offerte",
                            pl="Tak, z ofertą",
                            tr="Evet, bir teklifle",
                        ),
                    ),
                    Option(
                        "info",
                        Texts.of(
                            de="Ja, mit Informationen",
                            en="Yes, with information",
                            fr="Oui, avec des informations",
                            es="Sí, con información",
                            it="Sì, con informazioni",
                            nl="Ja, met informatie",
                            pl="Tak, z informacjami",
                            tr="Evet, bilgi ile",
                        ),
                    ),
                    Option(
                        "no",
                        Texts.of(
                            de="Nein, danke",
                            en="No, thank you",
                            fr="Non, merci",
                            es="No, gracias",
                            it="No, grazie",
                            nl="Nee, bedankt",
                            pl="Nie, dziękuję",
                            tr="Hayır, teşekkürler",
                        ),
                    ),
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
            _csat(
                Texts.of(
                    de="Wie zufrieden sind Sie insgesamt mit uns?",
                    en="Overall, how satisfied are you with us?",
                    fr="Dans l'ensemble, dans quelle mesure êtes-vous satisfait de nous ?",
                    es="En general, ¿qué tan satisfecho está con nosotros?",
                    it="Nel complesso, quanto è soddisfatto di noi?",
                    nl="Hoe tevreden bent u in het algemeen over ons?",
                    pl="Jak bardzo są Państwo ogólnie z nas zadowoleni?",
                    tr="Genel olarak bizden ne kadar memnunsunuz?",
                )
            ),
            QuestionSpec(
                key="repurchase",
                type=QuestionType.RATING,
                required=True,
                text=Texts.of(
                    de="Wie wahrscheinlich ist es, dass Sie wieder bei uns kaufen?",
                    en="How likely are you to buy from us again?",
                    fr="Quelle est la probabilité que vous achetiez à nouveau chez nous ?",
                    es="¿Qué probabilidad hay de que vuelva a comprarnos?",
                    it="Quanto è probabile che acquisti di nuovo da noi?",
                    nl="Hoe waarschijnlijk is het dat u opnieuw bij ons koopt?",
                    pl="Jak prawdopodobne jest, że ponownie zrobią Państwo u nas zakupy?",
                    tr="Bizden tekrar alışveriş yapma olasılığınız nedir?",
                ),
                low_label=Texts.of(
                    de="Sehr unwahrscheinlich",
                    en="Very unlikely",
                    fr="Très peu probable",
                    es="Muy improbable",
                    it="Molto improbabile",
                    nl="Zeer onwaarschijnlijk",
                    pl="Bardzo mało prawdopodobne",
                    tr="Hiç olası değil",
                ),
                high_label=Texts.of(
                    de="Sehr wahrscheinlich",
                    en="Very likely",
                    fr="Très probable",
                    es="Muy probable",
                    it="Molto probabile",
                    nl="Zeer waarschijnlijk",
                    pl="Bardzo prawdopodobne",
                    tr="Çok olası",
                ),
                loyalty=True,
            ),
        ),
    ),
    SurveyTemplate(
        "churn",
        "Abwanderungsgründe",
        "Churn reasons",
        (
            _left_reasons(),
            _open_text(
                "left_comment",
                de="Was hätten wir besser machen können?",
                en="What could we have done better?",
                fr="Qu'aurions-nous pu mieux faire ?",
                es="¿Qué podríamos haber hecho mejor?",
                it="Che cosa avremmo potuto fare meglio?",
                nl="Wat hadden we beter kunnen doen?",
                pl="Co mogliśmy zrobić lepiej?",
                tr="Neyi daha iyi yapabilirdik?",
            ),
        ),
    ),
    SurveyTemplate(
        "win-back",
        "Rückgewinnung",
        "Win-back",
        (
            _left_reasons(),
            QuestionSpec(
                key="come_back",
                type=QuestionType.MULTI_CHOICE,
                required=False,
                text=Texts.of(
                    de="Was würde Sie dazu bewegen, wieder bei uns zu kaufen?",
                    en="What would bring you back?",
                    fr="Qu'est-ce qui vous ferait revenir ?",
                    es="¿Qué le haría volver?",
                    it="Che cosa la farebbe tornare?",
                    nl="Wat zou u terugbrengen?",
                    pl="Co skłoniłoby Państwa do powrotu?",
                    tr="Sizi geri getirecek olan nedir?",
                ),
                options=(
                    _option("discount", de="Ein Rabatt", en="A discount", fr="Une remise", es="Un descuento",
                            it="Uno sconto", nl="Een korting", pl="Rabat", tr="Bir indirim"),
                    _option("new_products", de="Neue Produkte", en="New products", fr="De nouveaux produits",
                            es="Productos nuevos", it="Nuovi prodotti", nl="Nieuwe producten",
                            pl="Nowe produkty", tr="Yeni ürünler"),
                    _option("better_service", de="Besserer Service", en="Better service",
                            fr="Un meilleur service", es="Un mejor servicio", it="Un servizio migliore",
                            nl="Betere service", pl="Lepsza obsługa", tr="Daha iyi hizmet"),
                    _option("reminder", de="Eine Erinnerung zur richtigen Zeit", en="A reminder at the right time",
                            fr="Un rappel au bon moment", es="Un recordatorio en el momento adecuado",
                            it="Un promemoria al momento giusto", nl="Een herinnering op het juiste moment",
                            pl="Przypomnienie we właściwym czasie", tr="Doğru zamanda bir hatırlatma"),
                    _option("nothing", de="Nichts", en="Nothing", fr="Rien", es="Nada", it="Niente",
                            nl="Niets", pl="Nic", tr="Hiçbir şey"),
                ),
            ),  # fmt: skip
            _open_text(
                "come_back_comment",
                de="Möchten Sie uns noch etwas sagen?",
                en="Is there anything else you would like to tell us?",
                fr="Souhaitez-vous nous dire autre chose ?",
                es="¿Hay algo más que quiera decirnos?",
                it="C'è qualcos'altro che vorrebbe dirci?",
                nl="Wilt u ons nog iets vertellen?",
                pl="Czy chcą Państwo nam jeszcze coś przekazać?",
                tr="Bize söylemek istediğiniz başka bir şey var mı?",
            ),
        ),
    ),
)


def template(slug: str) -> SurveyTemplate | None:
    """The template with this slug."""
    return next((t for t in TEMPLATES if t.slug == slug), None)
