-- LedgerDesk schema 3: indexes for the registry lists and coverage analytics
-- (ledgerdesk/services/registry_queries.py, ledgerdesk/services/coverage.py).
--
-- quality.md asks for the first screen of the household list in <= 100 ms and
-- coverage for a whole county (200K households) in <= 300 ms. Both read every
-- live household, so they are index-only scans in the order they need:
--
--  * household_list: the default list (live 在册 households by 户号, then id)
--    is a scan of this index in order, filtering deleted/status inside it.
--  * household_list_village: the same within one village (a seek).
--  * household_center_cover / household_head_cover: households per (中心户 or
--    联户长, village), read in index order by one GROUP BY each; also the
--    household count of one 中心户/联户长 (a seek on the first column).
--
-- No index here LEADS with `deleted` or `status`: without ANALYZE statistics
-- SQLite would take an equality on those near-constant columns for a
-- selective one and pick such an index over the primary key or a real filter
-- in unrelated queries. (A partial index WHERE deleted = 0 is not used as a
-- covering index by SQLite 3.40 when the query names `deleted`, hence plain
-- trailing columns.)

CREATE INDEX household_list ON household (hh_no, id, deleted, status);
CREATE INDEX household_list_village ON household (village_id, deleted, status, hh_no, id);
CREATE INDEX household_center_cover ON household (center_id, village_id, deleted, status);
CREATE INDEX household_head_cover ON household (link_head_id, village_id, deleted, status);
