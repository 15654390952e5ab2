import pytest
from django.core.management import call_command
from django.db import connection

from standards.models import StandardVersion


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_release_migrates_loads_reference_data_and_lets_go_of_its_lock(capsys):
    StandardVersion.objects.all().delete()
    call_command("release")
    out = capsys.readouterr().out
    assert "Database ready for this release." in out
    assert StandardVersion.objects.filter(standard__reference="ST0494").exists()
    call_command("release")  # a second node: nothing to do, nothing overwritten
    assert "already present: left unchanged" in capsys.readouterr().out
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
            assert cursor.fetchone() == (0,)
