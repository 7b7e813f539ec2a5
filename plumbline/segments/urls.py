"""Segment pages under /segments/: the list and a segment's members (views.py), and the builder: create, edit,
live preview and "why is this contact in / not in" (builder_views.py, builder_urls.py)."""

from django.urls import path

from plumbline.segments import builder_urls, views

urlpatterns = [
    path("segments/", views.segment_list, name="segments_list"),
    path("segments/<int:pk>/", views.segment_detail, name="segments_detail"),
    path("segments/<int:pk>/members.csv", views.members_csv, name="segments_members_csv"),
    path("segments/<int:pk>/history/", views.segment_history, name="segments_history"),
    path("segments/<int:pk>/refresh/", views.segment_refresh, name="segments_refresh"),
    path("segments/<int:pk>/snapshot/", views.segment_snapshot, name="segments_snapshot"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segments_delete"),
    path("segments/<int:pk>/members/add/", views.list_add, name="segments_list_add"),
    path("segments/<int:pk>/members/remove/", views.list_remove, name="segments_list_remove"),
    path("segments/<int:pk>/members/import/", views.list_import, name="segments_list_import"),
    path("segments/<int:pk>/members/candidates/", views.list_candidates, name="segments_list_candidates"),
    path("contacts/<int:pk>/segments/add/", views.contact_add_to_list, name="segments_contact_add"),
    *builder_urls.urlpatterns,
]
