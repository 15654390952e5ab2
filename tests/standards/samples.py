"""Made-up standard versions as JSON files would give them (ST9990, fictional text):
the official standards API format and psp's EPA plan format."""

from __future__ import annotations

import copy
import uuid
from typing import Any

KNOWLEDGE = [
    "How imaginary widgets are assembled from sprockets and flanges.",
    "The widget safety rules of the Imaginary Widget Board.",
    "Ways to record a widget inspection.",
]
SKILLS = [
    "Inspect a widget for cracked sprockets.",
    "Write an inspection report that a widget owner can follow.",
]
BEHAVIOURS = [
    "Takes care with other people's widgets.",
    "Asks for help when a widget is beyond them.",
]


def guid(code: str, *, reference: str = "ST9990") -> str:
    """The made-up official GUID of a KSB or duty ("K1", "D2"), the same in every version."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.invalid/{reference}/{code}"))


def official_json(
    *,
    reference: str = "ST9990",
    version: str = "1.0",
    knowledge: list[str] | None = None,
    skills: list[str] | None = None,
    behaviours: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One standard version object of the official format, with two duties."""
    lists = {
        "K": KNOWLEDGE if knowledge is None else knowledge,
        "S": SKILLS if skills is None else skills,
        "B": BEHAVIOURS if behaviours is None else behaviours,
    }
    data: dict[str, Any] = {
        "referenceNumber": reference,
        "version": version,
        "title": "Imaginary widget inspector",
        "status": "Approved for delivery",
        "level": 3,
        "route": "Imaginary engineering",
        "larsCode": 9999,
        "proposedTypicalDuration": 12,
        "proposedMaxFunding": 4000,
        "approvedForDelivery": "2030-01-01T00:00:00",
        "versionEarliestStartDate": "2030-01-01T00:00:00",
        "versionLatestStartDate": None,
        "versionLatestEndDate": None,
        "overviewOfRole": "Inspecting imaginary widgets.",
        "typicalJobTitles": ["Widget inspector", "Sprocket checker"],
        "eQAProvider": {"providerName": "Ofqual", "contactName": "Nobody"},
        "change": "",
        "keywords": ["widgets"],
        "knowledges": [
            {"knowledgeId": guid(f"K{n}", reference=reference), "detail": text}
            for n, text in enumerate(lists["K"], start=1)
        ],
        "skills": [
            {"skillId": guid(f"S{n}", reference=reference), "detail": text}
            for n, text in enumerate(lists["S"], start=1)
        ],
        "behaviours": [
            {"behaviourId": guid(f"B{n}", reference=reference), "detail": text}
            for n, text in enumerate(lists["B"], start=1)
        ],
        "duties": [
            {
                "dutyId": guid("D1", reference=reference),
                "dutyDetail": "Inspect imaginary widgets before they leave the workshop.",
                "isThisACoreDuty": 1,
                "criteriaForMeasuringPerformance": "Widgets checked on time\nNo cracked sprockets",
                "mappedKnowledge": [guid("K1", reference=reference)],
                "mappedSkills": [guid("S1", reference=reference)],
                "mappedBehaviour": [guid("B1", reference=reference)],
            },
            {
                "dutyID": guid("D2", reference=reference),
                "dutyDetail": "Report on imaginary widgets to their owners.",
                "isThisACoreDuty": 0,
                "criteriaForMeasuringPerformance": "Reports understood by owners",
                "mappedKnowledge": [guid("K3", reference=reference)],
                "mappedSkills": [guid("S2", reference=reference)],
                "mappedBehaviour": [],
            },
        ],
    }
    data.update(fields)
    return copy.deepcopy(data)


def epa_plan_json(*, reference: str = "ST9990", version: str = "1.0", **fields: Any) -> dict:
    """A complete EPA plan of the made-up standard, in psp's format."""
    grades = ["fail", "pass", "distinction"]
    data: dict[str, Any] = {
        "format": "psp-epa-plan",
        "formatVersion": 1,
        "reference": reference,
        "version": version,
        "provenance": "Made up for psp's tests; not a real EPA plan.",
        "epaPeriodMonths": 3,
        "overallGrades": ["fail", "pass", "merit", "distinction"],
        "gatewayRequirements": [
            {"kind": "english_maths", "text": "achieved imaginary English and maths"},
            {"kind": "portfolio", "text": "a portfolio of widget inspections"},
        ],
        "assessmentMethods": [
            {
                "name": "Observation of a widget inspection",
                "summary": "An assessor watches you inspect three imaginary widgets.",
                "durationMinutes": 90,
                "durationIsMinimum": True,
                "minimumQuestions": 4,
                "submissionDeadlineWeek": None,
                "submissionRequirement": "",
                "requiresPortfolio": False,
                "ksbs": ["K1", "S1", "B1"],
                "grades": grades,
            },
            {
                "name": "Interview about widget reports",
                "summary": "",
                "durationMinutes": 45,
                "durationIsMinimum": False,
                "minimumQuestions": 6,
                "submissionDeadlineWeek": 6,
                "submissionRequirement": "two widget reports",
                "requiresPortfolio": True,
                "ksbs": ["K2", "K3", "S2", "B2"],
                "grades": grades,
            },
        ],
        "gradingCriteria": [
            {
                "method": 1,
                "code": "OB1",
                "pass": "Finds every cracked sprocket.",
                "distinction": "Explains why each sprocket cracked.",
                "ksbs": ["K1", "S1"],
            },
            {
                "method": 1,
                "code": "OB2",
                "pass": "Handles widgets with care.",
                "distinction": "",
                "ksbs": ["B1"],
            },
            {
                "method": 2,
                "code": "IN1",
                "pass": "Describes the widget safety rules.",
                "distinction": "Compares the rules with those of real gadgets.",
                "ksbs": ["K2", "K3", "S2"],
            },
        ],
        "gradeCombinations": [
            {"methodGrades": {"1": first, "2": second}, "overall": overall}
            for first, second, overall in [
                ("fail", "fail", "fail"),
                ("fail", "pass", "fail"),
                ("fail", "distinction", "fail"),
                ("pass", "fail", "fail"),
                ("distinction", "fail", "fail"),
                ("pass", "pass", "pass"),
                ("pass", "distinction", "merit"),
                ("distinction", "pass", "merit"),
                ("distinction", "distinction", "distinction"),
            ]
        ],
        "resits": {"gradeCap": "pass", "limit": 2, "withinMonths": 12, "methods": "failed"},
    }
    data.update(fields)
    return copy.deepcopy(data)
