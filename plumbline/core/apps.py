import logging

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "plumbline.core"
    label = "core"

    def ready(self) -> None:
        if settings.EMAIL_BACKEND == "django.core.mail.backends.dummy.EmailBackend":
            # Production without EMAIL_URL (settings.py): say once per process that mail goes nowhere.
            logging.getLogger("plumbline").warning(
                "EMAIL_URL is not set: notification emails are not sent (and not logged). "
                "Set EMAIL_URL=smtp://user:password@host:587 to send them.")
