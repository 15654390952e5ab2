from django.urls import reverse

from psp.roles import Role
from tests.factories import make_user


def test_admin_can_manage_users_and_organisations(client, db):
    client.force_login(make_user(role=Role.ADMIN, is_staff=True))
    assert client.get(reverse("admin:psp_user_changelist")).status_code == 200
    assert client.get(reverse("admin:psp_organisation_add")).status_code == 200


def test_standard_versions_are_read_only_in_the_admin(client, st0494):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get(reverse("admin:standards_standardversion_changelist")).status_code == 200
    assert client.get(reverse("admin:standards_standardversion_add")).status_code == 403


def test_non_staff_roles_cannot_open_the_admin(client, db):
    client.force_login(make_user(role=Role.PROVIDER))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
