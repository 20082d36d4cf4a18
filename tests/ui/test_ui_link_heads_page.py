"""联户长 page: the same flow as 党员中心户 without types; a head need not be a party member."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from ledgerdesk.services import coverage
from ledgerdesk.services import registry_queries as rq

SHOTS = Path("/tmp/ui-shots")
PAGE_KEY = "link_heads"  # make_page (conftest) builds this page


def test_heads_list_filters_and_no_types(make_page, demo_session, qtbot, qtmodeltester, wait_idle):
    page = make_page(demo_session)
    assert page.holder_model.ids() == rq.link_head_ids(demo_session, rq.CenterQuery())
    assert page.types_button is None and page.holder_model.column_number("types") == -1
    village = rq.villages(demo_session)[1]
    page.village.setCurrentIndex(page.village.findData(village.id))
    page.problem.setCurrentIndex(page.problem.findData("out_of_bounds"))
    wait_idle(page)
    assert page.holder_model.ids() == rq.link_head_ids(
        demo_session, rq.CenterQuery(village_id=village.id, problem="out_of_bounds"))
    qtmodeltester.check(page.holder_model, force_py=True)
    report = coverage.coverage(demo_session, village.id)
    qtbot.waitUntil(lambda: page.strip.scope.text() == village.name)
    assert page.strip.rate.text() == f"联系率 {report.head_linkage_rate * 100:.1f}%"
    assert page.strip.uncovered_count == report.households - report.head_linked


def test_link_and_unlink_flow(make_page, demo_session, qtbot, qtmodeltester, wait_idle):
    page = make_page(demo_session)
    village = max(rq.villages(demo_session),
                  key=lambda v: len(coverage.uncovered_household_ids(demo_session, "link_head", v.id)))
    page.village.setCurrentIndex(page.village.findData(village.id))
    wait_idle(page)
    page.holder_table.selectRow(0)
    wait_idle(page)
    panel, holder = page.panel, page.current_holder()
    low, high = rq.bounds(demo_session, "link_head")
    total = panel.covered_model.rowCount()
    assert total == holder.households
    unlinked = rq.household_ids(demo_session, rq.HouseholdQuery(village_id=village.id, head="unlinked"))
    assert panel.candidate_model.ids() == unlinked and len(unlinked) >= 3
    qtmodeltester.check(panel.candidate_model, force_py=True)
    before = page.strip.uncovered_count

    panel.candidate_table.select_ids(unlinked[:3])
    assert panel.bound_label.text().startswith(f"已选 3 户，分配后共 {total + 3} 户（范围 {low}–{high}）")
    with qtbot.waitSignal(page.coverage_loaded, timeout=15_000):
        qtbot.mouseClick(panel.assign_button, Qt.MouseButton.LeftButton)
    wait_idle(page)
    assert panel.covered_model.rowCount() == total + 3
    assert not set(unlinked[:3]) & set(panel.candidate_model.ids())
    assert page.strip.uncovered_count == before - 3
    assert set(unlinked[:3]) <= set(rq.household_ids(demo_session, rq.HouseholdQuery(link_head_id=holder.id)))
    SHOTS.mkdir(exist_ok=True)
    assert page.grab().save(str(SHOTS / "link-heads-page.png"))

    panel.covered_table.select_ids(unlinked[:3])
    with qtbot.waitSignal(page.coverage_loaded, timeout=15_000):
        qtbot.keyClick(panel.covered_table, Qt.Key.Key_Delete)
    wait_idle(page)
    assert panel.covered_model.rowCount() == total
    assert page.strip.uncovered_count == before


def test_designate_any_resident(make_page, demo_session, qtbot, wait_idle):
    page = make_page(demo_session)
    village = rq.villages(demo_session)[0]
    page.village.setCurrentIndex(page.village.findData(village.id))
    wait_idle(page)
    heads = {r.person_id for r in rq.link_head_rows(demo_session, rq.link_head_ids(demo_session, rq.CenterQuery()))}
    target = None
    for household_id in rq.household_ids(demo_session, rq.HouseholdQuery(village_id=village.id)):
        persons = [p for p in rq.household_detail(demo_session, household_id).persons
                   if p.status == "在册" and not p.is_party_member and p.id not in heads]
        if persons:
            target = (household_id, persons[0])
            break
    assert target is not None

    def run(dialog):
        assert dialog.types is None
        assert dialog.choose(target[0], target[1].id)
        dialog.accept()

    page._open_dialog = run
    page.designate()
    qtbot.waitUntil(lambda: page.current_holder() is not None
                    and page.current_holder().person_id == target[1].id, timeout=10_000)
    assert page.panel.covered_model.ids() == [target[0]]  # its own household is linked to it
