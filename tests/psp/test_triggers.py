"""psp.triggers' revisions read together: numbers() in one query, and read_at_once, which
makes each revision's current() answer with what that one query read."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apprentices import revision as evidence_revision
from epa import revision as epa_revision
from progress import revision as progress_revision
from psp import triggers


def test_numbers_reads_several_revisions_in_one_query(db):
    with connection.cursor() as cursor:
        cursor.execute(progress_revision.BUMP)
    with CaptureQueriesContext(connection) as captured:
        read = triggers.numbers(evidence_revision.REVISION, progress_revision.REVISION)
    assert len(captured) == 1
    assert read == (evidence_revision.current(), progress_revision.current())


def test_read_at_once_answers_from_one_query_within_its_block_only(db):
    revisions = (evidence_revision.REVISION, progress_revision.REVISION)
    with CaptureQueriesContext(connection) as captured, triggers.read_at_once(*revisions):
        evidence, progress = evidence_revision.current(), progress_revision.current()
        epa = epa_revision.current()  # not read at once: asked on its own
    assert len(captured) == 2
    assert (evidence, progress, epa) == (
        evidence_revision.current(),
        progress_revision.current(),
        epa_revision.current(),
    )
    with triggers.read_at_once(progress_revision.REVISION):
        with connection.cursor() as cursor:
            cursor.execute(progress_revision.BUMP)
        assert progress_revision.current() == progress  # as read on entering the block
    assert progress_revision.current() == progress + 1  # and afresh after it
