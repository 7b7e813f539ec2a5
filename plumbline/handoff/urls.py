from django.urls import path

from plumbline.handoff import views

urlpatterns = [
    path("queue/", views.queue_page, name="handoff_queue"),
    path("queue/backlog/", views.backlog_card, name="handoff_backlog"),
    path("queue/waiting/", views.waiting_page, name="handoff_waiting"),
    path("queue/<int:pk>/accept", views.accept, name="handoff_accept"),
    path("queue/<int:pk>/reject", views.reject, name="handoff_reject"),
    path("contacts/<int:pk>/handoff-panel/", views.contact_panel, name="handoff_contact_panel"),
    path("reports/lead-quality/", views.lead_quality_page, name="report_lead_quality"),
]
