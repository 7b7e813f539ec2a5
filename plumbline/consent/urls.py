"""Consent pages: the public ones a contact reaches from an email link (no sign-in), and the staff pages."""

from django.urls import path

from plumbline.consent import public, views

app_name = "consent"

urlpatterns = [
    path("consent/confirm/<str:token>/", public.confirm, name="confirm"),
    path("consent/preferences/<str:token>/", public.preferences, name="preferences"),
    path("contacts/<int:pk>/consent/", views.contact_consent, name="contact"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="erase"),
    path("contacts/<int:pk>/export.json", views.contact_export, name="export"),
    path("settings/subscription-types/", views.type_list, name="type_list"),
    path("settings/subscription-types/new/", views.type_create, name="type_create"),
    path("settings/subscription-types/<int:pk>/", views.type_edit, name="type_edit"),
]
