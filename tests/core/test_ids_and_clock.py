import datetime as dt
import uuid

from hypothesis import given, strategies as st

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.core.hlc import HybridClock, unpack
from ledgerdesk.core.ids import link_id, uuid7, uuid7_fast_factory


def test_uuid7_has_version_and_variant_and_sorts_by_creation():
    ids = [uuid7(1_700_000_000_000) for _ in range(5000)]
    for text in ids[:10]:
        u = uuid.UUID(text)
        assert u.version == 7 and u.variant == uuid.RFC_4122
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_uuid7_factory_is_reproducible_and_increasing():
    a = uuid7_fast_factory(1_700_000_000_000, b"seed")
    b = uuid7_fast_factory(1_700_000_000_000, b"seed")
    first = [next(a) for _ in range(10000)]
    assert first == [next(b) for _ in range(10000)]
    assert first == sorted(first) and len(set(first)) == len(first)
    assert all(uuid.UUID(x).version == 7 for x in first[::997])
    other = uuid7_fast_factory(1_700_000_000_000, b"other")
    assert next(other) != first[0]


def test_link_id_is_deterministic_per_pair():
    assert link_id("tag", "a", "b") == link_id("tag", "a", "b")
    assert link_id("tag", "a", "b") != link_id("tag", "b", "a")
    assert link_id("tag", "ab", "") != link_id("tag", "a", "b")
    assert uuid.UUID(link_id("tag", "x")).version == 8


def test_hlc_never_goes_backwards_when_the_wall_clock_does():
    clock = FixedClock(dt.datetime(2026, 5, 1, 12, 0))
    hlc = HybridClock(clock)
    a = hlc.tick()
    clock.advance(days=-3)  # the laptop's clock is set back
    b = hlc.tick()
    assert b > a and unpack(b)[0] == unpack(a)[0]
    clock.advance(days=4)
    c = hlc.tick()
    assert c > b and unpack(c)[1] == 0


def test_hlc_follows_a_remote_clock_ahead_and_reports_drift():
    clock = FixedClock(dt.datetime(2026, 5, 1, 12, 0))
    hlc = HybridClock(clock)
    remote = HybridClock(FixedClock(dt.datetime(2026, 5, 3, 12, 0))).tick()
    hlc.observe(remote)  # never refused
    assert hlc.tick() > remote
    assert hlc.drift_ms == 2 * 86_400_000


@given(st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=200))
def test_hlc_is_strictly_monotonic_for_any_clock_walk(steps):
    clock = FixedClock(1_700_000_000_000)
    hlc = HybridClock(clock)
    last = hlc.tick()
    for step in steps:
        clock.advance(ms=step)
        now = hlc.tick()
        assert now > last
        last = now
