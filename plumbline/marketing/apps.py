from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "plumbline.marketing"
    label = "marketing"

    def ready(self) -> None:
        # What marketing adds to the CRM below it (crm.hooks); imported here because they load models.
        from plumbline.crm.hooks import (
            TimelineSource,
            register_contact_filter,
            register_timeline_source,
        )
        from plumbline.marketing.queries import timeline_entry, timeline_touchpoints, touched_by_campaign

        register_timeline_source(TimelineSource("touchpoint", 20, timeline_touchpoints, timeline_entry))
        register_contact_filter("campaign", touched_by_campaign)
        from plumbline.marketing import consumers  # noqa: F401  (registers the feed's consumers)
