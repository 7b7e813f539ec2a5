from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "plumbline.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from plumbline.webhooks import consumers  # noqa: F401 (registers the feed consumer)
