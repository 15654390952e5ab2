from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"

    def ready(self) -> None:
        from apprentices import options, tallies, tasks  # noqa: F401  (tasks: its Celery tasks)

        post_migrate.connect(
            tallies.install_triggers, sender=self, dispatch_uid="apprentices_ksb_tallies"
        )
        # The progress revision's triggers (progress.revision) are installed after these.
        post_migrate.connect(
            options.install_triggers, sender=self, dispatch_uid="apprentices_chosen_option"
        )
