"""联户长公示表 — each 联户长 and the households linked to them, per village (A4 portrait, also A3).

Same layout as the coverage notice (:mod:`.coverage_notice`), without the 六大员 column;
the contact phone is masked.
"""

from __future__ import annotations

from ledgerdesk.reports.coverage_notice import render  # noqa: F401 — the sheet's kind chooses the columns
