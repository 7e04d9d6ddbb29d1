"""Spreadsheet-safe cells: text that Excel would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

#: Characters that make Excel, LibreOffice or Sheets treat a cell as a formula (or a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Numbers stay numbers; text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_stream(header: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV text in chunks: UTF-8 BOM first so Excel opens umlauts correctly, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
