"""Personalised codes for mailings: one code per recipient reference, a mail-merge CSV and a ZIP of images.

Answers through such a code carry the recipient's reference (through the code), so a CRM can tie them back to its
record. That makes them personal data: the touchpoint is marked "not anonymous" and the respondent page says so.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from slugify import slugify

from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.exports import PLAIN, CsvDialect, csv_stream
from feedback.extensions import db
from feedback.qr.codes import CODE_LENGTH, InvalidCode, generate_code, group, normalise_code
from feedback.qr.models import REFERENCE_LENGTH, Code, CodeBatch, Scan, ScanOutcome
from feedback.qr.rendering import QrOptions, qr_url, render_png, render_svg
from feedback.qr.services import create_code
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Touchpoint

#: One mailing batch holds at most this many codes (split larger mailings into several batches).
MAX_BATCH = 10_000
MAX_BATCH_NAME = 80
#: Header cells that name the reference column of an uploaded CSV (case does not matter).
REFERENCE_HEADERS = frozenset({"reference", "referenz", "ref"})
#: Columns of the mail-merge CSV: a contract with mail houses and scripts, so only ever append.
MAILMERGE_COLUMNS = ["reference", "code", "code_display", "url"]
#: Errors listed at most per upload; the rest are summarised.
SHOWN_ERRORS = 5
_CHUNK = 500


class BatchError(DomainError):
    """An upload or request for personalised codes that cannot be carried out; nothing was created."""

    status = 422
    message = _l("The personalised codes could not be created.")


@dataclass(frozen=True)
class BatchStats:
    """How a mailing did: codes scanned at least once and completed responses (bots and flagged excluded)."""

    scanned_codes: int
    scans: int
    responses: int


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, as German Excel saves "CSV (Trennzeichen-getrennt)", Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(text: str) -> list[list[str]]:
    """CSV rows with the delimiter guessed among comma, semicolon and tab (one column needs none)."""
    sample = text[:10_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def parse_references(data: bytes) -> list[str]:
    """The recipient references of an uploaded CSV, in file order.

    A header cell "reference" (or "Referenz", "ref") picks its column; without one, the first column of every row is
    the reference. Empty rows are skipped.

    :raises BatchError: no references, too many, too long, control characters or duplicates (with line numbers).
    """
    rows = _rows(_decode(data))
    column, first = 0, 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for index, cell in enumerate(header):
            if cell in REFERENCE_HEADERS:
                column, first = index, 1
                break
    references: list[str] = []
    lines: list[int] = []
    for line, row in enumerate(rows[first:], start=first + 1):
        value = row[column].strip() if column < len(row) else ""
        if value or any(cell.strip() for cell in row):
            references.append(value)
            lines.append(line)
    return check_references(references, lines)


def check_references(references: list[str], lines: list[int] | None = None) -> list[str]:
    """The references stripped, or BatchError naming what is wrong (by line of the file, or position in a list)."""
    where = lines or list(range(1, len(references) + 1))
    if not references:
        raise BatchError(_("The file contains no references. Put one recipient reference per line."))
    if len(references) > MAX_BATCH:
        raise BatchError(
            _(
                "%(count)s references are more than %(max)s per batch. Split the mailing into several batches.",
                count=f"{len(references):,}",
                max=f"{MAX_BATCH:,}",
            )
        )
    problems: list[str] = []
    seen: dict[str, int] = {}
    cleaned = []
    for line, raw in zip(where, references, strict=True):
        value = raw.strip()
        cleaned.append(value)
        if not value:
            problems.append(_("Line %(line)s: the reference is empty.", line=line))
        elif len(value) > REFERENCE_LENGTH:
            problems.append(_("Line %(line)s: longer than %(max)s characters.", line=line, max=REFERENCE_LENGTH))
        elif not value.isprintable():
            problems.append(_("Line %(line)s: contains control characters.", line=line))
        elif value in seen:
            problems.append(
                _(
                    "Line %(line)s: “%(ref)s” already appears in line %(first)s.",
                    line=line,
                    ref=value[:40],
                    first=seen[value],
                )
            )
        else:
            seen[value] = line
    if problems:
        raise BatchError(_summary(problems))
    return cleaned


def _summary(problems: list[str]) -> str:
    shown = " ".join(problems[:SHOWN_ERRORS])
    if len(problems) > SHOWN_ERRORS:
        shown += " " + _("… and %(n)s more.", n=len(problems) - SHOWN_ERRORS)
    return _("Nothing was created. %(problems)s", problems=shown)


def _existing_references(touchpoint: Touchpoint, references: Iterable[str]) -> list[str]:
    """Those of `references` that already name a code of the touchpoint."""
    wanted = list(references)
    taken: list[str] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        taken += db.session.scalars(
            owned(
                Code, touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id, Code.reference.in_(chunk)
            ).with_only_columns(Code.reference)
        ).all()
    return taken


def serial_references(touchpoint: Touchpoint, count: int) -> list[str]:
    """`count` references numbered on from the touchpoint's existing ones: 00001, 00002, … (for a mail house that
    matches codes to its own list by row number)."""
    if not 1 <= count <= MAX_BATCH:
        raise BatchError(_("Give a number of codes between 1 and %(max)s.", max=f"{MAX_BATCH:,}"))
    taken = set(
        db.session.scalars(
            owned(
                Code, touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id, Code.reference.is_not(None)
            ).with_only_columns(Code.reference)
        )
    )
    references: list[str] = []
    number = len(taken)
    while len(references) < count:
        number += 1
        candidate = f"{number:05d}"
        if candidate not in taken:
            references.append(candidate)
    return references


def _fresh_tokens(count: int) -> list[str]:
    """`count` new code tokens, unique among themselves and against every code ever issued."""
    tokens: set[str] = set()
    while len(tokens) < count:
        wanted = {generate_code(CODE_LENGTH) for _ in range(count - len(tokens))} - tokens
        for chunk in _chunks(sorted(wanted)):
            wanted -= set(db.session.scalars(sa.select(Code.code).where(Code.code.in_(chunk))))
        tokens |= wanted
    return list(tokens)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def create_batch(touchpoint: Touchpoint, name: str, references: list[str]) -> CodeBatch:
    """One personal code per reference for the touchpoint, in one batch; the caller commits.

    :raises BatchError: references invalid (see check_references) or already used on this touchpoint.
    """
    references = check_references(references)
    taken = _existing_references(touchpoint, references)
    if taken:
        problems = [_("“%(ref)s” already has a code on this touchpoint.", ref=ref[:40]) for ref in taken]
        raise BatchError(_summary(problems))
    name = name.strip()[:MAX_BATCH_NAME] or _("Mailing of %(day)s", day=utcnow().date().isoformat())
    now = utcnow()
    batch = CodeBatch(
        workspace_id=touchpoint.workspace_id,
        touchpoint_id=touchpoint.id,
        name=name,
        size=len(references),
        created_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    _ensure_shared_code(touchpoint)
    tokens = _fresh_tokens(len(references))
    db.session.execute(
        sa.insert(Code),
        [
            {
                "workspace_id": touchpoint.workspace_id,
                "touchpoint_id": touchpoint.id,
                "code": token,
                "label": "",
                "created_at": now,
                "batch_id": batch.id,
                "reference": reference,
            }
            for token, reference in zip(tokens, references, strict=True)
        ],
    )
    return batch


def add_to_batch(touchpoint: Touchpoint, batch: CodeBatch | None, name: str, reference: str, now: datetime) -> Code:
    """One more personal code for `reference` on the touchpoint, in `batch` (a new batch called `name` when None):
    for mailings written one recipient at a time (nurture mails). The reference's existing code when it has one.
    The caller commits.

    :raises BatchError: the reference is empty, too long or holds control characters.
    """
    (reference,) = check_references([reference])
    existing = db.session.scalar(
        owned(Code, touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id, Code.reference == reference)
    )
    if existing is not None:
        return existing
    if batch is None:
        batch = CodeBatch(
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            name=name.strip()[:MAX_BATCH_NAME],
            size=0,
            created_at=now,
        )
        db.session.add(batch)
        db.session.flush()
        _ensure_shared_code(touchpoint)
    code = Code(
        workspace_id=touchpoint.workspace_id,
        touchpoint_id=touchpoint.id,
        code=_fresh_tokens(1)[0],
        label="",
        created_at=now,
        batch_id=batch.id,
        reference=reference,
    )
    db.session.add(code)
    batch.size += 1
    db.session.flush()
    return code


def issue_batch(touchpoint: Touchpoint, name: str, references: list[str] | None, count: int | None) -> CodeBatch:
    """A mailing batch from either the recipients' references or a count of numbered codes; the caller commits.

    :raises BatchError: both or neither were given, or create_batch refuses the references.
    """
    if (references is None) == (count is None):
        raise BatchError("Give either references or count.")
    return create_batch(touchpoint, name, references or serial_references(touchpoint, count or 0))


def _ensure_shared_code(touchpoint: Touchpoint) -> None:
    """Friends invited by a mailing's recipients answer through a shared code, never a recipient's personal one, so
    a touchpoint with personal codes keeps at least one shared code (invite links lead to it)."""
    shared = owned(Code, touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id, Code.batch_id.is_(None))
    if db.session.scalar(shared.with_only_columns(Code.id).limit(1)) is None:
        create_code(touchpoint, _("Invited friends"))


def get_batch(workspace_id: int, batch_id: int) -> CodeBatch:
    """One batch of the workspace or NotFound."""
    return get_owned(CodeBatch, workspace_id, batch_id)


def batches_of(touchpoint: Touchpoint) -> list[CodeBatch]:
    """The touchpoint's mailing batches, newest first."""
    return list(
        db.session.scalars(
            owned(CodeBatch, touchpoint.workspace_id, CodeBatch.touchpoint_id == touchpoint.id).order_by(
                CodeBatch.id.desc()
            )
        )
    )


