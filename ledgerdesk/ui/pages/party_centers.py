"""党员中心户: the centers, their 六大员 types and covered households, and coverage.

All of the page is :class:`ledgerdesk.ui.widgets.linkage.LinkagePage`; this
module only says what is particular to centers (shared with 联户长 so the two
cannot drift apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledgerdesk.services import registry, registry_queries
from ledgerdesk.ui.widgets.linkage import LinkageKind, LinkagePage

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

CENTER_KIND = LinkageKind(
    key="center",
    settings="party_centers",
    holder="中心户",
    person_caption="中心户人员",
    covered_word="覆盖",
    household_filter="center",
    covered_value="covered",
    uncovered_value="uncovered",
    owner_field="center_id",
    owner_column="center_name",
    report_covered="center_covered",
    report_rate="center_coverage_rate",
    report_count="centers",
    report_count_unit="个",
    holder_ids=registry_queries.center_ids,
    holder_rows=registry_queries.center_rows,
    holder_query=registry_queries.CenterQuery,
    assign=registry.assign_to_center,
    unassign=registry.unassign_from_center,
    end=registry.end_center,
    designate=lambda session, household_id, person_id, types: registry.designate_center(
        session, household_id=household_id, person_id=person_id, types=types),
    with_types=True,
    party_only=True,
)


class PartyCentersPage(LinkagePage):
    """党员中心户 (see :mod:`ledgerdesk.ui.widgets.linkage`)."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(CENTER_KIND, context, spec)
        self.set_subtitle(self.tr("村党支部确定的党员中心户和各自联系的户（一户带一片）；每户最多归属一个中心户。"))
