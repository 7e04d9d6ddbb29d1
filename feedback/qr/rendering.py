"""QR images, pure: a URL and options in, PNG/SVG bytes out (qrcode + Pillow); print sheets as PDF (reportlab)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageDraw, ImageFont

ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
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
    if not _HEX.match(value):
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


def make_symbol(url: str, error_correction: str = "M", border: int = MIN_BORDER) -> qrcode.QRCode:
    """Encode a URL in the smallest symbol version that fits."""
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECTION[error_correction], border=border, box_size=1)
    symbol.add_data(url)
    symbol.make(fit=True)
    return symbol


def symbol_version(url: str, error_correction: str = "M") -> int:
    """The QR version (1 … 40) a URL needs."""
    return make_symbol(url, error_correction).version


def _caption_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font, so rendering needs no system fonts."""
    return ImageFont.load_default(size=max(10, size))


def render_png(url: str, options: QrOptions) -> bytes:
    """A PNG of the symbol at the requested size, with the caption under it when asked for."""
    symbol = make_symbol(url, options.error_correction, options.border)
    modules = symbol.modules_count + 2 * options.border
    target = options.pixels
    box = max(1, target // modules)
    symbol.box_size = box
    image = symbol.make_image(fill_color=options.foreground, back_color=options.background).get_image()
    image = image.convert("RGB")
    caption_height = round(target * 0.14) if options.caption else 0
    canvas = Image.new("RGB", (target, target + caption_height), options.background)
    offset = (target - image.width) // 2
    canvas.paste(image, (offset, offset))
    if options.caption:
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
    """A vector SVG of the symbol (for print shops), sized in mm, with the caption under it when asked for."""
    symbol = make_symbol(url, options.error_correction, options.border)
    symbol.box_size = 10  # qrcode's SVG unit is box_size / 10 mm per module
    symbol.image_factory = qrcode.image.svg.SvgPathImage
    root = ET.fromstring(symbol.make_image().to_string(encoding="unicode"))
    side = float(root.get("viewBox", "0 0 1 1").split()[2])  # the symbol's own units
    height = side * (1.14 if options.caption else 1)
    size_mm = options.size_mm if options.size_mm is not None else (options.size_px or 472) / options.dpi * 25.4
    root.set("width", f"{size_mm:g}mm")
    root.set("height", f"{size_mm * height / side:g}mm")
    root.set("viewBox", f"0 0 {side:g} {height:g}")
    root.insert(0, ET.Element(f"{{{SVG_NS}}}rect", {"width": "100%", "height": "100%", "fill": options.background}))
    for path in root.iter(f"{{{SVG_NS}}}path"):
        path.set("fill", options.foreground)
        path.attrib.pop("id", None)
    if options.caption:
        text = ET.SubElement(
            root,
            f"{{{SVG_NS}}}text",
            {
                "x": f"{side / 2:g}",
                "y": f"{side + (height - side) * 0.7:g}",
                "text-anchor": "middle",
                "font-family": "DejaVu Sans Mono, Menlo, Consolas, monospace",
                "font-size": f"{side * 0.08:.3f}",
                "fill": options.foreground,
            },
        )
        text.text = options.caption
    ET.register_namespace("", SVG_NS)  # plain <svg>, not <svg:svg>; qrcode registers the prefixed form
    return ET.tostring(root, encoding="unicode")
