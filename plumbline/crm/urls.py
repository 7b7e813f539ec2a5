"""CRM pages: contacts, companies, deals and the activities on their timelines."""

from django.urls import path

from plumbline.crm.views import activities, companies, contacts, dashboard, deals, merges, pipelines

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("contacts/duplicates/", merges.duplicate_list, name="duplicate_list"),
    path("contacts/duplicates/scan/", merges.duplicate_scan, name="duplicate_scan"),
    path("contacts/duplicates/<int:pk>/dismiss/", merges.duplicate_dismiss, name="duplicate_dismiss"),
    path("contacts/<int:pk>/merge/", merges.contact_merge, name="contact_merge"),
    path("merges/<int:pk>/undo/", merges.merge_undo, name="merge_undo"),
    path("contacts/<int:pk>/lifecycle/", contacts.contact_lifecycle, name="contact_lifecycle"),
    path("contacts/<int:pk>/log/", activities.contact_log, name="contact_log"),
    path("companies/", companies.company_list, name="company_list"),
    path("companies/new/", companies.company_create, name="company_create"),
    path("companies/<int:pk>/", companies.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", companies.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", companies.company_delete, name="company_delete"),
    path("companies/<int:pk>/log/", activities.company_log, name="company_log"),
    path("deals/", deals.deal_board, name="deal_board"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/delete/", deals.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("deals/<int:pk>/log/", activities.deal_log, name="deal_log"),
    path("pipelines/", pipelines.pipeline_list, name="pipeline_list"),
    path("pipelines/new/", pipelines.pipeline_create, name="pipeline_create"),
    path("pipelines/<int:pk>/", pipelines.pipeline_update, name="pipeline_update"),
    path("pipelines/<int:pk>/delete/", pipelines.pipeline_delete, name="pipeline_delete"),
    path("pipelines/<int:pk>/stages/", pipelines.stage_add, name="stage_add"),
    path("pipelines/<int:pk>/stages/<int:stage_pk>/", pipelines.stage_update, name="stage_update"),
    path("pipelines/<int:pk>/stages/<int:stage_pk>/move/", pipelines.stage_move, name="stage_move"),
    path("pipelines/<int:pk>/stages/<int:stage_pk>/remove/", pipelines.stage_remove, name="stage_remove"),
    path("tasks/<int:pk>/complete/", activities.task_complete, name="task_complete"),
]
