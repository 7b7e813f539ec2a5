"""Which channel a visit came through, from its UTM parameters, its campaign and its landing referrer.

The rules are an ordered table (first match wins) that admins read on the "Channel rules" page; a test walks
the same table. The campaign matched by `utm_campaign` gives its channel when no UTM medium rule decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from plumbline.marketing.models import Channel

SEARCH_ENGINES = ("google.", "bing.com", "duckduckgo.com", "search.yahoo.", "yahoo.com", "baidu.com", "yandex.",
                  "ecosia.org", "search.brave.com", "startpage.com", "qwant.com")
SOCIAL_NETWORKS = ("facebook.com", "fb.com", "instagram.com", "linkedin.com", "lnkd.in", "t.co", "twitter.com",
                   "x.com", "reddit.com", "pinterest.", "tiktok.com", "mastodon.", "threads.net", "bsky.app")
VIDEO_SITES = ("youtube.com", "youtu.be", "vimeo.com", "twitch.tv")
WEBMAIL = ("mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com", "webmail.")
SOCIAL_SOURCES = {"facebook", "fb", "meta", "instagram", "ig", "linkedin", "twitter", "x", "tiktok", "reddit"}
PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "sem", "cpm", "display"}
SOCIAL_MEDIUMS = {"social", "social-network", "social_network", "organic_social", "sm"}
EMAIL_MEDIUMS = {"email", "e-mail", "newsletter", "mail"}


@dataclass(frozen=True)
class Visit:
    """What classification looks at: lower-cased UTM source and medium, the landing referrer's host, the page's
    host, click ids present in the URL, and the channel of the campaign named by utm_campaign (or "")."""

    source: str = ""
    medium: str = ""
    referrer_host: str = ""
    host: str = ""
    click_ids: frozenset[str] = frozenset()
    campaign_channel: str = ""


@dataclass(frozen=True)
class Rule:
    when: str  # what the admin reads
    channel: str
    test: Callable[[Visit], bool]


def _host_in(host: str, names: tuple[str, ...]) -> bool:
    return any(host == n or host.endswith("." + n) or (n.endswith(".") and (host.startswith(n) or f".{n}" in host))
               for n in names)


def _social_source(v: Visit) -> bool:
    return v.source in SOCIAL_SOURCES


RULES: tuple[Rule, ...] = (
    Rule("UTM medium is paid (cpc, ppc, paid, cpm, display) and the source is a social network", Channel.PAID_SOCIAL,
         lambda v: v.medium in PAID_MEDIUMS and _social_source(v)),
    Rule("UTM medium is paid (cpc, ppc, paid, paid_search, sem, cpm, display)", Channel.PAID_SEARCH,
         lambda v: v.medium in PAID_MEDIUMS),
    Rule("UTM medium is paid_social or paidsocial", Channel.PAID_SOCIAL,
         lambda v: v.medium in {"paid_social", "paidsocial", "paid-social"}),
    Rule("UTM medium is email, e-mail, newsletter or mail", Channel.EMAIL, lambda v: v.medium in EMAIL_MEDIUMS),
    Rule("UTM medium is social, social-network or organic_social", Channel.ORGANIC_SOCIAL,
         lambda v: v.medium in SOCIAL_MEDIUMS),
    Rule("UTM medium is qr or print", Channel.PRINT, lambda v: v.medium in {"qr", "print"}),
    Rule("UTM medium is video", Channel.VIDEO, lambda v: v.medium == "video"),
    Rule("UTM medium is affiliate or partner", Channel.PARTNER, lambda v: v.medium in {"affiliate", "partner"}),
    Rule("UTM medium is referral", Channel.REFERRAL, lambda v: v.medium == "referral"),
    Rule("The UTM campaign names a campaign: that campaign's channel", "campaign", lambda v: bool(v.campaign_channel)),
    Rule("The URL has a Google or Microsoft ad click id (gclid, msclkid)", Channel.PAID_SEARCH,
         lambda v: bool(v.click_ids & {"gclid", "msclkid", "gbraid", "wbraid"})),
    Rule("The URL has a social ad click id (fbclid, li_fat_id, ttclid)", Channel.PAID_SOCIAL,
         lambda v: bool(v.click_ids & {"fbclid", "li_fat_id", "ttclid", "twclid"})),
    Rule("The referrer is a webmail (Gmail, Outlook, Yahoo Mail)", Channel.EMAIL,
         lambda v: _host_in(v.referrer_host, WEBMAIL)),
    Rule("The referrer is a search engine (Google, Bing, DuckDuckGo, ...)", Channel.SEO,
         lambda v: _host_in(v.referrer_host, SEARCH_ENGINES)),
    Rule("The referrer is a social network (LinkedIn, Facebook, X, Reddit, ...)", Channel.ORGANIC_SOCIAL,
         lambda v: _host_in(v.referrer_host, SOCIAL_NETWORKS)),
    Rule("The referrer is a video site (YouTube, Vimeo, Twitch)", Channel.VIDEO,
         lambda v: _host_in(v.referrer_host, VIDEO_SITES)),
    Rule("A UTM source without a known medium", Channel.REFERRAL, lambda v: bool(v.source)),
    Rule("The referrer is another website", Channel.REFERRAL,
         lambda v: bool(v.referrer_host) and v.referrer_host != v.host),
    Rule("Anything else (typed in, bookmarked, no referrer)", Channel.DIRECT, lambda v: True),
)
CLICK_IDS = ("gclid", "msclkid", "gbraid", "wbraid", "fbclid", "li_fat_id", "ttclid", "twclid")


def classify(v: Visit) -> tuple[str, int]:
    """(channel, number of the rule that decided, from 1)."""
    for number, rule in enumerate(RULES, 1):
        if rule.test(v):
            return (v.campaign_channel if rule.channel == "campaign" else rule.channel), number
    raise AssertionError("the last rule matches everything")


@dataclass(frozen=True)
class AdminRule:
    """A rule from the Channel rules page (`models.ChannelRule`), tried before the built-in ones."""

    field: str  # utm_source | utm_medium | referrer_host
    value: str
    channel: str

    def matches(self, v: Visit) -> bool:
        if self.field == "referrer_host":
            return v.referrer_host == self.value or v.referrer_host.endswith("." + self.value)
        return (v.source if self.field == "utm_source" else v.medium) == self.value


def classify_with(v: Visit, admin_rules: tuple[AdminRule, ...]) -> str:
    """The channel: the first admin rule that matches, else the built-in table's."""
    for rule in admin_rules:
        if rule.matches(v):
            return rule.channel
    return classify(v)[0]


def host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def visit(*, url: str, referrer: str, source: str, medium: str, campaign_channel: str = "") -> Visit:
    query = url.partition("?")[2].partition("#")[0]
    keys = {p.partition("=")[0] for p in query.split("&")} if query else set()
    return Visit(source=source.strip().lower(), medium=medium.strip().lower(), referrer_host=host_of(referrer),
                 host=host_of(url), click_ids=frozenset(keys & set(CLICK_IDS)), campaign_channel=campaign_channel)
