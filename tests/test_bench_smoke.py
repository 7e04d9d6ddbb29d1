"""The benchmarks keep working (sizes are checked; times are printed by `python -m bench`, never asserted)."""

from __future__ import annotations

from bench import analysis_scale, page_weight


def test_page_weight_benchmark_runs_and_the_page_stays_light() -> None:
    figures = page_weight.run(quick=True)
    assert figures["respondent_page_with_script_bytes"] <= page_weight.WEIGHT_LIMIT
    assert figures["respondent_page_external_requests"] == 0


def test_analysis_scale_benchmark_runs_and_counts_every_answer() -> None:
    figures = analysis_scale.run(size={"scans": 2_000, "responses": 500})
    assert figures["page_status"] == 200
    # every 97th response is flagged and left out; the rest answered NPS
    assert figures["nps_answers_counted"] == 500 - len(range(0, 500, 97))
    assert figures["first_page_after_import_ratio"] > 0 and figures["first_page_days_left_out"] == 0  # one day: live


def test_scan_path_benchmark_runs_and_loses_no_acknowledged_scan() -> None:
    """Two seconds of wrk per server (SQLite, and PostgreSQL where it answers): every acknowledged scan is stored."""
    from bench import scan_path

    figures = scan_path.run(seconds=2)
    for prefix in ("sqlite", "postgres"):
        if f"{prefix}_scans_acknowledged" not in figures:
            continue
        assert figures[f"{prefix}_scans_acknowledged"] > 2 * 20  # more than the warm-up of both touchpoints
        assert figures[f"{prefix}_scans_lost"] == 0
        assert figures[f"{prefix}_scans_stored"] >= figures[f"{prefix}_scans_acknowledged"]


def test_qr_benchmark_runs_and_makes_a_print_sheet() -> None:
    from bench import qr_render

    figures = qr_render.run(count=3)
    assert figures["png_px"] > 300 and figures["print_sheet_100_codes_bytes"] > 10_000
    assert set(figures) >= {"ratio_png_ours_vs_segno", "ratio_svg_ours_vs_segno", "print_sheet_100_codes_s"}


def test_survey_submit_benchmark_runs_and_loses_no_acknowledged_response() -> None:
    """Two seconds of wrk posting fresh forms: every acknowledged submit is a stored response with its five answers."""
    from bench import survey_submit

    figures = survey_submit.run(seconds=2)
    for prefix in ("sqlite", "postgres"):
        if f"{prefix}_survey_submits_acknowledged" not in figures:
            continue
        assert figures[f"{prefix}_survey_submits_acknowledged"] > 0
        assert figures[f"{prefix}_survey_responses_lost"] == 0
        assert figures[f"{prefix}_survey_answers_missing"] == 0
        assert figures[f"{prefix}_survey_submit_errors"] == 0
