from django.urls import path

from plumbline.playbook import views

urlpatterns = [
    path("playbook/frameworks/", views.frameworks_page, name="playbook_frameworks"),
    path("playbook/frameworks/from-template", views.framework_from_template, name="playbook_framework_from_template"),
    path("playbook/frameworks/choose", views.framework_choose, name="playbook_framework_choose"),
    path("playbook/frameworks/<int:pk>/", views.framework_edit, name="playbook_framework_edit"),
    path("playbook/frameworks/<int:pk>/delete", views.framework_delete, name="playbook_framework_delete"),
    path("deals/<int:pk>/qualification/", views.qualification_page, name="playbook_qualification"),
    path("objections/", views.objections_page, name="playbook_objections"),
    path("objections/suggestions/", views.suggestions_fragment, name="playbook_suggestions"),
    path("objections/<int:pk>/outcome", views.objection_outcome, name="playbook_objection_outcome"),
    path("reports/objections/", views.objection_report_page, name="playbook_objection_report"),
    path("playbook/messaging/", views.messaging_page, name="playbook_messaging"),
    path("playbook/messaging/new/", views.messaging_create, name="playbook_messaging_create"),
    path("playbook/messaging/<int:pk>/edit/", views.messaging_edit, name="playbook_messaging_edit"),
    path("playbook/messaging/<int:pk>/delete", views.messaging_delete, name="playbook_messaging_delete"),
]
