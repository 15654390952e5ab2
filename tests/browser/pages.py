"""How to reach every page of psp in each of its states, for the accessibility checks.

PAGES maps each URL pattern name to its three states:
  empty      nothing to show yet: no rows, a blank form, a part not yet imported;
  error      after the server refused what was sent: an error summary, an error page;
  populated  with data: rows, stored values, a finished record.
Each state is a list of Visits (a person opens a URL, and maybe does something there),
or NotApplicable with the reason the page has no such state. EXCLUDED lists the patterns
that are not pages (downloads, JSON, POST-only actions), with the reason; the tests check
that each really is what it says. OTHER_PAGES reaches the templates no pattern names
(error pages, the sign-in lockout).

test_every_url_pattern_has_an_accessibility_check fails when a pattern is in neither.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.usersessions.models import UserSession
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psp.models import User
from tests.browser.world import World

STATES = ("empty", "error", "populated")


@dataclass(frozen=True)
class Visit:
    user: str | None  # a key of World.users; None: signed out
    url: Callable[[World], str]
    then: Callable[[Any, World], None] | None = None  # what the person does there
    status: int = 200
    bare: bool = False  # visited before World.populate(), while organisations are empty
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotApplicable:
    reason: str


# What people do on a page before it is checked -----------------------------------------


Action = Callable[[Any, World], None]


def submit(button: str) -> Action:
    """Send the form as it is (usually empty): the server answers with its errors."""

    def act(page: Any, world: World) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=button, exact=True).click()

    return act


def fill_and_submit(values: dict[str, str], button: str) -> Action:
    def act(page: Any, world: World) -> None:
        for label, value in values.items():
            page.get_by_label(label, exact=True).fill(value)
        submit(button)(page, world)

    return act


def another_session(user: str) -> Action:
    """The user is also signed in somewhere else; the page shows it."""

    def act(page: Any, world: World) -> None:
        UserSession.objects.create(
            user=world.users[user],
            session_key=secrets.token_hex(16),
            ip="192.0.2.10",
            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Firefox/128.0",
        )
        page.reload()

    return act


def clear_and_submit(label: str, button: str) -> Action:
    return fill_and_submit({label: ""}, button)


def fail_to_sign_in(times: int) -> Action:
    def act(page: Any, world: World) -> None:
        for _ in range(times):
            fill_and_submit({"Username": "locked-out", "Password": "not it"}, "Sign in")(
                page, world
            )

    return act


def url(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    """The URL of a pattern, its arguments taken from the world when visited."""
    return lambda world: reverse(name, args=[arg(world) for arg in args])


def pk(attribute: str) -> Callable[[World], Any]:
    return lambda world: getattr(world, attribute).pk


def apprentice_of(attribute: str) -> Callable[[World], Any]:
    return lambda world: getattr(world, attribute).apprentice_id


def reset_link(world: World) -> str:
    # As it is now: the token covers the last sign-in, which the sweep's sign-ins change.
    user = User.objects.get(pk=world.users["no_role"].pk)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def home(user: str, *, bare: bool = False) -> Visit:
    return Visit(user, url("home"), bare=bare)


def password_for(user: str) -> Action:
    """Sign in with the user's password: a user with an authenticator is then asked for it."""

    def act(page: Any, world: World) -> None:
        values = {"Username": world.users[user].username, "Password": "correct-horse-battery"}
        fill_and_submit(values, "Sign in")(page, world)

    return act


def sign_by_link(page: Any, world: World) -> None:
    page.get_by_label("I have read this review").check()
    submit("Sign the review")(page, world)


def percentage_over_100(page: Any, world: World) -> None:
    page.get_by_label("Reduction for prior learning").fill("150")
    page.get_by_label("Percent of the requirement").check()
    submit("Save")(page, world)


def review_url(name: str, attribute: str) -> Callable[[World], str]:
    return url(name, pk(attribute))


NO_FORM = NotApplicable("the page has no form or input to refuse")
NEW_RECORD = NotApplicable("a form for a new record: it holds no stored values")
FIXED_RECORD = NotApplicable("shows a record that always has content")
SELECT_ONLY = NotApplicable("its only inputs are lists of valid choices, so nothing is refused")

