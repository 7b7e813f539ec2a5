from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "plumbline.scoring"
    label = "scoring"

    def ready(self) -> None:
        from plumbline.scoring import consumers  # noqa: F401  (registers the feed's consumers)
