"""Give each role its permissions on gateway and EPA (see psp.roles)."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    Role.APPRENTICE: ["epa.view_epa", "epa.view_gatewayattempt"],
    Role.PROVIDER: [
        "epa.view_epa",
        "epa.view_gatewayattempt",
        "epa.prepare_gateway",
        "epa.confirm_gateway",
    ],
    Role.EMPLOYER: ["epa.view_epa", "epa.view_gatewayattempt", "epa.confirm_gateway"],
    Role.ASSESSOR: ["epa.view_epa", "epa.view_gatewayattempt", "epa.grade_epa"],
    Role.EPAO_ADMIN: [
        "epa.view_epa",
        "epa.view_gatewayattempt",
        "epa.decide_gateway",
        "epa.manage_epa",
        "epa.moderate_epa",
    ],
    Role.ADMIN: ["epa.view_epa", "epa.view_gatewayattempt"],
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0001_initial"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
