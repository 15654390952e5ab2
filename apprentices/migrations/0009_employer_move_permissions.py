"""Employer staff accept or decline apprentices their training provider moves to them."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {Role.EMPLOYER: ["apprentices.decide_employermove"]}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("apprentices", "0008_employer_moves"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
