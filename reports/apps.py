from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "PDF reports"

    def ready(self) -> None:
        from apprentices import privacy as apprentices_privacy
        from psp import audit
        from reports import privacy, revision, tasks  # noqa: F401  (registers the reports' outbox and sweep)

        post_migrate.connect(revision.install_triggers, sender=self, dispatch_uid="report_revision")
        audit.register_audited("epa_report")  # the table kept its name from the epa app
        apprentices_privacy.register_holdings(*privacy.HOLDINGS, audit_links=privacy.AUDIT_LINKS)
