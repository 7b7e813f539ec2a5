"""The pages a contact reaches from a signed link in an email, without signing in: the double opt-in
confirmation and the preference centre. A GET only shows; only the button (a POST with its CSRF token) changes
anything, so a mail scanner that follows links confirms nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plumbline.consent import links
from plumbline.consent.actions import do_confirm_opt_in, do_set_preferences, do_unsubscribe_all
from plumbline.consent.models import ConsentEntry, Source, Status
from plumbline.consent.proof import proof_from_request
from plumbline.consent.queries import current_consent
from plumbline.core.errors import DomainError
from plumbline.crm.models import Contact


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    data = links.read_confirmation_token(token)
    request_entry = None
    if data is not None:
        request_entry = ConsentEntry.objects.select_related("subscription").filter(
            pk=data["e"], contact_id=data["c"], status=Status.REQUESTED).first()
    if request_entry is None:
        return render(request, "consent/confirm.html", {"invalid": True}, status=400)
    context = {"subscription": request_entry.subscription, "done": False}
    if request.method == "POST":
        try:
            do_confirm_opt_in(entry_id=request_entry.pk, contact_id=request_entry.contact_id,
                              proof=proof_from_request(request, page="confirmation"))
        except DomainError as exc:
            return render(request, "consent/confirm.html", {**context, "error": exc.message}, status=exc.status)
        context.update(done=True, preferences_url=links.preferences_url(request_entry.contact_id))
    return render(request, "consent/confirm.html", context)


def _preferences_contact(token: str) -> Contact | None:
    contact_id = links.read_preferences_token(token)
    return Contact.objects.filter(pk=contact_id).first() if contact_id else None


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    contact = _preferences_contact(token)
    if contact is None:
        return render(request, "consent/preferences.html", {"invalid": True}, status=400)
    if request.method == "POST":
        proof = proof_from_request(request, page="preference centre")
        if request.POST.get("everything"):
            do_unsubscribe_all(contact=contact, source=Source.PREFERENCE_CENTRE, proof=proof)
            saved = "You are unsubscribed from everything."
        else:
            try:
                do_set_preferences(contact=contact, granted=request.POST.getlist("subscription"), proof=proof)
            except DomainError as exc:
                return render(request, "consent/preferences.html",
                              {"states": current_consent(contact), "error": exc.message}, status=exc.status)
            saved = "Your preferences are saved."
        request.session["consent_saved"] = saved
        return redirect("consent:preferences", token=token)
    saved = request.session.pop("consent_saved", "")
    states = [s for s in current_consent(contact) if s.type.active]
    return render(request, "consent/preferences.html", {"states": states, "saved": saved})
