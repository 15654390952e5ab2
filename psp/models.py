"""Users, the organisations they work for, and their roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from psp.roles import Role

if TYPE_CHECKING:
    from psp.access import Access


class Organisation(models.Model):
    class Kind(models.TextChoices):
        EMPLOYER = "employer", "Employer"
        TRAINING_PROVIDER = "provider", "Training provider"
        EPAO = "epao", "End-point assessment organisation"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ukprn = models.CharField(
        "UKPRN",
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^1\d{7}$", "A UKPRN is 8 digits starting with 1.")],
        help_text="UK Provider Reference Number (training providers and EPAOs).",
    )
    signing_contact_name = models.CharField(
        "contact for signing progress reviews",
        max_length=200,
        blank=True,
        help_text="Employers: the person without an account who signs progress reviews "
        "for the employer, by emailed link.",
    )
    signing_contact_email = models.EmailField(
        "their email address",
        blank=True,
        help_text="Signing links go only to this address, never to one typed by whoever "
        "sends the link.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="unique_organisation_name"),
            models.CheckConstraint(
                condition=Q(signing_contact_email="") | ~Q(signing_contact_name=""),
                name="signing_contact_has_a_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Their role comes from their group (see psp.roles)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text="Employer, training provider or EPAO this person works for.",
    )
    # Part of what every session of the user is signed with: raising it ends them all.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Raised by database triggers whenever the user's groups or permissions change; names
    # their cached copy (psp.access).
    access_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="unique_user_email"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def _access(self) -> Access:
        """Groups and permissions from psp.access: one cache read for the object's life."""
        from psp.access import access_of

        return access_of(self)

    @cached_property
    def role(self) -> Role | None:
        """The user's role: the first of their groups that names a role, in Role order."""
        if self.is_superuser:
            return Role.ADMIN
        names = self._access.group_names
        return next((role for role in Role if role.label in names), None)

    # django.contrib.auth's ModelBackend keeps a user's permissions in these two attributes
    # for the life of the object and loads them (a query each) only if they are missing:
    # here they come from psp.access, kept across requests.
    @cached_property
    def _user_perm_cache(self) -> set[str]:
        return set(self._access.user_permissions)

    @cached_property
    def _group_perm_cache(self) -> set[str]:
        return set(self._access.group_permissions)

    # Django checks each request's session against this hash (django.contrib.auth.get_user),
    # so a session signed before the password or the epoch changed is signed out.
    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash(None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(fallback)

    def _session_auth_hash(self, secret: str | bytes | None) -> str:
        value = f"{self.password}\n{self.session_epoch}"
        return salted_hmac("psp.User.session", value, secret=secret, algorithm="sha256").hexdigest()

    def end_sessions(self) -> None:
        """Sign the user out everywhere (psp.views.keep_this_session keeps the session of a
        request going)."""
        User.objects.filter(pk=self.pk).update(session_epoch=F("session_epoch") + 1)
        self.refresh_from_db(fields=["session_epoch"])


def browser_name(user_agent: str) -> str:
    """A short name for a browser and system from its User-Agent, for people to recognise."""
    browsers = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for token, name in browsers if token in user_agent), "")
    system = next((name for token, name in systems if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: User) -> NotificationQuerySet:
        """A user's own notifications; nobody sees anyone else's (404)."""
        return self.filter(user=user) if user.is_authenticated else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class EmailOutbox(models.Model):
    """A row that sends one email in the background, through the transactional outbox of
    psp.notifications: pending until a task claims it, sent once, retried, swept up if the
    broker never got or lost its message."""

    class Email(models.TextChoices):
        NOT_WANTED = "not_wanted", "Not emailed"
        QUEUED = "queued", "Email pending"  # not sent yet: the task, or the sweep, will
        SENDING = "sending", "Email being sent"  # claimed by one task, which alone sends it
        SENT = "sent", "Emailed"
        FAILED = "failed", "Email could not be sent"

    email_status = models.CharField(max_length=20, choices=Email.choices, default=Email.NOT_WANTED)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)
    email_dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the email task was last handed to the broker."
    )
    email_claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a task claimed the email to send it."
    )

    class Meta:
        abstract = True


