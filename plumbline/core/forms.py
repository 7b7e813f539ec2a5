"""The one bridge between an HTML form and an action: a DomainError raised by the action becomes an inline error
on the field it names, so every form shows the domain's own message next to the right input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms

from plumbline.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed

T = TypeVar("T")


def attach_errors(form: forms.Form, exc: DomainError) -> None:
    """Put each error of `exc` on the form field it is about (`custom.size` -> `custom_size`), else on the form."""
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        name = (err.field or "").replace(".", "_")
        form.add_error(name if name in form.fields else None, err.message)
    form.error_status = exc.status  # type: ignore[attr-defined]


def run_action(form: forms.Form, action: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Call `action`; on a domain refusal attach the errors to `form` and return None.

    Permission and not-found errors are not form errors: they propagate so the page answers 403/404, unless the
    refusal is about one of the form's fields (a rep naming another owner), which then shows next to it as a 403.
    """
    try:
        return action(**kwargs)
    except PermissionDenied as exc:
        if exc.field and exc.field in form.fields:
            attach_errors(form, exc)
            return None
        raise
    except NotFound:
        raise
    except DomainError as exc:
        attach_errors(form, exc)
        return None


def form_status(form: forms.Form) -> int:
    """The status of a page re-rendered with errors: the domain's (409 for a duplicate), else 400."""
    return getattr(form, "error_status", 400)
