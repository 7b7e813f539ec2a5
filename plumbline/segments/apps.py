from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "plumbline.segments"
    label = "segments"
