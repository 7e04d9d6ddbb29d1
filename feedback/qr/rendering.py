"""QR images, pure: a URL and options in, PNG/SVG bytes out (segno for the symbol, Pillow for PNG pixels); print
sheets as PDF (reportlab, in sheet.py)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw, ImageFont

ERROR_CORRECTION = ("L", "M", "Q", "H")
MIN_BORDER = 4  # modules of quiet zone the standard requires
MIN_SIZE_MM, MAX_SIZE_MM = 10.0, 300.0
MIN_SIZE_PX, MAX_SIZE_PX = 64, 4000
MIN_DPI, MAX_DPI = 72, 1200
MIN_CONTRAST = 4.5  # WCAG AA; scanners need a clearly darker foreground
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
SVG_NS = "http://www.w3.org/2000/svg"


class RenderError(ValueError):
    """Options that would give an unreadable or absurd image; the message says which and why (translatable)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message


def qr_url(public_base_url: str, code: str) -> str:
    """The URL a symbol encodes: scheme and host upper-cased with the code, so the symbol uses alphanumeric mode.

    Scheme and host are case-insensitive; /T/ is served like /t/. A path in the base URL keeps its case.
    """
    scheme, _, rest = public_base_url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.upper()}://{host.upper()}{slash}{path}/T/{code.upper()}"


def _rgb(value: str) -> tuple[int, int, int]:
    """Parse #RGB or #RRGGBB."""
    if not _HEX.fullmatch(value):
        raise RenderError(_l("Colours must look like #1A2B3C."))
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two colours (1 … 21)."""
    fg, bg = _luminance(_rgb(foreground)), _luminance(_rgb(background))
    lighter, darker = max(fg, bg), min(fg, bg)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class QrOptions:
    """How a symbol is drawn. Exactly one of size_mm or size_px; size_mm is printed at `dpi`."""

    size_mm: float | None = None
    size_px: int | None = None
    dpi: int = 300
    error_correction: str = "M"
    foreground: str = "#000000"
    background: str = "#FFFFFF"
    border: int = MIN_BORDER
    caption: str | None = None

    def __post_init__(self) -> None:
        """Refuse options that give unreadable or giant images."""
        if self.error_correction not in ERROR_CORRECTION:
            raise RenderError(_l("Error correction must be one of L, M, Q, H."))
        if self.size_mm is not None and self.size_px is not None:
            raise RenderError(_l("Give the size in mm or in pixels, not both."))
        if self.size_mm is not None and not MIN_SIZE_MM <= self.size_mm <= MAX_SIZE_MM:
            raise RenderError(
                _l(
                    "The size must be between %(low)s and %(high)s mm.",
                    low=f"{MIN_SIZE_MM:g}",
                    high=f"{MAX_SIZE_MM:g}",
                )
            )
        if self.size_px is not None and not MIN_SIZE_PX <= self.size_px <= MAX_SIZE_PX:
            raise RenderError(
                _l("The size must be between %(low)s and %(high)s pixels.", low=MIN_SIZE_PX, high=MAX_SIZE_PX)
            )
        if not MIN_DPI <= self.dpi <= MAX_DPI:
            raise RenderError(_l("The resolution must be between %(low)s and %(high)s dpi.", low=MIN_DPI, high=MAX_DPI))
        if not MIN_BORDER <= self.border <= 20:
            raise RenderError(_l("The quiet zone must be %(low)s to 20 modules.", low=MIN_BORDER))
        if _luminance(_rgb(self.foreground)) >= _luminance(_rgb(self.background)):
            raise RenderError(_l("The foreground must be darker than the background, or phones cannot read the code."))
        if contrast_ratio(self.foreground, self.background) < MIN_CONTRAST:
            raise RenderError(
                _l(
                    "The colours have too little contrast; at least %(ratio)s:1 is needed.",
                    ratio=MIN_CONTRAST,
                )
            )
        if self.caption is not None and len(self.caption) > 60:
            raise RenderError(_l("The caption can have at most 60 characters."))

    @property
    def pixels(self) -> int:
        """Width of the symbol (with quiet zone) in pixels."""
        if self.size_px is not None:
            return self.size_px
        return round((self.size_mm or 40.0) / 25.4 * self.dpi)


def make_symbol(url: str, error_correction: str = "M") -> segno.QRCode:
    """Encode a URL in the smallest (non-micro) symbol version that fits, at exactly the chosen error correction."""
    return segno.make(url, error=error_correction.lower(), micro=False, boost_error=False)


def symbol_version(url: str, error_correction: str = "M") -> int:
    """The QR version (1 … 40) a URL needs."""
    return int(make_symbol(url, error_correction).version)


def module_rows(url: str, error_correction: str = "M", border: int = MIN_BORDER) -> list[bytes]:
    """The symbol with its quiet zone as rows of 0 (light) and 1 (dark)."""
    return [bytes(row) for row in make_symbol(url, error_correction).matrix_iter(scale=1, border=border)]


def _caption_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font, so rendering needs no system fonts."""
    return ImageFont.load_default(size=max(10, size))


