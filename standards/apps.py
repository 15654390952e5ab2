from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = "Standards"

    def ready(self) -> None:
        from standards import revision

        post_migrate.connect(
            revision.install_triggers, sender=self, dispatch_uid="psp_standards_revision"
        )
