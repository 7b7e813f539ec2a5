from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "plumbline.definitions"
    label = "definitions"
