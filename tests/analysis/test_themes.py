"""Themes of open-text answers: words in their dictionary form, phrases, counts once per answer, shares with Wilson
intervals, detractors against promoters with Holm's adjustment, the marketer's edits."""

from __future__ import annotations

from scipy import stats as sps

from feedback.analysis import stats
from feedback.analysis.themes import Comment, Edits, terms, themes


def test_words_are_counted_in_their_dictionary_form_without_stop_words() -> None:
    keys, shown = terms("Die Wartezeiten waren viel zu lang, der Kaffee kalt!", "de")
    assert keys == {"wartezeit", "kaffee", "kalt", "kaffee kalt"}  # no "die", "zu", "sein" (waren), "viel"
    assert shown["wartezeit"] == "Wartezeit" and shown["kaffee kalt"] == "Kaffee kalt"
    english, _ = terms("The waiting times were far too long; the staff waited", "en")
    assert {"wait", "time", "wait time", "staff"} <= english and "the" not in english
    _, written = terms("Sehr freundliches Personal", "de")
    assert written["freundlich personal"] == "freundliches Personal"  # a phrase as people write it


def _comments() -> list[Comment]:
    """30 detractors, 12 of them about the waiting time; 30 promoters, 2 of them; 10 passives about the coffee."""
    comments = [
        Comment(i, f"Wartezeit an der Kasse{'!' * (i % 3)}", "de", "detractors") for i in range(12)
    ] + [Comment(100 + i, "Zu teuer und laut", "de", "detractors") for i in range(18)]
    comments += [Comment(200 + i, "Wartezeit lang, aber freundlich", "de", "promoters") for i in range(2)]
    comments += [Comment(300 + i, "Sehr freundliches Personal", "de", "promoters") for i in range(28)]
    comments += [Comment(400 + i, "Der Kaffee war lecker", "de", "passives") for i in range(10)]
    return comments


def test_a_theme_has_its_count_share_quotes_and_the_detractor_test() -> None:
    found = {t.key: t for t in themes(_comments())}
    waiting = found["wartezeit"]
    assert waiting.count == 14 and waiting.share == stats.wilson(14, 70)
    assert waiting.label == "Wartezeit"
    assert found["kasse"].count == 12 and "wartezeit kasse" not in found  # "an der" lies between them
    assert "personal" not in found and found["freundlich personal"].label == "freundliches Personal"
    assert (waiting.detractors.k, waiting.detractors.n, waiting.promoters.k, waiting.promoters.n) == (12, 30, 2, 30)
    table = [[12, 18], [2, 28]]
    expected = sps.fisher_exact(table).pvalue if sps.contingency.expected_freq(table).min() < 5 else (
        sps.chi2_contingency(table, correction=False).pvalue
    )
    assert abs(waiting.test.p - expected) < 1e-12
    tested = [t for t in found.values() if t.p_adjusted is not None]
    assert abs(waiting.p_adjusted - stats.holm([t.test.p for t in tested])[tested.index(waiting)]) < 1e-12
    assert waiting.more_among_detractors
    assert len(waiting.quotes) == 3 and all("Wartezeit" in q for q in waiting.quotes)
    kaffee = found["kaffee"]
    assert kaffee.count == 10 and not kaffee.more_among_detractors  # passives only: no group difference
    assert found["freundlich personal"].count == 28 and not found["freundlich personal"].more_among_detractors


def test_rare_terms_are_no_themes_and_an_empty_list_has_none() -> None:
    assert themes([]) == []
    few = [Comment(i, "Einmaliger Ausblick", "de", "promoters") for i in range(2)]
    assert themes(few) == []


def test_the_marketer_renames_hides_and_merges_themes() -> None:
    comments = _comments()
    edits = Edits(names={"wartezeit": "Warten"}, hidden=frozenset({"kaffee"}), merged={"teuer": "laut"})
    found = {t.key: t for t in themes(comments, edits)}
    assert found["wartezeit"].label == "Warten"
    assert "kaffee" not in found
    assert "teuer" not in found and found["laut"].count == 18  # the same 18 answers: counted once each


def test_hiding_a_phrase_leaves_its_words_to_be_themes() -> None:
    comments = _comments()
    assert "personal" not in {t.key for t in themes(comments)}  # said within "freundliches Personal"
    found = {t.key: t for t in themes(comments, Edits(hidden=frozenset({"freundlich personal"})))}
    assert "freundlich personal" not in found and found["personal"].count == 28