def personalised_touchpoints(workspace_id: int, touchpoint_ids: Iterable[int]) -> set[int]:
    """Which of the touchpoints have personal codes (one query)."""
    ids = list(touchpoint_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            owned(CodeBatch, workspace_id, CodeBatch.touchpoint_id.in_(ids))
            .with_only_columns(CodeBatch.touchpoint_id)
            .distinct()
        )
    )


def batch_stats(touchpoint: Touchpoint) -> dict[int, BatchStats]:
    """Per batch of the touchpoint: codes scanned, scans and completed responses (GROUP BY in the database)."""
    from feedback.surveys.models import Response

    counted = sa.and_(Scan.is_bot.is_(False), Scan.outcome == ScanOutcome.OK.value)
    scans = dict(
        (batch_id, (codes, n))
        for batch_id, codes, n in db.session.execute(
            sa.select(Code.batch_id, sa.func.count(sa.distinct(Scan.code_id)), sa.func.count())
            .join(Scan, Scan.code_id == Code.id)
            .where(Code.workspace_id == touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id)
            .where(Code.batch_id.is_not(None), Scan.workspace_id == touchpoint.workspace_id, counted)
            .group_by(Code.batch_id)
        )
    )
    responses = dict(
        db.session.execute(
            sa.select(Code.batch_id, sa.func.count())
            .join(Response, Response.code_id == Code.id)
            .where(Code.workspace_id == touchpoint.workspace_id, Code.touchpoint_id == touchpoint.id)
            .where(Code.batch_id.is_not(None), Response.workspace_id == touchpoint.workspace_id)
            .where(Response.completed_at.is_not(None), Response.flagged.is_(False))
            .group_by(Code.batch_id)
        ).all()
    )
    ids = set(scans) | set(responses)
    return {i: BatchStats(scans.get(i, (0, 0))[0], scans.get(i, (0, 0))[1], responses.get(i, 0)) for i in ids}


