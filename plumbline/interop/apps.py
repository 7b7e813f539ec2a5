from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "plumbline.interop"
    label = "interop"
