"""Journey 6 of issue 8: an administrator imports a standard version file, sees the preview
of what would change, and confirms it."""

import json
import re

import pytest
from playwright.sync_api import expect

from psp.roles import Role
from standards.importing import import_standard, parse_official
from standards.models import StandardImport, StandardVersion
from tests.browser.actions import success_banner
from tests.factories import make_user
from tests.standards.samples import KNOWLEDGE, guid, official_json

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_admin_imports_a_version_file_sees_the_changes_and_confirms(new_page, person, js):
    import_standard(parse_official(official_json()))
    revised = official_json(
        version="1.1",
        knowledge=[
            "How imaginary widgets are built from sprockets and flanges.",
            KNOWLEDGE[1],
            KNOWLEDGE[2],
            "How imaginary gadgets differ from widgets.",
        ],
    )
    revised["knowledges"][3]["knowledgeId"] = guid("K4-new")
    admin = new_page(user=make_user(role=Role.ADMIN, username="ada", is_staff=True), js=js)

    admin.goto("/")
    person.click_nav(admin, "Import standards")
    person.click(admin.get_by_role("button", name="Import a file"))
    person.check(admin.get_by_label("Standard version (official JSON)"))
    person.choose_files(
        admin, "#id_file", [("st9999-1.1.json", "application/json", json.dumps(revised).encode())]
    )
    person.click(admin.get_by_role("button", name="Check and preview"))

    expect(admin.get_by_role("heading", level=1)).to_have_text(
        "ST9990 version 1.1: Imaginary widget inspector"
    )
    expect(admin.get_by_text("Compared with version 1.0")).to_be_visible()
    ksbs = admin.get_by_role(
        "table", name="Knowledge, skills and behaviours: what is added, removed or changed"
    )
    for label, change in [("K1", "Changed"), ("K2", "Unchanged"), ("K4", "Added")]:
        row = ksbs.get_by_role("row", name=re.compile(f"^{label} "))
        expect(row.get_by_role("cell").first).to_have_text(change)
    expect(ksbs.locator("del").first).to_contain_text("assembled")
    expect(ksbs.locator("ins").first).to_contain_text("built")
    assert not StandardVersion.objects.filter(version="1.1").exists()

    person.click(admin.get_by_role("button", name="Confirm and import"))
    expect(success_banner(admin)).to_be_visible()
    expect(admin).to_have_url("/standards/ST9990/1.1/")
    expect(admin.get_by_text("How imaginary gadgets differ from widgets.")).to_be_visible()
    assert StandardImport.objects.get().status == StandardImport.Status.APPLIED
    assert StandardVersion.objects.get(version="1.1").ksbs.filter(kind="K").count() == 4