def batch_codes(batch: CodeBatch) -> Iterator[Code]:
    """The batch's codes in the order of the uploaded references."""
    return iter(
        db.session.scalars(
            owned(Code, batch.workspace_id, Code.batch_id == batch.id)
            .order_by(Code.id)
            .execution_options(yield_per=1000)
        )
    )


PAGE_SIZE = 100


def batch_page(batch: CodeBatch, search: str, page: int) -> tuple[list[Code], bool]:
    """One page of the batch's codes, optionally those whose reference contains `search` or whose code it is; and
    whether another page follows."""
    query = owned(Code, batch.workspace_id, Code.batch_id == batch.id)
    if search:
        try:
            token = normalise_code(search)
        except InvalidCode:
            token = None
        matches = sa.func.lower(Code.reference).contains(search.lower(), autoescape=True)
        query = query.where(sa.or_(matches, Code.code == token) if token else matches)
    rows = list(db.session.scalars(query.order_by(Code.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def code_activity(batch: CodeBatch, code_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per code: scans by people and completed responses."""
    from feedback.surveys.models import Response

    if not code_ids:
        return {}
    counted = sa.and_(Scan.is_bot.is_(False), Scan.outcome == ScanOutcome.OK.value)
    scans = dict(
        db.session.execute(
            sa.select(Scan.code_id, sa.func.count())
            .where(Scan.workspace_id == batch.workspace_id, Scan.code_id.in_(code_ids), counted)
            .group_by(Scan.code_id)
        ).all()
    )
    answered = dict(
        db.session.execute(
            sa.select(Response.code_id, sa.func.count())
            .where(Response.workspace_id == batch.workspace_id, Response.code_id.in_(code_ids))
            .where(Response.completed_at.is_not(None), Response.flagged.is_(False))
            .group_by(Response.code_id)
        ).all()
    )
    return {i: (scans.get(i, 0), answered.get(i, 0)) for i in code_ids}


def mailmerge_rows(batch: CodeBatch, public_base_url: str) -> Iterator[list[object]]:
    """reference, code, code as printed (ABCD-1234), URL the QR symbol encodes; one row per recipient."""
    for code in batch_codes(batch):
        yield [code.reference, code.code, group(code.code), qr_url(public_base_url, code.code)]


def mailmerge_csv(batch: CodeBatch, public_base_url: str, dialect: CsvDialect = PLAIN) -> Iterator[str]:
    """The mail-merge file (UTF-8 with BOM, formula-safe), streamed; plain in the ZIP, as InDesign's data merge
    reads only commas."""
    return csv_stream(MAILMERGE_COLUMNS, mailmerge_rows(batch, public_base_url), dialect)


def file_stem(batch: CodeBatch) -> str:
    """A download name that says which touchpoint and mailing the files belong to."""
    parts = [slugify(batch.touchpoint.name, max_length=40), slugify(batch.name, max_length=40), f"batch-{batch.id}"]
    return "-".join(p for p in parts if p)


class ZipSink(io.RawIOBase):
    """A write-only sink that hands out what was written so far; zipfile writes to it as to an unseekable file."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def batch_zip(batch: CodeBatch, public_base_url: str, formats: tuple[str, ...], options: QrOptions) -> Iterator[bytes]:
    """A ZIP of every code's image (PNG and/or SVG, named reference_code) plus the mail-merge CSV, streamed as it is
    built so the first bytes leave at once and memory stays flat."""
    sink = ZipSink()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr("mailmerge.csv", "".join(mailmerge_csv(batch, public_base_url)), zipfile.ZIP_DEFLATED)
        yield sink.take()
        for code in batch_codes(batch):
            url = qr_url(public_base_url, code.code)
            stem = "_".join(p for p in (slugify(code.reference or "", lowercase=False, max_length=60), code.code) if p)
            captioned = replace(options, caption=group(code.code) if options.caption else None)
            if "png" in formats:
                archive.writestr(f"png/{stem}.png", render_png(url, captioned), zipfile.ZIP_STORED)
            if "svg" in formats:
                archive.writestr(f"svg/{stem}.svg", render_svg(url, captioned), zipfile.ZIP_DEFLATED)
            yield sink.take()
    yield sink.take()
