from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "Off-the-job training and progress reviews"

    def ready(self) -> None:
        from progress import (  # noqa: F401  (tasks registers an outbox)
            reviews,
            revision,
            tasks,
        )
        from psp.accounts import sign_in_changed_by_staff

        sign_in_changed_by_staff.connect(
            reviews.on_sign_in_changed_by_staff, dispatch_uid="apprentices_unsign_pending"
        )
        # After the apprentices app's KSB tallies' own (INSTALLED_APPS lists progress after
        # apprentices): the tallies are rebuilt by their install.
        post_migrate.connect(
            revision.install_triggers, sender=self, dispatch_uid="apprentices_progress_revision"
        )
