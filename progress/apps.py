from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Off-the-job training and progress reviews"

    def ready(self) -> None:
        from apprentices import coverage
        from apprentices import privacy as apprentices_privacy
        from progress import (  # noqa: F401  (tasks registers an outbox)
            flags,
            privacy,
            reviews,
            revision,
            tasks,
        )
        from psp import audit, homepages
        from psp.accounts import sign_in_changed_by_staff
        from psp.roles import Role

        audit.register_audited(  # the tables kept their names from the apprentices app
            "apprentices_offthejobrule",
            "apprentices_offthejobminimum",
            "apprentices_offthejobentry",
            "apprentices_progressreview",
            "apprentices_reviewtarget",
            "apprentices_reviewksbcomment",
            "apprentices_reviewsigninglink",
            "apprentices_reviewsignature",
        )
        apprentices_privacy.register_holdings(
            *privacy.HOLDINGS,
            audit_links=privacy.AUDIT_LINKS,
            last_changed=privacy.last_changed,
        )
        homepages.register_section(
            [Role.PROVIDER], flags.provider_home, revisions=[revision.REVISION]
        )
        coverage.register_revision(revision.current)

        sign_in_changed_by_staff.connect(
            reviews.on_sign_in_changed_by_staff, dispatch_uid="apprentices_unsign_pending"
        )
        # After the apprentices app's KSB tallies' own (INSTALLED_APPS lists progress after
        # apprentices): the tallies are rebuilt by their install.
        post_migrate.connect(
            revision.install_triggers, sender=self, dispatch_uid="apprentices_progress_revision"
        )
