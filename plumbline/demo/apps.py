from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "plumbline.demo"
    label = "demo"
