"""Every role reads its own notifications and chooses which it gets by email."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {
    role: [
        "psp.view_notification",
        "psp.change_notification",
        "psp.change_notificationpreference",
    ]
    for role in Role
}


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("psp", "0004_notifications")]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
