"""The site pages and API: register a site, read its snippet, see the channel rules and hits by people and bots."""

from __future__ import annotations

from django.test import Client

from plumbline.tracking.models import Site
from tests.conftest import PASSWORD
from tests.tracking.helpers import batch, event, post


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_marketing_registers_a_site_and_sees_its_snippet(users):
    client = login(users["marketing"])
    response = client.post("/tracking/sites/new/", {"name": "Acme", "origins": "https://www.acme.test/",
                                                    "gdpr_mode": "on"})
    site = Site.objects.get()
    assert response.status_code == 302
    assert (site.origins, site.gdpr_mode) == ("https://www.acme.test", True)
    page = client.get(f"/tracking/sites/{site.pk}/").content.decode()
    assert f'/t.js&quot; data-site=&quot;{site.key}&quot; data-consent=&quot;required&quot;&gt;' in page


def test_a_bad_origin_is_a_form_error(users):
    response = login(users["marketing"]).post("/tracking/sites/new/", {"name": "Acme", "origins": "www.acme.test"})
    assert response.status_code == 400
    assert "give origins as scheme and host" in response.content.decode()
    assert Site.objects.count() == 0


def test_a_viewer_cannot_register_a_site(users):
    assert login(users["viewer"]).post("/tracking/sites/new/", {"name": "Acme"}).status_code == 403


def test_the_report_shows_people_and_bots_apart(users, site):
    post(batch(site.key, [event(), event()]))
    post(batch(site.key, [event()]), ua="Googlebot/2.1 (+http://www.google.com/bot.html)")
    page = login(users["viewer"]).get(f"/tracking/sites/{site.pk}/").content.decode()
    assert "<tr><td>Page view</td><td>2</td><td>1</td></tr>" in page


def test_the_channel_rules_page_lists_the_rules(users):
    page = login(users["viewer"]).get("/tracking/channels/").content.decode()
    assert "<td>14</td><td>The referrer is a search engine (Google, Bing, DuckDuckGo, ...)</td><td>SEO</td>" in page


def test_the_api_registers_and_lists_sites(tokens):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['marketing']}"}
    created = Client().post("/api/v1/tracking/sites", {"name": "Acme", "origins": ["https://acme.test"]},
                            content_type="application/json", **auth)
    assert created.status_code == 201
    body = created.json()
    assert body["origins"] == ["https://acme.test"]
    assert body["snippet"].endswith(f'/t.js" data-site="{body["key"]}"></script>')
    listed = Client().get("/api/v1/tracking/sites", **auth).json()
    assert [s["name"] for s in listed] == ["Acme"]
    bad = Client().post("/api/v1/tracking/sites", {"name": "Acme", "origins": ["ftp://x"]},
                        content_type="application/json", **auth)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "origins.0"


def test_the_command_registers_a_site_and_processes_hits(db, capsys):
    from django.core.management import call_command

    call_command("tracking", "add-site", "Docs", "--origin", "https://docs.acme.test")
    site = Site.objects.get(name="Docs")
    assert capsys.readouterr().out.strip().endswith(f'/t.js" data-site="{site.key}"></script>')
    from plumbline.tracking.queries import forget_cached_sites

    forget_cached_sites()
    post(batch(site.key, [event(url="https://docs.acme.test/")]), origin="https://docs.acme.test")
    call_command("tracking", "process")
    assert capsys.readouterr().out == "Processed 1 hits.\n"
    call_command("tracking", "sites")
    assert "hits: 1 people, 0 bots" in capsys.readouterr().out


def test_the_api_identifies_a_visitor(tokens, site):
    from plumbline.crm.actions import do_create_contact
    from plumbline.marketing.models import Touchpoint
    from tests.tracking.helpers import vid

    visitor = vid()
    post(batch(site.key, [event()], visitor=visitor))
    contact = do_create_contact(email="hal@acme.test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['marketing']}"}
    ok = Client().post("/api/v1/tracking/identify", {"visitor_id": visitor, "contact_id": contact.pk},
                       content_type="application/json", **auth)
    assert (ok.status_code, ok.json()) == (200, {"touchpoints": 1})
    assert Touchpoint.objects.filter(contact=contact).count() == 1
    forged = Client().post("/api/v1/tracking/identify", {"visitor_id": "abc", "contact_id": contact.pk},
                           content_type="application/json", **auth)
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "visitor_id"


def test_an_admin_rule_decides_the_channel_before_the_built_in_ones(users, site):
    from plumbline.crm.actions import do_create_contact
    from plumbline.marketing.models import Touchpoint
    from plumbline.tracking.actions import do_identify
    from plumbline.tracking.models import ChannelRule
    from tests.tracking.helpers import vid

    client = login(users["marketing"])
    # Given a marketer's rule: visits referred by the partner portal are the partner channel
    response = client.post("/tracking/channels/", {"add": "1", "field": "referrer_host",
                                                   "value": "https://Portal.Partner.test/deals", "channel": "partner"})
    assert response.status_code == 302
    assert list(ChannelRule.objects.values_list("field", "value", "channel")) == [
        ("referrer_host", "portal.partner.test", "partner")]
    page = client.get("/tracking/channels/").content.decode()
    assert "<code>portal.partner.test</code></td><td>Partner</td>" in page
    # When a visit referred by it (which the built-in rules call a referral) is stitched to a contact
    visitor = vid()
    post(batch(site.key, [event()], visitor=visitor, referrer="https://portal.partner.test/x"))
    contact = do_create_contact(email="ivy@acme.test")
    do_identify(visitor_id=visitor, contact=contact, source="form")
    # Then its touchpoint is on the partner channel
    assert list(Touchpoint.objects.filter(contact=contact).values_list("channel", flat=True)) == ["partner"]
    # and a viewer may read the rules but not change them
    assert login(users["viewer"]).post("/tracking/channels/", {"delete": ChannelRule.objects.get().pk}).status_code == 403
    assert ChannelRule.objects.count() == 1


def test_the_site_page_lists_the_latest_hits_in_pages(users, site):
    from plumbline.tracking.queries import HITS_PAGE

    post(batch(site.key, [event(url=f"https://www.acme.test/p{n}") for n in range(HITS_PAGE)]))
    post(batch(site.key, [event(url="https://www.acme.test/newest")]), ua="Googlebot/2.1 (+http://www.google.com/bot.html)")
    client = login(users["viewer"])
    first = client.get(f"/tracking/sites/{site.pk}/").content.decode()
    assert first.count("<td>Page view</td>") == HITS_PAGE + 1  # and once in the counts per kind
    assert '<span class="badge" title="Googlebot">Crawler</span>' in first
    older = first.split('href="?before=')[1].split('"')[0]
    second = client.get(f"/tracking/sites/{site.pk}/?before={older}").content.decode()
    assert second.count("<td>Page view</td>") == 1 + 1
    assert "Older hits" not in second
