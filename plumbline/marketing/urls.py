"""Campaign pages (the public /go/<slug> vanity links are tracked hits: plumbline/tracking/urls.py)."""

from django.urls import path

from plumbline.marketing import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/qr.svg", views.campaign_qr, name="campaign_qr"),
]
