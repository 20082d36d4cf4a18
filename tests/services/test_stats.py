from ledgerdesk.services import stats
from ledgerdesk.store.models import Household, Person, Township, Village


def test_counts_are_live_records_and_tombstones_do_not_count(memory_session):
    s = memory_session
    with s.writing() as w:
        tid = w.insert(Township, {"name": "t"})
        v = w.insert(Village, {"township": tid, "name": "一村"})
        hh = [w.insert(Household, {"village": v}) for _ in range(3)]
        w.insert(Person, {"household": hh[0], "name": "甲", "is_party_member": True})
        gone = w.insert(Person, {"household": hh[0], "name": "乙", "is_party_member": True})
        w.insert(Person, {"household": hh[1], "name": "丙"})
    with s.writing() as w:
        w.delete(Person, gone)
        w.delete(Household, hh[2])
    counts = stats.entity_counts(s)
    assert (counts.villages, counts.households, counts.persons, counts.party_members) == (1, 2, 2, 1)
    assert set(counts.as_dict()) == set(stats.LABELS)
