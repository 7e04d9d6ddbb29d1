"""`feedback codes` and `feedback qr` for operators and print shops."""

from __future__ import annotations

import csv
import io
import json

import zxingcpp
from PIL import Image

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services
from feedback.qr.models import Scan


def _scan(code, visitor: str, bot: bool = False) -> None:  # noqa: ANN001
    db.session.add(
        Scan(
            workspace_id=code.workspace_id,
            touchpoint_id=code.touchpoint_id,
            code_id=code.id,
            scanned_at=utcnow(),
            visitor_key=visitor.ljust(32, "0"),
            device_class="bot" if bot else "mobile",
            is_bot=bot,
        )
    )


def test_codes_lists_every_code_with_scans_and_unique_visitors_as_csv(runner, make_touchpoint) -> None:
    touchpoint = make_touchpoint(name="Plakat Hbf")
    first, second = services.create_code(touchpoint, "Gleis 1"), services.create_code(touchpoint, "Gleis 2")
    db.session.commit()
    for visitor in ("a", "a", "b"):
        _scan(first, visitor)
    _scan(first, "c", bot=True)
    db.session.commit()
    result = runner.invoke(args=["codes"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == [
        "workspace",
        "campaign",
        "touchpoint",
        "label",
        "code",
        "url",
        "state",
        "scans",
        "unique_visitors",
        "scanned_symbol",
        "typed_url",
        "typed_code",
        "scan_share",
        "scan_share_low",
        "scan_share_high",
    ]
    by_code = {row["code"]: row for row in rows}
    assert by_code[first.code]["scans"] == "3" and by_code[first.code]["unique_visitors"] == "2"
    assert by_code[second.code]["scans"] == "0" and by_code[second.code]["state"] == "active"
    assert by_code[first.code]["url"] == f"https://fb.example/t/{first.code}"
    assert by_code[first.code]["label"] == "Gleis 1" and by_code[first.code]["touchpoint"] == "Plakat Hbf"


def test_codes_filters_by_campaign_and_prints_json(runner, make_touchpoint) -> None:
    mine, other = make_touchpoint(), make_touchpoint()
    code = services.create_code(mine)
    services.create_code(other)
    db.session.commit()
    result = runner.invoke(args=["codes", "--campaign", mine.campaign.slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [row["code"] for row in data] == [code.code]
    assert runner.invoke(args=["codes", "--campaign", "no-such-campaign"]).exit_code != 0


def test_qr_renders_a_decodable_png_and_svg(runner, make_touchpoint, tmp_path) -> None:
    code = services.create_code(make_touchpoint())
    db.session.commit()
    png = tmp_path / "code.png"
    result = runner.invoke(args=["qr", code.code.lower(), "--size-mm", "30", "-o", str(png)])
    assert result.exit_code == 0, result.output
    image = Image.open(png)
    assert image.width == 354  # 30 mm at 300 dpi
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"HTTPS://FB.EXAMPLE/T/{code.code}"]
    svg = tmp_path / "code.svg"
    assert runner.invoke(args=["qr", code.code, "--format", "svg", "-o", str(svg)]).exit_code == 0
    assert svg.read_text().startswith("<svg")


def test_qr_refuses_unknown_codes_and_absurd_sizes(runner, make_touchpoint, tmp_path) -> None:
    code = services.create_code(make_touchpoint())
    db.session.commit()
    assert "no code" in runner.invoke(args=["qr", "ZZZZ9999", "-o", str(tmp_path / "x.png")]).output
    assert "not a code" in runner.invoke(args=["qr", "hello", "-o", str(tmp_path / "x.png")]).output
    result = runner.invoke(args=["qr", code.code, "--size-mm", "5000", "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0 and "between 10 and 300 mm" in result.output
    assert not (tmp_path / "x.png").exists()
