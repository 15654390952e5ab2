"""Assessors declare their conflicts of interest; EPAO administrators see their assessors'."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    Role.ASSESSOR: ["epa.view_conflictofinterest", "epa.declare_conflict"],
    Role.EPAO_ADMIN: ["epa.view_conflictofinterest"],
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0009_conflicts_of_interest"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
