"""The marketer's edits of a campaign's themes (renamed, hidden, merged), stored in `theme_edit` and read as the
`Edits` that themes.py applies before counting. One edit per theme key: a new edit of a key replaces its old one."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from feedback.analysis.comments import CommentFilters, theme_comments
from feedback.analysis.models import ThemeEdit
from feedback.analysis.themes import MIN_ANSWERS, Edits, Theme, themes
from feedback.errors import DomainError
from feedback.extensions import db
from feedback.tenancy import owned
from feedback.touchpoints.models import Campaign

#: The longest name a theme can be given.
MAX_NAME = 60


class ThemeEditRefused(DomainError):
    """An edit of a theme that the rules refuse; nothing was changed."""

    status = 400
    message = _l("The theme could not be changed.")


class UnknownTheme(ThemeEditRefused):
    message = _l("There is no such theme in these answers; nothing was changed.")


class InvalidThemeName(ThemeEditRefused):
    message = _l("Please give the theme a name of 1 to 60 characters; nothing was changed.")


class MergeIntoItself(ThemeEditRefused):
    message = _l("A theme cannot be merged into itself; nothing was changed.")


def _rows(campaign: Campaign) -> list[ThemeEdit]:
    query = owned(ThemeEdit, campaign.workspace_id, ThemeEdit.campaign_id == campaign.id).order_by(ThemeEdit.key)
    return list(db.session.scalars(query))


def _resolved(merged: dict[str, str], key: str) -> str:
    """The theme a key ends up in, following merges (a chain never loops: merging into oneself is refused)."""
    seen = {key}
    while key in merged and merged[key] not in seen:
        key = merged[key]
        seen.add(key)
    return key


def campaign_edits(campaign: Campaign) -> Edits:
    """The campaign's edits as themes.py applies them, merges resolved to their final theme."""
    rows = _rows(campaign)
    merged = {r.key: r.value for r in rows if r.action == "merge"}
    return Edits(
        names={r.key: r.value for r in rows if r.action == "rename"},
        hidden=frozenset(r.key for r in rows if r.action == "hide"),
        merged={key: _resolved(merged, key) for key in merged},
    )


def undoable_edits(campaign: Campaign) -> list[ThemeEdit]:
    """The hidden and merged themes of the campaign (what the page offers to undo), by key."""
    return [r for r in _rows(campaign) if r.action in ("hide", "merge")]


def _save(campaign: Campaign, key: str, action: str, value: str, user_id: int | None, now: datetime) -> ThemeEdit:
    edit = db.session.scalar(owned(ThemeEdit, campaign.workspace_id, ThemeEdit.campaign_id == campaign.id,
                                   ThemeEdit.key == key))  # fmt: skip
    if edit is None:
        edit = ThemeEdit(workspace_id=campaign.workspace_id, campaign_id=campaign.id, key=key)
        db.session.add(edit)
    edit.action, edit.value, edit.changed_at, edit.changed_by_id = action, value, now, user_id
    db.session.flush()
    return edit


def _known(key: str, known: Collection[str]) -> str:
    if key not in known:
        raise UnknownTheme()
    return key


def rename_theme(campaign: Campaign, key: str, name: str, known: Collection[str], user_id: int | None,
                 now: datetime) -> ThemeEdit:  # fmt: skip
    """Give a theme a new name.

    :param known: the keys of the themes shown, the only ones that can be edited.
    :param name: the new name, stripped; 1 to MAX_NAME characters.
    """
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidThemeName()
    return _save(campaign, _known(key, known), "rename", name, user_id, now)


def hide_theme(campaign: Campaign, key: str, known: Collection[str], user_id: int | None, now: datetime) -> (
    ThemeEdit
):
    """Hide a theme from the list (its answers stay in every other count)."""
    return _save(campaign, _known(key, known), "hide", "", user_id, now)


def merge_theme(campaign: Campaign, key: str, into: str, known: Collection[str], user_id: int | None,
                now: datetime) -> ThemeEdit:  # fmt: skip
    """Merge a theme into another one of the same campaign; a target that is itself merged resolves to its target,
    so no chains are stored.

    :param into: the key of the theme that takes the answers; not the theme itself.
    """
    _known(key, known)
    target = _resolved(dict(campaign_edits(campaign).merged), _known(into, known))
    if target == key:
        raise MergeIntoItself()
    return _save(campaign, key, "merge", target, user_id, now)


def undo_edit(campaign: Campaign, key: str) -> None:
    """Undo the edit of a theme (delete its row); an unknown key is refused."""
    edit = db.session.scalar(owned(ThemeEdit, campaign.workspace_id, ThemeEdit.campaign_id == campaign.id,
                                   ThemeEdit.key == key))  # fmt: skip
    if edit is None:
        raise UnknownTheme()
    db.session.delete(edit)
    db.session.flush()


@dataclass(frozen=True)
class CampaignThemes:
    """The themes of the answers passing the filters, how many answers they were found in, and whether the
    answers were cut to the newest MAX_THEME_ANSWERS."""

    themes: list[Theme]
    answers: int
    capped: bool

    @property
    def keys(self) -> frozenset[str]:
        """The keys of the themes shown (the ones that can be edited or merged into)."""
        return frozenset(t.key for t in self.themes)


def campaign_themes(campaign: Campaign, filters: CommentFilters) -> CampaignThemes:
    """The themes of the campaign's open-text answers passing the filters, with the marketer's edits applied; fewer
    than MIN_ANSWERS answers have none."""
    found, capped = theme_comments(campaign, filters)
    listed = themes(found, campaign_edits(campaign)) if len(found) >= MIN_ANSWERS else []
    return CampaignThemes(listed, len(found), capped)
