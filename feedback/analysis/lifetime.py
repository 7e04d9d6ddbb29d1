"""Customers and their lifetime value, pure: each customer's purchases in, the touchpoint's numbers out
(docs/STATISTICS.md §6; no Flask, no SQL).

A customer is a contact with at least one purchase: a won order or a redeemed coupon. Their lifetime value (CLV) is
the sum of their purchases' order values so far; a touchpoint's CLV is the mean over the customers it acquired,
with the t interval of a mean (`stats.amount_mean`). The repeat purchase rate is the share of those customers with
two purchases or more, with its Wilson interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from feedback.analysis import stats
from feedback.analysis.stats import InvalidCounts, MeanEstimate, Proportion

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CustomerTotals:
    """What a group of customers sums to: enough for the mean's t interval and the repeat purchase rate."""

    customers: int = 0
    #: Customers with two purchases or more.
    repeat: int = 0
    purchases: int = 0
    #: Σ of each customer's lifetime value, and Σ of its square (the interval's spread).
    value: Decimal = ZERO
    squares: Decimal = ZERO

    def __post_init__(self) -> None:
        if min(self.customers, self.repeat, self.purchases) < 0 or self.repeat > self.customers:
            raise InvalidCounts("customer counts cannot be negative, nor repeat customers more than all")
        if self.purchases < self.customers + self.repeat:
            raise InvalidCounts("every customer has a purchase, every repeat customer two")

    def add(self, purchases: int, value: Decimal) -> CustomerTotals:
        """These totals with one more customer, who made `purchases` purchases worth `value` together."""
        if purchases < 1 or value < 0:
            raise InvalidCounts("a customer has at least one purchase and no negative value")
        return CustomerTotals(
            self.customers + 1,
            self.repeat + (purchases >= 2),
            self.purchases + purchases,
            self.value + value,
            self.squares + value * value,
        )

    def __add__(self, other: CustomerTotals) -> CustomerTotals:
        return CustomerTotals(
            self.customers + other.customers,
            self.repeat + other.repeat,
            self.purchases + other.purchases,
            self.value + other.value,
            self.squares + other.squares,
        )

    @property
    def clv(self) -> MeanEstimate:
        """Mean lifetime value per customer with its 95 % t interval (n = customers; none at n ≤ 1)."""
        return stats.amount_mean(self.customers, self.value, self.squares)

    @property
    def repeat_rate(self) -> Proportion | None:
        """Customers with two purchases or more ÷ customers, with the Wilson interval; None without customers."""
        return stats.wilson(self.repeat, self.customers) if self.customers else None


def totals(customers: Iterable[tuple[int, Decimal]]) -> CustomerTotals:
    """The totals of customers given as (purchases, lifetime value)."""
    found = CustomerTotals()
    for purchases, value in customers:
        found = found.add(purchases, value)
    return found
