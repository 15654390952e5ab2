"""Property tests: the grading rules and the main forms never raise, whatever they are given.

Each property runs a few hundred generated examples (Hypothesis), so the suite stays fast;
together they cover thousands of inputs.
"""

import datetime
import string
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apprentices.forms import ApprenticeForm, EvidenceForm, ReviewForm
from epa import grading
from epa.forms import AssessmentForm
from epa.models import Epa, GatewayAttempt, MethodAssessment
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_full_plan,
    make_organisation,
    make_staff,
    make_version,
)

SCALE = ["fail", "pass", "merit", "distinction"]
# No example database, so every run starts afresh (Hypothesis git-ignores its .hypothesis/).
EXAMPLES = settings(max_examples=200, deadline=None, database=None)
DB_EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as people and attackers type it: any Unicode, control characters, markup, numbers.
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=string.printable, max_size=50),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "31", "2025", "-1", "1e9"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
grades = st.one_of(st.sampled_from(SCALE), st.text(max_size=12))


# Grading rules


@dataclass(frozen=True)
class Criterion:
    distinction_descriptor: str


decisions = st.lists(
    st.builds(
        grading.Decision,
        criterion=st.builds(Criterion, st.sampled_from(["", "Does it brilliantly"])),
        pass_met=st.booleans(),
        distinction_met=st.one_of(st.none(), st.booleans()),
    ),
    max_size=12,
)


@EXAMPLES
@given(decisions)
def test_grade_from_criteria_is_always_a_method_grade(decided):
    grade = grading.grade_from_criteria(decided)
    assert grade in ("fail", "pass", "distinction")
    if not decided or not all(d.pass_met for d in decided):
        assert grade == "fail"


@EXAMPLES
@given(grade=grades, cap_at=grades, scale=st.lists(grades, max_size=6, unique=True))
def test_cap_never_raises_a_grade(grade, cap_at, scale):
    capped = grading.cap(grade, cap_at, scale)
    assert capped == grade or capped in scale
    if grade in scale and cap_at in scale and cap_at:  # an empty cap means no cap
        assert scale.index(capped) <= scale.index(cap_at)
        assert scale.index(capped) <= scale.index(grade)


@dataclass(frozen=True)
class Combination:
    method_grades: dict[str, str]
    overall_grade: str


class Combinations(list):
    def all(self):
        return self


@dataclass
class Plan:
    combination_imported: bool
    grade_combinations: Combinations


@st.composite
def plans_and_grades(draw):
    methods = draw(st.integers(min_value=1, max_value=4))
    method_scale = ["fail", "pass", "distinction"]
    rows = draw(
        st.dictionaries(
            st.tuples(*[st.sampled_from(method_scale)] * methods),
            st.sampled_from(SCALE),
            max_size=3**methods,
        )
    )
    plan = Plan(
        combination_imported=draw(st.booleans()),
        grade_combinations=Combinations(
            Combination({str(n): g for n, g in enumerate(key, start=1)}, overall)
            for key, overall in rows.items()
        ),
    )
    numbers = draw(
        st.one_of(
            st.just(list(range(1, methods + 1))),
            st.lists(st.integers(min_value=-3, max_value=8), max_size=5, unique=True),
        )
    )
    given_grades = {n: draw(st.one_of(st.sampled_from(method_scale), grades)) for n in numbers}
    return plan, rows, methods, given_grades


@EXAMPLES
@given(plans_and_grades())
def test_overall_grade_is_in_the_scale_or_none_and_follows_the_table(case):
    plan, rows, methods, method_grades = case
    overall = grading.overall_grade(plan, method_grades)
    assert overall is None or overall in SCALE
    if not plan.combination_imported:
        assert overall is None
    elif set(method_grades) == set(range(1, methods + 1)):
        key = tuple(method_grades[n] for n in range(1, methods + 1))
        assert overall == rows.get(key)
    else:
        assert overall is None  # a row must name exactly the plan's methods


# Forms


def date_parts(prefix: str) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {f"{prefix}_0": texts, f"{prefix}_1": texts, f"{prefix}_2": texts}
    ) | st.dates(min_value=datetime.date(1, 1, 1)).map(
        lambda d: {
            f"{prefix}_0": str(d.day),
            f"{prefix}_1": str(d.month),
            f"{prefix}_2": str(d.year),
        }
    )


def check(form: Any) -> None:
    """Validation and its error messages must never raise."""
    if form.is_valid():
        assert isinstance(form.cleaned_data, dict)
    else:
        assert form.errors.as_text()


@EXAMPLES
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "decision": st.one_of(st.sampled_from(["accept", "changes"]), texts),
            "personal_data": st.one_of(st.sampled_from(["on", ""]), texts),
            "comment": texts,
        },
    )
)
def test_review_form_never_raises(data):
    check(ReviewForm(data))


@DB_EXAMPLES
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "title": texts,
            "evidence_type": st.one_of(st.sampled_from(["work_product", "observation"]), texts),
            "reflection": texts,
            "personal_data_removed": st.sampled_from(["on", "", "false"]),
            "confirm_identifiers": st.sampled_from(["on", ""]),
        },
    ),
    date=date_parts("activity_date"),
)
def test_evidence_form_never_raises(db, data, date):
    check(EvidenceForm({**data, **date}, {}))


@pytest.fixture
def provider(db):
    return make_staff(
        role=Role.PROVIDER,
        organisation=make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER),
    )


@DB_EXAMPLES
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "first_name": texts,
            "last_name": texts,
            "email": st.one_of(st.emails(), texts),
            "uln": st.one_of(st.text(alphabet="0123456789", max_size=12), texts),
            "standard_version": texts,
            "employer": texts,
            "training_provider": texts,
            "epao": texts,
            "status": st.one_of(st.sampled_from(["on_programme", "withdrawn"]), texts),
        },
    ),
    start=date_parts("start_date"),
    gateway=date_parts("planned_gateway_date"),
)
def test_apprentice_form_never_raises(provider, data, start, gateway):
    check(ApprenticeForm({**data, **start, **gateway}, by=provider))


@pytest.fixture
def assessment(db):
    version = make_version(ksbs={"K": ["Knows widgets"]})
    make_full_plan(version=version)
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    apprentice = make_apprentice(version=version, epao=epao)
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    attempt = GatewayAttempt.objects.create(apprentice=apprentice, number=1, created_by=provider)
    epa = Epa.objects.create(
        apprentice=apprentice,
        gateway=attempt,
        period_start=datetime.date(2031, 1, 1),
        period_end=datetime.date(2031, 4, 1),
    )
    return MethodAssessment.objects.create(epa=epa, method=version.epa_plan.methods.first())


@DB_EXAMPLES
@given(extra=st.data())
def test_assessment_form_never_raises(assessment, extra):
    criteria = list(assessment.method.grading_criteria.all())
    fields = ["seen_version", "duration_minutes", "evidence_referred", "judgement", "grade"]
    fields += ["questions-TOTAL_FORMS", "questions-INITIAL_FORMS"]
    fields += [f"questions-{n}-{name}" for n in range(4) for name in ("question", "notes")]
    fields += [f"{kind}_{c.pk}" for c in criteria for kind in ("pass", "distinction")]
    values = st.one_of(st.sampled_from(["yes", "no", "1", "60"]), texts)
    data = extra.draw(st.dictionaries(st.sampled_from(fields), values, max_size=len(fields)))
    date = extra.draw(date_parts("assessed_on"))
    check(AssessmentForm({**data, **date}, assessment=assessment, rows=4))