PAGES: dict[str, dict[str, list[Visit] | NotApplicable]] = {
    # psp: home pages of each role, account pages, the accessibility statement
    "home": {
        "empty": [
            home(user, bare=True)
            for user in (
                "new_provider",
                "new_employer",
                "new_epao_admin",
                "new_assessor",
                "new_apprentice",
                "no_role",
                "admin",
            )
        ],
        "error": NO_FORM,
        "populated": [
            home(user) for user in ("provider", "employer", "epao_admin", "assessor", "admin")
        ],
    },
    "accessibility_statement": {
        "empty": [Visit(None, url("accessibility_statement"))],
        "error": NO_FORM,
        "populated": [Visit("apprentice", url("accessibility_statement"))],
    },
    "login": {
        "empty": [Visit(None, url("login"))],
        "error": [
            Visit(None, url("login"), then=submit("Sign in")),
            Visit(None, url("login"), then=fail_to_sign_in(5), status=429),
        ],
        "populated": [Visit(None, url("login"), settings={"PSP_DEMO_ACCOUNTS": True})],
    },
    "password_change": {
        "empty": [Visit("no_role", url("password_change"))],
        "error": [Visit("no_role", url("password_change"), then=submit("Change password"))],
        "populated": NEW_RECORD,
    },
    "password_change_done": {
        "empty": NotApplicable("a confirmation with nothing to list"),
        "error": NO_FORM,
        "populated": [Visit("no_role", url("password_change_done"))],
    },
    "password_reset": {
        "empty": [Visit(None, url("password_reset"))],
        "error": [Visit(None, url("password_reset"), then=submit("Send reset link"))],
        "populated": NEW_RECORD,
    },
    "password_reset_done": {
        "empty": NotApplicable("a confirmation with nothing to list"),
        "error": NO_FORM,
        "populated": [Visit(None, url("password_reset_done"))],
    },
    "password_reset_confirm": {
        "empty": [Visit(None, reset_link)],
        "error": [
            Visit(None, reset_link, then=submit("Set new password")),
            Visit(None, lambda world: reverse("password_reset_confirm", args=["MQ", "bad-token"])),
        ],
        "populated": NEW_RECORD,
    },
    "password_reset_complete": {
        "empty": NotApplicable("a confirmation with nothing to list"),
        "error": NO_FORM,
        "populated": [Visit(None, url("password_reset_complete"))],
    },
    # standards
    "standards:standard_list": {
        "empty": [Visit("admin", url("standards:standard_list"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("apprentice", url("standards:standard_list"))],
    },
    "standards:standard_detail": {
        "empty": [Visit("provider", lambda w: w.single_version.standard.get_absolute_url())],
        "error": NO_FORM,
        "populated": [Visit("provider", lambda w: w.version.standard.get_absolute_url())],
    },
    "standards:version_detail": {
        "empty": [Visit("provider", lambda w: w.version_not_imported.get_absolute_url())],
        "error": NO_FORM,
        "populated": [Visit("provider", lambda w: w.version.get_absolute_url())],
    },
    "standards:version_compare": {
        "empty": [
            Visit("provider", lambda w: reverse("standards:version_compare", args=["ST9990"]))
        ],
        "error": [
            Visit(
                "provider",
                lambda w: (
                    reverse("standards:version_compare", args=["ST9990"]) + "?old=1.0&new=1.0"
                ),
                status=400,
            )
        ],
        "populated": [
            Visit(
                "provider",
                lambda w: (
                    reverse("standards:version_compare", args=["ST9990"]) + "?old=1.0&new=2.0"
                ),
            ),
            Visit(
                "provider",
                lambda w: (
                    reverse("standards:version_compare", args=["ST0494"]) + "?old=1.0&new=1.1"
                ),
            ),
        ],
    },
    "standards:crosswalk": {
        "empty": [
            Visit("admin", lambda w: reverse("standards:crosswalk", args=["ST0494", "1.0", "1.1"]))
        ],
        "error": SELECT_ONLY,
        "populated": [
            Visit("admin", lambda w: reverse("standards:crosswalk", args=["ST9990", "1.0", "2.0"]))
        ],
    },
    "standards:import_list": {
        "empty": [Visit("admin", url("standards:import_list"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("admin", url("standards:import_list"))],
    },
    "standards:import_upload": {
        "empty": [Visit("admin", url("standards:import_upload"))],
        "error": [
            Visit(
                "admin",
                url("standards:import_upload"),
                then=submit("Check and preview"),
                status=400,
            )
        ],
        "populated": NEW_RECORD,
    },
    "standards:import_preview": {
        "empty": NotApplicable("an upload always has content to preview"),
        "error": [Visit("admin", url("standards:import_preview", pk("stale_import")))],
        "populated": [
            Visit("admin", url("standards:import_preview", pk("pending_import"))),
            Visit("admin", url("standards:import_preview", pk("applied_import"))),
        ],
    },
    # apprentices
    "apprentices:apprentice_list": {
        "empty": [Visit("new_provider", url("apprentices:apprentice_list"), bare=True)],
        "error": NotApplicable("its filters ignore values they do not know"),
        "populated": [
            Visit("provider", url("apprentices:apprentice_list")),
            Visit("admin", url("apprentices:apprentice_list")),
        ],
    },
    "apprentices:apprentice_create": {
        "empty": [Visit("provider", url("apprentices:apprentice_create"))],
        "error": [
            Visit("provider", url("apprentices:apprentice_create"), then=submit("Add apprentice"))
        ],
        "populated": NEW_RECORD,
    },
    "apprentices:apprentice_detail": {
        "empty": [Visit("provider", url("apprentices:apprentice_detail", pk("blank_apprentice")))],
        "error": NO_FORM,
        "populated": [
            Visit("apprentice", url("apprentices:apprentice_detail", pk("apprentice"))),
            Visit("provider", url("apprentices:apprentice_detail", pk("apprentice"))),
            Visit("employer", url("apprentices:apprentice_detail", pk("final_apprentice"))),
        ],
    },
    "apprentices:apprentice_edit": {
        "empty": NotApplicable("edits a record that always has values"),
        "error": [
            Visit(
                "provider",
                url("apprentices:apprentice_edit", pk("apprentice")),
                then=clear_and_submit("First name", "Save apprentice"),
            )
        ],
        "populated": [Visit("provider", url("apprentices:apprentice_edit", pk("apprentice")))],
    },
    "apprentices:apprentice_coverage": {
        "empty": [
            Visit("provider", url("apprentices:apprentice_coverage", pk("blank_apprentice"))),
            Visit("provider", url("apprentices:apprentice_coverage", pk("unimported_apprentice"))),
        ],
        "error": NO_FORM,
        "populated": [
            Visit("apprentice", url("apprentices:apprentice_coverage", pk("apprentice")))
        ],
    },
    "apprentices:employer_move": {
        "empty": [Visit("provider", url("apprentices:employer_move", pk("apprentice")))],
        "error": [
            Visit(
                "provider",
                url("apprentices:employer_move", pk("apprentice")),
                then=submit("Ask the new employer to accept"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "apprentices:apprentice_move": {
        "empty": [Visit("provider", url("apprentices:apprentice_move", pk("apprentice")))],
        "error": [
            Visit(
                "provider",
                url("apprentices:apprentice_move", pk("apprentice")),
                then=submit("Show what would happen"),
            ),
            Visit(
                "provider",
                lambda w: (
                    reverse("apprentices:apprentice_move", args=[w.apprentice.pk])
                    + f"?to_version={w.version_two.pk}"
                ),
                then=submit("Move to version 2.0"),
            ),
        ],
        "populated": [
            Visit(
                "provider",
                lambda w: (
                    reverse("apprentices:apprentice_move", args=[w.apprentice.pk])
                    + f"?to_version={w.version_two.pk}"
                ),
            )
        ],
    },
    "apprentices:evidence_create": {
        "empty": [Visit("apprentice", url("apprentices:evidence_create", pk("apprentice")))],
        "error": [
            Visit(
                "apprentice",
                url("apprentices:evidence_create", pk("apprentice")),
                then=submit("Save and continue"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "apprentices:cohort": {
        "empty": [Visit("new_provider", url("apprentices:cohort"), bare=True)],
        "error": NotApplicable("its filters ignore values they do not know"),
        "populated": [
            Visit("provider", url("apprentices:cohort")),
            Visit("employer", url("apprentices:cohort")),
            Visit(
                "provider",
                lambda w: reverse("apprentices:cohort") + "?version=ST9994-1.0",
            ),
        ],
    },
    "apprentices:review_queue": {
        "empty": [Visit("new_provider", url("apprentices:review_queue"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("provider", url("apprentices:review_queue"))],
    },
    "apprentices:evidence_detail": {
        "empty": [Visit("apprentice", url("apprentices:evidence_detail", pk("empty_draft")))],
        "error": NotApplicable("refusals of its actions are shown on the page they came from"),
        "populated": [
            Visit("apprentice", url("apprentices:evidence_detail", pk(name)))
            for name in ("accepted", "returned", "draft")
        ]
        + [Visit("provider", url("apprentices:evidence_detail", pk("submitted")))],
    },
    "apprentices:evidence_edit": {
        "empty": [Visit("apprentice", url("apprentices:evidence_edit", pk("empty_draft")))],
        "error": [
            Visit(
                "apprentice",
                url("apprentices:evidence_edit", pk("draft")),
                then=clear_and_submit("Title", "Save and continue"),
            )
        ],
        "populated": [
            Visit("apprentice", url("apprentices:evidence_edit", pk("draft"))),
            Visit("apprentice", url("apprentices:evidence_edit", pk("returned"))),
        ],
    },
    "apprentices:evidence_map": {
        "empty": [
            Visit("apprentice", url("apprentices:evidence_map", pk("empty_draft"))),
            Visit(
                "unimported_apprentice",
                url("apprentices:evidence_map", pk("unimported_draft")),
            ),
        ],
        "error": [
            Visit(
                "apprentice",
                url("apprentices:evidence_map", pk("empty_draft")),
                then=submit("Save KSB mapping"),
            )
        ],
        "populated": [Visit("apprentice", url("apprentices:evidence_map", pk("draft")))],
    },
    "apprentices:evidence_withdraw": {
        "empty": [Visit("apprentice", url("apprentices:evidence_withdraw", pk("draft")))],
        "error": [
            Visit(
                "apprentice",
                url("apprentices:evidence_withdraw", pk("draft")),
                then=submit("Withdraw evidence"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "apprentices:evidence_review": {
        "empty": [Visit("provider", url("apprentices:evidence_review", pk("submitted")))],
        "error": [
            Visit(
                "provider",
                url("apprentices:evidence_review", pk("submitted")),
                then=submit("Save decision"),
            )
        ],
        "populated": NEW_RECORD,
    },
    # epa
    "epa:epa_list": {
        "empty": [
            Visit("new_epao_admin", url("epa:epa_list"), bare=True),
            Visit("new_assessor", url("epa:epa_list"), bare=True),
        ],
        "error": NotApplicable("its filters ignore values they do not know"),
        "populated": [
            Visit("epao_admin", url("epa:epa_list")),
            Visit("assessor", url("epa:epa_list")),
        ],
    },
    "epa:gateway_queue": {
        "empty": [Visit("new_epao_admin", url("epa:gateway_queue"), bare=True)],
        "error": NotApplicable("its search and sort ignore values they do not know"),
        "populated": [
            Visit("epao_admin", url("epa:gateway_queue")),
            Visit("epao_admin", lambda w: reverse("epa:gateway_queue") + "?q=zzzz"),
        ],
    },
    "epa:gateway_confirmations": {
        "empty": [Visit("new_employer", url("epa:gateway_confirmations"), bare=True)],
        "error": NotApplicable("a list with no form; its page number is all it reads"),
        "populated": [
            Visit("employer", url("epa:gateway_confirmations")),
            Visit("provider", url("epa:gateway_confirmations")),
        ],
    },
    "epa:submission_add": {
        "empty": [
            Visit(
                "epa_apprentice",
                lambda w: reverse(
                    "epa:submission_add", args=[w.assigned_epa.pk, w.assigned_demonstration.pk]
                ),
            )
        ],
        "error": [
            Visit(
                "epa_apprentice",
                lambda w: reverse(
                    "epa:submission_add", args=[w.assigned_epa.pk, w.assigned_demonstration.pk]
                ),
                then=submit("Hand in"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:conflict_list": {
        "empty": [Visit("new_assessor", url("epa:conflict_list"), bare=True)],
        "error": NO_FORM,
        "populated": [
            Visit("assessor", url("epa:conflict_list")),
            Visit("epao_admin", url("epa:conflict_list")),
        ],
    },
    "epa:conflict_add": {
        "empty": [Visit("assessor", url("epa:conflict_add"))],
        "error": [
            Visit("assessor", url("epa:conflict_add"), then=submit("Declare conflict of interest"))
        ],
        "populated": NEW_RECORD,
    },
    "epa:conflict_end": {
        "empty": [Visit("assessor", url("epa:conflict_end", pk("open_conflict")))],
        "error": [
            Visit(
                "assessor",
                url("epa:conflict_end", pk("open_conflict")),
                then=submit("End the conflict of interest"),
            )
        ],
        "populated": NotApplicable("a form for one change to a declaration: no stored values"),
    },
    "epa:conflict_withdraw": {
        "empty": [Visit("assessor", url("epa:conflict_withdraw", pk("open_conflict")))],
        "error": [
            Visit(
                "assessor",
                url("epa:conflict_withdraw", pk("open_conflict")),
                then=submit("Withdraw the declaration"),
            )
        ],
        "populated": NotApplicable("a form for one change to a declaration: no stored values"),
    },
    "epa:epa_detail": {
        "empty": [Visit("epao_admin", url("epa:epa_detail", pk("unassigned_epa")))],
        "error": NotApplicable("refusals of its actions are shown on the page they came from"),
        "populated": [
            Visit("assessor", url("epa:epa_detail", pk("moderation_epa"))),
            Visit("epao_admin", url("epa:epa_detail", pk("moderation_epa"))),
            Visit("epao_admin", url("epa:epa_detail", pk("final_epa"))),
            Visit("epao_admin", url("epa:epa_detail", pk("failed_epa"))),
            Visit("employer", url("epa:epa_detail", pk("final_epa"))),
        ],
    },
    "epa:epa_assign": {
        "empty": [Visit("epao_admin", url("epa:epa_assign", pk("unassigned_epa")))],
        "error": [
            Visit(
                "epao_admin",
                url("epa:epa_assign", pk("unassigned_epa")),
                then=submit("Assign assessor"),
            )
        ],
        "populated": [Visit("epao_admin", url("epa:epa_assign", pk("assigned_epa")))],
    },
    "epa:epa_moderate": {
        "empty": [Visit("epao_admin", url("epa:epa_moderate", pk("moderation_epa")))],
        "error": [
            Visit(
                "epao_admin",
                url("epa:epa_moderate", pk("moderation_epa")),
                then=submit("Save moderation"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:epa_resit": {
        "empty": [Visit("epao_admin", url("epa:epa_resit", pk("failed_epa")))],
        "error": [
            Visit(
                "epao_admin",
                url("epa:epa_resit", pk("failed_epa")),
                then=submit("Record resit or retake"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:result_amend": {
        "empty": [Visit("epao_admin", url("epa:result_amend", pk("final_epa")))],
        "error": [
            Visit(
                "epao_admin",
                url("epa:result_amend", pk("final_epa")),
                then=submit("Record amendment"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:assessment_schedule": {
        "empty": [
            Visit(
                "epao_admin",
                lambda w: reverse(
                    "epa:assessment_schedule", args=[w.assigned_epa.pk, w.unrecorded.pk]
                ),
            )
        ],
        "error": [
            Visit(
                "epao_admin",
                lambda w: reverse(
                    "epa:assessment_schedule", args=[w.assigned_epa.pk, w.unrecorded.pk]
                ),
                then=submit("Save schedule"),
            )
        ],
        "populated": NotApplicable("a graded assessment cannot be rescheduled"),
    },
    "epa:assessment_record": {
        "empty": [
            Visit(
                "assessor",
                lambda w: reverse(
                    "epa:assessment_record", args=[w.assigned_epa.pk, w.unrecorded.pk]
                ),
            )
        ],
        "error": [
            Visit(
                "assessor",
                lambda w: reverse(
                    "epa:assessment_record", args=[w.assigned_epa.pk, w.unrecorded.pk]
                ),
                then=submit("Save assessment"),
            )
        ],
        "populated": NotApplicable(
            "a recorded assessment is only open again while in progress; "
            "the record page then shows the empty form filled (covered by the journeys)"
        ),
    },
    "epa:gateway": {
        "empty": [
            Visit("provider", url("epa:gateway", pk("blank_apprentice"))),
            Visit("provider", url("epa:gateway", pk("unimported_apprentice"))),
        ],
        "error": NotApplicable("refusals of its actions are shown on the page they came from"),
        "populated": [
            Visit("provider", url("epa:gateway", apprentice_of("preparing"))),
            Visit("epao_admin", url("epa:gateway", apprentice_of("submitted_gateway"))),
            Visit("apprentice", url("epa:gateway", pk("apprentice"))),
            Visit("provider", url("epa:gateway", pk("final_apprentice"))),
        ],
    },
    "epa:gateway_decide": {
        "empty": [
            Visit("epao_admin", url("epa:gateway_decide", apprentice_of("submitted_gateway")))
        ],
        "error": [
            Visit(
                "epao_admin",
                url("epa:gateway_decide", apprentice_of("submitted_gateway")),
                then=submit("Save decisions"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:gateway_item_confirm": {
        "empty": [
            Visit(
                "provider",
                lambda w: reverse(
                    "epa:gateway_item_confirm",
                    args=[w.preparing.apprentice_id, w.english_maths_item.pk],
                ),
            ),
            Visit(
                "provider",
                lambda w: reverse(
                    "epa:gateway_item_confirm",
                    args=[w.preparing.apprentice_id, w.portfolio_item.pk],
                ),
            ),
        ],
        "error": [
            Visit(
                "provider",
                lambda w: reverse(
                    "epa:gateway_item_confirm",
                    args=[w.preparing.apprentice_id, w.english_maths_item.pk],
                ),
                then=submit("Confirm English and maths"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "epa:gateway_pack": {
        "empty": NotApplicable("a gateway cannot be submitted without accepted evidence"),
        "error": NO_FORM,
        "populated": [
            Visit(
                "assessor",
                lambda w: reverse("epa:gateway_pack", args=[w.final_apprentice.pk, 1]),
            )
        ],
    },
    # Two-factor authentication and sessions (django-allauth's pages in GOV.UK markup)
    "usersessions_list": {
        "empty": [Visit("apprentice", url("usersessions_list"))],
        "error": NO_FORM,
        "populated": [
            Visit("apprentice", url("usersessions_list"), then=another_session("apprentice"))
        ],
    },
    "mfa_index": {
        "empty": [Visit("apprentice", url("mfa_index"))],
        "error": NO_FORM,
        "populated": [Visit("two_factor", url("mfa_index"))],
    },
    "mfa_authenticate": {
        "empty": [Visit(None, url("login"), then=password_for("two_factor_unverified"))],
        "error": [
            Visit(
                None,
                url("login"),
                then=lambda page, world: (
                    password_for("two_factor_unverified")(page, world),
                    fill_and_submit({"Code": "000000"}, "Continue")(page, world),
                ),
            )
        ],
        "populated": NEW_RECORD,
    },
    "mfa_activate_totp": {
        "empty": [Visit("enrolling", url("mfa_activate_totp"))],
        "error": [Visit("enrolling", url("mfa_activate_totp"), then=submit("Activate"))],
        "populated": NEW_RECORD,
    },
    "mfa_add_webauthn": {
        "empty": [Visit("enrolling", url("mfa_add_webauthn"))],
        "error": NotApplicable("the passkey is made by the browser, which sends no wrong data"),
        "populated": NEW_RECORD,
    },
    "mfa_list_webauthn": {
        "empty": [Visit("apprentice", url("mfa_list_webauthn"))],
        "error": NO_FORM,
        "populated": NotApplicable("a passkey needs the browser's authenticator: test_passkeys"),
    },
    "mfa_generate_recovery_codes": {
        "empty": [Visit("two_factor", url("mfa_generate_recovery_codes"))],
        "error": NotApplicable("the form has only a button"),
        "populated": [Visit("two_factor", url("mfa_view_recovery_codes"))],
    },
    "mfa_view_recovery_codes": {
        "empty": NotApplicable("codes are made with the authenticator app"),
        "error": NO_FORM,
        "populated": [Visit("two_factor", url("mfa_view_recovery_codes"))],
    },
    "mfa_deactivate_totp": {
        "empty": NotApplicable("only someone with an authenticator app can turn it off"),
        "error": NotApplicable("the form has only a button"),
        "populated": [Visit("two_factor", url("mfa_deactivate_totp"))],
    },
    "account_reauthenticate": {
        "empty": [Visit("apprentice", url("account_reauthenticate"))],
        "error": [
            Visit("apprentice", url("account_reauthenticate"), then=submit("Confirm")),
        ],
        "populated": NEW_RECORD,
    },
    "two_factor_reset": {
        "empty": [Visit("admin", url("two_factor_reset"))],
        "error": [
            Visit("admin", url("two_factor_reset"), then=submit("Reset two-factor authentication"))
        ],
        "populated": NEW_RECORD,
    },
    # Notifications
    "notification_list": {
        "empty": [Visit("new_provider", url("notification_list"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("apprentice", url("notification_list"))],
    },
    "notification_preferences": {
        "empty": [Visit("apprentice", url("notification_preferences"))],
        "error": NotApplicable("its only inputs are checkboxes, so nothing is refused"),
        "populated": [Visit("provider", url("notification_preferences"))],
    },
    # Off-the-job training and breaks in learning
    "progress:off_the_job_log": {
        "empty": [Visit("provider", url("progress:off_the_job_log", pk("blank_apprentice")))],
        "error": NO_FORM,
        "populated": [
            Visit("apprentice", url("progress:off_the_job_log", pk("apprentice"))),
            Visit("provider", url("progress:off_the_job_log", pk("apprentice"))),
        ],
    },
    "progress:off_the_job_create": {
        "empty": [Visit("apprentice", url("progress:off_the_job_create", pk("apprentice")))],
        "error": [
            Visit(
                "apprentice",
                url("progress:off_the_job_create", pk("apprentice")),
                then=submit("Save training"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "progress:off_the_job_edit": {
        "empty": NotApplicable("edits a record that always has values"),
        "error": [
            Visit(
                "apprentice",
                url("progress:off_the_job_edit", pk("queried_entry")),
                then=clear_and_submit("What you did and learned", "Save training"),
            )
        ],
        "populated": [Visit("apprentice", url("progress:off_the_job_edit", pk("queried_entry")))],
    },
    "progress:off_the_job_query": {
        "empty": [Visit("provider", url("progress:off_the_job_query", pk("submitted_entry")))],
        "error": [
            Visit(
                "provider",
                url("progress:off_the_job_query", pk("submitted_entry")),
                then=submit("Query the entry"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "progress:off_the_job_queue": {
        "empty": [Visit("new_provider", url("progress:off_the_job_queue"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("provider", url("progress:off_the_job_queue"))],
    },
    "progress:off_the_job_plan": {
        "empty": [Visit("provider", url("progress:off_the_job_plan", pk("blank_apprentice")))],
        "error": [
            Visit(
                "provider",
                url("progress:off_the_job_plan", pk("apprentice")),
                then=percentage_over_100,
            )
        ],
        "populated": [Visit("provider", url("progress:off_the_job_plan", pk("apprentice")))],
    },
    "apprentices:break_create": {
        "empty": [Visit("provider", url("apprentices:break_create", pk("apprentice")))],
        "error": [
            Visit(
                "provider",
                url("apprentices:break_create", pk("apprentice")),
                then=submit("Add break"),
            )
        ],
        "populated": NEW_RECORD,
    },
    # Progress reviews
    "progress:progress_review_list": {
        "empty": [Visit("provider", url("progress:progress_review_list", pk("blank_apprentice")))],
        "error": NO_FORM,
        "populated": [
            Visit("provider", url("progress:progress_review_list", pk("apprentice"))),
            Visit("employer", url("progress:progress_review_list", pk("apprentice"))),
        ],
    },
    "progress:progress_review_schedule": {
        "empty": [
            Visit("provider", url("progress:progress_review_schedule", pk("blank_apprentice")))
        ],
        "error": [
            Visit(
                "provider",
                url("progress:progress_review_schedule", pk("blank_apprentice")),
                then=fill_and_submit({"Day": ""}, "Schedule review"),
            )
        ],
        "populated": NEW_RECORD,
    },
    "progress:progress_review_detail": {
        "empty": [
            Visit("provider", review_url("progress:progress_review_detail", "scheduled_review"))
        ],
        "error": NotApplicable("refusals of its actions are shown on the page they came from"),
        "populated": [
            Visit("provider", review_url("progress:progress_review_detail", "recorded_review")),
            Visit("employer", review_url("progress:progress_review_detail", "recorded_review")),
        ],
    },
    "progress:progress_review_record": {
        "empty": [
            Visit("provider", review_url("progress:progress_review_record", "scheduled_review"))
        ],
        "error": [
            Visit(
                "provider",
                review_url("progress:progress_review_record", "scheduled_review"),
                then=submit("Save and ask for signatures"),
            )
        ],
        "populated": [
            Visit("provider", review_url("progress:progress_review_record", "unsigned_review"))
        ],
    },
    "progress:progress_review_sign_link": {
        "empty": NotApplicable("a link is only sent for a recorded review"),
        "error": [
            Visit(
                None,
                lambda w: reverse("progress:progress_review_sign_link", args=["not-a-token"]),
                status=410,
            ),
            Visit(None, lambda w: w.signing_path, then=submit("Sign the review")),
        ],
        "populated": [
            Visit(None, lambda w: w.signing_path),
            Visit(None, lambda w: w.signing_path, then=sign_by_link),
        ],
    },
    # Data protection
    "apprentices:apprentice_data": {
        "empty": NotApplicable("every apprentice has a record to describe"),
        "error": NO_FORM,
        "populated": [
            Visit("apprentice", url("apprentices:apprentice_data", pk("apprentice"))),
            Visit("admin", url("apprentices:apprentice_data", pk("final_apprentice"))),
        ],
    },
    "apprentices:apprentice_erase": {
        "empty": [Visit("admin", url("apprentices:apprentice_erase", pk("withdrawn_apprentice")))],
        "error": [
            Visit("admin", url("apprentices:apprentice_erase", pk("apprentice"))),
            Visit(
                "admin",
                url("apprentices:apprentice_erase", pk("withdrawn_apprentice")),
                then=submit("Erase personal data"),
            ),
        ],
        "populated": NEW_RECORD,
    },
    # Reports
    "reports:report_list": {
        "empty": [Visit("new_provider", url("reports:report_list"), bare=True)],
        "error": NO_FORM,
        "populated": [Visit("provider", url("reports:report_list"))],
    },
    "reports:report_detail": {
        "empty": [Visit("provider", url("reports:report_detail", pk("queued_report")))],
        "error": [Visit("provider", url("reports:report_detail", pk("failed_report")))],
        "populated": [Visit("provider", url("reports:report_detail", pk("ready_report")))],
    },
}

# Templates that no URL pattern names: error pages and the sign-in lockout (above, in
# login's error state). `render` pages cannot be caused from a browser: they are rendered
# and shown in place of a page of psp.
OTHER_PAGES: dict[str, Visit] = {
    "404.html": Visit("apprentice", lambda w: "/no-such-page/", status=404),
    "403.html": Visit("apprentice", url("apprentices:review_queue"), status=403),
    "400.html": Visit(None, lambda w: "render:400.html"),
    "500.html": Visit(None, lambda w: "render:500.html"),
    # psp.middleware refuses an address with a NUL character in words, not with a 500.
    "psp/request_refused.html": Visit("provider", lambda w: "/apprentices/?q=a%00b", status=400),
    # A download while the file store cannot be reached (psp.downloads): rendered in place.
    "psp/storage_unavailable.html": Visit(None, lambda w: "render:psp/storage_unavailable.html"),
}


# The demo that `make run` serves (tests.browser.world.populate_demo): ST0494 as loaded
# from the fixtures and the demo's records, for the pages whose layout depends most on
# real text and real numbers (long KSB lists, many rows, long names).
def demo_record(world: World) -> str:
    assessment = world.demo_assessment
    return reverse("epa:assessment_record", args=[assessment.epa_id, assessment.pk])


DEMO_PAGES: dict[str, Visit] = {
    "apprentice home": home("demo_apprentice"),
    "apprentice coverage": Visit(
        "demo_apprentice", url("apprentices:apprentice_coverage", pk("demo_apprentice"))
    ),
    "apprentice off-the-job log": Visit(
        "demo_apprentice", url("progress:off_the_job_log", pk("demo_apprentice"))
    ),
    "new evidence, refused": Visit(
        "demo_apprentice",
        url("apprentices:evidence_create", pk("demo_apprentice")),
        then=submit("Save and continue"),
    ),
    "provider home": home("demo_provider"),
    "apprentice list": Visit("demo_provider", url("apprentices:apprentice_list")),
    "off-the-job queue": Visit("demo_provider", url("progress:off_the_job_queue")),
    "off-the-job log": Visit(
        "demo_provider", url("progress:off_the_job_log", pk("demo_apprentice"))
    ),
    "heatmap": Visit("demo_provider", url("apprentices:cohort")),
    "review queue": Visit("demo_provider", url("apprentices:review_queue")),
    "evidence review": Visit(
        "demo_provider", url("apprentices:evidence_review", pk("demo_submitted"))
    ),
    "ST0494 v1.0": Visit(
        "demo_provider", lambda w: reverse("standards:version_detail", args=["ST0494", "1.0"])
    ),
    "ST0494 compared": Visit(
        "demo_provider",
        lambda w: reverse("standards:version_compare", args=["ST0494"]) + "?old=1.0&new=1.1",
    ),
    "employer home": home("demo_employer"),
    "EPAO admin home": home("demo_epao_admin"),
    "EPA list": Visit("demo_epao_admin", url("epa:epa_list")),
    "assessor home": home("demo_assessor"),
    "grading form": Visit("demo_assessor", demo_record),
    "grading form, refused": Visit("demo_assessor", demo_record, then=submit("Save assessment")),
    "admin home": home("demo_admin"),
}

# Not pages: what each is and why no accessibility check applies. The tests check the
# claim (POST-only actions answer GET with 405, downloads are attachments, JSON is JSON).
POST_ONLY = "an action: POST only, it redirects to a page checked here"
EXCLUDED: dict[str, str] = {
    "healthz": "JSON for monitoring, not a page",
    "healthz_live": "JSON for container liveness probes, not a page",
    "healthz_ready": "JSON for container readiness probes, not a page",
    "logout": POST_ONLY,
    "account_logout": "the sign-out of allauth's pages, the same view as logout",
    "account_login": "the sign-in page under allauth's name, the same view as login",
    "admin_sign_in": "redirects to the sign-in page (the admin site's own form is never used)",
    "mfa_reauthenticate": "the code again before a change, for users with an authenticator "
    "whose password confirmation lapsed; the same template as mfa_authenticate",
    "mfa_reauthenticate_webauthn": "a passkey again before a change: needs the browser's "
    "authenticator (tests/browser/test_passkeys.py)",
    "mfa_download_recovery_codes": "a file download (the recovery codes as text)",
    "mfa_remove_webauthn": "needs a passkey: tests/browser/test_passkeys.py",
    "mfa_edit_webauthn": "needs a passkey: tests/browser/test_passkeys.py",
    "apprentices:evidence_file_download": "a file download (Content-Disposition: attachment)",
    "apprentices:evidence_submit": POST_ONLY,
    "apprentices:evidence_file_remove": POST_ONLY,
    "epa:epa_submit": POST_ONLY,
    "apprentices:employer_move_decide": POST_ONLY,
    "epa:gateway_start": POST_ONLY,
    "epa:gateway_submit": POST_ONLY,
    "standards:import_confirm": POST_ONLY,
    "standards:import_discard": POST_ONLY,
    "notification_read": POST_ONLY,
    "notification_read_all": POST_ONLY,
    "progress:off_the_job_approve": POST_ONLY,
    "apprentices:break_remove": POST_ONLY,
    "progress:progress_review_sign": POST_ONLY,
    "progress:progress_review_link": POST_ONLY,
    "apprentices:apprentice_data_download": "a file download (a zip, as an attachment)",
    "reports:report_download": "a file download (the PDF, as an attachment)",
    "epa:submission_download": "a file download (the material handed in, as an attachment)",
    "reports:report_request_portfolio": POST_ONLY,
    "reports:report_request_gateway": POST_ONLY,
    "reports:report_request_epa": POST_ONLY,
    "reports:report_request_review": POST_ONLY,
    "reports:report_request_cohort": POST_ONLY,
}
# How to reach each download, to check it is one.
DOWNLOADS: dict[str, Visit] = {
    "apprentices:evidence_file_download": Visit("apprentice", lambda w: w.file.get_absolute_url()),
    "apprentices:apprentice_data_download": Visit(
        "apprentice", url("apprentices:apprentice_data_download", pk("apprentice"))
    ),
    "reports:report_download": Visit(
        "provider", url("reports:report_download", pk("ready_report"))
    ),
    "epa:submission_download": Visit("assessor", lambda w: w.submission.get_absolute_url()),
    "mfa_download_recovery_codes": Visit("two_factor", url("mfa_download_recovery_codes")),
}
# Django's own admin, for administrators only: its templates are Django's, not psp's.
EXCLUDED_NAMESPACES = {"admin": "Django's admin site (its own templates)"}


# Bulk onboarding and the REST API's token pages (apprentices.onboarding, api) ----------


def _onboarding_upload(world: World, *, refused: bool = False, apply: bool = False) -> str:
    """A file of two apprentices uploaded by the provider (one refused, or confirmed)."""
    import csv
    import datetime
    import io

    from apprentices import onboarding
    from tests.factories import valid_uln

    provider = world.users["provider"]
    version = world.version
    start = version.earliest_start_date or timezone.localdate()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(onboarding.COLUMN_NAMES)
    for number in (1, 2):
        uln = "123" if refused and number == 2 else valid_uln(9000 + number + 10 * apply)
        employer = world.users["employer"].organisation.name
        end = start + datetime.timedelta(days=540)
        writer.writerow(
            [
                uln,
                "Olu",
                f"Onboard{number}",
                f"olu{number}{apply}@example.org",
                employer,
                version.standard.reference,
                version.version,
                "",
                start.isoformat(),
                end.isoformat(),
                "37.5",
                "0",
            ]
        )
    batch, _ = onboarding.start_batch(
        provider.organisation, by=provider, filename="apprentices.csv", data=out.getvalue().encode()
    )
    assert batch is not None
    if apply:
        onboarding.confirm_batch(batch, by=provider, new_employers=[])
    return batch.get_absolute_url()


def _token_revoke(world: World) -> str:
    from api import tokens

    provider = world.users["provider"]
    token, _ = tokens.create_token(
        provider.organisation, name=f"Sync {secrets.token_hex(3)}", can_write=False, by=provider
    )
    return reverse("api:token_revoke", args=[token.pk])


def _create_token(page: Any, world: World) -> None:
    fill_and_submit({"Name": f"MIS {secrets.token_hex(3)}"}, "Create token")(page, world)


def _bulk_import(world: World, *, status: str) -> str:
    """A whole-download import of the admin's: waiting, finished with refusals, or stopped."""
    from django.utils import timezone

    from standards.models import BulkImport

    finished = status in ("done", "failed")
    bulk = BulkImport.objects.create(
        filename="apprenticeshipstandards.json.gz",
        sha256="b" * 64,
        status=status,
        uploaded_by=world.users["admin"],
        finished_at=timezone.now() if finished else None,
        read=1926 if finished else 0,
        imported=1862 if status == "done" else 0,
        refusals=[["ST0780 0.0", "level 0 is not a level of apprenticeship"]] if finished else [],
        error="The file is not valid JSON after version 412" if status == "failed" else "",
    )
    return reverse("standards:bulk_import_detail", args=[bulk.pk])


PAGES.update(
    {
        "standards:bulk_import_detail": {
            "empty": [Visit("admin", lambda w: _bulk_import(w, status="queued"))],
            "error": [Visit("admin", lambda w: _bulk_import(w, status="failed"))],
            "populated": [Visit("admin", lambda w: _bulk_import(w, status="done"))],
        },
    }
)


PAGES.update(
    {
        "apprentices:onboarding_upload": {
            "empty": [Visit("provider", url("apprentices:onboarding_upload"))],
            "error": [
                Visit(
                    "provider",
                    url("apprentices:onboarding_upload"),
                    then=submit("Upload and check"),
                    status=400,
                )
            ],
            "populated": [
                Visit("provider", lambda w: _onboarding_upload(w) and "/apprentices/onboarding/")
            ],
        },
        "apprentices:onboarding_preview": {
            "empty": NotApplicable("an upload always has rows: a file without any is refused"),
            "error": [Visit("provider", lambda w: _onboarding_upload(w, refused=True))],
            "populated": [
                Visit("provider", _onboarding_upload),
                Visit("provider", lambda w: _onboarding_upload(w, apply=True)),
            ],
        },
        "api:token_list": {
            "empty": [Visit("new_provider", url("api:token_list"), bare=True)],
            "error": [
                Visit("epao_admin", url("api:token_list"), then=submit("Create token"), status=400)
            ],
            "populated": [Visit("provider", url("api:token_list"), then=_create_token)],
        },
        "api:token_revoke": {
            "empty": NotApplicable("a confirmation: always about one token"),
            "error": NotApplicable("its only input is a button"),
            "populated": [Visit("provider", _token_revoke)],
        },
    }
)
API_CALL = "JSON of the REST API, for other systems (token-authenticated), not a page"
EXCLUDED.update(
    {
        "apprentices:onboarding_confirm": POST_ONLY,
        "apprentices:onboarding_discard": POST_ONLY,
        "apprentices:onboarding_template": "a file download (the CSV template, as an attachment)",
        "api:openapi-json": "JSON: the API's OpenAPI document",
        "api:api-root": "a redirect to the API documentation",
        "api:openapi-view": "the API's Swagger UI, drawn by django-ninja's own template and "
        "scripts (like the admin, not psp's templates)",
        **{
            name: API_CALL
            for name in (
                "api:list_apprentices",
                "api:create_apprentice",
                "api:get_apprentice",
                "api:get_coverage",
                "api:list_evidence",
                "api:get_off_the_job",
                "api:list_gateway",
                "api:get_apprentice_epa",
                "api:list_epas",
                "api:get_epa",
            )
        },
    }
)
DOWNLOADS["apprentices:onboarding_template"] = Visit(
    "provider", url("apprentices:onboarding_template")
)
