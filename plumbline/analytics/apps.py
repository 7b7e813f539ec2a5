from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "plumbline.analytics"
    label = "analytics"

    def ready(self) -> None:
        # analytics finds the CRM's duplicate contacts (crm.hooks); imported here because they load models.
        from plumbline.analytics.tasks import queue_scan, scan_now, waiting_scan_id
        from plumbline.crm.hooks import DuplicateScanner, register_duplicate_scanner
        from plumbline.worker.schedule import register_nightly

        register_duplicate_scanner(DuplicateScanner(scan=scan_now, queue=queue_scan, waiting=waiting_scan_id))
        register_nightly("scan_duplicates", queue_scan)
