from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class PspConfig(AppConfig):
    name = "psp"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        from psp import access, audit, tasks  # noqa: F401  (tasks registers the notifications' outbox)

        connection_created.connect(audit.prepare_connection, dispatch_uid="psp_audit_fn")
        post_migrate.connect(audit.install_triggers, sender=self, dispatch_uid="psp_audit_triggers")
        post_migrate.connect(
            access.install_triggers, sender=self, dispatch_uid="psp_access_triggers"
        )
        from django.db.models.signals import m2m_changed

        from psp.models import User

        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(
                access.refresh_version, sender=through, dispatch_uid=f"psp_access_{through}"
            )

        from django.contrib.auth.signals import user_logged_in

        from psp.middleware import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="psp_session_limits_sign_in")

        from allauth.mfa import signals as mfa_signals

        from psp import twofactor

        mfa_signals.authenticator_added.connect(twofactor.on_authenticator_added)
        mfa_signals.authenticator_removed.connect(twofactor.on_authenticator_removed)
        mfa_signals.authenticator_reset.connect(twofactor.on_authenticator_reset)
