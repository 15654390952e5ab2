"""Give each role its permissions on off-the-job training and progress reviews."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    Role.APPRENTICE: [
        "apprentices.view_offthejobentry",
        "apprentices.add_offthejobentry",
        "apprentices.change_offthejobentry",
        "apprentices.view_progressreview",
        "apprentices.sign_progressreview",
    ],
    Role.PROVIDER: [
        "apprentices.view_offthejobentry",
        "apprentices.approve_offthejobentry",
        "apprentices.view_progressreview",
        "apprentices.schedule_progressreview",
        "apprentices.sign_progressreview",
        "apprentices.add_breakinlearning",
        "apprentices.delete_breakinlearning",
    ],
    Role.EMPLOYER: [
        "apprentices.view_offthejobentry",
        "apprentices.view_progressreview",
        "apprentices.sign_progressreview",
    ],
    Role.ADMIN: [
        "apprentices.view_offthejobentry",
        "apprentices.view_progressreview",
        "apprentices.view_offthejobrule",
        "apprentices.add_offthejobrule",
        "apprentices.change_offthejobrule",
        "apprentices.view_offthejobminimum",
        "apprentices.add_offthejobminimum",
        "apprentices.change_offthejobminimum",
    ],
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("apprentices", "0005_off_the_job_rules"),
        ("psp", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
