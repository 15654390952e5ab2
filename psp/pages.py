"""What psp's own pages show, when that is more than the object and its form (the home
pages are psp.homepages)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from psp.demo_accounts import DEMO_ACCOUNTS


def sign_in_page() -> dict[str, Any]:
    """What the sign-in page adds to Django's: the demo accounts when PSP_DEMO_ACCOUNTS is
    on, and whether staff need a second factor (the demo's accounts say so)."""
    return {
        "demo_accounts": DEMO_ACCOUNTS if settings.PSP_DEMO_ACCOUNTS else [],
        "staff_2fa_required": settings.PSP_REQUIRE_STAFF_2FA,
    }
