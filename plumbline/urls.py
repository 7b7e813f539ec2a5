"""URL map: the API at /api/v1, the UI pages of each app."""

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from plumbline.api import api
from plumbline.core import views as core_views
from plumbline.views import home

urlpatterns = [
    path("api/v1/", api.urls),
    path("login/", auth_views.LoginView.as_view(template_name="auth/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("", home, name="home"),
    path("", include("plumbline.crm.urls")),
    path("", include("plumbline.marketing.urls")),
    path("", include("plumbline.consent.urls")),
    path("", include("plumbline.interop.urls")),
    path("", include("plumbline.handoff.urls")),
    path("", include("plumbline.definitions.urls")),
    path("", include("plumbline.playbook.urls")),
    path("", include("plumbline.events.urls")),
    path("", include("plumbline.scoring.urls")),
    path("", include("plumbline.analytics.urls")),
    path("", include("plumbline.accounts.urls")),
    path("", include("plumbline.webhooks.urls")),
    path("", include("plumbline.webforms.urls")),
    path("", include("plumbline.segments.urls")),
    path("", include("plumbline.tracking.urls")),
    path("", include("plumbline.demo.urls")),  # the demo company's website, while the demo is loaded
]

handler400 = "plumbline.core.security.bad_request"  # a body over the limit is a 413 that says so
