from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "plumbline.crm"
    label = "crm"
