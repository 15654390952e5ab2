"""Moving off-the-job training and progress reviews from the apprentices app to this one loses
nothing: the demo database, built by the code of BASE (main before the move: release, then
seed_demo), migrated by this code, keeps every row, every permission grant, and its triggers.

It runs BASE's code from git in a temporary directory, and both sides' manage.py in their
own processes on a SQLite file, so nothing here touches the test database. About a minute.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# main before the progress app: its last migrations are apprentices 0013 and epa 0017.
BASE = "138844a73a60c74da0d738df84e194e9ed2d887d"
MOVED_TABLES = [
    "apprentices_offthejobrule",
    "apprentices_offthejobminimum",
    "apprentices_offthejobentry",
    "apprentices_offthejobentry_ksbs",
    "apprentices_progressreview",
    "apprentices_reviewtarget",
    "apprentices_reviewksbcomment",
    "apprentices_reviewsigninglink",
    "apprentices_reviewsignature",
    "apprentices_progressrevision",
]
MOVED_MODELS = [t.removeprefix("apprentices_") for t in MOVED_TABLES if not t.endswith("_ksbs")]
GRANTS = """
    SELECT g.name, ct.app_label, p.codename FROM auth_group_permissions gp
    JOIN auth_group g ON g.id = gp.group_id JOIN auth_permission p ON p.id = gp.permission_id
    JOIN django_content_type ct ON ct.id = p.content_type_id
"""
# With this code, on the migrated copy: a write to a moved table still raises the progress
# revision and is still audited, the audit chain holds, and the grants answer by new name.
AFTER = """
from django.contrib.auth import get_user_model
from progress import revision
from progress.models import OffTheJobEntry, ProgressReview
from psp.audit import verify_chain
from psp.models import AuditEntry

number, entries = revision.current(), AuditEntry.objects.count()
review = ProgressReview.objects.order_by("pk").first()
review.summary += " (checked after the move)"
review.save(update_fields=["summary"])
assert revision.current() > number, "progress revision trigger"
assert AuditEntry.objects.count() > entries, "audit trigger"
assert verify_chain()[1] == [], "audit chain"
provider = get_user_model().objects.get(username="provider")
assert provider.has_perm("progress.approve_offthejobentry")
assert OffTheJobEntry.objects.filter(ksbs__isnull=False).count() == 1, "KSBs of training"
assert not provider.has_perm("apprentices.approve_offthejobentry")
print("after the move: ok")
"""


def _manage(code: Path, database: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-only-secret-key-not-for-any-real-deployment-0123456789",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _snapshot(database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as db:
        return {
            "rows": {
                t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in MOVED_TABLES
            },
            "grants": sorted(db.execute(GRANTS).fetchall()),
            "labels": dict(
                db.execute(
                    "SELECT model, app_label FROM django_content_type WHERE model IN "
                    f"({','.join('?' * len(MOVED_MODELS))})",
                    MOVED_MODELS,
                ).fetchall()
            ),
            "access_versions": dict(db.execute("SELECT id, access_version FROM psp_user")),
            "reviews": db.execute(
                "SELECT id, apprentice_id, status, summary FROM apprentices_progressreview "
                "ORDER BY id"
            ).fetchall(),
        }


@pytest.fixture
def base_code(tmp_path: Path) -> Path:
    repo = Path(settings.BASE_DIR)
    if shutil.which("git") is None or not (repo / ".git").exists():
        pytest.skip("needs git and the repository's history")
    archive = tmp_path / "base.tar"
    with archive.open("wb") as out:
        made = subprocess.run(["git", "archive", BASE], cwd=repo, stdout=out, check=False)
    if made.returncode != 0:
        pytest.skip(f"commit {BASE[:7]} is not in this clone")
    code = tmp_path / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    (code / "var").mkdir(exist_ok=True)
    return code


def test_the_demo_database_keeps_its_rows_grants_and_triggers_through_the_move(
    base_code: Path, tmp_path: Path
):
    database = tmp_path / "demo.sqlite3"
    _manage(base_code, database, "release", "-v0")  # migrate, then the reference data
    _manage(base_code, database, "seed_demo")
    with sqlite3.connect(database) as db:  # the demo links no KSB to training: one here
        db.execute(
            "INSERT INTO apprentices_offthejobentry_ksbs (offthejobentry_id, ksb_id) "
            "SELECT e.id, k.id FROM apprentices_offthejobentry e "
            "JOIN apprentices_apprentice a ON a.id = e.apprentice_id "
            "JOIN standards_ksb k ON k.version_id = a.standard_version_id "
            "ORDER BY e.id, k.id LIMIT 1"
        )
    before = _snapshot(database)
    assert set(before["labels"].values()) == {"apprentices"}

    _manage(Path(settings.BASE_DIR), database, "release", "-v0")  # as a deployment does
    after = _snapshot(database)

    assert after["rows"] == before["rows"]
    for table in (
        "apprentices_offthejobentry",
        "apprentices_offthejobentry_ksbs",
        "apprentices_progressreview",
        "apprentices_reviewsignature",
    ):
        assert after["rows"][table] > 0, table
    assert after["reviews"] == before["reviews"]
    assert after["labels"] == dict.fromkeys(MOVED_MODELS, "progress")
    # The report model moved too (epa -> reports) in the same release.
    moved = {
        (
            group,
            "progress"
            if codename.split("_", 1)[1] in MOVED_MODELS
            else "reports"
            if (app, codename) == ("epa", "request_report")
            else app,
            codename,
        )
        for group, app, codename in before["grants"]
    }
    assert set(after["grants"]) == moved
    assert any(app == "progress" for _, app, _ in after["grants"])
    # Everyone's cached permissions (psp.access) are dropped: they named the old label.
    assert all(
        after["access_versions"][user] > version
        for user, version in before["access_versions"].items()
    )
    assert "after the move: ok" in _manage(Path(settings.BASE_DIR), database, "shell", "-c", AFTER)
