"""Which touchpoints a ratings page looks at: by touchpoint, channel and journey phase (all optional, combined with
"and"), read from the query string and checked against the campaign's own touchpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from flask_babel import lazy_gettext as _l

from feedback.touchpoints.models import Channel, Phase

#: The query parameters of the filters, in the order the page shows them.
FILTER_KEYS = ("touchpoint", "channel", "phase")


class Filterable(Protocol):
    """What a filter looks at: a touchpoint (model or rating input)."""

    id: int
    channel: str
    phase: str


@dataclass(frozen=True)
class Filters:
    """The chosen touchpoint, channel and phase; None = not filtered by it."""

    touchpoint: int | None = None
    channel: str | None = None
    phase: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything is filtered."""
        return any(value is not None for value in (self.touchpoint, self.channel, self.phase))

    def matches(self, touchpoint: Filterable) -> bool:
        """Whether the touchpoint passes every chosen filter."""
        return (
            (self.touchpoint is None or touchpoint.id == self.touchpoint)
            and (self.channel is None or touchpoint.channel == self.channel)
            and (self.phase is None or touchpoint.phase == self.phase)
        )

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        values = {"touchpoint": self.touchpoint, "channel": self.channel, "phase": self.phase}
        return {key: str(value) for key, value in values.items() if value is not None}


def read_filters(args: Mapping[str, str], touchpoints: Iterable[Filterable]) -> tuple[Filters, list[str]]:
    """The filters of a query string, and a sentence for each value that was ignored: a touchpoint that is not one
    of these (another campaign's or workspace's, or not a number), a channel or phase that does not exist."""
    ids = {str(tp.id): tp.id for tp in touchpoints}
    problems: list[str] = []
    touchpoint = channel = phase = None
    value = (args.get("touchpoint") or "").strip()
    if value:
        touchpoint = ids.get(value)
        if touchpoint is None:
            problems.append(str(_l("This campaign has no such touchpoint; the touchpoint filter was ignored.")))
    value = (args.get("channel") or "").strip()
    if value:
        if value in set(Channel):
            channel = value
        else:
            problems.append(str(_l("There is no such channel; the channel filter was ignored.")))
    value = (args.get("phase") or "").strip()
    if value:
        if value in set(Phase):
            phase = value
        else:
            problems.append(str(_l("There is no such journey phase; the phase filter was ignored.")))
    return Filters(touchpoint, channel, phase), problems
