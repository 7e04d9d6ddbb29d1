"""Mail programs' link checkers, HTTP client libraries and request shapes no phone browser sends are stored as bot
visits and never counted; real phone browsers (in-app browsers included) are counted as people."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import services
from feedback.qr.automated import SUPPLEMENT, likely_automated_request, supplement_class
from feedback.qr.models import Scan
from feedback.qr.visitors import classify_user_agent
from feedback.touchpoints.models import Channel

#: Real User-Agents of the link checkers and previews of mail programs and mail security gateways.
MAIL_LINK_CHECKERS = {
    "Microsoft Safe Links / Office": "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    "Microsoft Office link discovery": "Microsoft Office Existence Discovery",
    "Outlook preview": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Barracuda": "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))",
    "Proofpoint URL Defense": "Mozilla/5.0 (compatible; proofpoint-urldefense)",
    "Mimecast": "Mimecast-URL-Protect/1.0",
    "Gmail image proxy": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Yahoo mail proxy": "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
    "Apple Mail privacy protection": "Mozilla/5.0",
}

#: Real User-Agents HTTP client libraries send by default.
HTTP_CLIENTS = {
    "python-requests": "python-requests/2.31.0",
    "curl": "curl/8.4.0",
    "Wget": "Wget/1.21.4",
    "Go": "Go-http-client/2.0",
    "okhttp": "okhttp/4.12.0",
    "axios": "axios/1.6.7",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "undici (Node fetch)": "undici",
    "libwww-perl": "libwww-perl/6.72",
    "Java HttpClient": "Java-http-client/17.0.9",
    "Java URLConnection": "Java/1.8.0_392",
    "Apache HttpClient": "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "Postman": "PostmanRuntime/7.36.1",
    "aiohttp": "Python/3.11 aiohttp/3.9.1",
    "httpx": "python-httpx/0.26.0",
}

#: Real User-Agents of phone browsers and of the in-app browsers links are opened in.
PHONES = {
    "iOS Safari": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1",
    "Chrome Android": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36",
    "Samsung Internet": "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Firefox Android": "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
    "Instagram (iOS)": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 311.0.2.23.109 (iPhone14,5; iOS 17_1_2; de_DE; de; scale=3.00; 1170x2532; "
    "541365186)",
    "Instagram (Android)": "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 Instagram 309.1.0.41.113 Android "
    "(33/13; 480dpi; 1080x2176; samsung; SM-G991B; o1s; exynos2100; de_DE; 541635863)",
    "Facebook (iOS)": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/444.0.0.34.110;FBBV/541208717;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;"
    "FBSV/17.1.2;FBSS/3;FBID/phone;FBLC/de_DE;FBOP/5;FBRV/543195164]",
    "Facebook (Android)": "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/443.0.0.23.229;]",
    "iPad Safari": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15",
}

#: What a phone browser sends along with its User-Agent.
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "de-DE,de;q=0.9"}


@pytest.fixture
def code(app, make_touchpoint):  # noqa: ANN201
    """An active code of a flyer with a landing page (no survey)."""
    touchpoint = make_touchpoint(name="Flyer", channel=Channel.FLYER)
    created = services.create_code(touchpoint, "")
    db.session.commit()
    return created


def _scans() -> list[Scan]:
    db.session.commit()
    return list(db.session.scalars(sa.select(Scan).order_by(Scan.id)))


@pytest.mark.parametrize("agent", [*MAIL_LINK_CHECKERS.values(), *HTTP_CLIENTS.values()])
def test_mail_link_checkers_and_http_clients_are_bots(agent) -> None:
    device_class, _os, _browser, is_bot = classify_user_agent(agent)
    assert is_bot and device_class == "bot"


@pytest.mark.parametrize("agent", PHONES.values(), ids=PHONES.keys())
def test_phone_browsers_and_in_app_browsers_are_people(agent) -> None:
    device_class, _os, _browser, is_bot = classify_user_agent(agent)
    assert not is_bot and supplement_class(agent) is None
    assert device_class in ("mobile", "tablet", "desktop")


def test_the_supplement_names_the_class_of_each_agent() -> None:
    assert {supplement_class(a) for a in ("Mimecast-URL-Protect/1.0", "Barracuda Sentinel (EE)", "Mozilla/5.0")} == {
        "mail link checker"
    }
    assert {supplement_class(a) for a in ("Java-http-client/17.0.9", "PostmanRuntime/7.36.1", "undici")} == {
        "http client library"
    }
    assert {name for name, _pattern in SUPPLEMENT} == {"mail link checker", "http client library"}


def test_scans_of_checkers_and_clients_are_stored_as_bots_and_not_counted(client, code) -> None:
    agents = [*MAIL_LINK_CHECKERS.values(), *HTTP_CLIENTS.values()]
    for agent in agents:
        assert client.get(f"/t/{code.code}", headers={**BROWSER, "User-Agent": agent}).status_code == 200
    scans = _scans()
    assert len(scans) == len(agents) and all(s.is_bot and s.device_class == "bot" for s in scans)
    assert services.code_stats(code.touchpoint, {})[code.id].bot_scans == len(agents)


def test_scans_of_phone_browsers_are_counted(client, code) -> None:
    for agent in PHONES.values():
        assert client.get(f"/t/{code.code}", headers={**BROWSER, "User-Agent": agent}).status_code == 200
    scans = _scans()
    assert len(scans) == len(PHONES) and not any(s.is_bot for s in scans)
    assert services.code_stats(code.touchpoint, {})[code.id].bot_scans == 0


def test_a_first_request_by_head_is_a_bot_even_with_a_phone_agent(client, code) -> None:
    client.head(f"/t/{code.code}", headers={**BROWSER, "User-Agent": PHONES["iOS Safari"]})
    assert [s.is_bot for s in _scans()] == [True]


@pytest.mark.parametrize(
    ("headers", "automated"),
    [
        ({"Accept": "", "Accept-Language": ""}, True),
        ({"Accept": "text/html"}, False),
        ({"Accept": "", "Accept-Language": "de"}, False),
        (BROWSER, False),
    ],
    ids=["neither", "only Accept", "only Accept-Language", "both"],
)
def test_a_request_without_accept_and_accept_language_is_likely_automated(client, code, headers, automated) -> None:
    client.get(f"/t/{code.code}", headers={**headers, "User-Agent": PHONES["Chrome Android"]})
    assert [s.is_bot for s in _scans()] == [automated]


def test_the_request_shape_rule_on_its_own() -> None:
    assert likely_automated_request("HEAD", "text/html", "de")
    assert likely_automated_request("GET", " ", "")
    assert not likely_automated_request("GET", "", "de")
    assert not likely_automated_request("GET", "*/*", "")
