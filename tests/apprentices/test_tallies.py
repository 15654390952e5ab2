"""The KSB tallies stay equal to the counts recomputed from the evidence, whatever happens."""

import datetime
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apprentices import moving, portfolio, tallies
from apprentices.models import Evidence, EvidenceFile, EvidenceKSB, EvidenceStateError, KsbTally
from psp.roles import Role
from tests.factories import make_apprentice, make_evidence, make_staff, make_version

ACTIONS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def versions(db):
    ksbs = {"K": ["Knows A", "Knows B", "Knows C"], "S": ["Does D", "Does E"], "B": ["Is F"]}
    return make_version(version="1.0", ksbs=ksbs), make_version(version="2.0", ksbs=ksbs)


def assert_in_step():
    assert tallies.differences() == (set(), set())


def test_tallies_count_live_and_accepted_evidence_with_the_latest_date(versions):
    old, _ = versions
    apprentice = make_apprentice(version=old)
    k1, k2 = old.ksbs.filter(kind="K").order_by("number")[:2]
    make_evidence(
        apprentice=apprentice,
        status="accepted",
        ksbs=[k1],
        activity_date=datetime.date(2030, 3, 1),
    )
    make_evidence(
        apprentice=apprentice,
        status="submitted",
        ksbs=[k1, k2],
        activity_date=datetime.date(2030, 4, 1),
    )
    withdrawn = make_evidence(
        apprentice=apprentice,
        status="withdrawn",
        ksbs=[k2],
        activity_date=datetime.date(2030, 5, 1),
    )
    rows = {
        t.ksb.code: (t.evidence_count, t.accepted_count, t.latest_date)
        for t in KsbTally.objects.filter(apprentice=apprentice)
    }
    april = datetime.date(2030, 4, 1)
    assert rows == {"K1": (2, 1, april), "K2": (1, 0, april)}
    EvidenceKSB.objects.filter(evidence=withdrawn).delete()
    Evidence.objects.filter(apprentice=apprentice).update(status="withdrawn")
    assert not KsbTally.objects.filter(apprentice=apprentice).exists()


# Workflow actions, each on one of the apprentice's latest few items.
actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 400),
            st.sets(st.integers(0, 5), min_size=1, max_size=3),
        ),
        st.tuples(st.just("map"), st.integers(0, 3), st.sets(st.integers(0, 5), max_size=6)),
        st.tuples(
            st.sampled_from(["submit", "submit", "accept", "accept", "return", "withdraw"]),
            st.integers(0, 3),
        ),
        st.tuples(st.just("redate"), st.integers(0, 3), st.integers(0, 400)),
        st.tuples(st.just("bulk"), st.sampled_from(["accepted", "withdrawn", "submitted"])),
        st.tuples(st.just("unmap"), st.integers(0, 3)),
        st.tuples(st.just("move")),
    ),
    max_size=25,
)


def create(apprentice, *, day, ksbs, submit=False):
    """A new item through the workflow, with a file record so that it can be submitted."""
    evidence = portfolio.create_evidence(
        apprentice,
        by=apprentice.user,
        files=(),
        title="Evidence",
        activity_date=datetime.date(2030, 1, 1) + datetime.timedelta(days=day),
        evidence_type=Evidence.Type.WORK_PRODUCT,
        personal_data_removed=True,
    )
    EvidenceFile.objects.create(
        evidence=evidence,
        file="evidence/file.txt",
        original_name="file.txt",
        content_type="text/plain",
        size=1,
        sha256="a" * 64,
        uploaded_by=apprentice.user,
    )
    version_ksbs = list(apprentice.standard_version.ksbs.order_by("pk"))
    portfolio.set_mappings(evidence, {version_ksbs[i]: "" for i in ksbs}, by=apprentice.user)
    if submit:
        evidence.submit(by=apprentice.user)


ksb_sets = st.sets(st.integers(0, 5), min_size=1, max_size=3)


