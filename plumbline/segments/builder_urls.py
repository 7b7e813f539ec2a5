"""The visual builder's routes: create and edit a segment, the live preview, "why in / not in"."""

from django.urls import path

from plumbline.segments import builder_views

urlpatterns = [
    path("segments/new/", builder_views.segment_create, name="segments_create"),
    path("segments/<int:pk>/edit/", builder_views.segment_edit, name="segments_edit"),
    path("segments/preview/", builder_views.segment_preview, name="segments_preview"),
    path("segments/<int:pk>/why/", builder_views.segment_why, name="segments_why"),
]
