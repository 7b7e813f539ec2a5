"""The change feed's page (admins)."""

from django.urls import path

from plumbline.events import views

urlpatterns = [
    path("settings/events/", views.feed, name="events_feed"),
    path("settings/events/consumers/<str:name>/replay/", views.replay, name="events_replay"),
    path("settings/events/prune/", views.prune, name="events_prune"),
]
