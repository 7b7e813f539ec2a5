import datetime as dt

from django.apps import AppConfig

# How often the segments with time windows are re-evaluated (tasks.refresh_relative).
RELATIVE_EVERY = dt.timedelta(hours=1)


class SegmentsConfig(AppConfig):
    name = "plumbline.segments"
    label = "segments"

    def ready(self) -> None:
        from plumbline.segments import consumers, hooks  # noqa: F401  (consumers registers the feed's consumer)
        from plumbline.segments.tasks import refresh_relative
        from plumbline.worker.schedule import register_periodic

        hooks.register()
        register_periodic("segments.refresh_relative", refresh_relative.enqueue, every=RELATIVE_EVERY)
