from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EpaConfig(AppConfig):
    name = "epa"
    verbose_name = "End-point assessment"

    def ready(self) -> None:
        from apprentices import privacy as apprentices_privacy
        from epa import finality, homes, privacy, progression, revision
        from psp import audit, homepages
        from psp.roles import Role

        audit.register_audited(
            "epa_gatewayattempt",
            "epa_gatewayitem",
            "epa_epa",
            "epa_methodassessment",
            "epa_criteriondecision",
            "epa_eparesult",
            "epa_amendment",
            "epa_conflictofinterest",
            "epa_question",
            "epa_epaevent",
        )
        apprentices_privacy.register_holdings(
            *privacy.HOLDINGS,
            audit_links=privacy.AUDIT_LINKS,
            last_changed=privacy.last_changed,
        )
        apprentices_privacy.register_result(kept=privacy.result_kept, final=privacy.result_final)
        homepages.register_section(
            [Role.EMPLOYER], homes.employer_home, revisions=[revision.REVISION]
        )
        homepages.register_section([Role.ASSESSOR], homes.assessor_home)
        homepages.register_section(
            [Role.EPAO_ADMIN], homes.epao_admin_home, revisions=[revision.REVISION]
        )

        post_migrate.connect(
            finality.install_triggers, sender=self, dispatch_uid="epa_final_results"
        )
        post_migrate.connect(
            progression.install_triggers, sender=self, dispatch_uid="epa_status_progression"
        )
        post_migrate.connect(revision.install_triggers, sender=self, dispatch_uid="epa_revision")
