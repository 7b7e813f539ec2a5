"""Segment pages under /segments/: the list and a segment's members (views.py), and the builder: create, edit,
live preview and "why is this contact in / not in" (builder_views.py, builder_urls.py)."""

from django.urls import path  # noqa: F401  (views.py's routes go here)

from plumbline.segments import builder_urls

urlpatterns = [
    *builder_urls.urlpatterns,
]
