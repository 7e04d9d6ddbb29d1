"""The benchmarks keep working (sizes are checked; times are printed by `python -m bench`, never asserted)."""

from __future__ import annotations

from bench import page_weight


def test_page_weight_benchmark_runs_and_the_page_stays_light() -> None:
    figures = page_weight.run(quick=True)
    assert figures["respondent_page_with_script_bytes"] <= page_weight.WEIGHT_LIMIT
    assert figures["respondent_page_external_requests"] == 0
