from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "plumbline.handoff"
    label = "handoff"
