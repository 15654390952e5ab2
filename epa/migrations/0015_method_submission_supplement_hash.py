"""Each hand-in joins the gateway pack's supplement with a link of a hash chain that starts at
the pack hash (epa.gateway.supplement). Hand-ins made before get their links here, in the
order they were made."""

import datetime
import hashlib
import json

from django.db import migrations, models


def link_existing(apps, schema_editor):
    # The rule of epa.gateway.supplement_entry and supplement_link, as it was written.
    MethodSubmission = apps.get_model("epa", "MethodSubmission")
    links = {}
    submissions = MethodSubmission.objects.select_related("assessment__epa__gateway")
    for submission in submissions.order_by("id"):
        gateway = submission.assessment.epa.gateway
        entry = {
            "assessment": submission.assessment_id,
            "kind": submission.kind,
            "name": submission.original_name,
            "size": submission.size,
            "sha256": submission.sha256,
            "handed_in": submission.uploaded_at.astimezone(datetime.UTC).isoformat(),
            "due_on": submission.due_on.isoformat(),
        }
        canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        previous = links.get(gateway.pk, gateway.pack_hash)
        links[gateway.pk] = hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()
        MethodSubmission.objects.filter(pk=submission.pk).update(supplement_hash=links[gateway.pk])


class Migration(migrations.Migration):
    dependencies = [("epa", "0014_result_plan_revision")]

    operations = [
        migrations.AddField(
            model_name="methodsubmission",
            name="supplement_hash",
            field=models.CharField(
                default="",
                help_text="SHA-256 over the gateway pack hash and every hand-in of the gateway "
                "up to and including this one (epa.gateway.supplement): the pack's supplement "
                "so far.",
                max_length=64,
                verbose_name="supplement SHA-256",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop),
    ]
