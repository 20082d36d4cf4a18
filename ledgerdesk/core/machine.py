"""A stable fingerprint of this machine, used to notice a database file copied elsewhere."""

from __future__ import annotations

import hashlib
import sys
import uuid
from functools import cache
from pathlib import Path


@cache
def machine_fingerprint() -> str:
    """Hex digest of the OS machine id (Linux machine-id, Windows MachineGuid), else the MAC."""
    raw = ""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            raw = Path(candidate).read_text().strip()
        except OSError:
            continue
        if raw:
            break
    if not raw and sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
                raw = str(winreg.QueryValueEx(key, "MachineGuid")[0])
        except OSError:
            raw = ""
    if not raw:
        raw = f"mac:{uuid.getnode():012x}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
