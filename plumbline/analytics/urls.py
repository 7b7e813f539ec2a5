from django.urls import path

from plumbline.analytics import views

urlpatterns = [
    path("analytics/attribution/", views.attribution_page, name="analytics_attribution"),
    path("analytics/roi/", views.roi_page, name="analytics_roi"),
    path("analytics/funnels/", views.funnels_page, name="analytics_funnels"),
]
