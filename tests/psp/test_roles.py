import importlib

from django.contrib.auth.models import Group

from psp.roles import ROLE_PERMISSIONS, Role
from tests.factories import make_user

# Every migration that grants role permissions, in order.
GRANTS = [
    ROLE_PERMISSIONS,
    importlib.import_module("apprentices.migrations.0002_role_permissions").PERMISSIONS,
    importlib.import_module("epa.migrations.0002_role_permissions").PERMISSIONS,
    importlib.import_module("epa.migrations.0004_report_permissions").PERMISSIONS,
    importlib.import_module("apprentices.migrations.0006_progress_permissions").PERMISSIONS,
    importlib.import_module("psp.migrations.0005_notification_permissions").PERMISSIONS,
    importlib.import_module("epa.migrations.0007_link_attempts_and_amend_permission").PERMISSIONS,
    importlib.import_module("epa.migrations.0010_conflict_permissions").PERMISSIONS,
    importlib.import_module("epa.migrations.0012_submission_permissions").PERMISSIONS,
    importlib.import_module("apprentices.migrations.0009_employer_move_permissions").PERMISSIONS,
    importlib.import_module("api.migrations.0002_token_permissions").PERMISSIONS,
]
# Models that moved app since their permissions were granted: the grant follows the model.
MOVED = importlib.import_module("progress.migrations.0002_relabel_content_types").moved
# Permissions whose model moved to another app since they were granted.
RELABELLED = importlib.import_module("reports.migrations.0001_move_report_to_reports").RELABELLED


def test_every_role_has_a_group_with_exactly_the_granted_permissions(db):
    for role in Role:
        expected = {
            RELABELLED.get(MOVED(perm), MOVED(perm))
            for grant in GRANTS
            for perm in grant.get(role, [])
        }
        group = Group.objects.get(name=role.label)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == expected, role


def test_user_role_comes_from_their_group(db):
    assert make_user(role=Role.ASSESSOR).role == Role.ASSESSOR
    assert make_user().role is None


def test_superuser_is_an_admin(db):
    assert make_user(is_superuser=True).role == Role.ADMIN


def test_only_admins_may_change_standard_versions(db):
    assert make_user(role=Role.ADMIN).has_perm("standards.change_standardversion")
    for role in set(Role) - {Role.ADMIN}:
        user = make_user(role=role)
        assert user.has_perm("standards.view_standardversion")
        assert not user.has_perm("standards.change_standardversion")
