from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "plumbline.handoff"
    label = "handoff"

    def ready(self) -> None:
        from plumbline.crm.hooks import register_eraser
        from plumbline.handoff import consumers  # noqa: F401  (registers the feed's consumers)
        from plumbline.handoff.actions import erase_contact_notes

        register_eraser("handoff", erase_contact_notes)  # privacy rights: the reps' notes on an erased contact
