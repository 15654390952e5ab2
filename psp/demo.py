"""Demo organisations and accounts for `make run` (the seed_demo command).

Every name here is fictional. The accounts are listed, with their passwords, on the
sign-in page when PSP_DEMO_ACCOUNTS is on; never turn that on in production.
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


# Demo apprentices: (first, last, ULN base, version, start, planned gateway, status, login).
# The first is the `apprentice` demo account; the rest have no password.
DEMO_APPRENTICES = [
    (
        "Alex",
        "Morgan",
        "100000004",
        "1.0",
        (2023, 9, 4),
        (2025, 3, 3),
        "on_programme",
        "apprentice",
    ),
    ("Bea", "Nwosu", "100000012", "1.0", (2023, 1, 9), (2024, 7, 8), "gateway", ""),
    ("Cal", "Reyes", "100000020", "1.0", (2022, 10, 3), (2024, 4, 1), "in_epa", ""),
    ("Dana", "Kowalski", "100000039", "1.0", (2024, 2, 5), (2025, 8, 4), "break", ""),
    ("Eli", "Hart", "100000047", "1.1", (2024, 9, 2), (2026, 3, 2), "on_programme", ""),
    ("Fern", "Adeyemi", "100000055", "1.1", (2025, 1, 6), (2026, 7, 6), "on_programme", ""),
]

# Evidence for the demo: (title, type, days before today, outcome, KSB codes).
DEMO_EVIDENCE = [
    ("Anonymised pre-sentence report", "work_product", 400, "accepted", ["K1", "K3", "S1", "S3"]),
    (
        "Reflective account: my first supervision",
        "reflective_account",
        380,
        "accepted",
        ["K11", "S12", "B5"],
    ),
    (
        "Witness testimony from my line manager",
        "witness_testimony",
        300,
        "accepted",
        ["S6", "B1", "B2", "B4"],
    ),
    (
        "Observation of a multi-agency meeting",
        "observation",
        240,
        "changes_requested",
        ["K6", "S13", "S14", "B6"],
    ),
    (
        "Sentence plan reviewed with a person on probation",
        "work_product",
        120,
        "submitted",
        ["K4", "S2", "S4", "B7"],
    ),
    ("Notes from a safeguarding referral", "professional_discussion", 30, "draft", ["K5", "S10"]),
]

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 18 Tf 72 770 Td (Demo evidence: fictional) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def uln_with_check_digit(base: str) -> str:
    """A valid ULN from its first nine digits (see apprentices.models.validate_uln)."""
    remainder = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True)) % 11
    if remainder == 0:
        raise ValueError(f"{base} cannot be completed into a valid ULN")
    return f"{base}{10 - remainder}"


@transaction.atomic
def seed_demo_portfolios(users: list[User]) -> None:
    """Demo apprentices on ST0494 v1.0 and v1.1 with evidence at every stage (idempotent)."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from apprentices import portfolio
    from apprentices.models import Apprentice
    from apprentices.uploads import check_upload
    from standards.models import StandardVersion

    by_username = {user.username: user for user in users}
    provider_user = by_username["provider"]
    provider = provider_user.organisation
    employer = by_username["employer"].organisation
    epao = by_username["assessor"].organisation
    assert provider is not None, "seed_demo() gives the provider account an organisation"
    assert employer is not None, "seed_demo() gives the employer account an organisation"
    versions = {v.version: v for v in StandardVersion.objects.filter(standard__reference="ST0494")}
    apprentice_group = Group.objects.get(name=Role.APPRENTICE.label)
    today = timezone.localdate()
    for first, last, base, version, start, gateway, status, login in DEMO_APPRENTICES:
        if version not in versions:
            continue
        user = (
            by_username.get(login)
            or User.objects.get_or_create(
                username=f"{first}.{last}@example.org".lower(),
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first}.{last}@example.org".lower(),
                },
            )[0]
        )
        if not login:
            user.set_unusable_password()
            user.save()
        user.groups.add(apprentice_group)
        apprentice, _ = Apprentice.objects.update_or_create(
            user=user,
            defaults={
                "uln": uln_with_check_digit(base),
                "standard_version": versions[version],
                "start_date": datetime.date(*start),
                "planned_gateway_date": datetime.date(*gateway),
                "employer": employer,
                "training_provider": provider,
                "epao": epao,
                "status": status,
            },
        )
        if apprentice.evidence.exists():
            continue
        for title, kind, days_ago, outcome, codes in DEMO_EVIDENCE:
            is_pdf = kind == "work_product"
            upload = SimpleUploadedFile(
                f"{title}.pdf" if is_pdf else f"{title}.txt",
                DEMO_PDF if is_pdf else f"{title}\n\nFictional demo evidence.\n".encode(),
            )
            evidence = portfolio.create_evidence(
                apprentice,
                by=user,
                files=[check_upload(upload)],
                title=title,
                activity_date=today - datetime.timedelta(days=days_ago),
                evidence_type=kind,
                reflection=f"Demo reflection for “{title}”. All details are fictional.",
                personal_data_removed=True,
            )
            if versions[version].ksbs_imported:
                ksbs = {k.code: k for k in versions[version].ksbs.all()}
                portfolio.set_mappings(
                    evidence, {ksbs[c]: "Demo note" for c in codes if c in ksbs}, by=user
                )
            if outcome == "draft":
                continue
            evidence.submit(by=user)
            if outcome == "accepted":
                evidence.accept(by=provider_user, comment="Clear and well anonymised.")
            elif outcome == "changes_requested":
                evidence.request_changes(
                    by=provider_user, comment="Say more about your own part in the meeting."
                )
