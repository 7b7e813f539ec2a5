from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plumbline.core"
    label = "core"
