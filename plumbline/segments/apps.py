from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "plumbline.segments"
    label = "segments"

    def ready(self) -> None:
        # What segments add to the CRM below them (crm.hooks): the contact page's segments panel.
        from plumbline.crm.hooks import register_contact_panel
        from plumbline.segments.views import contact_panel

        register_contact_panel("segments", contact_panel)
