from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "plumbline.events"
    label = "events"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Change feed"

    def ready(self) -> None:
        # The scheduler queues the feed's nightly prune (worker.schedule); imported here because it loads models.
        from plumbline.events.retention import prune_events
        from plumbline.worker.schedule import register_nightly

        register_nightly("prune_events", prune_events.enqueue)
