"""The tracking script, the collect endpoint, print campaigns' /go/ links, and the site pages."""

from django.urls import path

from plumbline.tracking import views

urlpatterns = [
    path("t.js", views.script, name="tracking_script"),
    path("t/collect", views.collect, name="tracking_collect"),
    path("go/<slug:slug>", views.go, name="campaign_go"),
    path("tracking/sites/", views.site_list, name="site_list"),
    path("tracking/sites/new/", views.site_create, name="site_create"),
    path("tracking/sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("tracking/channels/", views.channel_rules, name="channel_rules"),
]
