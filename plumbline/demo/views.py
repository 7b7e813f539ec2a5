"""The demo company's website at /demo-site/: a few plain pages (home, product, pricing, a blog post) that embed the
tracking snippet and the newsletter form's one-line embed exactly as a customer's own site would, so a newcomer
can browse as a visitor, subscribe, and find themselves as a contact. Served only while the demo company is loaded
(its tracking Site and form exist) and the DEMO_SITE setting is on; a 404 otherwise. Plain HTML and CSS, no inline
script (the pages keep the strict CSP), nothing from a CDN. GETs only: nothing here writes."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from plumbline.demo.capture import FLOW_SLUG, FORM_SLUG, LANDING_SLUG, PAGES, demo_site
from plumbline.tracking.queries import snippet
from plumbline.webforms.models import Flow, Form, LandingPage

TEMPLATES = {"": "home", "product/": "product", "pricing/": "pricing", "blog/one-scoreboard/": "post"}


def _page(request: HttpRequest, path: str) -> HttpResponse:
    site = demo_site()
    form = Form.objects.filter(slug=FORM_SLUG, is_active=True).first() if site else None
    if site is None or form is None:
        raise Http404("The demo site is served only while the demo company is loaded.")
    # The pages are served by Plumbline itself, so they load both scripts from the address the visitor used:
    # the strict CSP (script-src 'self') would block them from the other loopback name (localhost/127.0.0.1).
    public, base = settings.PUBLIC_BASE_URL.rstrip("/"), request.build_absolute_uri("/").rstrip("/")
    title = dict(PAGES)[path]
    context = {
        "title": title, "current": TEMPLATES[path],
        # both one-liners are built by their apps and hold only our own URLs and the site's key
        "tracking_snippet": mark_safe(snippet(site).replace(public, base, 1)),  # noqa: S308
        "form_embed": mark_safe(f'<script src="{base}/f/{form.slug}/embed.js"></script>'),  # noqa: S308
        "flow_url": f"/f/{FLOW_SLUG}" if Flow.objects.filter(slug=FLOW_SLUG, is_active=True).exists() else "",
        "landing_url": (f"/lp/{LANDING_SLUG}" if LandingPage.objects.filter(slug=LANDING_SLUG, is_published=True)
                        .exists() else ""),
    }
    return render(request, f"demo_site/{TEMPLATES[path]}.html", context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "")


@require_GET
def product(request: HttpRequest) -> HttpResponse:
    return _page(request, "product/")


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    return _page(request, "pricing/")


@require_GET
def post(request: HttpRequest) -> HttpResponse:
    return _page(request, "blog/one-scoreboard/")
