"""Crash safety: SIGKILL during a roster import, an edit burst, a migration and a sync import.

Every trial kills a real child process (tests/crash/workers.py) working on a
real ledger file at a seeded point, then checks that the file passes
integrity_check, replays to its rows, and is EXACTLY a committed state (see
tests/crash/harness.py). Default: 8 trials; the dedicated run:

    LEDGERDESK_CRASH_TRIALS=200 python -m pytest -q tests/crash
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as H  # noqa: E402

TRIALS = int(os.environ.get("LEDGERDESK_CRASH_TRIALS", "8"))
SEED = int(os.environ.get("LEDGERDESK_CRASH_SEED", "20261120"))


def _per_workload(total: int) -> dict[str, int]:
    names = H.WORKLOAD_NAMES
    return {name: total // len(names) + (i < total % len(names)) for i, name in enumerate(names)}


COUNTS = _per_workload(TRIALS)
CASES = [(name, i) for name in H.WORKLOAD_NAMES for i in range(COUNTS[name])]


@pytest.mark.parametrize(("workload", "index"), CASES, ids=[f"{w}-{i}" for w, i in CASES])
def test_a_killed_workload_leaves_exactly_a_committed_state(crash_lab, record_result, tmp_path, workload, index):
    w = crash_lab[workload]
    plan = H.plan_kills(w, COUNTS[workload], SEED)[index]
    result = H.run_trial(w, index, plan, tmp_path / "trial")
    record_result(result)
    assert result.verdict == "ok", (
        f"{workload} trial {index} ({plan.label}, killed at {result.kill_at} s, {result.commits_seen} commit(s) "
        f"seen, phase {result.phase}, file is {result.found}): {result.verdict}: {result.detail}")


def test_reference_states_tell_before_from_after(crash_lab):
    """The check could fail: the states it accepts are distinct and cover the whole workload."""
    for name in ("roster", "sync"):
        w = crash_lab[name]
        assert w.commits == 1
        assert w.states[0].key != w.states[1].key
        assert w.states[1].versions > w.states[0].versions + 1000
        assert w.states[0].digest != w.states[1].digest
    burst = crash_lab["burst"]
    assert burst.commits == H.BURST_STEPS and len(burst.states) == H.BURST_STEPS + 1
    # nearly every call changes something (a repeated level or tag set may not)
    assert len({r.key for r in burst.states.values()}) > H.BURST_STEPS * 0.9
    migration = crash_lab["migration"]
    versions = sorted(migration.states)
    assert versions[0] == 1 and versions[-1] >= 5
    assert migration.after.key == migration.states[versions[-1]].key
    assert len({migration.states[v].key for v in versions}) == len(versions)
    # the old ledger holds the roster import's data, and the upgrade keeps it
    assert migration.states[1].versions == crash_lab["roster"].after.versions <= migration.after.versions


def test_the_harness_catches_a_partial_state(crash_lab, tmp_path):
    """A workload that secretly commits in two steps, killed between them, is reported as partial."""
    w = H.Workload("split", crash_lab["burst"].template)
    H.record_references(w, tmp_path / "refs", timed=False)
    w.extra = ("--pause", "60")  # the kill comes at once after the first half; never waited out
    result = H.run_trial(w, 0, H.KillPlan("between", 0.0, "between the two halves"), tmp_path / "trial")
    assert result.killed
    assert (result.verdict, result.found, result.phase) == ("partial", "none", "mid")
    assert "household" in result.detail


def test_the_harness_catches_a_lost_commit(crash_lab, tmp_path):
    """A file still in its before state after the child reported its commit is a lost commit."""
    w = crash_lab["roster"]
    path = H.copy_ledger(w.template, tmp_path / "ledger.sqlite3")
    reported = H.ChildRun([(0.1, "ready"), (0.2, "begin"), (0.3, "committed 1")], -9, True, 0.4, "")
    found, verdict, _ = H.check_file(w, path, reported, tmp_path / "scratch")
    assert (found, verdict) == ("before", "lost-commit")
    not_reported = H.ChildRun([(0.1, "ready"), (0.2, "begin")], -9, True, 0.25, "")
    assert H.check_file(w, path, not_reported, tmp_path / "scratch2")[:2] == ("before", "ok")
