"""A user's role and permissions, cached across requests under access_version (psp.access)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection

from psp.models import User
from psp.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request loads it."""
    return User.objects.get(pk=user.pk)


def version(user: User) -> int:
    return fresh(user).access_version


def test_role_and_permissions_of_a_later_request_cost_no_queries(django_assert_num_queries):
    user = make_user(role=Role.ADMIN)
    first = fresh(user)
    assert first.role == Role.ADMIN
    assert first.has_perm("psp.add_user")
    again = fresh(user)
    with django_assert_num_queries(0):
        assert again.role == Role.ADMIN
        assert again.has_perm("psp.add_user")
        assert not again.has_perm("epa.grade_epa")


def test_joining_a_group_is_seen_by_the_next_request():
    user = make_user()
    assert fresh(user).role is None
    User.objects.get(pk=user.pk).groups.add(Group.objects.get(name=Role.ADMIN.label))
    later = fresh(user)
    assert later.role == Role.ADMIN
    assert later.has_perm("psp.add_user")


def test_the_same_object_sees_its_own_group_change():
    user = make_user(role=Role.PROVIDER)
    assert user.role == Role.PROVIDER
    user.groups.set([Group.objects.get(name=Role.ADMIN.label)])
    assert user.role == Role.ADMIN
    assert user.has_perm("psp.add_user")


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM psp_user_groups WHERE user_id = %(user)s",
        "INSERT INTO psp_user_user_permissions (user_id, permission_id) "
        "VALUES (%(user)s, %(permission)s)",
        "INSERT INTO auth_group_permissions (group_id, permission_id) "
        "VALUES (%(group)s, %(permission)s)",
        "DELETE FROM auth_group_permissions WHERE group_id = %(group)s",
        "UPDATE auth_group SET name = name || ' (old)' WHERE id = %(group)s",
        "UPDATE auth_permission SET codename = codename || '_old' WHERE id = %(permission)s",
    ],
)
def test_every_change_that_feeds_the_cache_raises_the_version_even_in_raw_sql(sql):
    user = make_user(role=Role.EMPLOYER)
    group = Group.objects.get(name=Role.EMPLOYER.label)
    permission = Permission.objects.get(codename="add_user")
    before = version(user)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk, "group": group.pk, "permission": permission.pk})
    assert version(user) > before


def test_a_group_permission_granted_in_raw_sql_is_seen_by_the_next_request():
    user = make_user(role=Role.EMPLOYER)
    assert not fresh(user).has_perm("psp.add_user")
    group = Group.objects.get(name=Role.EMPLOYER.label)
    permission = Permission.objects.get(codename="add_user")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
            [group.pk, permission.pk],
        )
    assert fresh(user).has_perm("psp.add_user")


def test_a_renamed_group_no_longer_gives_its_role():
    user = make_user(role=Role.ASSESSOR)
    assert fresh(user).role == Role.ASSESSOR
    Group.objects.filter(name=Role.ASSESSOR.label).update(name="Former assessors")
    assert fresh(user).role is None


def test_other_users_are_not_touched():
    user, other = make_user(role=Role.EMPLOYER), make_user(role=Role.PROVIDER)
    before = version(other)
    user.groups.add(Group.objects.get(name=Role.ADMIN.label))
    assert version(other) == before


def test_a_superuser_has_every_permission_and_an_inactive_user_none():
    admin = make_user(is_superuser=True)
    assert fresh(admin).has_perm("epa.grade_epa")
    inactive = make_user(role=Role.ADMIN, is_active=False)
    assert not fresh(inactive).has_perm("psp.add_user")
