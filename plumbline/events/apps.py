from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "plumbline.events"
    label = "events"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Change feed"
