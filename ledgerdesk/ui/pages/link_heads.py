"""联户长 (十联户): the heads and the neighbouring households each links, and coverage.

The same page as 党员中心户 (:class:`ledgerdesk.ui.widgets.linkage.LinkagePage`)
without 六大员 types; a head need not be a party member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledgerdesk.services import registry, registry_queries
from ledgerdesk.ui.widgets.linkage import LinkageKind, LinkagePage

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

LINK_HEAD_KIND = LinkageKind(
    key="link_head",
    settings="link_heads",
    holder="联户长",
    person_caption="联户长",
    covered_word="联系",
    household_filter="head",
    covered_value="linked",
    uncovered_value="unlinked",
    owner_field="link_head_id",
    owner_column="link_head_name",
    report_covered="head_linked",
    report_rate="head_linkage_rate",
    report_count="heads",
    report_count_unit="名",
    holder_ids=registry_queries.link_head_ids,
    holder_rows=registry_queries.link_head_rows,
    holder_query=registry_queries.CenterQuery,
    assign=registry.link_to_head,
    unassign=registry.unlink_from_head,
    end=registry.end_link_head,
    designate=lambda session, household_id, person_id, types: registry.designate_link_head(
        session, person_id=person_id),
)


class LinkHeadsPage(LinkagePage):
    """联户长 (see :mod:`ledgerdesk.ui.widgets.linkage`)."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(LINK_HEAD_KIND, context, spec)
        self.set_subtitle(self.tr("联户长和各自联系的相邻农户（十联户）；每户应有且只有一位联户长。"))
