from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "plumbline.playbook"
    label = "playbook"
