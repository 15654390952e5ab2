from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"

    def ready(self) -> None:
        from apprentices import (  # noqa: F401  (tasks registers an outbox)
            flags,
            homes,
            options,
            privacy,
            progress,
            progress_privacy,
            reviews,
            scanning,
            tallies,
            tasks,
        )
        from psp import audit, health, homepages
        from psp.accounts import sign_in_changed_by_staff
        from psp.roles import Role

        audit.register_audited(
            "apprentices_apprentice",
            "apprentices_evidence",
            "apprentices_evidenceksb",
            "apprentices_evidencefile",
            "apprentices_versionmove",
            "apprentices_evidenceevent",
            "apprentices_breakinlearning",
            # Off-the-job training and progress reviews (the progress app's, tables kept).
            "apprentices_offthejobrule",
            "apprentices_offthejobminimum",
            "apprentices_offthejobentry",
            "apprentices_progressreview",
            "apprentices_reviewtarget",
            "apprentices_reviewksbcomment",
            "apprentices_reviewsigninglink",
            "apprentices_reviewsignature",
        )
        privacy.register_holdings(
            *progress_privacy.HOLDINGS,
            audit_links=progress_privacy.AUDIT_LINKS,
            last_changed=progress_privacy.last_changed,
        )
        health.register_check("antivirus", scanning.clamd_status)
        homepages.register_section([Role.APPRENTICE], homes.apprentice_home)
        homepages.register_section(
            [Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN], homes.staff_home
        )
        homepages.register_section([Role.PROVIDER], flags.provider_home)
        homepages.register_section([Role.EMPLOYER], homes.employer_home)
        homepages.register_section([Role.ADMIN], homes.admin_home)

        sign_in_changed_by_staff.connect(
            reviews.on_sign_in_changed_by_staff, dispatch_uid="apprentices_unsign_pending"
        )

        post_migrate.connect(
            tallies.install_triggers, sender=self, dispatch_uid="apprentices_ksb_tallies"
        )
        # After the tallies' own: they are rebuilt by their install.
        post_migrate.connect(
            progress.install_triggers, sender=self, dispatch_uid="apprentices_progress_revision"
        )
        post_migrate.connect(
            options.install_triggers, sender=self, dispatch_uid="apprentices_chosen_option"
        )
