from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = "Standards"

    def ready(self) -> None:
        from psp import audit, homepages
        from psp.roles import Role
        from standards import homes, revision, tasks, uploads

        uploads.bulk_import_started.connect(
            tasks.queue_bulk_import, dispatch_uid="psp_queue_bulk_import"
        )

        audit.register_audited(
            "standards_standardversion", "standards_standardimport", "standards_ksbcrosswalk"
        )
        homepages.register_section([Role.ADMIN], homes.standard_versions)

        post_migrate.connect(
            revision.install_triggers, sender=self, dispatch_uid="psp_standards_revision"
        )
