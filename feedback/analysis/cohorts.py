"""Cohort tables, pure: who was first seen when and where, and who came back in which month after, in; rows of
retention cells with Wilson intervals out (docs/STATISTICS.md §7; no Flask, no SQL).

Months are numbered 0, 1, 2 … from the first month of the window (the workspace's local calendar months). A member
belongs to the month and the touchpoint of their first contact; "came back in month k" means active in the k-th
calendar month after that first month (k ≥ 1). A cell counts only the members whose month k is over: the current
month, still running, is never a column of anybody, so a young cohort has fewer cells instead of low rates.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from feedback.analysis import stats
from feedback.analysis.stats import Proportion

#: Cells of fewer members are shown, and marked as too few to read (STATS.md §9: 1–9 is insufficient).
MIN_CELL_N = 10


class Who(enum.StrEnum):
    """Whose cohorts: respondents (first-party cookie visitors who completed a survey) or customers."""

    RESPONDENTS = "respondents"
    CUSTOMERS = "customers"


class By(enum.StrEnum):
    """What a cohort row is: a month of first contact, or the touchpoint of first contact."""

    MONTH = "month"
    TOUCHPOINT = "touchpoint"


@dataclass(frozen=True)
class Cell:
    """Members of a row who came back in month k after their first, of those whose month k is over."""

    k: int
    rate: Proportion

    @property
    def few(self) -> bool:
        """Fewer members than MIN_CELL_N: shown, marked, not to be read as a rate."""
        return self.rate.n < MIN_CELL_N


@dataclass(frozen=True)
class CohortRow:
    """One cohort: its key (a month's first day or a touchpoint id), its size and its cells for k = 1 … width
    (None where no member's month k is over yet)."""

    key: date | int
    size: int
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class CohortTable:
    """The cohort table of one campaign."""

    who: Who
    by: By
    #: The first day of each month of the window, month 0 first; the last one is the current month.
    months: tuple[date, ...]
    rows: tuple[CohortRow, ...]
    #: Members in the table, and completions that could not be followed (no first-party cookie, or a kiosk).
    members: int
    left_out: int = 0

    @property
    def width(self) -> int:
        """How many months after the first a row can have (the columns k = 1 … width)."""
        return max(len(self.months) - 2, 0)


#: (month index of first contact, touchpoint of first contact) → how many members.
Sizes = Mapping[tuple[int, int], int]
#: (month index of first contact, touchpoint of first contact, k) → how many of them came back in month k.
Returns = Mapping[tuple[int, int, int], int]


def cohort_table(
    who: Who,
    by: By,
    months: Sequence[date],
    sizes: Sizes,
    returns: Returns,
    touchpoint_order: Sequence[int] = (),
    left_out: int = 0,
) -> CohortTable:
    """Fold the counts per (first month, touchpoint) into rows by month or by touchpoint. The last month of
    `months` is the current one: a member's month k counts when first month + k lies before it.

    :raises stats.InvalidCounts: a negative count, or more returns than members.
    """
    current = len(months) - 1
    width = max(current - 1, 0)
    for (month, touchpoint, k), n in returns.items():
        if n < 0 or n > sizes.get((month, touchpoint), 0) or k < 1:
            raise stats.InvalidCounts("more members came back than a cohort has")
    if any(n < 0 for n in sizes.values()):
        raise stats.InvalidCounts("negative cohort size")

    def row_of(month: int, touchpoint: int) -> int | date:
        return months[month] if by is By.MONTH else touchpoint

    size: dict[date | int, int] = defaultdict(int)
    eligible: dict[tuple[date | int, int], int] = defaultdict(int)
    came_back: dict[tuple[date | int, int], int] = defaultdict(int)
    for (month, touchpoint), n in sizes.items():
        if not 0 <= month < len(months) or not n:
            continue
        key = row_of(month, touchpoint)
        size[key] += n
        for k in range(1, current - month):
            eligible[key, k] += n
    for (month, touchpoint, k), n in returns.items():
        if 0 <= month and month + k < current:
            came_back[row_of(month, touchpoint), k] += n
    if by is By.MONTH:
        keys: list[date | int] = sorted(size)  # type: ignore[type-var]
    else:
        keys = [tp for tp in touchpoint_order if tp in size] + sorted(k for k in size if k not in touchpoint_order)  # type: ignore[misc]
    rows = tuple(
        CohortRow(
            key,
            size[key],
            tuple(
                Cell(k, stats.wilson(came_back[key, k], eligible[key, k])) if eligible[key, k] else None
                for k in range(1, width + 1)
            ),
        )
        for key in keys
    )
    return CohortTable(who, by, tuple(months), rows, sum(size.values()), left_out)


#: The columns of the cohort download (CSV, XLSX) and the fields of the API's cells: one row per cohort and month
#: after its first (cells whose month is not over are left out).
COHORT_HEADER = [
    "who",
    "by",
    "cohort",
    "label",
    "size",
    "months_after",
    "month",
    "came_back",
    "n",
    "rate",
    "rate_low",
    "rate_high",
    "too_few",
]


def _add_months(first: date, k: int) -> date:
    index = first.year * 12 + first.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


def cohort_rows(table: CohortTable, labels: Mapping[int, str]) -> list[list[object]]:
    """The table's cells in COHORT_HEADER order: for a month cohort `month` is the calendar month of the cell, for
    a touchpoint cohort (members of several months) it is empty."""
    rows: list[list[object]] = []
    for row in table.rows:
        cohort = row.key.isoformat()[:7] if isinstance(row.key, date) else row.key
        label = cohort if isinstance(row.key, date) else labels.get(row.key, str(row.key))
        for cell in row.cells:
            if cell is None:
                continue
            month = _add_months(row.key, cell.k).isoformat()[:7] if isinstance(row.key, date) else None
            ci = cell.rate.ci
            rows.append(
                [
                    table.who.value,
                    table.by.value,
                    cohort,
                    label,
                    row.size,
                    cell.k,
                    month,
                    cell.rate.k,
                    cell.rate.n,
                    cell.rate.share,
                    ci.low if ci else None,
                    ci.high if ci else None,
                    cell.few,
                ]
            )
    return rows