@ACTIONS
@given(
    start=st.lists(st.tuples(st.integers(0, 400), ksb_sets, st.booleans()), max_size=4),
    steps=actions,
    second=st.booleans(),
)
def test_tallies_match_the_evidence_after_any_sequence_of_actions(versions, start, steps, second):
    apprentice = make_apprentice(version=versions[0])
    other = make_apprentice(version=versions[0]) if second else None
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    user = apprentice.user
    for day, ksbs, submit in start:
        create(apprentice, day=day, ksbs=ksbs, submit=submit)
    for step in steps:
        name, *args = step
        items = list(Evidence.objects.filter(apprentice=apprentice).order_by("pk"))
        indexed = items and args and isinstance(args[0], int) and name != "create"
        item = items[-1 - args[0] % len(items)] if indexed else None
        try:
            if name == "create":
                create(apprentice, day=args[0], ksbs=args[1])
            elif name == "map" and item:
                ksbs = list(apprentice.standard_version.ksbs.order_by("pk"))
                portfolio.set_mappings(item, {ksbs[i]: "" for i in args[1]}, by=user)
            elif name == "submit" and item:
                item.submit(by=user)
            elif name == "accept" and item:
                item.accept(by=provider)
            elif name == "return" and item:
                item.request_changes(by=provider, comment="More detail, please")
            elif name == "withdraw" and item:
                item.withdraw(by=user)
            elif name == "redate" and item:
                portfolio.update_evidence(
                    item,
                    by=user,
                    activity_date=datetime.date(2030, 1, 1) + datetime.timedelta(days=args[1]),
                )
            elif name == "bulk":
                # A bulk update, as an admin action or a data fix would make it.
                Evidence.objects.filter(apprentice=apprentice, status="submitted").update(
                    status=args[0], reviewed_by=provider
                )
            elif name == "unmap" and item:
                EvidenceKSB.objects.filter(pk__in=item.mappings.values("pk")[:1]).delete()
            elif name == "move":
                target = next(v for v in versions if v.pk != apprentice.standard_version_id)
                moving.move_apprentice(apprentice, target, by=provider, reason="Moved")
        except EvidenceStateError:
            pass
        if other is not None and name == "create":
            make_evidence(apprentice=other, status="accepted", ksbs=list(versions[0].ksbs.all()))
    assert_in_step()


def test_rebuild_restores_rows_changed_behind_the_triggers_back(versions):
    apprentice = make_apprentice(version=versions[0])
    make_evidence(apprentice=apprentice, status="accepted", ksbs=list(versions[0].ksbs.all()))
    KsbTally.objects.filter(apprentice=apprentice).update(accepted_count=0)
    KsbTally.objects.filter(pk=KsbTally.objects.order_by("pk").values("pk")[:1]).delete()
    missing, extra = tallies.differences()
    assert len(missing) == 6
    assert len(extra) == 5
    with pytest.raises(CommandError, match="6 tallies missing or wrong, 5 not expected"):
        call_command("rebuild_ksb_tallies", "--check")
    call_command("rebuild_ksb_tallies")
    assert_in_step()
    call_command("rebuild_ksb_tallies", "--check")


# serialized_rollback: the flush after it must not recreate the content types that the next
# such test restores.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_changes_of_one_apprentices_evidence_are_both_counted():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    version = make_version(ksbs={"K": ["Knows A"]})
    apprentice = make_apprentice(version=version)
    ksb = version.ksbs.get()
    first, second = (make_evidence(apprentice=apprentice) for _ in range(2))
    inserted, errors = threading.Event(), []

    def map_first() -> None:
        try:
            with transaction.atomic():
                EvidenceKSB.objects.create(evidence=first, ksb=ksb)
                inserted.set()
                time.sleep(0.5)  # the second transaction now waits for this one
        finally:
            connection.close()

    def map_second() -> None:
        inserted.wait(5)
        try:
            with transaction.atomic():
                EvidenceKSB.objects.create(evidence=second, ksb=ksb)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # Only the tally trigger: the audit trigger would serialise the two itself.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE apprentices_evidenceksb DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE apprentices_evidenceksb ENABLE TRIGGER psp_tally_mapping")
    try:
        threads = [threading.Thread(target=map_first), threading.Thread(target=map_second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE apprentices_evidenceksb ENABLE TRIGGER USER")
    assert errors == []
    assert KsbTally.objects.get(apprentice=apprentice, ksb=ksb).evidence_count == 2
    assert_in_step()
