"""Fixtures of the crash-safety harness (tests/crash/harness.py).

``LEDGERDESK_CRASH_TRIALS`` (default 8) is the number of kill trials, spread
evenly over the four workloads; the dedicated run uses 200 or more.
``LEDGERDESK_CRASH_SEED`` changes the kill points (default 20261120).
``LEDGERDESK_CRASH_REPORT=FILE`` writes the figures as JSON at the end; the
terminal summary always shows them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as H  # noqa: E402

RESULTS: list = []
_STARTED: list[float] = []


@pytest.fixture(scope="session")
def crash_lab(tmp_path_factory):
    """Every workload with its starting ledger, inputs and recorded reference states (built once, ~40 s)."""
    _STARTED.append(time.monotonic())
    return H.build_workloads(tmp_path_factory.mktemp("crash-lab"))


@pytest.fixture
def record_result():
    """record_result(TrialResult): adds a trial to the figures of this run."""
    return RESULTS.append


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    seconds = time.monotonic() - _STARTED[0] if _STARTED else None
    summary = H.summarize(RESULTS, seconds)
    terminalreporter.write_sep("-", "crash safety")
    terminalreporter.write_line(H.format_summary(summary))
    report = os.environ.get("LEDGERDESK_CRASH_REPORT")
    if report:
        Path(report).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        terminalreporter.write_line(f"figures written to {report}")
