"""Charts as inline SVG made by the app itself: no CDN, no JavaScript, readable when printed.

Every chart has a <title> and a <desc> (its text alternative) and labels its values in the chart, so it also
works in black and white. Labels are escaped here; callers pass plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK, MUTED, GRID, ACCENT = "#1b1f24", "#5a636e", "#dde3ea", "#0b5cad"
RED, GREY, GREEN = "#b3261e", "#c5ccd3", "#1e7d3a"
WIDTH = 720


def _svg(height: float, title: str, desc: str, body: list[str], width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" width="100%" role="img" '
        f'aria-labelledby="t d" style="{FONT};max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _text(
    x: float, y: float, text: str, anchor: str = "start", size: int = 12, fill: str = INK, weight: str = ""
) -> str:
    bold = ' font-weight="600"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{bold}>'
        f"{escape(text)}</text>"
    )


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


@dataclass(frozen=True)
class RankItem:
    """One bar of the ranking chart: a rating 0–100 with its interval."""

    label: str
    value: float
    low: float
    high: float
    emphasised: bool = True
    note: str = ""


def ranking(items: Sequence[RankItem], title: str, desc: str, fmt: Callable[[float], str]) -> Markup:
    """Horizontal bars of ratings with 95 % interval whiskers on a 0–100 axis."""
    left, right, row = 210, 60, 30
    span = WIDTH - left - right
    height = 28 + row * len(items)
    body = []
    for tick in range(0, 101, 25):
        x = left + span * tick / 100
        body.append(f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 4}" stroke="{GRID}"/>')
        body.append(_text(x, 12, str(tick), "middle", 10, MUTED))
    for i, item in enumerate(items):
        y = 22 + i * row
        colour = ACCENT if item.emphasised else "#8fa6bd"
        body.append(_text(left - 8, y + 17, _short(item.label), "end", 12, INK if item.emphasised else MUTED))
        body.append(
            f'<rect x="{left}" y="{y + 6}" width="{span * item.value / 100:.1f}" height="16" rx="3" '
            f'fill="{colour}" fill-opacity="{0.85 if item.emphasised else 0.45}"/>'
        )
        lo, hi = left + span * item.low / 100, left + span * item.high / 100
        body.append(
            f'<line x1="{lo:.1f}" y1="{y + 14}" x2="{hi:.1f}" y2="{y + 14}" stroke="{INK}" stroke-width="1.5"/>'
        )
        for x in (lo, hi):
            body.append(
                f'<line x1="{x:.1f}" y1="{y + 9}" x2="{x:.1f}" y2="{y + 19}" stroke="{INK}" stroke-width="1.5"/>'
            )
        body.append(_text(WIDTH - right + 6, y + 18, fmt(item.value) + item.note, "start", 12, INK, "b"))
    return _svg(height, title, desc, body)


@dataclass(frozen=True)
class NpsItem:
    """Detractor / passive / promoter shares of one touchpoint."""

    label: str
    detractors: float
    passives: float
    promoters: float
    n: int


def nps_distribution(items: Sequence[NpsItem], title: str, desc: str, pct: Callable[[float], str]) -> Markup:
    """100 % stacked bars: detractors (red), passives (grey), promoters (green), shares written inside."""
    left, right, row = 210, 70, 30
    span = WIDTH - left - right
    body = []
    for i, item in enumerate(items):
        y = 8 + i * row
        body.append(_text(left - 8, y + 17, _short(item.label), "end"))
        x = float(left)
        for share, colour, text_colour in (
            (item.detractors, RED, "#fff"),
            (item.passives, GREY, INK),
            (item.promoters, GREEN, "#fff"),
        ):
            w = span * share
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="20" fill="{colour}"/>')
                if w >= 34:
                    body.append(_text(x + w / 2, y + 18, pct(share), "middle", 11, text_colour))
            x += w
        body.append(_text(WIDTH - right + 6, y + 18, f"n = {item.n}", "start", 11, MUTED))
    return _svg(16 + row * len(items), title, desc, body)


def funnel(steps: Sequence[tuple[str, int]], title: str, desc: str, fmt: Callable[[float], str]) -> Markup:
    """Horizontal bars narrowing from scans to acceptances, each with its count and share of the first step."""
    width = 560
    left, right, row = 215, 105, 34
    span = width - left - right
    top = max((v for _, v in steps), default=0) or 1
    body = []
    for i, (label, value) in enumerate(steps):
        y = 6 + i * row
        w = span * value / top
        body.append(_text(left - 8, y + 19, label, "end"))
        body.append(
            f'<rect x="{left}" y="{y + 4}" width="{max(w, 1):.1f}" height="22" rx="3" '
            f'fill="{ACCENT}" fill-opacity="{1 - i * 0.15:.2f}"/>'
        )
        share = f" ({fmt(value / steps[0][1])})" if steps and steps[0][1] and i else ""
        body.append(_text(left + max(w, 1) + 6, y + 20, f"{value:,}".replace(",", " ") + share, "start", 12, INK, "b"))
    return _svg(12 + row * len(steps), title, desc, body, width)


@dataclass(frozen=True)
class WeekItem:
    """One week: completed responses and, where measured well enough, the NPS."""

    label: str
    completions: int
    nps: float | None


def trend(weeks: Sequence[WeekItem], title: str, desc: str, nps_label: str, count_label: str) -> Markup:
    """Columns of completed responses per week with the week's NPS as a line (right axis −100…100)."""
    left, right, top, bottom = 60, 48, 18, 40
    height = 240
    plot_h = height - top - bottom
    span = WIDTH - left - right
    n = max(len(weeks), 1)
    step = span / n
    peak = max((w.completions for w in weeks), default=0) or 1
    body = [
        _text(4, 12, count_label, "start", 10, MUTED),
        _text(WIDTH - right + 6, 12, nps_label, "start", 10, MUTED),
    ]
    for tick in (-100, 0, 100):
        y = top + plot_h * (100 - tick) / 200
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(WIDTH - right + 6, y + 4, str(tick), "start", 10, MUTED))
    body.append(_text(left - 6, top + plot_h + 4, "0", "end", 10, MUTED))
    body.append(_text(left - 6, top + 8, str(peak), "end", 10, MUTED))
    points = []
    every = max(1, n // 12)
    for i, week in enumerate(weeks):
        x = left + i * step
        h = plot_h * week.completions / peak
        body.append(
            f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{ACCENT}" fill-opacity="0.35"/>'
        )
        if i % every == 0:
            body.append(_text(x + step / 2, height - 22, week.label[-3:], "middle", 10, MUTED))
        if week.nps is not None:
            points.append((x + step / 2, top + plot_h * (100 - week.nps) / 200))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for x, y in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{INK}"/>')
    if weeks:
        body.append(_text(left, height - 6, weeks[0].label, "start", 10, MUTED))
        body.append(_text(WIDTH - right, height - 6, weeks[-1].label, "end", 10, MUTED))
    return _svg(height, title, desc, body)


@dataclass(frozen=True)
class MatrixPoint:
    """One touchpoint in the matrix: reach (visitors) × performance (rating)."""

    label: str
    visitors: int
    rating: float
    #: What a pointer over the dot shows: the numbers with their interval.
    title: str = ""


def matrix(
    points: Sequence[MatrixPoint],
    median_visitors: float,
    median_rating: float,
    title: str,
    desc: str,
    axis: tuple[str, str],
    quadrants: tuple[str, str, str, str],
) -> Markup:
    """Scatter of rating over visitors, split at the medians; quadrant names in the corners
    (top right, top left, bottom right, bottom left)."""
    width = 560
    left, right, top, bottom = 40, 14, 16, 40
    height = 400
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max([p.visitors for p in points] + [median_visitors, 1]) * 1.08
    y_lo = min([p.rating for p in points] + [median_rating]) - 5
    y_hi = max([p.rating for p in points] + [median_rating]) + 5
    y_lo, y_hi = max(0.0, y_lo), min(100.0, y_hi)
    if y_hi - y_lo < 10:
        y_lo, y_hi = max(0.0, y_lo - 5), min(100.0, y_hi + 5)

    def sx(v: float) -> float:
        return left + plot_w * v / x_max

    def sy(r: float) -> float:
        return top + plot_h * (y_hi - r) / (y_hi - y_lo)

    mx, my = sx(median_visitors), sy(median_rating)
    body = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="{GRID}"/>',
        f'<rect x="{mx:.1f}" y="{top}" width="{left + plot_w - mx:.1f}" height="{my - top:.1f}" '
        f'fill="{GREEN}" fill-opacity="0.07"/>',
        f'<rect x="{mx:.1f}" y="{my:.1f}" width="{left + plot_w - mx:.1f}" height="{top + plot_h - my:.1f}" '
        f'fill="{RED}" fill-opacity="0.06"/>',
        f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{top + plot_h}" stroke="{MUTED}" stroke-dasharray="4 3"/>',
        f'<line x1="{left}" y1="{my:.1f}" x2="{left + plot_w}" y2="{my:.1f}" stroke="{MUTED}" stroke-dasharray="4 3"/>',
        *_corner(left + plot_w - 6, top + 16, quadrants[0], "end", GREEN, 1),
        *_corner(left + 6, top + 16, quadrants[1], "start", MUTED, 1),
        *_corner(left + plot_w - 6, top + plot_h - 8, quadrants[2], "end", RED, -1),
        *_corner(left + 6, top + plot_h - 8, quadrants[3], "start", MUTED, -1),
        _text(left + plot_w / 2, height - 8, axis[0], "middle", 11, MUTED),
        f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" font-size="11" fill="{MUTED}" '
        f'text-anchor="middle">{escape(axis[1])}</text>',
        _text(left, top + plot_h + 14, "0", "middle", 10, MUTED),
        _text(left + plot_w, top + plot_h + 14, f"{x_max:,.0f}".replace(",", " "), "end", 10, MUTED),
        _text(left - 4, top + 10, f"{y_hi:.0f}", "end", 10, MUTED),
        _text(left - 4, top + plot_h, f"{y_lo:.0f}", "end", 10, MUTED),
    ]
    placed: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: sy(p.rating)):
        x, y = sx(p.visitors), sy(p.rating)
        label = _short(p.label, 24)
        anchor, dx = ("end", -7) if x > left + plot_w * 0.6 else ("start", 7)
        ly = _free_line(x + dx, y + 4, 6.0 * len(label), anchor, placed)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{ACCENT}" stroke="#fff" stroke-width="1.5">'
            f"<title>{escape(p.title or p.label)}</title></circle>"
        )
        if abs(ly - (y + 4)) > 1:
            body.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + dx:.1f}" y2="{ly - 4:.1f}" '
                f'stroke="{MUTED}" stroke-width=".6"/>'
            )
        body.append(_text(x + dx, ly, label, anchor, 11))
    return _svg(height, title, desc, body, width)


