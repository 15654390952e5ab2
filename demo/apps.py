from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run` (the seed_demo command); it has no models, and no other
    app imports it."""

    name = "demo"
    verbose_name = "Demo data"
