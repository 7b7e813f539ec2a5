from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "plumbline.tracking"
    label = "tracking"

    def ready(self) -> None:
        from plumbline.tracking import (
            permissions,  # noqa: F401  (registers the resources)
            privacy,
        )

        privacy.register()
