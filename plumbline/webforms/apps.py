from django.apps import AppConfig


class WebformsConfig(AppConfig):
    name = "plumbline.webforms"
    label = "webforms"

    def ready(self) -> None:
        from plumbline.webforms import hooks
        from plumbline.webforms.tasks import prune_used_challenges
        from plumbline.worker.schedule import register_nightly

        hooks.register()
        register_nightly("prune_used_challenges", prune_used_challenges.enqueue)
