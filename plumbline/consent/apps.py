from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "plumbline.consent"
    label = "consent"
    verbose_name = "Consent and privacy"

    def ready(self) -> None:
        # What consent adds to the CRM below it (crm.hooks): its part of a merge, of an erasure and of an export.
        from plumbline.consent.actions import erase_consent, merge_consent
        from plumbline.consent.queries import export_consent
        from plumbline.consent.views import contact_panel
        from plumbline.crm.hooks import (
            register_contact_panel,
            register_eraser,
            register_exporter,
            register_merge_step,
        )

        register_eraser("consent", erase_consent)
        register_exporter("consent", export_consent)
        register_merge_step("consent", merge_consent)
        register_contact_panel("consent", contact_panel)
        from plumbline.consent import consumers  # noqa: F401  (registers the feed's consumer)
