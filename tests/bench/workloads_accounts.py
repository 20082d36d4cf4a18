"""Login benchmark: what one password check costs (argon2id with argon2-cffi's defaults: t=3, m=64 MiB, p=4).

The figure is a trade-off, not a race: a check must be slow and memory-hard for
someone who copied the ledger file and tries passwords offline, and quick
enough that a cadre does not wait at the login dialog. Target: ≤ 500 ms median
for a whole ``accounts.login`` on this machine (one per start or command).
Floor: the bare ``argon2.PasswordHasher().verify`` of the same hash, so the
ratio is what login adds (the account lookup and the lockout bookkeeping).

It runs on its own small in-memory ledger (the profile's demo has no password).
"""

from __future__ import annotations

import statistics

from argon2 import PasswordHasher
from workloads import Entry, percentile, timed_ms

from ledgerdesk.services import accounts
from ledgerdesk.services.session import Session
from ledgerdesk.services.workspace import seed_reference_data
from ledgerdesk.store.database import Ledger

PASSWORD = "基层治理-2026"


def login(ctx) -> Entry:
    ledger = Ledger.memory()
    try:
        session = Session(ledger)
        seed_reference_data(session, "测试镇")
        accounts.ensure_admin(session, PASSWORD)
        stored = ledger.db.execute_sql("SELECT password_hash FROM user_account").fetchone()[0]
        repeat = max(5, ctx["repeat"])
        times = timed_ms(lambda: accounts.login(ledger, "admin", PASSWORD), repeat)
        hasher = PasswordHasher()
        bare = timed_ms(lambda: hasher.verify(stored, PASSWORD), repeat)
        hashing = timed_ms(lambda: accounts.hash_password(PASSWORD), repeat, warmup=0)
    finally:
        ledger.close()
    median, floor = statistics.median(times), statistics.median(bare)
    return Entry(round(median, 1), "ms", "≤ 500 ms median per login", median <= 500, floor=round(floor, 1),
                 ratio=round(median / floor, 2),
                 detail={"p95_ms": round(percentile(times, 95), 1),
                         "hash_ms_median": round(statistics.median(hashing), 1),
                         "parameters": stored.split("$")[3], "runs": repeat})


WORKLOADS = {"login": login}
