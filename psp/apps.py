from django.apps import AppConfig


class PspConfig(AppConfig):
    name = "psp"
    verbose_name = "People and organisations"
