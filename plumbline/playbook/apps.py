from django.apps import AppConfig


class PlaybookConfig(AppConfig):
    name = "plumbline.playbook"
    label = "playbook"

    def ready(self) -> None:
        # The playbook's codes get their labels on every page (definitions.labels); imported here: they load models.
        from plumbline.definitions.labels import register_vocabulary
        from plumbline.playbook.models import AnswerStatus, ObjectionCategory

        register_vocabulary("answer_status", lambda: dict(AnswerStatus.choices))
        register_vocabulary("objection_category", lambda: dict(ObjectionCategory.choices))
        from plumbline.crm.hooks import register_eraser
        from plumbline.playbook.actions import erase_contact_objections

        register_eraser("playbook", erase_contact_objections)  # privacy rights: an erased contact's own words
