from django.apps import AppConfig


class EpaConfig(AppConfig):
    name = "epa"
    verbose_name = "End-point assessment"
