"""What a beacon is, and the hot path that turns an accepted one into rows of `tracking_hit`.

A batch (the body of `POST /t/collect`, at most `MAX_BODY` bytes and `MAX_EVENTS` events) names its site by the
public key, the visitor and the session, and carries the events. It is checked with one pydantic `TypeAdapter`
call straight from the JSON bytes; nothing is written unless every event is valid.

Visitor and session ids are 128 random bits from the browser's CSPRNG (`crypto.getRandomValues`), written as 22
characters of unpadded base64url: the last character carries 2 bits and four zero bits, so it is one of A, Q, g, w.
The format is checked strictly; an id that does not match is refused as forged. The ids are not signed (the script
makes them in the browser, before any round trip): a valid id of another visitor cannot be guessed (2**128).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

MAX_BODY = 64 * 1024
MAX_EVENTS = 50
MAX_PROPS = 2048  # bytes of a custom event's properties as JSON
PAST_WINDOW = dt.timedelta(days=1)  # a client clock earlier than this before receipt is clamped to it
ID_PATTERN = r"^[A-Za-z0-9_-]{21}[AQgw]$"
VISITOR_ID = re.compile(ID_PATTERN)


def text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strict=True, max_length=max_length, pattern=r"^[^\u0000]*$")]


BeaconId = Annotated[str, StringConstraints(strict=True, pattern=ID_PATTERN)]
EventId = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Email = Annotated[str, StringConstraints(strict=True, max_length=254, pattern=r"^[^@\s\u0000]+@[^@\s\u0000]+\.[^@\s\u0000]+$")]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: EventId
    kind: Literal["page_view", "custom", "identify"]
    ts: Annotated[int, Field(strict=True, ge=0, le=2**53)]  # the browser's clock, ms since the epoch
    url: text(2000) = ""
    title: text(300) = ""
    name: Annotated[str, StringConstraints(strict=True, max_length=100, pattern=r"^[A-Za-z0-9_.:-]*$")] = ""
    props: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=20)
    email: Email | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_-]{8,32}$")]
    visitor: BeaconId
    session: BeaconId
    referrer: text(2000) = ""  # the session's landing referrer (external), sent with every event of the session
    utm_source: text(100) = ""
    utm_medium: text(100) = ""
    utm_campaign: text(100) = ""
    utm_content: text(200) = ""
    utm_term: text(200) = ""
    consent: bool = False
    webdriver: bool = False  # navigator.webdriver: the browser says it is automated
    events: Annotated[list[EventIn], Field(min_length=1)]


BATCH = TypeAdapter(BatchIn)

# The columns of a hit as collected, in the order of the tuples `rows` makes.
COLUMNS = ("site_id", "event_id", "visitor_id", "session_id", "kind", "url", "path", "title", "referrer",
           "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "name", "props", "ua_family",
           "bot", "bot_reason", "ip_hash", "occurred_at", "received_at")


def path_of(url: str) -> str:
    """The path of an absolute URL, without query or fragment."""
    start = url.find("//")
    start = url.find("/", start + 2) if start >= 0 else 0
    if start < 0:
        return "/"
    end = len(url)
    for sep in ("?", "#"):
        at = url.find(sep, start)
        if 0 <= at < end:
            end = at
    return url[start:end][:500] or "/"


def occurred(ts_ms: int, received: dt.datetime) -> dt.datetime:
    """The client's time, clamped into [received - PAST_WINDOW, received]: a clock ahead or far behind the server's
    cannot move a hit into the future or far into the past."""
    earliest = received - PAST_WINDOW
    try:
        when = dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return received
    return min(max(when, earliest), received)


def rows(batch: BatchIn, *, site_id: int, ua: tuple[str, str, str], ip_hash: str,
         received: dt.datetime) -> list[tuple[Any, ...]]:
    """The hit rows of a valid batch, in `COLUMNS` order (props as JSON-ready dicts)."""
    family, bot, reason = ua
    if not bot and batch.webdriver:
        bot, reason = "automation", "navigator.webdriver"
    out = []
    for e in batch.events:
        props = dict(e.props)
        if e.email:
            props["email"] = e.email.strip().lower()
        out.append((
            site_id, e.id, batch.visitor, batch.session, e.kind, e.url, path_of(e.url) if e.url else "", e.title,
            batch.referrer, batch.utm_source, batch.utm_medium, batch.utm_campaign, batch.utm_content,
            batch.utm_term, e.name, props, family, bot, reason, ip_hash, occurred(e.ts, received), received,
        ))
    return out


# --- user agents ---------------------------------------------------------------------------------------------

HEADLESS = re.compile(r"HeadlessChrome|PhantomJS|Puppeteer|Playwright|Selenium|SlimerJS|Electron/", re.I)
LINK_SCANNERS = re.compile(
    r"Barracuda|Mimecast|Proofpoint|SafeLinks|Symantec|Trend ?Micro|Forcepoint|ZScaler|Sophos|Microsoft Office|"
    r"MSOffice|Outlook-iOS|Slackbot-LinkExpanding|Twitterbot|facebookexternalhit|WhatsApp|TelegramBot|Discordbot|"
    r"LinkedInBot|SkypeUriPreview|python-requests|curl/|Wget|Go-http-client|okhttp|axios/|node-fetch",
    re.I,
)


@lru_cache(maxsize=4096)
def classify_agent(ua: str) -> tuple[str, str, str]:
    """(browser family, bot label, reason) of a user agent; the label is empty for what looks human. Cached: a batch
    comes from one browser, and a site's visitors share a few thousand agents."""
    from crawlerdetect import CrawlerDetect  # loaded once; its patterns are compiled at import
    from ua_parser import parse

    if not ua.strip():
        return "", "no_user_agent", "empty User-Agent"
    family = (parse(ua).user_agent or _NoFamily).family[:60]
    if m := HEADLESS.search(ua):
        return family, "headless", m.group(0)[:100]
    if m := LINK_SCANNERS.search(ua):
        return family, "link_scanner", m.group(0)[:100]
    detector = CrawlerDetect(user_agent=ua)
    if detector.isCrawler():
        return family, "crawler", (detector.getMatches() or "crawlerdetect")[:100]
    if family == "Other":
        return family, "unknown_agent", "no known browser"
    return family, "", ""


class _NoFamily:
    family = "Other"


# --- IP hashing ----------------------------------------------------------------------------------------------

def hash_ip(ip: str, salt: str) -> str:
    """An HMAC of the address with the day's salt: the same visitor's hits of one day can be told together, the
    address itself is never stored, and once the salt is gone not even we can link it back."""
    return hmac.new(salt.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


def new_id() -> str:
    """A visitor id as the script makes one (the server makes them for /go/ scans)."""
    raw = secrets.token_urlsafe(16)  # 16 bytes -> 22 characters, last one in A/Q/g/w
    return raw
