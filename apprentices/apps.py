from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"

    def ready(self) -> None:
        from apprentices import tallies, tasks  # noqa: F401  (tasks registers an outbox)

        post_migrate.connect(
            tallies.install_triggers, sender=self, dispatch_uid="apprentices_ksb_tallies"
        )
