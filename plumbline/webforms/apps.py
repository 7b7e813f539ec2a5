from django.apps import AppConfig


class WebformsConfig(AppConfig):
    name = "plumbline.webforms"
    label = "webforms"

    def ready(self) -> None:
        from plumbline.webforms import hooks

        hooks.register()
