"""Encryption at rest: what an encrypted ledger costs (quality.md "Trust: lost laptop").

Both workloads copy the profile's demo ledger twice, convert one copy with
services.encryption.encrypt_ledger (its time is in the detail) and measure the
same thing on the plain copy (the floor) and the encrypted one (the value):

* ``open_encrypted`` — Ledger.open + close (preflight, key derivation, migrations
  check, site settling). The encrypted open pays one PBKDF2-HMAC-SHA512 of
  256,000 iterations (SQLCipher's default), by design about 0.3 s.
* ``search_encrypted`` — services.search.search over the search benchmark's
  seeded queries; page decryption is the only difference.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from workloads import Entry, percentile, timed_ms

PASSPHRASE = "benchmark passphrase 2026"


def _pair(ctx) -> tuple[Path, Path, Path, float]:
    """(folder, plain copy, encrypted copy, seconds the conversion took)."""
    from ledgerdesk.services.encryption import encrypt_ledger

    folder = Path(tempfile.mkdtemp(dir=ctx["cache"]))
    plain, enc = folder / "plain" / "l.sqlite3", folder / "enc" / "l.sqlite3"
    for p in (plain, enc):
        p.parent.mkdir()
        shutil.copyfile(ctx["ledger"], p)
    t0 = time.perf_counter()
    encrypt_ledger(enc, PASSPHRASE)
    return folder, plain, enc, time.perf_counter() - t0


def open_encrypted(ctx) -> Entry:
    from ledgerdesk.store.database import Ledger
    from ledgerdesk.store.encryption import derive_key

    folder, plain, enc, convert_s = _pair(ctx)
    try:
        repeat = max(3, ctx["repeat"])
        floor = timed_ms(lambda: Ledger.open(plain).close(), repeat)
        ours = timed_ms(lambda: Ledger.open(enc, passphrase=PASSPHRASE).close(), repeat)
        kdf = timed_ms(lambda: derive_key(PASSPHRASE, b"\0" * 16), repeat)
        size_mb = enc.stat().st_size / 2**20
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    value, base, kdf_ms = statistics.median(ours), statistics.median(floor), statistics.median(kdf)
    # The passphrase's key derivation is the price by design (it is what makes guessing slow); the rest must be small.
    return Entry(round(value, 1), "ms", "encrypted open ≤ plain open + one key derivation + 100 ms",
                 value <= base + kdf_ms + 100, floor=round(base, 1), ratio=round(value / base, 2) if base else None,
                 detail={"key_derivation_ms": round(kdf_ms, 1), "convert_s": round(convert_s, 2),
                         "file_mb": round(size_mb, 1)})


def search_encrypted(ctx) -> Entry:
    from ledgerdesk.services import workspace
    from ledgerdesk.services.search import search
    from workloads_search import LIMIT, _queries

    folder, plain, enc, convert_s = _pair(ctx)
    try:
        raw = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        queries = _queries(raw)
        raw.close()
        s_plain = workspace.open_ledger(plain)
        s_enc = workspace.open_ledger(enc, passphrase=PASSPHRASE)
        floor, ours = [], []
        for _, text in queries:
            floor.append(statistics.median(timed_ms(lambda: search(s_plain, text, limit=LIMIT), ctx["repeat"])))
            ours.append(statistics.median(timed_ms(lambda: search(s_enc, text, limit=LIMIT), ctx["repeat"])))
            assert search(s_plain, text, limit=LIMIT) == search(s_enc, text, limit=LIMIT)
        s_plain.close()
        s_enc.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    value, base = statistics.median(ours), statistics.median(floor)
    ratio = value / base if base else None
    return Entry(round(value, 3), "ms", "≤ 20 ms median inside the encrypted ledger (quality.md search target)",
                 value <= 20, floor=round(base, 3), ratio=round(ratio, 2) if ratio else None,
                 detail={"queries": len(queries), "p95_ms": round(percentile(ours, 95), 3),
                         "plain_p95_ms": round(percentile(floor, 95), 3), "convert_s": round(convert_s, 2)})


WORKLOADS = {"open_encrypted": open_encrypted, "search_encrypted": search_encrypted}
