"""Let every role ask for PDF reports of what it can see (see psp.roles)."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {role: ["epa.request_report"] for role in Role}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0003_report"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
