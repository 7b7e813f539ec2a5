from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "plumbline.analytics"
    label = "analytics"
