"""The per-standard off-the-job rule's source no longer says ST0494's figure is missing:
each standard version's official record gives it (StandardVersion.off_the_job_minimum_hours,
the API's minimumHoursForCompliance: 326 hours for ST0494 v1.1). Only the text psp wrote is
replaced; a source an administrator edited is left alone."""

import datetime

from django.db import migrations

OLD = (
    "DfE apprenticeship funding rules 2025 to 2026, for starts from 1 August 2025: each "
    "apprenticeship standard has a published minimum number of off-the-job training "
    "hours, reduced only for recognised prior learning, with no separate part-time "
    "calculation. Each standard's figure is a separate record; ST0494's is not in the "
    "project's sources, so it is not yet imported."
)
NEW = (
    "DfE apprenticeship funding rules 2025 to 2026, for starts from 1 August 2025: each "
    "apprenticeship standard has a published minimum number of off-the-job training "
    "hours, reduced only for recognised prior learning, with no separate part-time "
    "calculation. The figure is the one the official record of the apprentice's standard "
    "version gives (minimumHoursForCompliance in the Skills England apprenticeship-standards "
    "API: 326 hours for ST0494 v1.1), unless an administrator has recorded another."
)
STARTS = datetime.date(2025, 8, 1)


def update(apps, schema_editor):
    rules = apps.get_model("apprentices", "OffTheJobRule").objects
    rules.filter(applies_to_starts_from=STARTS, source=OLD).update(source=NEW)


def revert(apps, schema_editor):
    rules = apps.get_model("apprentices", "OffTheJobRule").objects
    rules.filter(applies_to_starts_from=STARTS, source=NEW).update(source=OLD)


class Migration(migrations.Migration):
    dependencies = [("apprentices", "0007_ksb_tally")]

    operations = [migrations.RunPython(update, revert)]
