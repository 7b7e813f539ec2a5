"""Authentication backends: django-axes' sign-in throttling in front of Django's model backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class ThrottledSignIn(AxesStandaloneBackend):
    """Refuses a locked-out username and address before the password is checked (see AXES_* in settings).

    Axes needs the request to know the address. A call to authenticate() without one (the test client's
    login(), a shell) is no sign-in over the network: it is left to the model backend instead of failing.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
