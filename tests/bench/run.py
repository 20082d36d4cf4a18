"""LedgerDesk benchmarks: one command, JSON out, each figure beside its floor measured in the same run.

    python tests/bench/run.py --profile county --json tests/bench/results/latest.json [--update-readme]

Every workload of quality.md runs on the chosen profile; on the county profile
``growth`` then measures the list and search workloads again on the township
profile (township → county latency growth ≤ 2×). Each JSON entry has value,
unit, floor, ratio, target, met and a detail dict.

The demo ledgers are built (the county build timed) once, then cached in
tests/bench/.cache/ keyed by a hash of the generator's source and the schema
migrations; later runs that leave out `demo_build` (``--only startup``) reuse
them. Benchmarks are not part of the test run: tests assert behaviour, this
measures speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CACHE = Path(__file__).resolve().parent / ".cache"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import WORKLOADS, Entry  # noqa: E402


def machine_info() -> dict:
    mem = ""
    try:
        mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split(":")[1].strip()
    except (OSError, StopIteration):
        pass
    cpu = ""
    try:
        cpu = next(l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")).split(":")[1].strip()
    except (OSError, StopIteration):
        pass
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "cpu": cpu, "memory": mem}


def generator_hash() -> str:
    h = hashlib.sha256()
    for rel in ("ledgerdesk/services/demo.py", "ledgerdesk/services/demo_data.py", "db/migrations"):
        p = ROOT / rel
        for f in sorted(p.rglob("*") if p.is_dir() else [p]):
            if f.is_file():
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


def ledger_for(profile: str) -> Path:
    """The cached demo ledger of ``profile`` for the current generator and schema."""
    return CACHE / f"{profile}-seed1-{generator_hash()}.sqlite3"


def markdown_table(results: dict) -> str:
    lines = ["| workload | value | floor | ratio | target | met |", "|---|---|---|---|---|---|"]
    for name, e in results["workloads"].items():
        def fmt(v):
            return "—" if v is None else (f"{v:,.1f}" if isinstance(v, float) else str(v))
        floor = "—" if e["floor"] is None else f'{fmt(e["floor"])} {e["unit"]}'
        ratio = "—" if e["ratio"] is None else f'{e["ratio"]:.2f}×'
        scale = (e.get("detail") or {}).get("scale", results["profile"])
        lines.append(f'| {name} ({scale}) | {fmt(e["value"])} {e["unit"]} | {floor} | {ratio} '
                     f'| {e["target"]} | {"yes" if e["met"] else "NO"} |')
    return "\n".join(lines)


def update_readme(table: str, results: dict) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index("| workload | value | floor |")
    end = text.find("\n\n", start)
    end = len(text) if end == -1 else end
    stamp = f"\n\n_Measured {results['started'][:10]} on {results['machine']['cpus']} cores, {results['machine']['cpu'] or 'unknown CPU'}._"
    rest = text[end:]
    if rest.startswith("\n\n_Measured"):
        nxt = rest.find("\n\n", 2)
        rest = "" if nxt == -1 else rest[nxt:]
    readme.write_text(text[:start] + table + stamp + rest, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=("township", "county"), default="county")
    # No default file: a partial or township run must never overwrite the committed county results by accident.
    ap.add_argument("--json", dest="json_out", type=Path, default=None,
                    help="write the results here (the README's figures: tests/bench/results/latest.json)")
    ap.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), help="run only these workloads")
    ap.add_argument("--repeat", type=int, default=7, help="repetitions of each timed command")
    ap.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    args = ap.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    CACHE.mkdir(exist_ok=True)
    ledger = ledger_for(args.profile)
    names = args.only or list(WORKLOADS)
    results = {"machine": machine_info(), "profile": args.profile,
               "started": dt.datetime.now().isoformat(timespec="seconds"), "workloads": {}}
    ctx = {"profile": args.profile, "ledger": ledger, "repeat": args.repeat, "cache": CACHE,
           "ledger_for": ledger_for, "results": results["workloads"]}
    if "demo_build" not in names and not ledger.exists():
        names = ["demo_build", *names]
    for name in names:
        print(f"… {name}", file=sys.stderr, flush=True)
        entry: Entry = WORKLOADS[name](ctx)
        results["workloads"][name] = entry.as_dict()
        print(f"  {name}: {entry.value} {entry.unit} (floor {entry.floor}, ratio {entry.ratio}) "
              f"{'met' if entry.met else 'NOT MET'}", file=sys.stderr, flush=True)
    if args.json_out is None:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    table = markdown_table(results)
    print(table)
    if args.update_readme:
        update_readme(table, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
