"""Texts that marketers write in several languages (survey questions, landing pages, offers, consent purposes).

Each such text is stored as one map {language: text} (a JSON column), not as a column per language; `Texts` is its
immutable value. A visitor reads it in their language, else in the survey's (or workspace's) default language,
else in whichever language it was written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The languages a workspace may write its texts in, with their own names (the respondent pages' languages).
LANGUAGES: dict[str, str] = {
    "de": "Deutsch",
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
    "tr": "Türkçe",
}
#: What a new workspace writes in.
DEFAULT_LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Texts:
    """One text in several languages; languages without text are left out."""

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str] | None = None, **by_language: str) -> Texts:
        """Texts from {language: text} and/or keyword arguments (de="…", en="…"); empty texts are dropped."""
        merged = {**(mapping or {}), **by_language}
        return cls(tuple(sorted((lang, text) for lang, text in merged.items() if isinstance(text, str) and text)))

    def get(self, language: str) -> str:
        """The text in exactly this language ("" when it has none)."""
        return next((text for lang, text in self.items if lang == language), "")

    def pick(self, language: str, fallback: str = "de") -> str:
        """The text in `language`, else in `fallback`, else German, English or any language it has."""
        for wanted in (language, fallback, "de", "en"):
            if found := self.get(wanted):
                return found
        return self.items[0][1] if self.items else ""

    def as_dict(self) -> dict[str, str]:
        """The {language: text} map, as stored."""
        return dict(self.items)

    def languages(self) -> tuple[str, ...]:
        """The languages it is written in."""
        return tuple(lang for lang, _text in self.items)

    def stripped(self, limit: int | None = None) -> Texts:
        """Without surrounding white space, cut to `limit` characters."""
        return Texts.of({lang: text.strip()[:limit] for lang, text in self.items})

    def __bool__(self) -> bool:
        return bool(self.items)


def texts(value: object) -> Texts:
    """A stored map (or None) as Texts."""
    return Texts.of(value) if isinstance(value, Mapping) else Texts()


def language_list(stored: str) -> tuple[str, ...]:
    """A workspace's languages from their stored form ("de,en"), known ones only, in order; never empty."""
    found = tuple(dict.fromkeys(lang for lang in stored.split(",") if lang in LANGUAGES))
    return found or DEFAULT_LANGUAGES


def stored_languages(languages: Iterable[str]) -> str:
    """The stored form of a list of languages."""
    return ",".join(dict.fromkeys(lang for lang in languages if lang in LANGUAGES))
