"""The print kit of a campaign: one ZIP with every code as PNG and SVG, the A4 print sheet and a printing guide.

Files are named by touchpoint and label (`png/plakat-hauptbahnhof_eingang-nord_7K3QX9PM.png`), so a print shop
or a colleague can tell them apart without opening them; the code at the end keeps names unique.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import replace

from flask_babel import gettext as _
from slugify import slugify

from feedback.qr.codes import group
from feedback.qr.models import Code
from feedback.qr.personal import ZipSink
from feedback.qr.rendering import QrOptions, qr_url, render_png, render_svg
from feedback.touchpoints.models import Touchpoint


def file_stem(code: Code, touchpoint: Touchpoint) -> str:
    """touchpoint_label_CODE, each part made safe for every file system."""
    parts = (slugify(touchpoint.name, max_length=50), slugify(code.label or "", max_length=40), code.code)
    return "_".join(part for part in parts if part)


def printing_guide(campaign_name: str, options: QrOptions, count: int, base_url: str) -> str:
    """A short guide for whoever prints the codes, in the current language."""
    lines = [
        _("Printing the QR codes of “%(campaign)s”", campaign=campaign_name),
        "=" * 60,
        "",
        _(
            "This folder holds %(count)s codes: svg/ for print shops (vector, any size), png/ for office printers "
            "and documents (%(size)s mm at %(dpi)s dpi), and print-sheet.pdf to cut out.",
            count=count,
            size=f"{options.size_mm:g}" if options.size_mm else "?",
            dpi=options.dpi,
        ),  # fmt: skip
        "",
        _("Size for the scanning distance"),
        "-" * 60,
        _("Make the symbol at least a tenth of the distance it is scanned from, and never smaller than 2 cm:"),
        _("  flyer, packaging, table stand (20-30 cm away): 2-3 cm"),
        _("  poster at eye level (1-2 m away): 10-20 cm"),
        _("  poster across a platform or a trade-fair wall (3-5 m away): 30-50 cm"),
        "",
        _("Quiet zone"),
        "-" * 60,
        _(
            "Keep the white margin around the symbol (4 modules wide, already in the files): do not crop it, and do "
            "not print text, frames or pictures into it."
        ),
        "",
        _("Contrast"),
        "-" * 60,
        _(
            "Dark modules on a light background (no inverted colours), matt rather than glossy, no transparency. "
            "Coloured codes need strong contrast: dark blue on white works, red on orange does not."
        ),
        "",
        _("Before the print run"),
        "-" * 60,
        _(
            "Print one proof at the final size and scan it with two phones (iPhone camera and an Android phone) from "
            "the real distance. Every code leads to %(base)s/t/<code>; the typed code under each symbol lets "
            "people without a camera app enter it at %(base)s/t.",
            base=base_url,
        ),  # fmt: skip
        "",
        _("After printing"),
        "-" * 60,
        _(
            "Each code's page in the dashboard shows how people arrive: by scanning the symbol or by typing the "
            "address or the code. If fewer than %(share)s of the visits through a print arrive by scanning, the "
            "print is hard to scan: make the code larger, give it more contrast, or place it where a phone can reach "
            "it.",
            share="70 %",
        ),
        "",
    ]
    return "\n".join(lines)


def campaign_zip(
    campaign_name: str,
    codes: list[tuple[Code, Touchpoint]],
    base_url: str,
    options: QrOptions,
    sheet_pdf: bytes,
) -> Iterator[bytes]:
    """The ZIP, streamed as it is built (first bytes at once, memory flat for large campaigns)."""
    sink = ZipSink()
    with zipfile.ZipFile(sink, "w") as archive:
        guide = printing_guide(campaign_name, options, len(codes), base_url)
        archive.writestr(_("PRINTING-GUIDE.txt"), guide.encode("utf-8"), zipfile.ZIP_DEFLATED)
        archive.writestr("print-sheet.pdf", sheet_pdf, zipfile.ZIP_DEFLATED)
        yield sink.take()
        for code, touchpoint in codes:
            url = qr_url(base_url, code.code)
            captioned = replace(options, caption=group(code.code) if options.caption else None)
            stem = file_stem(code, touchpoint)
            archive.writestr(f"png/{stem}.png", render_png(url, captioned), zipfile.ZIP_STORED)
            archive.writestr(f"svg/{stem}.svg", render_svg(url, captioned), zipfile.ZIP_DEFLATED)
            yield sink.take()
    yield sink.take()
