"""Staff pages under /forms/, and the public /f/<slug> (forms, guided flows, the embed) and /lp/<slug>."""

from django.urls import path

from plumbline.webforms import public, views

urlpatterns = [
    path("forms/", views.form_list, name="webforms_form_list"),
    path("forms/new/", views.form_create, name="webforms_form_create"),
    path("forms/field-row/", views.field_row, name="webforms_field_row"),
    path("forms/field-row/removed/", views.field_row_removed, name="webforms_field_row_removed"),
    path("forms/<int:pk>/", views.form_detail, name="webforms_form_detail"),
    path("forms/<int:pk>/edit/", views.form_edit, name="webforms_form_edit"),
    path("forms/<int:pk>/delete/", views.form_delete, name="webforms_form_delete"),
    path("forms/<int:pk>/submissions.csv", views.submissions_csv, name="webforms_submissions_csv"),
    path("forms/landing-pages/new/", views.landing_edit, name="webforms_landing_create"),
    path("forms/landing-pages/<int:pk>/", views.landing_edit, name="webforms_landing_edit"),
    path("forms/flows/new/", views.flow_edit, name="webforms_flow_create"),
    path("forms/flows/<int:pk>/", views.flow_edit, name="webforms_flow_edit"),
    # public
    path("f/challenge", public.challenge, name="webforms_challenge"),
    path("f/<slug:slug>", public.hosted, name="webforms_hosted"),
    path("f/<slug:slug>/embed.js", public.embed_js, name="webforms_embed_js"),
    path("f/<slug:slug>/schema.json", public.schema_json, name="webforms_schema"),
    path("f/<slug:slug>/submit", public.submit, name="webforms_submit"),
    path("lp/<slug:slug>", public.landing, name="webforms_landing"),
]
