from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "plumbline.handoff"
    label = "handoff"

    def ready(self) -> None:
        from plumbline.handoff import consumers  # noqa: F401  (registers the feed's consumers)
