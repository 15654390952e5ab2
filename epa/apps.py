from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EpaConfig(AppConfig):
    name = "epa"
    verbose_name = "End-point assessment"

    def ready(self) -> None:
        from epa import finality, homes, progression
        from psp import homepages
        from psp.roles import Role

        homepages.register_section([Role.EMPLOYER], homes.employer_home)
        homepages.register_section([Role.ASSESSOR], homes.assessor_home)
        homepages.register_section([Role.EPAO_ADMIN], homes.epao_admin_home)

        post_migrate.connect(
            finality.install_triggers, sender=self, dispatch_uid="epa_final_results"
        )
        post_migrate.connect(
            progression.install_triggers, sender=self, dispatch_uid="epa_status_progression"
        )
