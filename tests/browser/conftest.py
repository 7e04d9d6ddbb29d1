"""Browser fixtures: a live server on loopback and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts"
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
#: Headless Chromium says "HeadlessChrome", which crawler lists (rightly) flag as a bot; people's browsers don't.
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "user_agent": PHONE_UA,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "user_agent": DESKTOP_UA}
#: Another person's phone: all browsers here share one network (127.0.0.1), so another person needs another device
#: for the repeat rules (same network + same device within the window = the same person).
FRIEND_PHONE = {**PHONE, "user_agent": PHONE_UA.replace("Pixel 8", "SM-S911B").replace("Chrome/126.0", "Chrome/125.0")}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium; skipped where it is not installed unless FEEDBACK_REQUIRE_BROWSER=1 (CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("FEEDBACK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; install it with: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_config() -> dict[str, object]:
    """Extra settings for the live server's app (tests override this fixture)."""
    return {}


@pytest.fixture
def live_server(make_app, live_config: dict[str, object]) -> Iterator[str]:
    """The app served on a free loopback port in a background thread; yields its base URL."""
    app = make_app(**live_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def screenshot():  # noqa: ANN201
    """Save a full-page screenshot under tests/_artifacts/ for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:  # noqa: ANN001
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def guide_shot(target, name: str, clip_to: object | None = None, full_page: bool = True) -> None:  # noqa: ANN001
    """Photograph a page or one element of it (a locator) for tests/_artifacts/ and, with
    FEEDBACK_GUIDE_SCREENSHOTS=1, for the user guide (docs/img/NAME.png); `clip_to` (a locator) cuts a long page off
    below that element."""
    options: dict[str, object] = {}
    if hasattr(target, "bounding_box"):  # an element: just its box
        pass
    elif clip_to is not None:
        box = clip_to.bounding_box()
        top = target.evaluate("window.scrollY")
        width = target.viewport_size["width"]
        options = {
            "full_page": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": box["y"] + top + box["height"] + 16},
        }
    else:
        options = {"full_page": full_page}
    ARTIFACTS.mkdir(exist_ok=True)
    target.screenshot(path=str(ARTIFACTS / f"guide-{name}.png"), **options)
    if os.environ.get("FEEDBACK_GUIDE_SCREENSHOTS") == "1":
        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(GUIDE_IMAGES / f"{name}.png"), **options)


def log_in(page, base: str, email: str, password: str | None = None) -> None:  # noqa: ANN001
    """Log in through the German login form and wait for the dashboard."""
    from tests.conftest import PASSWORD

    page.goto(f"{base}/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password or PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/w/**")


#: Dashboard pages that are downloads or need a form's POST, not pages to look at.
NOT_PAGES = re.compile(r"\.(csv|zip|pdf|json|png|svg|<fmt>)$|/qr\.")


def dashboard_paths(app, slug: str) -> list[str]:  # noqa: ANN001
    """Every GET page inside the workspace, with ids of its first objects (on the demo data)."""
    import sqlalchemy as sa

    from feedback.extensions import db

    ids = {}
    for param, table in {
        "campaign_id": "campaign", "touchpoint_id": "touchpoint", "code_id": "code", "batch_id": "code_batch",
        "contact_id": "contact", "survey_id": "survey", "endpoint_id": "webhook_endpoint",
    }.items():  # fmt: skip
        ids[param] = db.session.scalar(sa.select(sa.func.min(db.metadata.tables[table].c.id)))
    campaign = ids["campaign_id"]
    touchpoint = db.session.scalar(sa.text("SELECT min(id) FROM touchpoint WHERE campaign_id = :c"), {"c": campaign})
    ids["touchpoint_id"] = touchpoint
    ids["key"] = db.session.scalar(sa.text("SELECT min(key) FROM question"))
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/w/<ws>") or "GET" not in rule.methods or NOT_PAGES.search(rule.rule):
            continue
        path = rule.rule.replace("<ws>", slug)
        for name in rule.arguments - {"ws"}:
            if name not in ids:
                break
            path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", str(ids[name]), path)
        else:
            paths.append(path)
    return sorted(paths)
