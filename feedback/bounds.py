"""What values from outside may be: the days a marketer can enter, and ids and page numbers in links and forms.

Checked at the edge (forms, the API's schemas, query strings), so that a value the database or the calendar cannot
hold (9999-12-31 plus a day, an id beyond its column's 32 or 64 bits, "²", which Python's `str.isdigit` calls a
digit) is refused with a message or treated as absent, and never reaches a query or a date calculation.
"""

from __future__ import annotations

from datetime import date

#: The first and last day a campaign, an offer or a code may start or end on. Codes are printed for years, not
#: centuries; the end leaves room for a day to be added in any time zone.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
#: The largest id of a table with 32-bit ids (most of them; the URL converter uses the same bound), and of one with
#: 64-bit ids (responses, scans, webhook deliveries); larger numbers name nothing.
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
#: Page numbers beyond this are read as this one (no list has that many pages; the offset stays small).
MAX_PAGE = 100_000


def parse_id(raw: str | None, largest: int = MAX_ID) -> int | None:
    """The id in `raw` (ASCII digits only, 1 … `largest`), else None."""
    if not raw or len(raw) > 19 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= largest else None


def page_number(raw: str | None, first: int = 1, last: int = MAX_PAGE) -> int:
    """A page number from a link: `first` when absent or unreadable, at most `last`."""
    if not raw or len(raw) > 12 or not (raw.isascii() and raw.isdigit()):
        return first
    return max(first, min(int(raw), last))
