"""Demo organisations and accounts for `make run` (the seed_demo command, demo/).

Every name here is fictional. The accounts are listed, with their passwords, on the
sign-in page when PSP_DEMO_ACCOUNTS is on; never turn that on in production. The demo's
apprentices, evidence, EPAs and progress are seeded by the demo app (demo.seeding), above
every other app, since they touch them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from psp.models import Organisation, User
from psp.roles import Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    first_name: str
    last_name: str
    role: Role
    organisation: tuple[str, Organisation.Kind] | None


DEMO_PROVIDER = ("Northgate Training Academy (demo)", Organisation.Kind.TRAINING_PROVIDER)
DEMO_EMPLOYER = ("Eastmoor Probation Delivery Unit (demo)", Organisation.Kind.EMPLOYER)
DEMO_EPAO = ("Fairmark Assessment Ltd (demo)", Organisation.Kind.EPAO)

DEMO_ACCOUNTS = [
    DemoAccount("apprentice", "demo-apprentice-pass", "Alex", "Morgan", Role.APPRENTICE, None),
    DemoAccount("provider", "demo-provider-pass", "Priya", "Shah", Role.PROVIDER, DEMO_PROVIDER),
    DemoAccount("employer", "demo-employer-pass", "Ellis", "Carter", Role.EMPLOYER, DEMO_EMPLOYER),
    DemoAccount("assessor", "demo-assessor-pass", "Sam", "Okafor", Role.ASSESSOR, DEMO_EPAO),
    DemoAccount(
        "epao-admin", "demo-epao-admin-pass", "Jo", "Lindqvist", Role.EPAO_ADMIN, DEMO_EPAO
    ),
    # A second person at the EPAO: amendments are never the assessor's or the moderator's.
    DemoAccount(
        "epao-checker", "demo-epao-checker-pass", "Kit", "Mensah", Role.EPAO_ADMIN, DEMO_EPAO
    ),
    DemoAccount("admin", "demo-admin-pass", "Ada", "Whitfield", Role.ADMIN, None),
]


@transaction.atomic
def seed_demo() -> list[User]:
    """Create or reset the demo organisations and accounts; safe to run repeatedly."""
    users = []
    for account in DEMO_ACCOUNTS:
        organisation = None
        if account.organisation:
            name, kind = account.organisation
            organisation, _ = Organisation.objects.get_or_create(name=name, kind=kind)
            if kind == Organisation.Kind.EMPLOYER and not organisation.signing_contact_email:
                # Signing links go only to the contact on the employer's record.
                organisation.signing_contact_name = "Sam Supervisor (demo)"
                organisation.signing_contact_email = "signing-contact@example.org"
                organisation.save()
        user, _ = User.objects.get_or_create(username=account.username)
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.email = f"{account.username}@example.org"
        user.organisation = organisation
        user.is_staff = account.role == Role.ADMIN
        user.set_password(account.password)
        user.save()
        user.groups.set([Group.objects.get(name=account.role.label)])
        users.append(user)
    return users
