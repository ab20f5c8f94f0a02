from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # Role groups need the permission rows, which exist only after migrate has run.
        from .roles import roles_sync_on_migrate

        post_migrate.connect(roles_sync_on_migrate, dispatch_uid="accounts.roles_sync")
        # Failed sign-ins and lockouts are announced only by signal: the audit trail listens.
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from .signin import locked_out_audit, login_failed_audit

        user_login_failed.connect(login_failed_audit, dispatch_uid="accounts.login_failed")
        user_locked_out.connect(locked_out_audit, dispatch_uid="accounts.locked_out")
