"""The moved models' content types become progress's (they were apprentices'), so the
permissions on them, and every group's and user's grant of those permissions, follow:
"apprentices.approve_offthejobentry" is now "progress.approve_offthejobentry"."""

from django.db import migrations

# The models moved from the apprentices app (progress 0001), by content type name.
MODELS = [
    "offthejobrule",
    "offthejobminimum",
    "offthejobentry",
    "progressreview",
    "reviewtarget",
    "reviewksbcomment",
    "reviewsigninglink",
    "reviewsignature",
    "progressrevision",
]


def moved(perm: str) -> str:
    """A permission's name now, given its name before the move ("app.codename")."""
    app_label, codename = perm.split(".")
    if app_label == "apprentices" and codename.split("_", 1)[1] in MODELS:
        return f"progress.{codename}"
    return perm


def relabel(apps, schema_editor, *, old="apprentices", new="progress"):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    # A content type the new label already has (made by a migrate run before this one
    # existed) holds no grants worth keeping over the old one's: the old one wins.
    existing = content_type.objects.using(db).filter(app_label=old, model__in=MODELS)
    content_type.objects.using(db).filter(
        app_label=new, model__in=existing.values("model")
    ).delete()
    content_type.objects.using(db).filter(app_label=old, model__in=MODELS).update(app_label=new)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def relabel_back(apps, schema_editor):
    relabel(apps, schema_editor, old="progress", new="apprentices")


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0001_initial"),
        ("apprentices", "0014_move_progress_models_to_progress_app"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel, relabel_back)]
