"""The roles people have in psp. Each role is a Group of the same name (label);
the groups and their permissions are created by data migrations.
"""

from typing import Protocol

from django.db import models


class Role(models.TextChoices):
    APPRENTICE = "apprentice", "Apprentice"
    PROVIDER = "provider", "Training provider staff"
    EMPLOYER = "employer", "Employer staff"
    ASSESSOR = "assessor", "EPAO assessor"
    EPAO_ADMIN = "epao_admin", "EPAO administrator"
    ADMIN = "admin", "Administrator"


# Permissions each role's group holds, as "app_label.codename". Later migrations add
# permissions for the models they create with psp.roles.grant().
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.APPRENTICE: ["standards.view_standardversion"],
    Role.PROVIDER: ["standards.view_standardversion"],
    Role.EMPLOYER: ["standards.view_standardversion"],
    Role.ASSESSOR: ["standards.view_standardversion"],
    Role.EPAO_ADMIN: ["standards.view_standardversion"],
    Role.ADMIN: [
        "standards.view_standardversion",
        "standards.add_standardversion",
        "standards.change_standardversion",
        "psp.view_user",
        "psp.add_user",
        "psp.change_user",
        "psp.view_organisation",
        "psp.add_organisation",
        "psp.change_organisation",
    ],
}


def grant(apps, role_permissions: dict[Role, list[str]]) -> None:  # type: ignore[no-untyped-def]
    """Create the role groups and give them permissions; for data migrations.

    Permissions are normally created after migrations finish, so this creates any that
    are missing for the apps named first.
    """
    from django.contrib.auth.management import create_permissions

    for app_label in {perm.split(".")[0] for perms in role_permissions.values() for perm in perms}:
        app_config = apps.get_app_config(app_label)
        # Historical app configs have no models module; create_permissions needs one set.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group, _ = group_model.objects.get_or_create(name=role.label)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Viewer(Protocol):
    """Whom rows are chosen for (`visible_to`): a signed-in psp.models.User, or an API
    token's api.tokens.Principal, which stands in for its organisation's staff."""

    @property
    def pk(self) -> int | None: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def role(self) -> Role | None: ...

    @property
    def organisation_id(self) -> int | None: ...
