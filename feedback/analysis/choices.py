"""Choice questions, pure: option counts per touchpoint in, shares with Wilson intervals and a test across the
touchpoints out (STATS.md §4, §11).

A single-choice question is tested with χ² (Fisher by permutation for small expected counts) on the touchpoints ×
options table. In a multiple-choice question one respondent can pick several options, so each option is tested on
its own (chose it or not, touchpoints × 2) and the options' p-values are Holm-adjusted together. Only touchpoints
with at least 10 respondents to the question take part.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from feedback.analysis import stats
from feedback.analysis.stats import ContingencyTest, Proportion
from feedback.surveys.questions import QuestionSpec


@dataclass(frozen=True)
class OptionShare:
    """How many respondents of a group chose one option, of those who answered the question."""

    value: str
    count: int
    share: Proportion


@dataclass(frozen=True)
class ChoiceGroup:
    """One touchpoint's (or the campaign's) answers to a choice question."""

    key: Hashable
    respondents: int
    options: tuple[OptionShare, ...]


@dataclass(frozen=True)
class OptionTest:
    """Whether the touchpoints differ on one option (multiple choice) or on the whole question (single choice)."""

    value: str | None  # None: the whole single-choice question
    test: ContingencyTest
    p_adjusted: float

    @property
    def differ(self) -> bool:
        """Significant after adjustment, and with variation."""
        return not self.test.no_variation and self.p_adjusted < stats.ALPHA


@dataclass(frozen=True)
class ChoiceAnalysis:
    """Shares per option per group and for all groups together, with the test across the groups."""

    multiple: bool
    values: tuple[str, ...]
    groups: tuple[ChoiceGroup, ...]
    total: ChoiceGroup
    #: One entry for a single-choice question, one per option for a multiple-choice one; empty when fewer than two
    #: groups have 10 respondents.
    tests: tuple[OptionTest, ...]
    #: Groups with 1–9 respondents, left out of the tests.
    excluded: int


def _group(key: Hashable, values: Sequence[str], counts: Mapping[str, int], respondents: int) -> ChoiceGroup:
    options = tuple(OptionShare(v, counts.get(v, 0), stats.wilson(counts.get(v, 0), respondents)) for v in values)
    return ChoiceGroup(key, respondents, options)


def analyse(
    values: Sequence[str],
    counts: Mapping[Hashable, Mapping[str, int]],
    respondents: Mapping[Hashable, int],
    multiple: bool,
) -> ChoiceAnalysis:
    """Shares and tests of one choice question.

    :param values: the options in the survey's order (values answered but no longer offered come last).
    :param counts: per group, how many respondents chose each option.
    :param respondents: per group, how many respondents answered the question (the shares' denominator).
    :raises stats.InvalidCounts: a count is not a whole number ≥ 0, or an option was chosen more often than the
        question was answered.
    """
    groups = tuple(_group(key, values, counts.get(key, {}), respondents.get(key, 0)) for key in respondents)
    merged: dict[str, int] = {}
    for group in groups:
        for option in group.options:
            merged[option.value] = merged.get(option.value, 0) + option.count
    total = _group(None, values, merged, sum(g.respondents for g in groups))
    answered = [g for g in groups if g.respondents]
    testable = [g for g in answered if stats.testable(g.respondents)]
    found: list[tuple[str | None, ContingencyTest]] = []
    if len(testable) >= 2:
        if multiple:
            for i, value in enumerate(values):
                table = [[g.options[i].count, g.respondents - g.options[i].count] for g in testable]
                test = stats.contingency(table)
                if test is not None:
                    found.append((value, test))
        else:
            test = stats.contingency([[o.count for o in g.options] for g in testable])
            if test is not None:
                found.append((None, test))
    varied = [i for i, (_, t) in enumerate(found) if not t.no_variation]
    adjusted = dict(zip(varied, stats.holm([found[i][1].p for i in varied]), strict=True))
    tests = tuple(OptionTest(value, test, adjusted.get(i, 1.0)) for i, (value, test) in enumerate(found))
    return ChoiceAnalysis(multiple, tuple(values), groups, total, tests, len(answered) - len(testable))


@dataclass(frozen=True)
class ChoiceQuestion:
    """One choice question of a campaign's surveys with its shares per touchpoint (group keys: touchpoint ids)."""

    spec: QuestionSpec
    analysis: ChoiceAnalysis

    def label(self, value: str, language: str) -> str:
        """An option's label in a language (an answered value the survey no longer offers: the value itself)."""
        return next((o.label(language) for o in self.spec.options if o.value == value), value)