class Notification(EmailOutbox):
    """Something that happened which a user should know about: listed in the service and,
    if they want it, emailed to them in the background (see psp.notifications)."""

    class Kind(models.TextChoices):
        EVIDENCE_REVIEWED = "evidence_reviewed", "Evidence reviewed"
        REVIEW_DUE = "review_due", "Progress review due"
        REVIEW_SIGNATURE = "review_signature", "Progress review waiting for a signature"
        GATEWAY_DECIDED = "gateway_decided", "Gateway decision"
        EPA_SCHEDULED = "epa_scheduled", "End-point assessment scheduled"
        RESULT_RELEASED = "result_released", "End-point assessment result released"
        REPORT_READY = "report_ready", "Report ready"

    user = models.ForeignKey("psp.User", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(
        max_length=500, blank=True, help_text="A page of this service, as a path from /."
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            # For the sweep of emails still to send (psp.notifications.dispatch_pending_emails).
            models.Index(
                fields=["email_status", "created_at"],
                name="notification_email_pending",
                condition=Q(email_status__in=["queued", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email_status="sending") | Q(email_claimed_at__isnull=False),
                name="sending_email_is_claimed",
            ),
            # Only paths of this service: a notification never links somewhere else.
            models.CheckConstraint(
                condition=Q(url="") | (Q(url__startswith="/") & ~Q(url__startswith="//")),
                name="notification_url_is_a_path",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def mark_read(self) -> None:
        if self.read_at is None:
            self.read_at = timezone.now()
            self.save(update_fields=["read_at"])


class AccountEmail(EmailOutbox):
    """An email about a person's account, sent in the background through the outbox of
    psp.notifications, never inside the request: a link to set a first password, a link
    to reset it, or a notice to the old address that staff changed it. Links are made
    when the email is sent, never stored."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Set a first password"
        PASSWORD_RESET = "password_reset", "Reset the password"
        ADDRESS_CHANGED = "address_changed", "The email address was changed (to the old one)"
        PASSWORD_CHANGED = "password_changed", "The password was changed by staff"

    user = models.ForeignKey("psp.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.EmailField()
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to}"


class NotificationPreference(models.Model):
    """A user's choice for one kind of notification; no row means the default (email on)."""

    user = models.ForeignKey(
        "psp.User", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Notification.Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="unique_notification_preference"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} ({'email' if self.email else 'no email'})"


class AuditEntry(models.Model):
    """One entry of the append-only audit trail.

    Rows are written by database triggers: for every change to an audited table (so bulk
    updates and raw SQL are recorded too) and for events the app logs (downloads, sign-ins).
    Each row's hash chains it to the one before (see psp.audit); the database refuses
    updates and deletes, and `manage.py verify_audit` detects a removed or altered entry.

    The personal content (who by name, from where, summary, before, after) is chained
    through its digest, so erasure and retention can redact it (psp.audit.redact): it is
    blanked, the digest stays, and `redaction` points at the entry recording who redacted
    it, when and why.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "User", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    ip = models.CharField("from", max_length=64, blank=True)
    source = models.CharField(max_length=10, default="app")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    summary = models.TextField(blank=True)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    payload = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    redaction = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="redacted_entries",
        help_text="The entry recording the removal of this entry's personal content.",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self) -> str:
        who = self.actor_label or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who}: {self.action} {self.object_type} {self.object_id}"

    @property
    def is_redacted(self) -> bool:
        return self.redaction_id is not None

    def in_words(self) -> str:
        """What happened, for people: "Changed end-point assessment 3", not the trigger's
        "update epa_epa 3"."""
        verb = AUDIT_VERBS.get(self.action, self.action.replace("_", " ").capitalize())
        model = next((m for m in apps.get_models() if m._meta.db_table == self.object_type), None)
        noun = str(model._meta.verbose_name) if model else self.object_type.replace("_", " ")
        return f"{verb} {noun} {self.object_id}".strip()

    def changed_fields(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for each field the change touched, in words and short,
        instead of the whole rows as JSON (cut off before the field that changed)."""
        rows = []
        for text in (self.before, self.after):
            try:
                row = json.loads(text) if text else {}
            except ValueError:
                row = {"value": text}
            rows.append(row if isinstance(row, dict) else {"value": row})
        before, after = rows
        return [
            (name.replace("_", " "), _audit_value(before.get(name)), _audit_value(after.get(name)))
            for name in sorted(before.keys() | after.keys())
            if before.get(name) != after.get(name)
        ]


AUDIT_VERBS = {"insert": "Created", "update": "Changed", "delete": "Deleted"}


def _audit_value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 120 else f"{text[:119]}…"
