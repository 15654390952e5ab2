from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EpaConfig(AppConfig):
    name = "epa"
    verbose_name = "End-point assessment"

    def ready(self) -> None:
        from epa import finality, progression

        post_migrate.connect(
            finality.install_triggers, sender=self, dispatch_uid="epa_final_results"
        )
        post_migrate.connect(
            progression.install_triggers, sender=self, dispatch_uid="epa_status_progression"
        )
