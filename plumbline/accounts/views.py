"""Pages: users (admins), the set-password link, and each user's notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plumbline.accounts import queries
from plumbline.accounts.actions import (
    do_create_user,
    do_deactivate_user,
    do_mark_notifications_read,
    do_reactivate_user,
    do_revoke_api_token,
    do_send_password_link,
    do_set_password,
    do_update_user,
)
from plumbline.accounts.forms import PasswordForm, UserCreateForm, UserEditForm
from plumbline.accounts.models import ApiToken, Role, User
from plumbline.core.errors import DomainError
from plumbline.core.forms import form_status, run_action
from plumbline.core.pages import page, safe_next

USERS_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 30


@page("user")
def user_list(request: HttpRequest) -> HttpResponse:
    """Every user with role, team, status and last sign-in; 50 a page."""
    q = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    status = request.GET.get("status", "")
    qs = queries.users(q=q, role=role if role in Role.values else None,
                       active={"active": True, "inactive": False}.get(status))
    paginator = Paginator(qs.order_by("username", "pk"), USERS_PER_PAGE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "accounts/user_list.html", {
        "page_obj": paginator.get_page(request.GET.get("page")), "q": q, "role": role, "status": status,
        "roles": Role.choices, "query": params.urlencode(),
    })


@page("user", action="add", methods=("GET", "POST"))
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invite = data["how"] == "invite"
        user = run_action(
            form, do_create_user, by=request.user, username=data["username"], email=data["email"],
            first_name=data["first_name"], last_name=data["last_name"], role=data["role"], team=data["team"],
            password=None if invite else data["password"], invite=invite,
        )
        if user is not None:
            messages.success(request, f"Added {user.display_name}." + (
                f" An invitation to set a password is on its way to {user.email}." if invite else ""))
            return redirect("user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form}, status=form_status(form) if form.errors else 200)


def _detail(request: HttpRequest, subject: User, **forms: Any) -> HttpResponse:
    ctx = {
        "subject": subject,
        "form": forms.get("form") or UserEditForm(initial={
            "first_name": subject.first_name, "last_name": subject.last_name, "email": subject.email,
            "role": subject.role, "team": subject.team_id, "is_out_of_office": subject.is_out_of_office,
            "capacity": subject.capacity,
        }),
        "password_form": forms.get("password_form") or PasswordForm(),
        "tokens": list(queries.tokens_of(subject)),
    }
    failed = [f for f in forms.values() if f.errors]
    return render(request, "accounts/user_detail.html", ctx, status=form_status(failed[0]) if failed else 200)


def _subject(pk: int) -> User:
    return get_object_or_404(User.objects.select_related("team"), pk=pk)


@page("user", action="change", methods=("GET", "POST"))
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(pk)
    if request.method == "GET":
        return _detail(request, subject)
    form = UserEditForm(request.POST)
    if form.is_valid() and run_action(form, do_update_user, by=request.user, user=subject,
                                      changes=dict(form.cleaned_data)):
        messages.success(request, f"Saved {subject.display_name}.")
        return redirect("user_detail", pk=pk)
    return _detail(request, _subject(pk), form=form)


def _act(request: HttpRequest, pk: int, action: Any, done: str, **kwargs: Any) -> HttpResponse:
    """Run a one-button action on a user; a refusal (last admin, yourself) becomes an error message."""
    subject = _subject(pk)
    try:
        result = action(by=request.user, user=subject, **kwargs)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(user=subject.display_name, result=result))
    return redirect("user_detail", pk=pk)


@page("user", action="change", methods=("POST",))
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, do_deactivate_user,
                "Deactivated {user}: they can no longer sign in or use API tokens; "
                "their open leads go back through routing.")


@page("user", action="change", methods=("POST",))
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, do_reactivate_user, "Reactivated {user}.")


@page("user", action="change", methods=("POST",))
def user_password_link(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, do_send_password_link, "A link to set a new password is on its way to {user}.",
                purpose="reset")


@page("user", action="change", methods=("POST",))
def user_set_password(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _subject(pk)
    form = PasswordForm(request.POST)
    if form.is_valid() and run_action(form, do_set_password, by=request.user, user=subject,
                                      password=form.cleaned_data["password"]):
        messages.success(request, f"Set a new password for {subject.display_name}.")
        return redirect("user_detail", pk=pk)
    return _detail(request, subject, password_form=form)


@page("user", action="change", methods=("POST",))
def user_revoke_token(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    subject = _subject(pk)
    token = get_object_or_404(ApiToken, pk=token_pk, user=subject)
    try:
        do_revoke_api_token(by=request.user, user=subject, token_id=token.pk)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Revoked token {token.prefix}… of {subject.display_name}.")
    return redirect("user_detail", pk=pk)


def _link_user(uidb64: str, token: str) -> User | None:
    """The active user a set-password link is for, when its token is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first() if 0 < pk < 2**63 else None
    return user if user is not None and default_token_generator.check_token(user, token) else None


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The page an invitation or reset email links to: anyone holding a valid link sets that user's password."""
    user = _link_user(uidb64, token)
    if user is None:
        return render(request, "accounts/set_password.html", {"invalid": True}, status=400)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and run_action(
        form, do_set_password, by=None, user=user, password=form.cleaned_data["password"]
    ):
        messages.success(request, "Your password is set; sign in with it.")
        return redirect("login")
    status = form_status(form) if form.errors else 200
    return render(request, "accounts/set_password.html", {"form": form, "who": user}, status=status)


# --- notifications --------------------------------------------------------------------------------------------

@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(queries.notifications_of(request.user).order_by("-created_at", "-pk"), NOTIFICATIONS_PER_PAGE)
    return render(request, "accounts/notifications.html", {"page_obj": paginator.get_page(request.GET.get("page"))})


@login_required
@require_GET
def notification_menu(request: HttpRequest) -> HttpResponse:
    """The header menu's items, loaded when it opens."""
    items = list(queries.notifications_of(request.user).order_by("-created_at", "-pk")[:8])
    return render(request, "accounts/_notification_items.html", {"items": items})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points (its own URL, or back to the list)."""
    note = get_object_or_404(queries.notifications_of(request.user), pk=pk)
    do_mark_notifications_read(user=request.user, ids=[note.pk])
    return redirect(safe_next(request, reverse("notification_list")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = do_mark_notifications_read(user=request.user)
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect(safe_next(request, reverse("notification_list")))


