from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApprenticesConfig(AppConfig):
    name = "apprentices"
    verbose_name = "Apprentices and portfolios"

    def ready(self) -> None:
        from apprentices import options, reviews, tallies, tasks  # noqa: F401  (tasks registers an outbox)
        from psp.accounts import sign_in_changed_by_staff

        sign_in_changed_by_staff.connect(
            reviews.on_sign_in_changed_by_staff, dispatch_uid="apprentices_unsign_pending"
        )

        post_migrate.connect(
            tallies.install_triggers, sender=self, dispatch_uid="apprentices_ksb_tallies"
        )
        post_migrate.connect(
            options.install_triggers, sender=self, dispatch_uid="apprentices_chosen_option"
        )
