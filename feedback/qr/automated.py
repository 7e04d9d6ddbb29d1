"""Automated visitors the maintained crawler list (`crawler-user-agents`) does not name, and request shapes no phone
browser sends.

The crawler list covers search engines, link previews of messengers and most HTTP client libraries. It misses the
link checkers of mail programs and security gateways, which fetch every link of a mail before (or while) a person
reads it, and a few client libraries. Each entry below names its class and a pattern of its User-Agent; the patterns
are matched case-insensitively anywhere in the header. Phone browsers and the in-app browsers of Instagram,
Facebook and the like never contain them (`tests/qr/test_automated.py` checks real User-Agents of both kinds).

Beyond the User-Agent, a request is taken as automated when it is a HEAD (browsers GET a page they show) or when it
carries neither an Accept nor an Accept-Language header (every browser sends both; scripts and scanners often send
neither). Nothing of this is stored but the resulting yes/no on the scan row.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: (class, pattern): mail programs' link checkers and previews, and HTTP client libraries.
SUPPLEMENT: tuple[tuple[str, str], ...] = (
    # Microsoft: Safe Links / Defender check with Office's own agents, Outlook fetches previews itself.
    ("mail link checker", r"ms-?office"),
    ("mail link checker", r"microsoft office"),
    ("mail link checker", r"microsoft outlook"),
    ("mail link checker", r"outlooklinkpreview|safelinks"),
    ("mail link checker", r"barracuda"),
    ("mail link checker", r"proofpoint|urldefense"),
    ("mail link checker", r"mimecast"),
    ("mail link checker", r"ironport|ciscosecureemail"),
    ("mail link checker", r"googleimageproxy|ggpht\.com"),
    ("mail link checker", r"yahoomailproxy"),
    # Apple Mail's privacy protection fetches remote content through proxies that send nothing but this.
    ("mail link checker", r"^mozilla/5\.0$"),
    ("http client library", r"python-requests|python-urllib|python-httpx|^httpx/|aiohttp|httpie"),
    ("http client library", r"^curl/|\bwget/"),
    ("http client library", r"go-http-client"),
    ("http client library", r"\bokhttp/"),
    ("http client library", r"\baxios/|node-fetch|^undici"),
    ("http client library", r"libwww-perl|^lwp::"),
    ("http client library", r"^java/|java-http-client|apache-httpclient|jakarta commons-httpclient"),
    ("http client library", r"postmanruntime"),
    ("http client library", r"guzzlehttp|^ruby$|^faraday"),
)
_PATTERN = re.compile("|".join(f"(?:{pattern})" for _class, pattern in SUPPLEMENT), re.IGNORECASE)


@lru_cache(maxsize=4096)
def supplement_class(user_agent: str) -> str | None:
    """The class of automated visitor a User-Agent names in the supplement ("mail link checker", "http client
    library"), or None."""
    agent = user_agent.strip()
    if not _PATTERN.search(agent):
        return None
    return next(name for name, pattern in SUPPLEMENT if re.search(pattern, agent, re.IGNORECASE))


def likely_automated_request(method: str, accept: str, accept_language: str) -> bool:
    """A HEAD, or a request with neither an Accept nor an Accept-Language header: no phone browser sends those."""
    return method == "HEAD" or (not accept.strip() and not accept_language.strip())
