"""The funding rules' minimum off-the-job training, as dated data (see apprentices.training).

Each row applies to apprenticeships starting in its date range and says where it comes from.
The per-standard minimum from 1 August 2025 has no figure here: each standard's published
minimum is an OffTheJobMinimum row, and ST0494's is not in the project's sources, so it is
shown as "not yet imported" until an administrator adds it.
"""

import datetime
from decimal import Decimal

from django.db import migrations

RULES = [
    {
        "name": "20% of contracted hours",
        "applies_to_starts_from": datetime.date(2017, 5, 1),
        "applies_to_starts_until": datetime.date(2022, 7, 31),
        "kind": "percent_of_contracted_hours",
        "value": Decimal("20"),
        "full_time_hours": None,
        "statutory_leave_weeks_per_year": Decimal("5.6"),
        "source": (
            "ESFA apprenticeship funding rules, May 2017 to July 2022: off-the-job training of at "
            "least 20% of the apprentice's normal working hours (contracted hours, without "
            "overtime) over the planned duration of the practical period. Statutory leave, 5.6 "
            "weeks a year, is taken out of the planned weeks."
        ),
    },
    {
        "name": "6 hours a week",
        "applies_to_starts_from": datetime.date(2022, 8, 1),
        "applies_to_starts_until": datetime.date(2025, 7, 31),
        "kind": "hours_per_week",
        "value": Decimal("6"),
        "full_time_hours": Decimal("30"),
        "statutory_leave_weeks_per_year": Decimal("5.6"),
        "source": (
            "ESFA apprenticeship funding rules 2022 to 2023 onwards, for starts from 1 August "
            "2022: at least 6 hours a week of off-the-job training on average over the planned "
            "duration of the practical period, however many hours over 30 the apprentice works. "
            "Apprentices contracted for fewer than 30 hours a week train for 20% of their hours "
            "(6 hours pro rata). Statutory leave, 5.6 weeks a year, is taken out of the planned "
            "weeks."
        ),
    },
    {
        "name": "Published minimum for the standard",
        "applies_to_starts_from": datetime.date(2025, 8, 1),
        "applies_to_starts_until": None,
        "kind": "per_standard_minimum",
        "value": None,
        "full_time_hours": None,
        "statutory_leave_weeks_per_year": None,
        "source": (
            "DfE apprenticeship funding rules 2025 to 2026, for starts from 1 August 2025: each "
            "apprenticeship standard has a published minimum number of off-the-job training "
            "hours, reduced only for recognised prior learning, with no separate part-time "
            "calculation. Each standard's figure is a separate record; ST0494's is not in the "
            "project's sources, so it is not yet imported."
        ),
    },
]


def add_rules(apps, schema_editor):
    rule_model = apps.get_model("apprentices", "OffTheJobRule")
    for rule in RULES:
        rule_model.objects.update_or_create(
            applies_to_starts_from=rule["applies_to_starts_from"], defaults=rule
        )


def remove_rules(apps, schema_editor):
    apps.get_model("apprentices", "OffTheJobRule").objects.filter(
        applies_to_starts_from__in=[rule["applies_to_starts_from"] for rule in RULES],
        minimums__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("apprentices", "0004_off_the_job_and_progress_reviews")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
