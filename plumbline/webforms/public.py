"""The public side: hosted forms and guided flows at /f/<slug>, the one-tag embed, landing pages at /lp/<slug>.

How the embed works (the simplest robust way we found): `<script src="https://HOST/f/<slug>/embed.js"></script>`
loads one static script that reads its own `src` to learn the host and the form, fetches the form's fields as
JSON (GET /f/<slug>/schema.json) and a proof-of-work challenge, builds the form as plain DOM right where the tag
is (no iframe: it takes the page's styles, needs no resizing, and a browser test fills it like any form), and
posts the answers with fetch() to /f/<slug>/submit, reading JSON back (errors go next to their fields).
Those three endpoints answer CORS with `Access-Control-Allow-Origin: *` and never use cookies or credentials: a
form is meant to be posted from any site, nobody's session is involved (so there is nothing for a cross-site
request to forge, which is why /submit is csrf_exempt), and spam is held off by the honeypot, the proof of work
(one submission per challenge) and the per-address rate limit. The hosted page /f/<slug> is our own page: it
posts same-origin with Django's CSRF token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from plumbline.core.errors import DomainError, ValidationFailed
from plumbline.core.security import POLICY
from plumbline.crm.models import Contact
from plumbline.tracking.queries import visitor_id_from_request
from plumbline.webforms import queries, spam
from plumbline.webforms.flows import parse_definition, walk
from plumbline.webforms.models import FieldType, Flow, Form, FormField, LandingPage
from plumbline.webforms.submit import UTM_KEYS, Outcome, Visit, do_submit_form
from plumbline.webforms.subscriptions import subscription_choices

EMBED_JS = Path(settings.BASE_DIR) / "plumbline" / "static" / "js" / "plumbline-embed.js"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key", "Access-Control-Max-Age": "600",
        "Cache-Control": "no-store"}


def _cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS.items():
        response[name] = value
    return response


def _errors(exc: DomainError) -> list[dict[str, Any]]:
    return [e.as_dict() for e in (exc.errors if isinstance(exc, ValidationFailed) else [exc])]


def _visit(request: HttpRequest, data: dict[str, Any]) -> Visit:
    utm = {k: str(data.get(k) or request.GET.get(k) or "")[:200] for k in UTM_KEYS}
    visitor = str(data.get("visitor_id") or data.get("plumbline_visitor") or "") or visitor_id_from_request(
        request) or ""
    page_url = str(data.get("page_url") or request.headers.get("Referer") or "")[:500]
    ip = spam.client_ip(request)
    return Visit(visitor_id=visitor, page_url=page_url, utm={k: v for k, v in utm.items() if v},
                 ip_hash=spam.hash_ip(ip), ip=ip)


def _known(request: HttpRequest, data: dict[str, Any] | None = None) -> Contact | None:
    """The visitor, when known: a signed known-contact token (`k`), else a visitor id stitched to a contact."""
    token = str((data or {}).get("k") or request.GET.get("k") or "")
    contact = queries.contact_from_token(token)
    if contact is None:
        visitor = str((data or {}).get("visitor_id") or request.GET.get("vid") or "") or visitor_id_from_request(
            request)
        contact = queries.contact_of_visitor(visitor) if visitor else None
    return contact


def _field_json(f: FormField, labels: dict[str, str]) -> dict[str, Any]:
    return {"key": f.key, "label": f.label, "type": f.type, "required": f.required, "options": f.options,
            "help_text": f.help_text, "hidden_source": f.hidden_source,
            "subscription": labels.get(f.subscription, "") if f.type == FieldType.CONSENT else ""}


def _with_redirect_allowed(response: HttpResponse, form: Form | None) -> HttpResponse:
    """A page whose form redirects elsewhere after the POST: CSP's form-action covers that redirect too, so the
    policy names the redirect's origin beside 'self'."""
    if form is not None and form.redirect_url:
        parts = urlsplit(form.redirect_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        response["Content-Security-Policy"] = POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")
    return response


def _submit(request: HttpRequest, form: Form, data: dict[str, Any], **extra: Any) -> Outcome:
    visit = _visit(request, data)
    spam.rate_limit(visit.ip_hash)
    key = (request.headers.get("Idempotency-Key") or str(data.get("idempotency_key") or ""))[:255] or None
    return do_submit_form(form=form, data=data, visit=visit, known=_known(request, data), idempotency_key=key,
                          **extra)


# --- the embed --------------------------------------------------------------------------------------------


@require_GET
def embed_js(request: HttpRequest, slug: str) -> HttpResponse:
    """The one script a site embeds; the same file for every form (it reads the slug from its own src)."""
    if queries.public_form(slug) is None:
        raise Http404("No such form.")
    response = HttpResponse(EMBED_JS.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def schema_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The fields to show this visitor (progressive profiling), the labels, and what to say after submitting."""
    form = queries.public_form(slug)
    if form is None:
        return _cors(JsonResponse({"message": "No such form.", "errors": []}, status=404))
    known = _known(request)
    labels = dict(subscription_choices())
    return _cors(JsonResponse({
        "slug": form.slug, "name": form.name, "submit_label": form.submit_label,
        "fields": [_field_json(f, labels) for f in queries.fields_to_ask(form, known)],
        "honeypot": spam.HONEYPOT, "known": known is not None,
    }))


@require_GET
def challenge(request: HttpRequest) -> HttpResponse:
    """A fresh proof-of-work challenge (nothing is stored until a submission spends it)."""
    return _cors(JsonResponse(spam.new_challenge()))


@csrf_exempt  # posted from any site by the embed, without cookies: see the module's docstring
@require_http_methods(["POST", "OPTIONS"])
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    """The embed's submission: JSON (or form-encoded) answers in, JSON out: 201 with what to show, or the
    error body with a field and reason per error (400, 422; 429 when rate limited), nothing written."""
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    form = queries.public_form(slug)
    if form is None:
        return _cors(JsonResponse({"message": "No such form.", "errors": []}, status=404))
    try:
        data = json.loads(request.body or b"{}") if request.content_type == "application/json" else request.POST.dict()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        body = {"message": "The body is not a JSON object.", "errors": [
            {"field": None, "message": "Send the answers as a JSON object.", "code": "malformed"}]}
        return _cors(JsonResponse(body, status=400))
    try:
        outcome = _submit(request, form, data)
    except DomainError as exc:
        status = 422 if isinstance(exc, ValidationFailed) and exc.status == 400 else exc.status
        return _cors(JsonResponse({"message": exc.message, "errors": _errors(exc)}, status=status))
    return _cors(JsonResponse({
        "submission_id": outcome.submission.pk, "replayed": outcome.replayed,
        "message": form.thank_you_message or "Thank you!", "redirect_url": form.redirect_url,
    }, status=200 if outcome.replayed else 201))


# --- hosted pages -----------------------------------------------------------------------------------------


def _form_context(request: HttpRequest, form: Form, data: dict[str, Any] | None = None,
                  errors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    known = _known(request, data)
    by_field: dict[str, list[str]] = {}
    general = []
    for e in errors or []:
        (by_field.setdefault(e["field"], []) if e["field"] else general).append(e["message"])
    labels = dict(subscription_choices())
    fields = [{**_field_json(f, labels), "value": (data or {}).get(f.key, ""), "errors": by_field.get(f.key, [])}
              for f in queries.fields_to_ask(form, known)]
    return {"form": form, "fields": fields, "general_errors": general + by_field.get(spam.POW_FIELD, [])
            + by_field.get(spam.HONEYPOT, []), "known_token": (data or {}).get("k") or request.GET.get("k", ""),
            "honeypot": spam.HONEYPOT, "utm": {k: request.GET.get(k, "") for k in UTM_KEYS}, **extra}


@require_http_methods(["GET", "POST"])
def hosted(request: HttpRequest, slug: str) -> HttpResponse:
    """/f/<slug>: a form, or a guided flow (questions one at a time, then its form)."""
    form = queries.public_form(slug)
    if form is not None:
        return _hosted_form(request, form)
    flow = queries.public_flow(slug)
    if flow is not None:
        return _hosted_flow(request, flow)
    raise Http404("No such form.")


def _hosted_form(request: HttpRequest, form: Form) -> HttpResponse:
    if request.method == "GET":
        return _with_redirect_allowed(render(request, "webforms/public/form_page.html", _form_context(request, form)),
                                      form)
    data = request.POST.dict()
    try:
        _submit(request, form, data)
    except DomainError as exc:
        status = exc.status if exc.status != 400 or not isinstance(exc, ValidationFailed) else 422
        page = render(request, "webforms/public/form_page.html", _form_context(request, form, data, _errors(exc)),
                      status=status)
        return _with_redirect_allowed(page, form)
    if form.redirect_url:
        response = HttpResponse(status=303)
        response["Location"] = form.redirect_url
        return response
    return render(request, "webforms/public/thanks.html", {"form": form})


def _flow_answers(flow: Flow, data: dict[str, Any]) -> dict[str, str]:
    return {k[2:]: str(v) for k, v in data.items() if k.startswith("a-")}


def _hosted_flow(request: HttpRequest, flow: Flow) -> HttpResponse:
    defn = parse_definition(flow.definition)
    data = request.POST.dict() if request.method == "POST" else {}
    answers = _flow_answers(flow, data)
    done, pending = walk(defn, answers)
    kept = {s.key: answers[s.key] for s in done}
    if pending is not None:
        return render(request, "webforms/public/flow_step.html", {
            "flow": flow, "step": pending, "answers": kept, "number": len(done) + 1})
    if data.get("contact_step") != "1":  # the questions are done: the contact step comes next
        return render(request, "webforms/public/form_page.html",
                      _form_context(request, flow.form, None, None, flow=flow, answers=kept))
    try:
        outcome = _submit(request, flow.form, data, flow=flow, flow_answers=kept)
    except DomainError as exc:
        return render(request, "webforms/public/form_page.html",
                      _form_context(request, flow.form, data, _errors(exc), flow=flow, answers=kept), status=422)
    return render(request, "webforms/public/flow_result.html", {"flow": flow, "outcome": outcome})


@require_GET
def landing(request: HttpRequest, slug: str) -> HttpResponse:
    page = LandingPage.objects.filter(slug=slug, is_published=True).select_related("form").first()
    if page is None:
        raise Http404("No such page.")
    context: dict[str, Any] = {"page": page}
    if page.form is not None and page.form.is_active:
        context.update(_form_context(request, page.form))
    return _with_redirect_allowed(render(request, "webforms/public/landing.html", context), context.get("form"))
