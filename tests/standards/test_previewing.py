from standards.importing import import_standard, parse_official
from standards.plan_importing import import_epa_plan, parse_epa_plan
from standards.previewing import Change, preview_epa_plan, preview_standard, word_diff
from tests.standards.samples import BEHAVIOURS, KNOWLEDGE, SKILLS, epa_plan_json, official_json


def test_word_diff_marks_whole_words_removed_and_added():
    runs = word_diff("Knows the widget rules.", "Knows the gadget rules well.")

    assert runs == [
        ("equal", "Knows the "),
        ("delete", "widget"),
        ("insert", "gadget"),
        ("equal", " "),
        ("delete", "rules."),
        ("insert", "rules well."),
    ]


def test_preview_of_a_new_version_shows_only_changed_summary_fields(db):
    import_standard(parse_official(official_json()))

    preview = preview_standard(
        parse_official(official_json(version="1.1", status="Retired", level=4)), None
    )

    summary = preview.sections[0]
    assert [(item.label, item.old, item.new) for item in summary.items] == [
        ("Status", "Approved for delivery", "Retired"),
        ("Level", "3", "4"),
    ]
    assert summary.note == "12 unchanged fields are not shown."


def test_preview_of_a_plan_for_a_version_without_one_compares_with_the_earlier_plan(db):
    import_standard(parse_official(official_json()))
    import_standard(parse_official(official_json(version="1.1")))

    import_epa_plan(parse_epa_plan(epa_plan_json()))
    later = epa_plan_json(version="1.1", epaPeriodMonths=4)

    preview = preview_epa_plan(parse_epa_plan(later), None)

    assert preview.compared_with.startswith("Compared with the EPA plan of version 1.0")
    general = {item.label: item for item in preview.sections[0].items}
    assert general["EPA period"].change == Change.CHANGED
    assert (general["EPA period"].old, general["EPA period"].new) == ("3 months", "4 months")


def test_a_new_version_is_compared_with_the_closest_earlier_version_that_has_ksbs(db):
    from tests.factories import make_version

    make_version(version="1.0", ksbs={"K": KNOWLEDGE, "S": SKILLS, "B": BEHAVIOURS})
    make_version(version="1.1")  # its KSBs not yet imported
    changed = [*KNOWLEDGE[:2], "Ways to record a widget inspection, digitally."]

    preview = preview_standard(
        parse_official(official_json(version="1.2", knowledge=changed)), None
    )

    assert preview.compared_with.startswith("Compared with version 1.0, the latest earlier")
    ksbs = preview.sections[1]
    assert (ksbs.added_count, ksbs.changed_count, ksbs.removed_count) == (0, 1, 0)
