"""Record identities that never collide between machines.

Every synced row has a UUIDv7 (RFC 9562) text id: 48 bits of Unix milliseconds,
then random bits, so ids sort roughly by creation time (good for B-tree inserts)
and two offline laptops never issue the same id. Link rows whose identity *is*
the pair they link (a tag on a household, an attendee at a meeting) use
:func:`link_id`, a deterministic UUIDv8, so two devices that add the same link
create the same row instead of a duplicate.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> str:
    """A new UUIDv7 as 36-character text; monotonic within this process."""
    global _last_ms, _counter
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        if ms <= _last_ms:
            # Same (or earlier) millisecond: keep order with a 12-bit counter in rand_a,
            # borrowing the next millisecond when it overflows.
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def uuid7_fast_factory(start_ms: int, seed_bytes: bytes):
    """A generator of UUIDv7 strings for bulk builds (demo ledgers, imports).

    Ids stay valid UUIDv7 and strictly increasing; randomness comes from a
    hash stream of ``seed_bytes`` so a seeded demo is reproducible.
    """
    ms = start_ms
    counter = 0
    block = 0
    while True:
        digest = hashlib.blake2b(seed_bytes + block.to_bytes(8, "big"), digest_size=64).digest()
        block += 1
        for i in range(0, 64, 8):
            rand_b = int.from_bytes(digest[i:i + 8], "big") & ((1 << 62) - 1)
            value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
            h = "%032x" % value
            yield f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            counter += 1
            if counter > 0xFFF:
                counter = 0
                ms += 1


def link_id(kind: str, *parts: str) -> str:
    """Deterministic UUIDv8 for a link row identified by what it links."""
    digest = bytearray(hashlib.sha256("\x1f".join((kind, *parts)).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return str(uuid.UUID(bytes=bytes(digest)))


def new_site_id() -> str:
    """A random site id for a database file (16 hex characters)."""
    return os.urandom(8).hex()