def _corner(x: float, y: float, label: str, anchor: str, colour: str, step: int) -> list[str]:
    """A quadrant's name in its corner, one part per line ("higher rating · fewer visitors" in two lines), growing
    into the plot (step 1: downwards from a top corner, −1: upwards from a bottom corner)."""
    parts = [part.strip() for part in label.split("·")]
    lines = parts if step > 0 else parts[::-1]
    return [_text(x, y + step * 14 * i, line, anchor, 11, colour, "b") for i, line in enumerate(lines)]


def _free_line(
    x: float, y: float, length: float, anchor: str, placed: list[tuple[float, float, float, float]]
) -> float:
    """A baseline near y where a label of this length overlaps no label placed before (greedy, 13 px steps)."""
    x0 = x - length if anchor == "end" else x
    for shift in (0, 13, -13, 26, -26, 39, -39, 52):
        box = (x0, y + shift - 11, x0 + length, y + shift + 2)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            placed.append(box)
            return y + shift
    placed.append((x0, y - 11, x0 + length, y + 2))
    return y


def sparkline(values: Sequence[int], label: str, width: int = 112, height: int = 28) -> Markup:
    """A small line of daily counts (oldest first) for lists of campaigns and touchpoints, scaled to its own peak;
    `label` is its text alternative (it says what the line shows and its total)."""
    peak = max(values, default=0)
    step = (width - 4) / max(len(values) - 1, 1)
    points = [
        (2 + i * step, height - 3 - ((height - 6) * value / peak if peak else 0)) for i, value in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body = [f"<title>{escape(label)}</title>"]
    if points:
        area = f"2,{height - 3} {line} {points[-1][0]:.1f},{height - 3}"
        body += [
            f'<polygon points="{area}" fill="{ACCENT}" fill-opacity="0.12"/>',
            f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="1.5" stroke-linejoin="round"/>',
            f'<circle cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" r="2" fill="{ACCENT}"/>',
        ]
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>'
    )


