from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"

    def ready(self) -> None:
        from apprentices import (  # noqa: F401  (tasks: its Celery tasks)
            homes,
            options,
            revision,
            scanning,
            tallies,
            tasks,
        )
        from psp import audit, health, homepages
        from psp.roles import Role

        audit.register_audited(
            "apprentices_apprentice",
            "apprentices_evidence",
            "apprentices_evidenceksb",
            "apprentices_evidencefile",
            "apprentices_versionmove",
            "apprentices_evidenceevent",
            "apprentices_breakinlearning",
        )
        health.register_check("antivirus", scanning.clamd_status)
        homepages.register_section([Role.APPRENTICE], homes.apprentice_home)
        homepages.register_section(
            [Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN],
            homes.staff_home,
            revisions=[revision.REVISION],
        )
        homepages.register_section([Role.ADMIN], homes.admin_home)

        post_migrate.connect(
            tallies.install_triggers, sender=self, dispatch_uid="apprentices_ksb_tallies"
        )
        # The progress revision's triggers (progress.revision) are installed after these.
        post_migrate.connect(
            options.install_triggers, sender=self, dispatch_uid="apprentices_chosen_option"
        )
        post_migrate.connect(
            revision.install_triggers, sender=self, dispatch_uid="apprentices_evidence_revision"
        )
