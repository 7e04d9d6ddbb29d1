"""Spreadsheet files: CSV in two dialects (the machines' and German Excel's) from typed values, and text that Excel
would run as a formula neutralised in every cell of a CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from feedback.errors import DomainError

#: Characters that make Excel, LibreOffice or Sheets treat a cell as a formula (or a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Numbers stay numbers; text starting like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class UnknownDialect(DomainError):
    """A CSV dialect we do not write."""

    status = 400
    message = _l("CSV downloads come as dialect=plain or dialect=excel-de.")


@dataclass(frozen=True)
class CsvDialect:
    """How typed values become CSV text, in one place.

    `plain` is for machines: commas, decimal points, ISO 8601 (times with their UTC offset). `excel-de` opens by
    double-click in German Excel: semicolons, decimal commas (floats only; integers as they are, never a thousands
    separator), dates TT.MM.JJJJ and times TT.MM.JJJJ hh:mm:ss in `zone` (the workspace's; Excel has no time zones).
    Both start with a UTF-8 BOM and end lines with CRLF.
    """

    name: str
    delimiter: str
    decimal: str
    #: strftime patterns; None writes ISO 8601.
    date_format: str | None = None
    datetime_format: str | None = None
    zone: ZoneInfo | None = None

    def in_zone(self, timezone: str) -> CsvDialect:
        """The same dialect writing local times of `timezone` where it writes local times at all."""
        return replace(self, zone=ZoneInfo(timezone)) if self.datetime_format else self

    def cell(self, value: object) -> object:
        """One typed value as the dialect writes it; text made formula-safe first, so a number formatted
        afterwards (`-3,5`) is never taken for a formula."""
        value = safe_cell(value)
        if value is None:
            return ""
        if isinstance(value, datetime):
            if self.datetime_format is None:
                return value.isoformat(timespec="seconds")
            local = value.astimezone(self.zone) if self.zone and value.tzinfo else value
            return local.strftime(self.datetime_format)
        if isinstance(value, date):
            return value.isoformat() if self.date_format is None else value.strftime(self.date_format)
        if isinstance(value, float | Decimal) and self.decimal != ".":
            return (repr(value) if isinstance(value, float) else str(value)).replace(".", self.decimal)
        return value


PLAIN = CsvDialect("plain", ",", ".")
EXCEL_DE = CsvDialect("excel-de", ";", ",", "%d.%m.%Y", "%d.%m.%Y %H:%M:%S")
DIALECTS = {d.name: d for d in (PLAIN, EXCEL_DE)}


def dialect_named(name: str | None) -> CsvDialect:
    """The dialect a query parameter or option names; plain when it names none (the URLs of before)."""
    if not name:
        return PLAIN
    try:
        return DIALECTS[name]
    except KeyError:
        raise UnknownDialect() from None


def csv_stream(
    header: list[str],
    rows: Iterable[Iterable[object]],
    dialect: CsvDialect = PLAIN,
    *,
    bom: bool = True,
    lineterminator: str = "\r\n",
) -> Iterator[str]:
    """CSV text in chunks: UTF-8 BOM first so Excel opens umlauts correctly, every cell made safe and written in
    the dialect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=lineterminator)
    if bom:
        buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([dialect.cell(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_cell(value: object, zone: ZoneInfo | None = None) -> object:
    """One typed value for openpyxl: text formula-safe, numbers as numbers, a time as the local time of `zone`
    without its offset (Excel stores none)."""
    value = safe_cell(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return (value.astimezone(zone) if zone else value).replace(tzinfo=None)
    return value
