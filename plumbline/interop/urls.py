from django.urls import path

from plumbline.interop import views

app_name = "interop"

urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<str:token>/", views.import_map, name="import_map"),
    path("import/<str:token>/done", views.import_done, name="import_done"),
    path("export/<str:kind>.csv", views.export_csv, name="export"),
]
