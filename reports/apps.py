from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "PDF reports"

    def ready(self) -> None:
        from apprentices import privacy as apprentices_privacy
        from psp import audit
        from reports import privacy, tasks  # noqa: F401  (registers the reports' outbox and sweep)

        audit.register_audited("epa_report")  # the table kept its name from the epa app
        apprentices_privacy.register_holdings(*privacy.HOLDINGS, audit_links=privacy.AUDIT_LINKS)
