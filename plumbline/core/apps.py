import logging
from importlib import import_module

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    name = "plumbline.core"
    label = "core"

    def ready(self) -> None:
        # Each app names the permission resources it owns in its own `permissions` module (as the admin finds
        # each app's `admin` module): core lists none of them.
        for config in apps.get_app_configs():
            if config.name.startswith("plumbline.") and module_has_submodule(config.module, "permissions"):
                import_module(f"{config.name}.permissions")
        if settings.EMAIL_BACKEND == "django.core.mail.backends.dummy.EmailBackend":
            # Production without EMAIL_URL (settings.py): say once per process that mail goes nowhere.
            logging.getLogger("plumbline").warning(
                "EMAIL_URL is not set: notification emails are not sent (and not logged). "
                "Set EMAIL_URL=smtp://user:password@host:587 to send them.")