@dataclass(frozen=True)
class BandPoint:
    """One week of a banded trend: a value with its interval, or None (no answers: a gap)."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    #: Enough answers to draw it solid, joined and with its band; otherwise a hollow point on its own.
    solid: bool


def _runs(points: Sequence[BandPoint]) -> list[list[int]]:
    """Indices of consecutive solid points (each run is joined and banded)."""
    runs: list[list[int]] = []
    for i, point in enumerate(points):
        if point.solid and point.value is not None and point.low is not None and point.high is not None:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    return runs


def _panel(
    points: Sequence[BandPoint],
    top: float,
    plot_h: float,
    scale: tuple[float, float, tuple[float, ...]],
    colour: str,
    label: str,
    fmt: Callable[[float], str],
) -> list[str]:
    """One banded line: grid and ticks of the axis, the shaded 95 % band of each run, the line and the points."""
    low_end, high_end, ticks = scale
    left, right = 60, 24
    step = (WIDTH - left - right) / max(len(points), 1)

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(value: float) -> float:
        return top + plot_h * (high_end - value) / (high_end - low_end)

    body = [_text(4, top - 6, label, "start", 11, INK, "bold")]
    for tick in ticks:
        body.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{WIDTH - right}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y(tick) + 4, fmt(tick), "end", 10, MUTED))
    for run in _runs(points):
        upper = [f"{x(i):.1f},{y(points[i].high):.1f}" for i in run]  # type: ignore[arg-type]
        lower = [f"{x(i):.1f},{y(points[i].low):.1f}" for i in reversed(run)]  # type: ignore[arg-type]
        if len(run) == 1:  # a lone week: its band is a bar
            i = run[0]
            body.append(
                f'<rect x="{x(i) - 5:.1f}" y="{y(points[i].high):.1f}" width="10" '  # type: ignore[arg-type]
                f'height="{y(points[i].low) - y(points[i].high):.1f}" fill="{colour}" fill-opacity="0.18"/>'  # type: ignore[arg-type]
            )
        else:
            body.append(f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" fill-opacity="0.18"/>')
            line = " ".join(f"{x(i):.1f},{y(points[i].value):.1f}" for i in run)  # type: ignore[arg-type]
            body.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for i, point in enumerate(points):
        if point.value is None:
            continue
        fill = colour if point.solid else "#fff"
        body.append(
            f'<circle cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="3.5" fill="{fill}" stroke="{colour}" '
            f'stroke-width="1.5"/>'
        )
    return body


def banded_trend(
    nps: Sequence[BandPoint],
    rate: Sequence[BandPoint],
    title: str,
    desc: str,
    labels: tuple[str, str],
    pct: Callable[[float], str],
) -> Markup:
    """Weekly NPS (−100…100) and completion rate (0–100 %) as lines in two panels, each with its 95 % interval as
    a shaded band; weeks with too few answers are hollow points outside the line, weeks without any are gaps."""
    nps_h, rate_h, gap = 170, 90, 40
    height = 24 + nps_h + gap + rate_h + 44
    body = _panel(nps, 24, nps_h, (-100, 100, (-100, -50, 0, 50, 100)), ACCENT, labels[0], lambda v: f"{v:.0f}")
    rate_top = 24 + nps_h + gap
    body += _panel(rate, rate_top, rate_h, (0, 1, (0, 0.5, 1)), GREEN, labels[1], pct)
    left, right = 60, 24
    step = (WIDTH - left - right) / max(len(nps), 1)
    every = max(1, -(-len(nps) // 10))
    for i, point in enumerate(nps):
        if i % every == 0:
            body.append(_text(left + step * (i + 0.5), height - 22, point.label[-3:], "middle", 10, MUTED))
    if nps:
        body.append(_text(left, height - 6, nps[0].label, "start", 10, MUTED))
        body.append(_text(WIDTH - right, height - 6, nps[-1].label, "end", 10, MUTED))
    return _svg(height, title, desc, body)
