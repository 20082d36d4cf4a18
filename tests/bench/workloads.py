"""The benchmark workloads: each measures one figure of quality.md and, where it has one, its floor.

A workload takes the run context (profile, ledger path, repeat count, cache
dir) and returns an :class:`Entry`. The spine's workloads are here; each area
adds its own in ``tests/bench/workloads_<area>.py`` (a ``WORKLOADS`` dict of
name -> function), collected below. Shared helpers live here: :class:`Entry`,
:func:`timed_ms`, :func:`percentile`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Entry:
    value: float
    unit: str
    target: str
    met: bool
    floor: float | None = None
    ratio: float | None = None
    detail: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


PYCACHE = Path(__file__).resolve().parent / ".cache" / "pycache"


def _env() -> dict:
    """The environment of every benchmark subprocess.

    Bytecode is cached (under tests/bench/.cache/pycache, never beside the
    sources), as an installed app has its .pyc files: with this machine's
    PYTHONDONTWRITEBYTECODE every run would compile each module it imports,
    and start-up and first page opens would measure the compiler. The first
    (warm-up) run of each command fills the cache.
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _wall_ms(cmd: list[str], repeat: int) -> tuple[float, list[float], list[str]]:
    """Median wall-clock milliseconds of a command over ``repeat`` runs (after one warm-up)."""
    times, outputs = [], []
    subprocess.run(cmd, env=_env(), capture_output=True, check=True, timeout=300)
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=True, timeout=300)
        times.append((time.perf_counter() - t0) * 1000)
        outputs.append(proc.stdout)
    return statistics.median(times), times, outputs


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    xs = sorted(values)
    if not xs:
        raise ValueError("no values")
    k = (len(xs) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def timed_ms(fn, repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock milliseconds of ``fn()`` over ``repeat`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def demo_build(ctx) -> Entry:
    """Build the demo ledger of the profile from nothing (≤ 60 s for the county)."""
    ledger: Path = ctx["ledger"]
    for stale in ctx["cache"].glob(f"{ctx['profile']}-seed1-*.sqlite3*"):
        stale.unlink()
    tmp = Path(tempfile.mkdtemp(dir=ctx["cache"])) / "build.sqlite3"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ledgerdesk", "--db", str(tmp), "demo", "--scale", ctx["profile"],
                    "--seed", "1"], env=_env(), check=True, capture_output=True, timeout=1800)
    seconds = time.perf_counter() - t0
    shutil.move(str(tmp), ledger)
    shutil.rmtree(tmp.parent, ignore_errors=True)
    size_mb = ledger.stat().st_size / 1e6
    return Entry(round(seconds, 1), "s", "≤ 60 s", seconds <= 60, detail={"file_mb": round(size_mb, 1)})


_EMPTY_WINDOW = (
    "import sys, time\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv)\n"
    "w = QMainWindow(); w.resize(1366, 768); w.show()\n"
    "app.processEvents()\n"
)


def startup(ctx) -> Entry:
    """`gui --exit-after-ready` on the profile's ledger vs Python + Qt showing an empty window."""
    repeat = ctx["repeat"]
    value, times, outs = _wall_ms([sys.executable, "-m", "ledgerdesk", "--db", str(ctx["ledger"]), "gui",
                                   "--exit-after-ready"], repeat)
    floor, floor_times, _ = _wall_ms([sys.executable, "-c", _EMPTY_WINDOW], repeat)
    ready = [int(l.split("=")[1]) for o in outs for l in o.splitlines() if l.startswith("ready_ms=")]
    return Entry(round(value), "ms", "≤ 1500 ms", value <= 1500, round(floor), round(value / floor, 2),
                 detail={"runs_ms": [round(t) for t in times], "floor_runs_ms": [round(t) for t in floor_times],
                         "ready_ms_printed": ready})


WORKLOADS = {"demo_build": demo_build, "startup": startup}


def _collect_area_workloads() -> None:
    """Each area keeps its workloads in ``workloads_<area>.py`` with its own ``WORKLOADS`` dict."""
    import importlib

    for path in sorted(Path(__file__).resolve().parent.glob("workloads_*.py")):
        module = importlib.import_module(path.stem)
        for name, fn in module.WORKLOADS.items():
            if name in WORKLOADS:
                raise RuntimeError(f"workload {name!r} defined twice ({path.name})")
            WORKLOADS[name] = fn


_collect_area_workloads()


# -- township → county growth ------------------------------------------------------------------------

GROWTH_OF = ("search", "household_first_screen", "problem_first_screen")  # "list/search latency" (quality.md)
GROWTH_TARGET = 2.0


def growth(ctx) -> Entry:
    """List and search latency on the county profile over the same on the township profile (17× data): ≤ 2×.

    The county figures are the ones this run measured already (measured now if
    the run left them out); the township ledger is built once and cached like
    the county one. Value = the largest of the three ratios of medians.
    """
    measured = ctx.get("results", {})
    county_ctx = {**ctx, "profile": "county", "ledger": ctx["ledger_for"]("county")}
    township_ctx = {**ctx, "profile": "township", "ledger": ctx["ledger_for"]("township")}
    if not township_ctx["ledger"].exists():
        demo_build(township_ctx)
    detail = {}
    for name in GROWTH_OF:
        county = measured.get(name) if ctx["profile"] == "county" else None
        county_value = county["value"] if county else WORKLOADS[name](county_ctx).value
        township_value = WORKLOADS[name](township_ctx).value
        detail[name] = {"township_ms": township_value, "county_ms": county_value,
                        "ratio": round(county_value / township_value, 2)}
    worst = max(detail.values(), key=lambda d: d["ratio"])["ratio"]
    return Entry(worst, "×", f"≤ {GROWTH_TARGET:g}× (county over township)", worst <= GROWTH_TARGET,
                 detail=detail)


WORKLOADS["growth"] = growth  # last: it reuses the county figures measured before it
