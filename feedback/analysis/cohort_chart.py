"""The cohort heat table as inline SVG, drawn like the other charts (feedback/analysis/charts.py): no JavaScript,
a <title> and <desc>, every value written in its cell, so it reads in black and white and when printed.

Each cell is shaded by its retention rate and carries a <title> (shown on hover) with the count, n and the 95 %
Wilson interval; a cell of fewer than 10 members is hatched grey and its rate struck through as "too few".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from feedback.analysis.charts import ACCENT, FONT, GRID, INK, MUTED

CELL_W, CELL_H, LEFT, TOP = 50, 26, 170, 34


@dataclass(frozen=True)
class HeatCell:
    """One drawn cell: its share (None: nothing to draw), text, hover text, and whether it has too few members."""

    share: float | None
    text: str
    hover: str
    few: bool


@dataclass(frozen=True)
class HeatRow:
    """One cohort: its label, size and cells (k = 1 … width)."""

    label: str
    size: str
    cells: Sequence[HeatCell]


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11, fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def heat_table(
    rows: Sequence[HeatRow], columns: Sequence[str], title: str, desc: str, size_label: str, few_label: str
) -> Markup:
    """Rows of cohorts against the months after the first contact; `columns` are the column heads (k = 1 …)."""
    width = LEFT + CELL_W * (len(columns) + 1) + 10
    height = TOP + CELL_H * len(rows) + 26
    body = [
        '<defs><pattern id="few" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#f1f3f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="{GRID}" '
        'stroke-width="3"/></pattern></defs>',
        _text(LEFT + CELL_W / 2, TOP - 10, size_label, size=10, fill=MUTED),
    ]
    for j, head in enumerate(columns):
        body.append(_text(LEFT + CELL_W * (j + 1.5), TOP - 10, head, size=10, fill=MUTED))
    for i, row in enumerate(rows):
        y = TOP + CELL_H * i
        label = row.label if len(row.label) <= 24 else row.label[:23] + "…"
        body.append(_text(LEFT - 8, y + 17, label, "end", 12))
        body.append(_text(LEFT + CELL_W / 2, y + 17, row.size, size=11))
        for j, cell in enumerate(row.cells):
            if cell.share is None:
                continue
            x = LEFT + CELL_W * (j + 1)
            fill = 'fill="url(#few)"' if cell.few else f'fill="{ACCENT}" fill-opacity="{0.08 + 0.85 * cell.share:.2f}"'
            ink = "#fff" if not cell.few and cell.share > 0.5 else (MUTED if cell.few else INK)
            decoration = ' text-decoration="line-through"' if cell.few else ""
            body.append(
                f"<g><title>{escape(cell.hover)}</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_W - 2}" height="{CELL_H - 2}" rx="2" {fill}/>'
                f'<text x="{x + CELL_W / 2:.1f}" y="{y + 17}" font-size="11" fill="{ink}" text-anchor="middle"'
                f"{decoration}>{escape(cell.text)}</text></g>"
            )
    legend_y = TOP + CELL_H * len(rows) + 18
    body.append(
        f'<rect x="{LEFT}" y="{legend_y - 11}" width="14" height="14" fill="url(#few)"/>'
        + _text(LEFT + 20, legend_y, few_label, "start", 10, MUTED)
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="ct cd" '
        f'style="{FONT};max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="ct">{escape(title)}</title><desc id="cd">{escape(desc)}</desc>{"".join(body)}</svg>'
    )


def cells_of(
    shares: Sequence[tuple[float, int, int, float, float, bool] | None],
    pct: Callable[[float], str],
    hover: Callable[[int, int, int, float, float], str],
) -> list[HeatCell]:
    """Heat cells from (share, came back, n, low, high, few) per month after, None where the month is not over."""
    found = []
    for k, cell in enumerate(shares, start=1):
        if cell is None:
            found.append(HeatCell(None, "", "", False))
            continue
        share, back, n, low, high, few = cell
        found.append(HeatCell(share, pct(share), hover(k, back, n, low, high), few))
    return found
