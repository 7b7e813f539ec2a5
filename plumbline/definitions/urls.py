from django.urls import path

from plumbline.definitions import views

urlpatterns = [
    path("definitions/", views.definitions_page, name="definitions"),
    path("definitions/edit/", views.edit_page, name="definitions_edit"),
    path("definitions/diff/", views.diff_page, name="definitions_diff"),
    path("definitions/mql-rule/", views.mql_rule_page, name="definitions_mql"),
    path("definitions/mql-rule/preview/", views.mql_rule_preview, name="definitions_mql_preview"),
]
