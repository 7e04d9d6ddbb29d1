"""Themes of open-text answers: recurring terms and two-word phrases, counted once per answer, with their share, the
answers that show them, and whether detractors name them more often than promoters (STATS.md §4 and §7).

Words are reduced to their dictionary form by simplemma (lemmatisation for the respondent languages, local, no
model download) and stop words dropped with the stopwords-iso lists, so "Wartezeiten" and "Wartezeit", "waited" and
"wait" count as one. A phrase is two neighbouring words with no stop word or punctuation between them. Pure: no
Flask, no SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import simplemma
import stopwordsiso

from feedback.analysis import stats

#: A term or phrase must appear in at least this many answers to be a theme.
MIN_ANSWERS = 3
#: Themes shown per list.
TOP = 20
#: A word is left out where a phrase holding it covers this share of its answers ("wait" under "long wait").
COVERED = 0.8
QUOTES = 3
MIN_LENGTH = 3


@dataclass(frozen=True)
class Comment:
    """One open-text answer: its response, text, language and the NPS group of its response (None: no NPS)."""

    response_id: int
    text: str
    language: str
    group: str | None = None


@dataclass(frozen=True)
class Edits:
    """What the marketer changed: new names, hidden themes, themes merged into another (key → key)."""

    names: Mapping[str, str] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    merged: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    #: Answers that name it, of all answers (Wilson interval).
    share: stats.Proportion
    quotes: tuple[str, ...]
    #: Share among detractors' and promoters' answers, the test of the two (χ² or Fisher) and its Holm-adjusted p
    #: over the themes tested; None where a group has no answers.
    detractors: stats.Proportion
    promoters: stats.Proportion
    test: stats.RateComparison | None
    p_adjusted: float | None

    @property
    def count(self) -> int:
        return self.share.k

    @property
    def more_among_detractors(self) -> bool:
        """Significantly more frequent among detractors than promoters (after adjustment)."""
        return (
            self.p_adjusted is not None
            and self.p_adjusted < stats.ALPHA
            and (self.detractors.share or 0.0) > (self.promoters.share or 0.0)
        )


@cache
def _stop_words(language: str) -> frozenset[str]:
    return frozenset(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else frozenset()


def _lemma(token: str, language: str) -> str:
    try:
        return simplemma.lemmatize(token, lang=language)
    except ValueError:  # a language simplemma does not know: the word as written
        return token


def terms(text: str, language: str) -> tuple[set[str], dict[str, str]]:
    """The theme keys an answer names (words and two-word phrases, lower case) and the form to show for each (a word
    in its dictionary form, a phrase as written)."""
    stop = _stop_words(language) | _stop_words("en")
    keys: set[str] = set()
    shown: dict[str, str] = {}
    previous: tuple[str, str] | None = None  # the last word's key and how it was written
    for token in simplemma.simple_tokenizer(text):
        word = token.lower()
        if not word.isalpha() or len(word) < MIN_LENGTH or word in stop:
            previous = None
            continue
        lemma = _lemma(token, language)
        key = lemma.lower()
        if key in stop:
            previous = None
            continue
        keys.add(key)
        shown.setdefault(key, lemma)
        if previous is not None:
            phrase = f"{previous[0]} {key}"
            keys.add(phrase)
            shown.setdefault(phrase, f"{previous[1]} {token}")  # a phrase is shown as written
        previous = (key, token)
    return keys, shown


def _answers_per_key(comments: Sequence[Comment], merged: Mapping[str, str]) -> tuple[dict[str, set[int]], dict]:
    found: dict[str, set[int]] = {}
    labels: dict[str, Counter[str]] = {}
    for index, comment in enumerate(comments):
        keys, shown = terms(comment.text, comment.language)
        for key in keys:
            target = merged.get(key, key)
            found.setdefault(target, set()).add(index)
            labels.setdefault(target, Counter())[shown[key] if target == key else target] += 1
    return found, labels


def _chosen(found: Mapping[str, set[int]]) -> list[str]:
    """Keys named often enough, most answers first; a word mostly said within a chosen phrase is left out."""
    frequent = sorted((k for k, a in found.items() if len(a) >= MIN_ANSWERS), key=lambda k: (-len(found[k]), k))
    phrases = [k for k in frequent if " " in k]
    chosen = []
    for key in frequent:
        if " " not in key:
            covering = [p for p in phrases if key in p.split(" ")]
            if any(len(found[p] & found[key]) >= COVERED * len(found[key]) for p in covering):
                continue
        chosen.append(key)
    return chosen[:TOP]


def _quotes(comments: Sequence[Comment], answers: Iterable[int]) -> tuple[str, ...]:
    """Typical answers: of middling length (neither a single word nor an essay), shortest first."""
    texts = sorted({comments[i].text.strip() for i in answers}, key=lambda t: (abs(len(t) - 80), t))
    return tuple(texts[:QUOTES])


def themes(comments: Sequence[Comment], edits: Edits = Edits()) -> list[Theme]:
    """The themes of these answers, most often named first, with the marketer's edits applied."""
    found, labels = _answers_per_key(comments, edits.merged)
    # hidden before choosing: a hidden phrase leaves its words to be themes of their own and frees its place
    keys = _chosen({k: a for k, a in found.items() if k not in edits.hidden})
    total = len(comments)
    in_group = {g: {i for i, c in enumerate(comments) if c.group == g} for g in ("detractors", "promoters")}
    drafts = []
    for key in keys:
        answers = found[key]
        detractors = stats.wilson(len(answers & in_group["detractors"]), len(in_group["detractors"]))
        promoters = stats.wilson(len(answers & in_group["promoters"]), len(in_group["promoters"]))
        test = stats.compare_rates(detractors.k, detractors.n, promoters.k, promoters.n)
        label = edits.names.get(key) or labels[key].most_common(1)[0][0]
        drafts.append(
            (key, label, stats.wilson(len(answers), total), _quotes(comments, answers), detractors, promoters, test)
        )
    tested = [i for i, d in enumerate(drafts) if d[6] is not None and not d[6].no_variation]
    adjusted = dict(zip(tested, stats.holm([drafts[i][6].p for i in tested]), strict=True))  # type: ignore[union-attr]
    return [Theme(*draft, p_adjusted=adjusted.get(i)) for i, draft in enumerate(drafts)]
