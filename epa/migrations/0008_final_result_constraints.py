from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("epa", "0007_link_attempts_and_amend_permission"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="methodassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("follows__isnull", True), ("kind", "first")),
                    models.Q(
                        models.Q(("kind", "first"), _negated=True), ("follows__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="resit_follows_an_attempt",
            ),
        ),
        migrations.AddConstraint(
            model_name="methodassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_final", False), models.Q(("grade", ""), _negated=True), _connector="OR"
                ),
                name="final_assessment_has_grade",
            ),
        ),
    ]
