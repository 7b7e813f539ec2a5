from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "plumbline.marketing"
    label = "marketing"

    def ready(self) -> None:
        from plumbline.marketing import consumers  # noqa: F401  (registers the feed's consumers)
