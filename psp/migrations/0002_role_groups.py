"""Create a Group for each role with its permissions (see psp.roles)."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from psp.roles import ROLE_PERMISSIONS, grant

    grant(apps, ROLE_PERMISSIONS)


def remove_role_groups(apps, schema_editor):
    from psp.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=Role.labels).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("psp", "0001_initial"),
        ("standards", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
