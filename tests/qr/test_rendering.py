"""QR images decode, with an independent decoder, to exactly the printed URL; bad options are refused."""

from __future__ import annotations

import io

import pytest
import resvg_py
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from feedback.qr.rendering import QrOptions, RenderError, contrast_ratio, qr_url, render_png, render_svg, symbol_version
from feedback.qr.sheet import SheetItem, print_sheet

URL = qr_url("https://fb.example.com", "7K3QX9PM")


def decode(image: Image.Image) -> list[str]:
    """Decode every QR symbol in an image with zxing-cpp."""
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_encoded_url_is_upper_case_for_alphanumeric_mode() -> None:
    assert URL == "HTTPS://FB.EXAMPLE.COM/T/7K3QX9PM"
    assert qr_url("https://example.com/fb", "abcd1234") == "HTTPS://EXAMPLE.COM/fb/T/ABCD1234"


@pytest.mark.parametrize(
    "base", ["https://a.de", "https://fb.example.com", "https://fb.nordlicht.de", "https://x" + "y" * 12 + ".de"]
)
def test_a_base_url_up_to_24_characters_gives_at_most_version_3_at_level_m(base: str) -> None:
    assert len(base) <= 24
    assert symbol_version(qr_url(base, "7K3QX9PM"), "M") <= 3


@pytest.mark.parametrize("ec", ["L", "M", "Q", "H"])
def test_png_decodes_to_the_url_at_every_error_correction_level(ec: str) -> None:
    png = render_png(URL, QrOptions(size_mm=30, error_correction=ec))
    assert decode(Image.open(io.BytesIO(png))) == [URL]


def test_png_has_the_printed_size_at_300_dpi_and_a_quiet_zone() -> None:
    image = Image.open(io.BytesIO(render_png(URL, QrOptions(size_mm=40)))).convert("RGB")
    assert image.size == (472, 472)  # 40 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    width = image.width
    quiet = round(width / (25 + 8) * 4) - 2  # version 2 has 25 modules, plus 2 × 4 of quiet zone
    assert all(image.getpixel((x, width // 2)) == (255, 255, 255) for x in range(quiet))


def test_png_with_caption_and_colours_still_decodes() -> None:
    png = render_png(URL, QrOptions(size_px=600, foreground="#0B3D74", background="#FFFDF0", caption="7K3Q-X9PM"))
    image = Image.open(io.BytesIO(png))
    assert image.width == 600 and image.height > 600
    assert decode(image) == [URL]


def test_svg_is_vector_sized_in_mm_and_decodes_after_rasterising() -> None:
    svg = render_svg(URL, QrOptions(size_mm=50, caption="7K3Q-X9PM"))
    assert svg.startswith("<svg") and 'width="50mm"' in svg and "<image" not in svg
    raster = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=300))))
    assert decode(raster) == [URL]
    assert "7K3Q-X9PM" in svg


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size_mm": 5}, "between 10 and 300 mm"),
        ({"size_mm": 1000}, "between 10 and 300 mm"),
        ({"size_px": 100_000}, "between 64 and 4000 pixels"),
        ({"size_mm": 40, "size_px": 400}, "not both"),
        ({"error_correction": "X"}, "L, M, Q, H"),
        ({"foreground": "#FFFFFF", "background": "#000000"}, "darker than the background"),
        ({"foreground": "#BBBBBB", "background": "#FFFFFF"}, "too little contrast"),
        ({"foreground": "red"}, "#1A2B3C"),
        ({"foreground": "#12345G"}, "#1A2B3C"),
        ({"border": 2}, "quiet zone"),
        ({"dpi": 10_000}, "resolution"),
        ({"caption": "x" * 61}, "at most 60"),
    ],
)
def test_unreadable_or_giant_images_are_refused_with_the_reason(options: dict, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        QrOptions(**options)


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_print_sheet_is_an_a4_pdf_with_every_code_labelled() -> None:
    items = [
        SheetItem(
            qr_url("https://fb.example.com", f"AAAA{n:04d}"),
            f"fb.example.com/t/AAAA{n:04d}",
            f"AAAA-{n:04d}",
            f"Plakat Nr. {n} – Größe A1",
            "Variante B",
        )
        for n in range(14)
    ]
    pdf = PdfReader(io.BytesIO(print_sheet("Frühjahr – QR-Codes", items)))
    assert len(pdf.pages) == 2
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "AAAA-0013" in text and "Plakat Nr. 13 – Größe A1" in text and "Variante B" in text
