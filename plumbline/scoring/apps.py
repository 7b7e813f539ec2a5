from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "plumbline.scoring"
    label = "scoring"
