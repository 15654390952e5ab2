"""Existing method assessments get their sitting, the attempt they follow and whether they are
final; EPAO administrators may amend results (as a second person, see epa.grading)."""

from django.db import migrations

from psp.roles import Role

PERMISSIONS = {Role.EPAO_ADMIN: ["epa.amend_result"]}


def link_attempts(apps, schema_editor):
    """Existing rows: a resit or retake follows the attempt before it, in the sitting after
    the results confirmed before it; an attempt of a confirmed sitting is final."""
    MethodAssessment = apps.get_model("epa", "MethodAssessment")
    EpaResult = apps.get_model("epa", "EpaResult")
    for assessment in MethodAssessment.objects.order_by("epa_id", "method_id", "attempt"):
        results = EpaResult.objects.filter(epa_id=assessment.epa_id)
        if assessment.kind != "first":
            assessment.follows = MethodAssessment.objects.filter(
                epa_id=assessment.epa_id,
                method_id=assessment.method_id,
                attempt=assessment.attempt - 1,
            ).first()
            if assessment.recorded_at:
                results = results.filter(confirmed_at__lt=assessment.recorded_at)
            assessment.sitting = results.count() + 1
        later = MethodAssessment.objects.filter(
            epa_id=assessment.epa_id, method_id=assessment.method_id, attempt__gt=assessment.attempt
        ).exists()
        confirmed = EpaResult.objects.filter(
            epa_id=assessment.epa_id, sitting__gte=assessment.sitting
        ).exists()
        assessment.is_final = bool(assessment.grade) and (later or confirmed)
        assessment.save(update_fields=["follows", "sitting", "is_final"])


def grant_permissions(apps, schema_editor):
    from psp.roles import grant

    grant(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0006_final_results_and_amendments"),
        ("psp", "0002_role_groups"),
    ]

    operations = [
        migrations.RunPython(link_attempts, migrations.RunPython.noop),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]
