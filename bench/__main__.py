"""Run the benchmarks, print absolute figures and ratios, and write bench/results.json."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench import analysis_scale, cluster_load, page_weight, qr_render, scan_path, survey_submit


def analysis_scale_on_postgres(quick: bool) -> dict[str, object]:
    """The ratings benchmark again on a fresh database of the local PostgreSQL server (skipped without one)."""
    url = scan_path.fresh_postgres()
    if url is None:
        return {"skipped": "no PostgreSQL server on 127.0.0.1:5432"}
    return analysis_scale.run(quick=quick, url=url)


def cluster_if_possible(quick: bool) -> dict[str, object]:
    """The cluster run (scripts/cluster.py needs the local PostgreSQL and root for its replica), else skipped."""
    from scripts import cluster

    if os.geteuid() != 0 or not cluster.ready(cluster.PRIMARY_PORT):
        return {"skipped": "needs root and the local PostgreSQL on 127.0.0.1:5432"}
    return cluster_load.run(quick=quick)


def main() -> None:
    """Entry point of `python -m bench`."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller loads, about a minute")
    args = parser.parse_args()
    results = {
        "page_weight": page_weight.run(quick=args.quick),
        "analysis_scale": analysis_scale.run(quick=args.quick),
        "analysis_scale_postgres": analysis_scale_on_postgres(args.quick),
        "scan_path": scan_path.run(quick=args.quick),
        "survey_submit": survey_submit.run(quick=args.quick),
        "qr_render": qr_render.run(quick=args.quick),
        "cluster": cluster_if_possible(args.quick),
    }
    width = max(len(k) for group in results.values() for k in group)
    for group, figures in results.items():
        print(f"\n{group}")
        for key, value in figures.items():
            shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
            print(f"  {key:<{width}}  {shown}")
    (Path(__file__).parent / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
