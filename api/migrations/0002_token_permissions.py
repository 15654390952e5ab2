"""Training provider staff and EPAO administrators manage their organisation's API tokens."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    Role.PROVIDER: ["api.view_apitoken", "api.add_apitoken", "api.change_apitoken"],
    Role.EPAO_ADMIN: ["api.view_apitoken", "api.add_apitoken", "api.change_apitoken"],
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_tokens"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
