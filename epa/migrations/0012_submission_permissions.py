"""Apprentices hand in the material their EPA methods ask for (epa.MethodSubmission)."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {Role.APPRENTICE: ["epa.submit_material"]}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0011_method_submissions"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
