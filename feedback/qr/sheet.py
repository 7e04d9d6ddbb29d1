"""Print sheets: an A4 PDF with a grid of labelled codes, drawn as vectors so they stay sharp at any size."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from feedback.qr.rendering import module_rows

COLUMNS, ROWS = 3, 4
MARGIN = 12 * mm
SYMBOL = 42 * mm


@dataclass(frozen=True)
class SheetItem:
    """One code on the sheet with the texts printed under it."""

    url: str
    display_url: str
    code_text: str
    title: str
    subtitle: str


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """Shorten text with an ellipsis until it fits the cell."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_symbol(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the symbol's dark modules as filled rectangles, merging runs on each row."""
    matrix = module_rows(url, "M")  # includes the 4-module quiet zone
    module = size / len(matrix)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                path.rect(x + start * module, top, (col - start) * module, module)
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)


def print_sheet(title: str, items: list[SheetItem]) -> bytes:
    """An A4 PDF with 12 codes per page: symbol, code text, touchpoint and label, and the URL to type."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("feedback")
    page_width, page_height = A4
    cell_width = (page_width - 2 * MARGIN) / COLUMNS
    cell_height = (page_height - 2 * MARGIN - 10 * mm) / ROWS
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(items) // per_page))
    for page in range(pages):
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(MARGIN, page_height - MARGIN, _fit(canvas, title, "Helvetica-Bold", 11, 140 * mm))
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(page_width - MARGIN, page_height - MARGIN, f"{page + 1} / {pages}")
        for index, item in enumerate(items[page * per_page : (page + 1) * per_page]):
            col, row = index % COLUMNS, index // COLUMNS
            left = MARGIN + col * cell_width
            top = page_height - MARGIN - 10 * mm - row * cell_height
            canvas.setStrokeGray(0.8)
            canvas.setDash(2, 2)
            canvas.rect(left + 1 * mm, top - cell_height + 1 * mm, cell_width - 2 * mm, cell_height - 2 * mm)
            canvas.setDash()
            symbol_x = left + (cell_width - SYMBOL) / 2
            symbol_y = top - 3 * mm - SYMBOL
            canvas.setFillGray(0)
            _draw_symbol(canvas, item.url, symbol_x, symbol_y, SYMBOL)
            text_width = cell_width - 6 * mm
            centre = left + cell_width / 2
            canvas.setFont("Courier-Bold", 12)
            canvas.drawCentredString(centre, symbol_y - 4 * mm, item.code_text)
            canvas.setFont("Helvetica-Bold", 8.5)
            canvas.drawCentredString(
                centre, symbol_y - 9 * mm, _fit(canvas, item.title, "Helvetica-Bold", 8.5, text_width)
            )
            canvas.setFont("Helvetica", 8)
            canvas.drawCentredString(
                centre, symbol_y - 13 * mm, _fit(canvas, item.subtitle, "Helvetica", 8, text_width)
            )
            canvas.setFont("Helvetica", 6.5)
            canvas.setFillGray(0.35)
            canvas.drawCentredString(
                centre, symbol_y - 17 * mm, _fit(canvas, item.display_url, "Helvetica", 6.5, text_width)
            )
        canvas.showPage()
    canvas.save()
    return out.getvalue()
