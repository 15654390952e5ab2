"""Off-the-job training and progress reviews moved to the progress app (progress 0001) with
their tables: they leave this app's state only (SeparateDatabaseAndState), no table is
dropped. Those that point at others go first."""

from django.db import migrations

MOVED = [
    "ReviewSignature",
    "ReviewSigningLink",
    "ReviewKsbComment",
    "ReviewTarget",
    "ProgressReview",
    "OffTheJobEntry",
    "OffTheJobMinimum",
    "OffTheJobRule",
    "ProgressRevision",
]


class Migration(migrations.Migration):
    dependencies = [
        ("apprentices", "0013_merge_chosen_option"),
        ("progress", "0001_initial"),
        ("epa", "0018_report_review_in_progress_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name) for name in MOVED],
            database_operations=[],
        ),
    ]
