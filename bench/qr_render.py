"""QR rendering: our PNG and SVG per code against segno on the same URLs in the same run, and a print sheet of 100."""

from __future__ import annotations

import io
import time

import segno

from feedback.qr.codes import generate_code, group
from feedback.qr.rendering import QrOptions, qr_url, render_png, render_svg
from feedback.qr.sheet import SheetItem, print_sheet

BASE = "https://fb.example.com"


def _timed(function, items) -> float:  # noqa: ANN001 - a benchmark helper
    start = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - start) / len(items)


def run(quick: bool = False, count: int | None = None) -> dict[str, object]:
    """Per-code times (ms) and ratios against segno; the 100-code print sheet in seconds."""
    count = count or (50 if quick else 300)
    urls = [qr_url(BASE, generate_code()) for _ in range(count)]
    sample = segno.make(urls[0], error="m", micro=False)
    scale = 14
    width = sample.symbol_size(scale=scale, border=4)[0]

    def ours_png(url: str) -> bytes:
        return render_png(url, QrOptions(size_px=width, error_correction="M", border=4))

    def segno_png(url: str) -> bytes:
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
        return out.getvalue()

    def ours_svg(url: str) -> str:
        return render_svg(url, QrOptions(size_mm=40, error_correction="M", border=4))

    def segno_svg(url: str) -> bytes:
        out = io.BytesIO()
        segno.make(url, error="m", micro=False).save(out, kind="svg", unit="mm", scale=40 / sample.symbol_size()[0])
        return out.getvalue()

    for warm in (ours_png, segno_png, ours_svg, segno_svg):
        warm(urls[0])
    png_ours, png_segno = _timed(ours_png, urls), _timed(segno_png, urls)
    svg_ours, svg_segno = _timed(ours_svg, urls), _timed(segno_svg, urls)
    items = [
        SheetItem(
            url=u, display_url=u.replace("https://", ""), code_text=group(u[-8:]), title=f"Touchpoint {i}", subtitle=""
        )
        for i, u in enumerate(qr_url(BASE, generate_code()) for _ in range(100))
    ]
    start = time.perf_counter()
    pdf = print_sheet("Bench", items)
    sheet_seconds = time.perf_counter() - start
    return {
        "png_px": width,
        "png_ours_ms": round(png_ours * 1000, 3),
        "png_segno_ms": round(png_segno * 1000, 3),
        "ratio_png_ours_vs_segno": round(png_ours / png_segno, 2),
        "svg_ours_ms": round(svg_ours * 1000, 3),
        "svg_segno_ms": round(svg_segno * 1000, 3),
        "ratio_svg_ours_vs_segno": round(svg_ours / svg_segno, 2),
        "print_sheet_100_codes_s": round(sheet_seconds, 3),
        "print_sheet_100_codes_bytes": len(pdf),
    }
