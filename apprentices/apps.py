from django.apps import AppConfig


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"
