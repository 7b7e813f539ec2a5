from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "plumbline.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"