def render_png(url: str, options: QrOptions) -> bytes:
    """A PNG of the symbol at the requested size (centred, whole pixels per module), with the caption under it when
    asked for. Without a caption it is a two-colour palette image: small files, fast to write."""
    rows = module_rows(url, options.error_correction, options.border)
    modules = len(rows)
    target = options.pixels
    box = max(1, target // modules)
    symbol = Image.frombytes("P", (modules, modules), b"".join(rows)).resize((modules * box,) * 2, Image.NEAREST)
    caption_height = round(target * 0.14) if options.caption else 0
    canvas = Image.new("P", (target, target + caption_height), 0)
    canvas.putpalette([*_rgb(options.background), *_rgb(options.foreground)])
    offset = (target - modules * box) // 2
    canvas.paste(symbol, (offset, offset))
    if options.caption:
        canvas = canvas.convert("RGB")  # anti-aliased text needs the colours in between
        draw = ImageDraw.Draw(canvas)
        font = _caption_font(round(target * 0.08))
        draw.text(
            (target / 2, target + caption_height * 0.1),
            options.caption,
            fill=options.foreground,
            font=font,
            anchor="ma",
        )
    out = io.BytesIO()
    canvas.save(out, format="PNG", dpi=(options.dpi, options.dpi))
    return out.getvalue()


def render_svg(url: str, options: QrOptions) -> str:
    """A vector SVG of the symbol (for print shops), sized in mm, with the caption under it when asked for.

    segno writes the modules (one stroked path, one unit per module); we give the picture its printed size, a
    background for the whole picture and the caption.
    """
    symbol = make_symbol(url, options.error_correction)
    out = io.BytesIO()
    symbol.save(
        out, kind="svg", border=options.border, dark=options.foreground, light=None, xmldecl=False, svgns=True,
        svgclass=None, lineclass=None, omitsize=True, nl=False,
    )  # fmt: skip
    svg = out.getvalue().decode()
    side = symbol.symbol_size(scale=1, border=options.border)[0]
    height = side * (1.14 if options.caption else 1)
    size_mm = options.size_mm if options.size_mm is not None else (options.size_px or 472) / options.dpi * 25.4
    opening, _, body = svg.partition(">")
    assert opening.startswith("<svg") and f'viewBox="0 0 {side} {side}"' in opening, opening
    head = (
        f'<svg xmlns="{SVG_NS}" width="{size_mm:g}mm" height="{size_mm * height / side:g}mm" '
        f'viewBox="0 0 {side:g} {height:g}"><rect width="100%" height="100%" fill="{options.background}"/>'
    )
    caption = ""
    if options.caption:
        caption = (
            f'<text x="{side / 2:g}" y="{side + (height - side) * 0.7:g}" text-anchor="middle" '
            f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{side * 0.08:.3f}" '
            f'fill="{options.foreground}">{escape(options.caption)}</text>'
        )
    return head + body.removesuffix("</svg>") + caption + "</svg>"
