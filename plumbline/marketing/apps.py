from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "plumbline.marketing"
    label = "marketing"
