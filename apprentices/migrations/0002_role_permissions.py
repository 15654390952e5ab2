"""Give each role its permissions on apprentices and evidence (see psp.roles)."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    Role.APPRENTICE: [
        "apprentices.view_apprentice",
        "apprentices.view_evidence",
        "apprentices.add_evidence",
        "apprentices.change_evidence",
    ],
    Role.PROVIDER: [
        "apprentices.view_apprentice",
        "apprentices.add_apprentice",
        "apprentices.change_apprentice",
        "apprentices.view_evidence",
        "apprentices.review_evidence",
        "apprentices.view_cohort",
    ],
    Role.EMPLOYER: [
        "apprentices.view_apprentice",
        "apprentices.view_evidence",
        "apprentices.view_cohort",
    ],
    Role.ASSESSOR: ["apprentices.view_apprentice", "apprentices.view_evidence"],
    Role.EPAO_ADMIN: ["apprentices.view_apprentice", "apprentices.view_evidence"],
    Role.ADMIN: [
        "apprentices.view_apprentice",
        "apprentices.add_apprentice",
        "apprentices.change_apprentice",
        "apprentices.view_evidence",
        "apprentices.view_cohort",
    ],
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("apprentices", "0001_initial"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
